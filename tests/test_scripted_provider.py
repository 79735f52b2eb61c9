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
from orchestrator.providers.scripted import ScriptedProvider, read_enquiry
from orchestrator.registry import REGISTRY
from tests.test_store import make_agent

LISTINGS = [
    {"ref": "T1", "title": "Treasure at Tampines", "location": "Tampines Street 11",
     "price": 1580000, "type": "condo", "bedrooms": 3, "key_selling_points": ["Near MRT"]},
    {"ref": "T2", "title": "Tampines GreenRidges", "location": "Tampines Street 81",
     "price": 598000, "type": "HDB", "bedrooms": 3},
    {"ref": "P1", "title": "Punggol Waterway", "location": "Punggol Field", "price": 720000,
     "type": "HDB", "bedrooms": 4},
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
        {"store": store, "agent_id": agent_id, **context}, agent=get_agent(store, agent_id),
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
