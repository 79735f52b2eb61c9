"""One buyer turn end to end: gate, escalation, loop, fact check, send, on both deployments."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from execution.agents import add_agent
from execution.audit import events
from execution.clock import simulated
from execution.conversations import find_or_create_conversation, get_conversation
from execution.coordination import Coordinator
from execution.greenapi import GreenApiClient
from execution.incidents import open_incidents
from execution.property_import import import_properties
from execution.property_lookup import search_properties
from execution.run_log import get_run
from execution.runtime import Runtime
from execution.set_mode import set_mode, set_mode_human
from execution.settings import load_settings
from execution.store import Store
from execution.viewings import list_viewing_requests
from orchestrator.chat import chat_turn
from orchestrator.providers.base import ModelTurn
from orchestrator.providers.scripted import ScriptedProvider
from orchestrator.turn_result import TurnResult
from replay.fake_greenapi import FakeGreenApi
from tests.model_doubles import FunctionModel, QueuedModel, call, text, tools

INSTANCE, TOKEN = "1101000001", "turn-test-token-123"


@pytest.fixture
def world(backend: tuple[Store, Coordinator], tmp_path: Path):  # type: ignore[no-untyped-def]
    store, coordinator = backend
    with FakeGreenApi({INSTANCE: TOKEN}) as fake:
        agent = add_agent(store, name="Sarah Tan", instance_id=INSTANCE, api_token=TOKEN,
                          webhook_token="hook-token-123", number="6591234567",
                          api_url=fake.url)  # fmt: skip
        path = tmp_path / "l.json"
        path.write_text(json.dumps([
            {"ref": "T1", "title": "Treasure at Tampines", "location": "Tampines Street 11",
             "price": 1580000, "type": "condo", "bedrooms": 3},
        ]))  # fmt: skip
        import_properties(store, agent.agent_id, path)
        conversation = find_or_create_conversation(store, agent.agent_id, "6590000001@c.us")
        yield {"store": store, "coordinator": coordinator, "fake": fake,
               "cid": conversation.conversation_id}  # fmt: skip


def turn(
    world: dict[str, Any],
    message: str,
    provider: Any = None,
    turn_id: str = "t1",
    **settings: Any,
) -> TurnResult:
    async def go() -> TurnResult:
        async with GreenApiClient(backoff_initial=0.01, backoff_max=0.05) as client:
            rt = Runtime(load_settings(**settings), world["store"], world["coordinator"], client)
            return await chat_turn(rt, world["cid"], message, provider or ScriptedProvider(),
                                   turn_id=turn_id)  # fmt: skip

    return asyncio.run(go())


def sent(world: dict[str, Any]) -> list[str]:
    return [r.body["message"] for r in world["fake"].sent()]


def test_an_enquiry_gets_one_checked_reply(world: dict[str, Any]) -> None:
    result = turn(world, "any 3 bedroom condo in tampnes?")
    assert result.status == "replied"
    [reply] = sent(world)
    assert reply == result.reply and "S$1,580,000" in reply
    assert get_conversation(world["store"], world["cid"]).current_mode == "AI"
    assert result.run is not None and result.run.run_id is not None
    recorded = get_run(world["store"], result.run.run_id)
    assert recorded["conversation_id"] == world["cid"]
    assert (recorded["turn_id"], recorded["directive"], recorded["stopped"]) == (
        "t1", "handle_incoming_message", "done",
    )  # fmt: skip


def test_negotiation_hands_over_with_one_message_and_nothing_else(world: dict[str, Any]) -> None:
    model = QueuedModel([])  # the model is never asked
    result = turn(world, "Can the owner do 1.5M?", model)
    assert (result.status, result.trigger) == ("escalated", "negotiation")
    assert model.requests == []
    [handoff] = sent(world)
    assert "Sarah Tan" in handoff and "take it from here" in handoff
    assert get_conversation(world["store"], world["cid"]).current_mode == "HUMAN"
    kinds = [e["kind"] for e in events(world["store"], world["cid"])]
    assert kinds == ["mode_change", "escalation", "forced_send"]


def test_past_the_hourly_cap_of_assistant_messages_the_agent_takes_over(
    world: dict[str, Any],
) -> None:
    """Issue 15.6: a buyer (or a loop) that never pauses gets at most the cap of assistant
    messages an hour, then a handoff and an incident: never silence, never an endless chat."""
    with simulated(datetime(2026, 12, 4, 9, 0, tzinfo=UTC)) as clock:
        for n in range(3):
            clock.advance(timedelta(minutes=5))
            said = turn(world, f"hi again {n}", turn_id=f"t{n}", assistant_messages_per_hour=3)
            assert said.status == "replied"
        clock.advance(timedelta(minutes=5))
        capped = turn(world, "hello??", turn_id="t3", assistant_messages_per_hour=3)
    assert (capped.status, capped.trigger) == ("escalated", "message_cap")
    assert capped.evidence == "3 assistant messages in the last hour"
    assert "take it from here" in sent(world)[-1] and len(sent(world)) == 4
    assert get_conversation(world["store"], world["cid"]).current_mode == "HUMAN"
    [incident] = open_incidents(world["store"])
    assert "3 assistant messages in the last hour" in incident["error"]


def test_a_hand_back_after_the_cap_starts_the_count_again(world: dict[str, Any]) -> None:
    with simulated(datetime(2026, 12, 4, 9, 0, tzinfo=UTC)) as clock:
        for n in range(4):
            clock.advance(timedelta(minutes=1))
            turn(world, f"hi again {n}", turn_id=f"t{n}", assistant_messages_per_hour=3)
        assert get_conversation(world["store"], world["cid"]).current_mode == "HUMAN"
        clock.advance(timedelta(minutes=1))
        set_mode(world["store"], world["coordinator"], world["cid"], "AI", "back", "operator")
        clock.advance(timedelta(minutes=1))
        back = turn(world, "ok thanks", turn_id="t9", assistant_messages_per_hour=3)
    assert back.status == "replied"


def test_assistant_messages_older_than_an_hour_do_not_count(world: dict[str, Any]) -> None:
    with simulated(datetime(2026, 12, 4, 9, 0, tzinfo=UTC)) as clock:
        for n in range(3):
            turn(world, f"hi again {n}", turn_id=f"t{n}", assistant_messages_per_hour=3)
        clock.advance(timedelta(minutes=61))
        later = turn(world, "still there?", turn_id="t3", assistant_messages_per_hour=3)
    assert later.status == "replied"


def test_human_mode_gets_no_reply_at_all(world: dict[str, Any]) -> None:
    set_mode_human(world["store"], world["coordinator"], world["cid"], "agent", "operator")
    assert turn(world, "hello?").status == "human_mode"
    assert sent(world) == []


def test_three_failed_searches_hand_over(world: dict[str, Any]) -> None:
    statuses = [turn(world, f"condo in Sentosa under {n}00k", turn_id=f"t{n}").status
                for n in (1, 2, 3)]  # fmt: skip
    assert statuses == ["replied", "replied", "escalated"]
    assert get_conversation(world["store"], world["cid"]).current_mode == "HUMAN"
    assert "take it from here" in sent(world)[-1] and len(sent(world)) == 3


def test_a_found_listing_resets_the_streak(world: dict[str, Any]) -> None:
    turn(world, "condo in Sentosa under 100k", turn_id="a")
    turn(world, "condo in Sentosa under 200k", turn_id="b")
    turn(world, "condo in Tampines", turn_id="c")
    assert get_conversation(world["store"], world["cid"]).failed_search_streak == 0


def test_a_model_failure_hands_over_and_becomes_an_incident(world: dict[str, Any]) -> None:
    def broken(transcript: Any) -> ModelTurn:
        raise RuntimeError("model exploded")

    result = turn(world, "3 bedroom in Tampines?", FunctionModel(broken))
    assert (result.status, result.trigger) == ("escalated", "failure")
    [incident] = open_incidents(world["store"])
    assert "model exploded" in incident["error"] and incident["layer"] == "orchestration"
    assert len(sent(world)) == 1  # only the handoff message


def test_a_wrong_fact_is_never_sent(world: dict[str, Any]) -> None:
    wrong = "Treasure at Tampines is only S$1,000,000!"
    model = QueuedModel(
        [tools(call("search_properties", location="tampines")), text(wrong), text(wrong)]
    )  # and again after the correction: the human takes over
    result = turn(world, "3 bedroom in Tampines?", model)
    assert (result.status, result.evidence) == ("escalated", "fact check")
    assert all("1,000,000" not in message for message in sent(world))
    [incident] = open_incidents(world["store"])
    assert "price does not match" in json.dumps(incident["context"])
    note = model.requests[2]["transcript"][-1]
    # the note names the claim as written and what the record says
    assert "not sent" in note.text and "'S$1,000,000'" in note.text
    assert "The record: Treasure at Tampines" in note.text and "S$1,580,000" in note.text


def test_one_corrective_turn_fixes_a_wrong_fact(world: dict[str, Any]) -> None:
    model = QueuedModel([tools(call("search_properties", location="tampines")),
                         text("Treasure at Tampines is S$1.5M."),
                         text("Treasure at Tampines is S$1.58M.")])  # fmt: skip
    result = turn(world, "3 bedroom in Tampines?", model)
    assert result.status == "replied" and sent(world) == ["Treasure at Tampines is S$1.58M."]
    assert open_incidents(world["store"]) == []


def test_a_takeover_while_the_model_thinks_discards_the_reply(world: dict[str, Any]) -> None:
    def slow_model(transcript: Any) -> ModelTurn:
        set_mode_human(world["store"], world["coordinator"], world["cid"], "agent", "operator")
        return text("Hello! How can I help?")

    result = turn(world, "hi there, looking around", FunctionModel(slow_model))
    assert result.status == "discarded"
    assert sent(world) == []


def test_the_models_own_handoff_sends_the_one_handoff_message(world: dict[str, Any]) -> None:
    model = QueuedModel([tools(call("hand_off_to_human", reason="wants a discount")), text("ok")])
    result = turn(world, "Could you tell me more about the unit?", model)
    assert (result.status, result.trigger) == ("escalated", "assistant")
    [handoff] = sent(world)
    assert "take it from here" in handoff
    assert get_conversation(world["store"], world["cid"]).current_mode == "HUMAN"


def test_a_takeover_before_a_failure_gets_no_handoff_message(world: dict[str, Any]) -> None:
    """Found by a replay: the agent took the chat while the model was failing; the handoff
    message ("I've asked Sarah to take it from here") went out after the takeover."""

    def taken_then_broken(transcript: Any) -> ModelTurn:
        set_mode_human(world["store"], world["coordinator"], world["cid"], "agent", "operator")
        raise RuntimeError("model exploded")

    result = turn(world, "3 bedroom in Tampines?", FunctionModel(taken_then_broken))
    assert (result.status, result.trigger, result.reply) == ("escalated", "failure", None)
    assert sent(world) == []
    with world["store"].read() as tx:
        detail = tx.scalar("SELECT detail FROM events WHERE kind = 'escalation'")
    assert json.loads(detail)["handoff_message"] is False


def test_a_turn_that_stopped_after_its_switch_sends_its_handoff_when_redone(
    world: dict[str, Any],
) -> None:
    """Found by the property tests: a worker died after the escalation's switch to HUMAN and
    before the handoff message; the redone turn saw HUMAN mode and the buyer was never told."""
    set_mode_human(world["store"], world["coordinator"], world["cid"], "negotiation: 1.5M",
                   "escalation:negotiation", turn_id="t1")  # fmt: skip
    redone = turn(world, "Can the owner do 1.5M?", turn_id="t1")
    assert redone.status == "escalated" and len(sent(world)) == 1
    assert "take it from here" in sent(world)[0]
    assert turn(world, "hello?", turn_id="t2").status == "human_mode"  # a later turn: silence
    assert len(sent(world)) == 1


def test_wa_chat_offline_on_the_embedded_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WA_DATABASE_URL", f"sqlite:///{tmp_path / 'wa.db'}")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "--json"]).exit_code == 0
    result = runner.invoke(app, ["chat", "--agent", "1", "--message",
                                 "3 bedroom condo in tampines under 1.6M", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    trace = json.loads(result.stdout)
    assert trace["status"] == "replied" and "Treasure at Tampines" in trace["reply"]
    assert [s["tool"] for s in trace["steps"] if s["kind"] == "tool"] == ["search_properties"]


def test_wa_chat_sends_through_green_api_only_when_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One rule with `wa send`: the agent's Green API (its api url), and only with --live."""
    from typer.testing import CliRunner

    from cli import app

    monkeypatch.setenv("WA_DATABASE_URL", f"sqlite:///{tmp_path / 'wa.db'}")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "init"]).exit_code == 0
    with FakeGreenApi({INSTANCE: TOKEN}) as fake:
        added = runner.invoke(app, ["agents", "add", "--name", "Live Agent", "--instance-id",
                                    INSTANCE, "--api-token", TOKEN, "--webhook-token",
                                    "hook-token-123", "--number", "6591234567",
                                    "--api-url", fake.url])  # fmt: skip
        assert added.exit_code == 0, added.stderr
        chat = ["chat", "--agent", "Live Agent", "--message", "hello"]
        printed = runner.invoke(app, [*chat, "--contact", "6580000101"])
        assert printed.exit_code == 0, printed.stderr
        assert fake.sent() == []  # the default: the transcript only
        live = runner.invoke(app, [*chat, "--contact", "6580000102", "--live"])
        assert live.exit_code == 0, live.stderr
        assert [r.body["chatId"] for r in fake.sent()] == ["6580000102@c.us"]


