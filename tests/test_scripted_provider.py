"""The offline scripted model through the real loop, tools and fact guardrail, both databases."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from execution.agents import get_agent, update_persona
from execution.fact_check import check_facts
from execution.property_import import import_properties
from execution.property_lookup import Property, search_properties
from execution.store import Store
from orchestrator.directives import load_directives
from orchestrator.loop import Run, run
from orchestrator.providers.scripted import (
    ScriptedProvider,
    pick_listing,
    preferred_time,
    read_enquiry,
    wants_viewing,
)
from orchestrator.registry import REGISTRY
from orchestrator.run_context import RunContext
from tests.test_store import make_agent

LISTINGS = [
    {"ref": "T1", "title": "Treasure at Tampines", "location": "Tampines Street 11",
     "price": 1580000, "type": "condo", "bedrooms": 3, "key_selling_points": ["Near MRT"]},
    {"ref": "T2", "title": "Tampines GreenRidges", "location": "Tampines Street 81",
     "price": 598000, "type": "HDB", "bedrooms": 3},
    {"ref": "P1", "title": "Punggol Waterway", "location": "Punggol Field", "price": 720000,
     "type": "HDB", "bedrooms": 4},
    {"ref": "S1", "title": "Simei Sold Gem", "location": "Simei Street 1", "price": 900000,
     "type": "condo", "bedrooms": 2, "availability": "sold"},
    {"ref": "Q1", "title": "Queenstown Pending Loft", "location": "Queenstown", "price": 1100000,
     "type": "condo", "bedrooms": 2, "availability": "pending"},
]  # fmt: skip


@pytest.fixture
def agent_id(store: Store, tmp_path: Path) -> int:
    agent_id = make_agent(store)
    update_persona(store, agent_id, assistant_name="Ava", style="friendly")
    path = tmp_path / "l.json"
    path.write_text(json.dumps(LISTINGS))
    import_properties(store, agent_id, path)
    return agent_id


def turn(store: Store, agent_id: int, message: str, contact: str = "", **inputs: Any) -> Run:
    return directive_run(store, agent_id, "handle_incoming_message",
                         {"message": message, "contact_name": contact, "history": "",
                          "shown_listings": [], **inputs})  # fmt: skip


def directive_run(
    store: Store, agent_id: int, name: str, inputs: dict[str, Any], **context: Any
) -> Run:
    return asyncio.run(run(
        load_directives()[name], inputs, ScriptedProvider(), REGISTRY,
        RunContext(store, agent_id=agent_id, **context), agent=get_agent(store, agent_id),
    ))  # fmt: skip


def all_listings(store: Store, agent_id: int) -> list[Property]:
    return search_properties(store, agent_id, limit=100)


def test_enquiry_searches_and_describes_real_matches(store: Store, agent_id: int) -> None:
    done = turn(store, agent_id, "Hi, any 3 bedroom condo in tampnes under 1.6M?")
    tool_steps = [s for s in done.steps if s.kind == "tool"]
    assert [s.tool for s in tool_steps] == ["search_properties"]
    assert tool_steps[0].arguments == {"location": "tampnes", "property_type": "condo",
                                       "max_price": 1600000, "bedrooms": 3,
                                       "availability": "available", "limit": 3}  # fmt: skip
    assert "Treasure at Tampines" in done.final_text and "S$1,580,000" in done.final_text
    assert "viewing" in done.final_text
    assert check_facts(done.final_text, all_listings(store, agent_id)) == []


def test_no_match_is_said_plainly(store: Store, agent_id: int) -> None:
    done = turn(store, agent_id, "3 bedroom condo in Sentosa under 500k")
    assert "none of" in done.final_text and "higher budget" in done.final_text


def test_greeting_uses_the_persona_and_the_name(store: Store, agent_id: int) -> None:
    done = turn(store, agent_id, "hello", contact="John")
    assert done.final_text.startswith("Hi John! I'm Ava, Agent 1's assistant.")
    assert [s.kind for s in done.steps] == ["model"]


def test_a_vague_enquiry_gets_one_clarifying_question(store: Store, agent_id: int) -> None:
    done = turn(store, agent_id, "I'm looking for a nice place")
    assert done.final_text.endswith("Which area are you interested in, and what is your budget?")
    assert not [s for s in done.steps if s.kind == "tool"]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("3 bedroom condo in tampnes under 1.6M",
         {"location": "tampnes", "property_type": "condo", "max_price": 1600000, "bedrooms": 3}),
        ("any 4-room HDB around Punggol?",
         {"location": "Punggol", "property_type": "HDB", "bedrooms": 3}),
        ("Hv any condo at bukit timah ard 3m?",
         {"location": "bukit timah", "property_type": "condo"}),
        ("2 bedroom in river valley pls", {"location": "river valley", "bedrooms": 2}),
        ("budget 800k, what do you have in Sengkang",
         {"location": "Sengkang", "max_price": 800000}),
        ("three-bedroom EC above 1.2m in Yishun",
         {"location": "Yishun", "property_type": "executive condo", "min_price": 1200000,
          "bedrooms": 3}),
        ("looking for something nice", {}),
    ],
)  # fmt: skip
def test_reading_enquiries(message: str, expected: dict[str, Any]) -> None:
    found = {k: v for k, v in read_enquiry(message).__dict__.items() if v is not None}
    assert found == expected


def ref(store: Store, agent_id: int, external_ref: str) -> int:
    [found] = [p for p in all_listings(store, agent_id) if p.external_ref == external_ref]
    return found.property_id


@pytest.fixture
def conversation_id(store: Store, agent_id: int) -> int:
    from execution.conversations import find_or_create_conversation

    return find_or_create_conversation(store, agent_id, "6590000009", "Li").conversation_id


def test_escalation_directive_hands_off_and_writes_nothing(
    store: Store, agent_id: int, conversation_id: int
) -> None:
    from execution.conversations import get_conversation
    from execution.coordination import InProcessCoordinator

    done = directive_run(store, agent_id, "escalation", {"trigger": "legal", "evidence": "lawyer"},
                         coordinator=InProcessCoordinator(), conversation_id=conversation_id,
                         actor="escalation:legal")  # fmt: skip
    assert done.stopped == "handoff" and done.final_text == ""
    assert [(s.tool, s.arguments) for s in done.steps if s.kind == "tool"] == [
        ("hand_off_to_human", {"reason": "legal: lawyer"})
    ]
    conversation = get_conversation(store, conversation_id)
    assert (conversation.current_mode, conversation.mode_reason) == ("HUMAN", "legal: lawyer")


def test_sending_directive_calls_send_once(store: Store, agent_id: int) -> None:
    done = directive_run(store, agent_id, "message_sending", {"text": "See you Saturday"})
    assert [(s.tool, s.arguments) for s in done.steps if s.kind == "tool"] == [
        ("send_message", {"text": "See you Saturday"})
    ]  # the context has no runtime, so the call is refused, once (the retry budget is 0)
    assert done.stopped == "tool_errors"


def test_book_viewing_records_the_request_and_the_time(
    store: Store, agent_id: int, conversation_id: int
) -> None:
    from execution.viewings import list_viewing_requests

    target = ref(store, agent_id, "P1")
    inputs = {"message": "Sunday afternoon, with my wife", "property_id": str(target)}
    done = directive_run(store, agent_id, "book_viewing", inputs, conversation_id=conversation_id)
    assert done.steps[1].arguments == {"property_id": target, "preferred_time": "Sunday afternoon"}
    assert "request to view Punggol Waterway (Sunday afternoon)" in done.final_text
    assert "confirm the time" in done.final_text and "booked" not in done.final_text
    [request] = list_viewing_requests(store, agent_id)
    assert (request["property_id"], request["preferred_time"]) == (target, "Sunday afternoon")
    assert check_facts(done.final_text, all_listings(store, agent_id)) == []


def test_a_sold_listing_cannot_be_viewed(store: Store, agent_id: int, conversation_id: int) -> None:
    from execution.viewings import list_viewing_requests

    inputs = {"message": "can I see it tomorrow", "property_id": str(ref(store, agent_id, "S1"))}
    done = directive_run(store, agent_id, "book_viewing", inputs, conversation_id=conversation_id)
    assert done.steps[1].is_error and "is sold" in (done.steps[1].result or "")
    assert "has been sold" in done.final_text and list_viewing_requests(store) == []


def test_another_agents_listing_cannot_be_requested(
    store: Store, agent_id: int, conversation_id: int
) -> None:
    other = make_agent(store, 2)
    path_listing = search_properties(store, agent_id, limit=1)[0]
    inputs = {"message": "view", "property_id": str(path_listing.property_id)}
    done = directive_run(store, other, "book_viewing", inputs, conversation_id=conversation_id)
    assert done.steps[1].is_error and "no property" in (done.steps[1].result or "")


@pytest.mark.parametrize(
    ("listing", "kind", "expected"),
    [
        ("T1", "check_in", "Treasure at Tampines is still available. Would you like to arrange"),
        ("Q1", "second_check_in", "Queenstown Pending Loft is under offer now."),
        ("S1", "check_in", "Simei Sold Gem has been sold since we spoke."),
        ("T1", "last_check_in", "I won't write again unless you reply."),
    ],
)
def test_follow_ups_check_the_listing_first(
    store: Store, agent_id: int, listing: str, kind: str, expected: str
) -> None:
    target = ref(store, agent_id, listing)
    inputs = {"kind": kind, "contact_name": "Li", "history": "buyer: any condo?",
              "shown_listings": [{"property_id": target, "title": "as shown then"}]}  # fmt: skip
    done = directive_run(store, agent_id, "follow_up", inputs)
    assert [(s.tool, s.arguments) for s in done.steps if s.kind == "tool"] == [
        ("get_property", {"property_id": target})
    ]
    assert done.final_text.startswith("Hi Li, Ava here.") and expected in done.final_text
    assert check_facts(done.final_text, all_listings(store, agent_id)) == []


def test_follow_up_without_listings_or_after_a_goodbye(store: Store, agent_id: int) -> None:
    base = {"kind": "check_in", "contact_name": "", "shown_listings": []}
    done = directive_run(store, agent_id, "follow_up", base | {"history": "buyer: hi"})
    assert "Are you still looking for a home?" in done.final_text
    bye = directive_run(store, agent_id, "follow_up",
                        base | {"history": "buyer: thanks, I already bought a flat"})  # fmt: skip
    assert bye.final_text == "" and bye.steps[0].kind == "model" and len(bye.steps) == 1


def test_persona_directive_greets_in_the_given_persona(store: Store, agent_id: int) -> None:
    inputs = {"assistant_name": "Kai", "style": "casual", "tone": "8"}
    done = directive_run(store, agent_id, "persona", inputs)
    assert done.final_text.startswith("Hey! I'm Kai, Agent 1's assistant.")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Saturday 10am please", "Saturday 10am"),
        ("next Tuesday evening or 7:30pm", "next Tuesday evening 7:30pm"),
        ("tomorrow", "tomorrow"),
        ("this weekend", "this weekend"),
        ("sounds good", None),
    ],
)
def test_preferred_times_in_the_buyers_words(message: str, expected: str | None) -> None:
    assert preferred_time(message) == expected


def test_viewing_intent_and_which_listing() -> None:
    offered = "buyer: condo?\nassistant: ... Would you like to arrange a viewing of the X?"
    assert wants_viewing("Yes please", offered) and wants_viewing("can I view it?", "")
    assert not wants_viewing("yes", "assistant: Which area would you like?")
    assert not wants_viewing("thanks", offered)
    shown = [{"property_id": 1, "title": "Treasure at Tampines"},
             {"property_id": 2, "title": "Punggol Waterway"}]  # fmt: skip
    assert pick_listing("the punggol one on Sunday", shown)["property_id"] == 2
    assert pick_listing("yes", shown)["property_id"] == 1
