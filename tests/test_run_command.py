"""`wa run DIRECTIVE` and `wa viewings list`, on both databases, offline (scripted model)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from execution.run_log import get_run
from execution.store import open_store

runner = CliRunner()
ENQUIRY = "message=3 bedroom condo in tampines under 1.6M"


@pytest.fixture
def demo(cli_env: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("WA_LLM", "scripted")
    result = runner.invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.stderr
    return cli_env


def wa(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    return result


def wa_json(*args: str) -> dict[str, Any]:
    result = wa(*args, "--json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def conversation(contact: str) -> dict[str, Any]:
    listed = json.loads(wa("conversations", "list", "--agent", "1", "--json").stdout)
    [found] = [c for c in listed if c["chat_id"] == f"{contact}@c.us"]
    return wa_json("conversations", "show", str(found["conversation_id"]))


def test_a_search_directive_runs_and_is_recorded(demo: str) -> None:
    done = wa_json("run", "property_search", "--agent", "1", "-i", ENQUIRY)
    assert (done["stopped"], done["provider"], done["dry_run"]) == ("done", "scripted", False)
    assert [s["tool"] for s in done["steps"] if s["kind"] == "tool"] == ["search_properties"]
    assert "Treasure at Tampines" in done["final_text"]
    with open_store(demo) as store:
        stored = get_run(store, done["run_id"])
    assert stored["directive"] == "property_search" and stored["step_count"] == 3
    assert stored["steps"][1]["arguments"]["location"] == "tampines"


def test_the_trace_shows_each_step(demo: str) -> None:
    result = wa("run", "property_search", "--agent", "Sarah Tan", "-i", ENQUIRY)
    assert result.exit_code == 0, result.stderr
    assert "tool search_properties" in result.stdout and "stopped: done" in result.stdout
    assert "final text: I found" in result.stdout


def test_an_escalation_run_hands_over_with_one_message(demo: str) -> None:
    args = ("run", "escalation", "--agent", "1", "--contact", "6580000099",
            "-i", "trigger=legal", "-i", "evidence=my lawyer")  # fmt: skip
    done = wa_json(*args)
    assert done["stopped"] == "handoff"
    shown = conversation("6580000099")
    assert shown["conversation"]["current_mode"] == "HUMAN"
    sent = [m for m in shown["messages"] if m["direction"] == "out"]
    assert len(sent) == 1 and "take it from here" in sent[0]["text"]


def test_a_dry_run_changes_nothing(demo: str) -> None:
    args = ("run", "escalation", "--agent", "1", "--contact", "6580000098",
            "-i", "trigger=legal", "-i", "evidence=lawyer", "--dry-run")  # fmt: skip
    done = wa_json(*args)
    assert done["dry_run"] is True
    assert done["steps"][1]["result"] == "dry run: write not executed"
    shown = conversation("6580000098")
    assert shown["conversation"]["current_mode"] == "AI" and shown["messages"] == []


def test_a_viewing_request_by_hand_is_listed(demo: str) -> None:
    done = wa_json("run", "book_viewing", "--agent", "1", "--contact", "6580000097",
                   "-i", "message=Saturday morning", "-i", "property_id=1")  # fmt: skip
    assert done["stopped"] == "done" and "(Saturday morning)" in done["final_text"]
    requests = json.loads(wa("viewings", "list", "--json").stdout)
    mine = [r for r in requests if r["chat_id"] == "6580000097@c.us"]
    assert [(r["property_id"], r["preferred_time"]) for r in mine] == [(1, "Saturday morning")]
    table = wa("viewings", "list", "--agent", "1")
    assert table.exit_code == 0 and "Saturday morning" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "property_search", "-i", "foo=bar"], "has no input(s) foo (it takes: message)"),
        (["run", "property_search"], "needs --input for: message"),
        (["run", "property_search", "-i", "message"], "write it as key=text or key:=json"),
        (["run", "property_search", "-i", "message:={"], "message:= is not JSON"),
        (["run", "nope"], "no directive 'nope'"),
        (["run", "property_search", "-i", "message=x", "--contact", "659"], "needs --agent"),
        (["run", "property_search", "-i", "message=x", "--agent", "99"], "99"),
    ],
)
def test_bad_invocations_get_one_clear_line(demo: str, args: list[str], message: str) -> None:
    result = wa(*args)
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_follow_up_with_json_inputs(demo: str) -> None:
    shown = '[{"property_id": 1, "title": "Treasure at Tampines"}]'
    inputs = ["kind=check_in", "contact_name=Li", "history=", f"shown_listings:={shown}"]
    done = wa_json("run", "follow_up", "--agent", "1", *[a for i in inputs for a in ("-i", i)])
    assert done["steps"][1]["tool"] == "get_property" and done["steps"][1]["arguments"] == {
        "property_id": 1
    }
    assert done["final_text"].startswith("Hi Li, Ava here.")
    assert "is still available. Would you like to arrange a viewing?" in done["final_text"]