def test_wa_chat_interactive_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WA_DATABASE_URL", f"sqlite:///{tmp_path / 'wa.db'}")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "--json"]).exit_code == 0
    said = "hello\nany condo in Bishan?\nis the price negotiable?\n\n"
    result = runner.invoke(app, ["chat", "--agent", "1", "--contact", "6580000077"], input=said)
    assert result.exit_code == 0, result.stderr
    assert "I'm Ava" in result.stdout and "Bishan Park 3BR" in result.stdout
    assert "handed to the agent: negotiation" in result.stdout


# --- core conversations with the scripted model, through the turn code -------------------------

ENQUIRY = "any 3 bedroom condo in tampnes?"


def _t1(world: dict[str, Any]) -> int:
    [listing] = search_properties(world["store"], agent_of(world), location="Tampines")
    return listing.property_id


def agent_of(world: dict[str, Any]) -> int:
    return get_conversation(world["store"], world["cid"]).agent_id


def test_an_accepted_viewing_offer_becomes_one_viewing_request(world: dict[str, Any]) -> None:
    offer = turn(world, ENQUIRY, turn_id="v1")
    assert offer.reply and "Would you like to arrange a viewing of the Treasure" in offer.reply
    accepted = turn(world, "Yes please, Saturday 10am works for me", turn_id="v2")
    assert accepted.status == "replied" and accepted.reply
    assert "request to view Treasure at Tampines (Saturday 10am)" in accepted.reply
    assert "Sarah Tan will confirm the time" in accepted.reply
    [request] = list_viewing_requests(world["store"])
    assert (request["property_id"], request["preferred_time"], request["conversation_id"]) == (
        _t1(world), "Saturday 10am", world["cid"],
    )  # fmt: skip
    again = turn(world, "can I view it?", turn_id="v3")
    assert again.reply and "already with Sarah Tan" in again.reply
    assert len(list_viewing_requests(world["store"])) == 1
    assert sent(world) == [offer.reply, accepted.reply, again.reply]


def test_the_model_sees_the_history_and_the_listings_shown(world: dict[str, Any]) -> None:
    turn(world, ENQUIRY, turn_id="h1")
    model = QueuedModel([text("Noted!")])
    turn(world, "thanks, let me think", model, turn_id="h2")
    inputs = json.loads(model.requests[0]["transcript"][0].text)
    assert inputs["message"] == "thanks, let me think"
    history_lines = inputs["history"].splitlines()
    assert history_lines[0] == f"buyer: {ENQUIRY}"
    assert history_lines[1].startswith("assistant: I found one listing that fits: 1. Treasure")
    assert len(history_lines) == 2  # the message being answered is not history
    assert inputs["shown_listings"] == [
        {"property_id": _t1(world), "title": "Treasure at Tampines"}
    ]
    assert ENQUIRY not in model.requests[0]["system"]  # the system prompt stays cacheable


def test_a_viewing_ask_with_nothing_shown_asks_which_listing(world: dict[str, Any]) -> None:
    result = turn(world, "Can I arrange a viewing?")
    assert result.reply and "Which listing would you like to see?" in result.reply
    assert list_viewing_requests(world["store"]) == []


def test_a_bare_yes_with_no_offer_is_not_a_viewing_request(world: dict[str, Any]) -> None:
    result = turn(world, "yes")
    assert result.status == "replied" and result.reply and "Which area" in result.reply
    assert list_viewing_requests(world["store"]) == []


def _corpus() -> list[tuple[str, str]]:
    data = yaml.safe_load((Path(__file__).parent / "data" / "escalation_corpus.yaml").read_text())
    return [(trigger, message) for trigger, messages in data.items() if trigger != "none"
            for message in messages[:3]]  # fmt: skip


@pytest.mark.parametrize(("trigger", "message"), _corpus())
def test_every_trigger_mid_conversation_hands_over_once(
    world: dict[str, Any], trigger: str, message: str
) -> None:
    assert turn(world, ENQUIRY, turn_id="e1").status == "replied"
    result = turn(world, message, QueuedModel([]), turn_id="e2")  # no model call
    assert (result.status, result.trigger) == ("escalated", trigger)
    assert turn(world, "hello? are you there?", QueuedModel([]), turn_id="e3").status == (
        "human_mode"
    )
    replies = sent(world)
    assert len(replies) == 2 and "take it from here" in replies[1]
    assert get_conversation(world["store"], world["cid"]).current_mode == "HUMAN"
    escalations = [e for e in events(world["store"], world["cid"]) if e["kind"] == "escalation"]
    assert [e["detail"]["trigger"] for e in escalations] == [trigger]
