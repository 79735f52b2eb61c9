"""The run loop, driven by model test doubles, with real tools on both databases."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from execution.incidents import open_incidents
from execution.property_import import import_properties
from execution.store import Store
from orchestrator.directives import Directive, parse_directive
from orchestrator.loop import render_system, run
from orchestrator.providers.base import ModelTurn, ToolResult, Usage, UserText
from orchestrator.registry import REGISTRY
from orchestrator.run_context import RunContext
from orchestrator.tools import ToolArgumentsError, ToolRegistry
from tests.model_doubles import FunctionModel, QueuedModel, call, text, tools
from tests.test_store import make_agent

DIRECTIVE = """---
name: test_search
description: Search listings for the tests.
tools: [search_properties, get_property, hand_off_to_human, send_message]
inputs:
  message: the buyer's message
max_steps: 4
---
## Goal
Answer: {{ message }}

## Rules
- Facts from tools.

## Steps
1. Search.

## Edge cases
- None.
"""


@pytest.fixture
def directive(tmp_path: Path) -> Directive:
    path = tmp_path / "test_search.md"
    path.write_text(DIRECTIVE)
    return parse_directive(DIRECTIVE, path)


@pytest.fixture
def listings(store: Store, tmp_path: Path) -> dict[str, Any]:
    agent_id = make_agent(store)
    other = make_agent(store, 2)
    path = tmp_path / "l.json"
    path.write_text(json.dumps([
        {"ref": "T1", "title": "Tampines 3BR", "location": "Tampines Street 81", "price": 1250000,
         "type": "condo", "bedrooms": 3},
        {"ref": "B1", "title": "Bishan HDB", "location": "Bishan Street 21", "price": 650000,
         "type": "HDB", "bedrooms": 3},
    ]))  # fmt: skip
    import_properties(store, agent_id, path)
    import_properties(store, other, path)
    return {"store": store, "agent_id": agent_id, "other": other}


def go(directive: Directive, model: Any, context: dict[str, Any], **options: Any):  # type: ignore[no-untyped-def]
    inputs = options.pop("inputs", {"message": "3 bedroom in tampnes"})
    return asyncio.run(run(directive, inputs, model, REGISTRY, RunContext(**context), **options))


def test_tool_call_then_final_text(directive: Directive, listings: dict[str, Any]) -> None:
    model = QueuedModel([tools(call("search_properties", location="tampnes", bedrooms=3)),
                         text("The Tampines 3BR is S$1,250,000.", input_tokens=10)])  # fmt: skip
    done = go(directive, model, {"store": listings["store"], "agent_id": listings["agent_id"]})
    assert done.stopped == "done" and done.final_text.startswith("The Tampines 3BR")
    assert [s.kind for s in done.steps] == ["model", "tool", "model"]
    found = json.loads(done.steps[1].result or "[]")
    assert [p["external_ref"] for p in found] == ["T1"]
    assert {p["agent_id"] for p in found} == {listings["agent_id"]}  # never the other agent's
    second = model.requests[1]["transcript"]
    assert isinstance(second[0], UserText) and isinstance(second[2], ToolResult)
    assert model.requests[0]["system"].startswith("## Goal\nAnswer: 3 bedroom in tampnes")
    assert model.requests[0]["tools"] == list(directive.tools)
    assert done.steps[2].usage == {"input_tokens": 10, "output_tokens": 0,
                                   "cache_read_tokens": 0, "cache_write_tokens": 0}  # fmt: skip


def test_bad_arguments_become_an_error_the_model_can_fix(
    directive: Directive, listings: dict[str, Any]
) -> None:
    def model(transcript):  # type: ignore[no-untyped-def]
        last = transcript[-1]
        if isinstance(last, UserText):
            return tools(call("search_properties", bedrooms="three"))
        if isinstance(last, ToolResult) and last.is_error:
            assert "bedrooms" in last.content and "Fix the arguments" in last.content
            return tools(call("search_properties", call_id="c2", bedrooms=3))
        return text("Two listings have 3 bedrooms.")

    done = go(directive, FunctionModel(model), {"store": listings["store"],
                                               "agent_id": listings["agent_id"]})  # fmt: skip
    assert done.stopped == "done"
    assert [s.is_error for s in done.steps if s.kind == "tool"] == [True, False]


def test_the_retry_budget_ends_the_run(directive: Directive, listings: dict[str, Any]) -> None:
    model = FunctionModel(lambda transcript: tools(call("get_property", property_id="x")))
    done = go(directive, model, {"store": listings["store"], "agent_id": listings["agent_id"]})
    assert done.stopped == "tool_errors"
    assert sum(s.is_error for s in done.steps) == REGISTRY["get_property"].retries + 1


def test_tools_outside_the_directive_are_refused(directive: Directive, store: Store) -> None:
    model = QueuedModel([tools(call("drop_tables")), text("sorry")])
    done = go(directive, model, {"store": store})
    assert done.steps[1].is_error and "not available here" in (done.steps[1].result or "")
    assert done.final_text == "sorry"


def test_max_steps_bounds_the_run(directive: Directive, listings: dict[str, Any]) -> None:
    model = FunctionModel(lambda transcript: tools(call("search_properties", location="bishan")))
    done = go(directive, model, {"store": listings["store"], "agent_id": listings["agent_id"]},
              max_steps=3)  # fmt: skip
    assert done.stopped == "max_steps" and sum(s.kind == "model" for s in done.steps) == 3


def test_handoff_ends_the_turn(directive: Directive, store: Store) -> None:
    from execution.conversations import find_or_create_conversation, get_conversation
    from execution.coordination import InProcessCoordinator

    agent_id = make_agent(store)
    conversation = find_or_create_conversation(store, agent_id, "6590000001@c.us")
    model = QueuedModel([tools(call("hand_off_to_human", reason="negotiation: best price"))])
    context = {"store": store, "coordinator": InProcessCoordinator(), "agent_id": agent_id,
               "conversation_id": conversation.conversation_id, "actor": "escalation"}  # fmt: skip
    done = go(directive, model, context)
    assert done.stopped == "handoff" and len(model.requests) == 1
    assert get_conversation(store, conversation.conversation_id).current_mode == "HUMAN"


def test_dry_run_reports_instead_of_writing(directive: Directive, store: Store) -> None:
    model = QueuedModel([tools(call("send_message", text="Hello")), text("done")])
    done = go(directive, model, {"store": store}, dry_run=True)
    assert done.steps[1].result == "dry run: send not executed" and not done.steps[1].is_error


def test_unexpected_tool_failures_become_incidents(directive: Directive, store: Store) -> None:
    def broken(query: str) -> str:
        """Always fails.

        Args:
            query: Anything.
        """
        raise RuntimeError("disk on fire")

    registry = ToolRegistry()
    registry.register(broken, name="search_properties", retries=0)
    registry.tools |= {
        n: REGISTRY[n] for n in ("get_property", "hand_off_to_human", "send_message")
    }
    model = QueuedModel([tools(call("search_properties", query="x"))])
    done = asyncio.run(run(directive, {"message": "hi"}, model, registry, RunContext(store)))
    assert done.stopped == "tool_errors" and "disk on fire" in (done.steps[1].result or "")
    [incident] = open_incidents(store)
    assert (incident["layer"], incident["tool"], incident["directive"]) == (
        "execution", "search_properties", "test_search",
    )  # fmt: skip


def test_unregistered_tools_are_a_configuration_error(directive: Directive) -> None:
    from execution.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="wa directives check"):
        asyncio.run(run(directive, {"message": "x"}, QueuedModel([]), ToolRegistry(), {}))


def test_missing_inputs_and_rendering(directive: Directive) -> None:
    with pytest.raises(ToolArgumentsError, match="needs input"):
        asyncio.run(run(directive, {}, QueuedModel([]), REGISTRY, {}))
    assert "Answer: hello" in render_system(directive, {"message": "hello"})


def test_every_run_and_step_is_recorded_with_its_tokens(
    directive: Directive, listings: dict[str, Any]
) -> None:
    from execution.run_log import get_run

    model = QueuedModel([
        ModelTurn(tool_calls=(call("search_properties", location="tampnes"),),
                  usage=Usage(input_tokens=120, output_tokens=30, cache_write_tokens=900)),
        text("The Tampines 3BR is S$1,250,000.", input_tokens=170, output_tokens=12,
             cache_read_tokens=900),
    ])  # fmt: skip
    context = {"store": listings["store"], "agent_id": listings["agent_id"], "turn_id": "t-1"}
    done = go(directive, model, context)
    assert done.run_id is not None
    stored = get_run(listings["store"], done.run_id)
    assert (stored["directive"], stored["provider"], stored["model"], stored["stopped"]) == (
        "test_search", "queued", "queued-1", "done",
    )  # fmt: skip
    assert (stored["turn_id"], stored["agent_id"], stored["step_count"]) == (
        "t-1", listings["agent_id"], 3,
    )  # fmt: skip
    assert (stored["input_tokens"], stored["output_tokens"]) == (290, 42)
    assert (stored["cache_read_tokens"], stored["cache_write_tokens"]) == (900, 900)
    kinds = [(s["step"], s["kind"], s["tool"]) for s in stored["steps"]]
    assert kinds == [(0, "model", None), (1, "tool", "search_properties"), (2, "model", None)]
    tool_step = stored["steps"][1]
    assert tool_step["arguments"] == {"location": "tampnes"}
    assert json.loads(tool_step["result"])[0]["external_ref"] == "T1"
    assert tool_step["input_tokens"] is None and stored["steps"][0]["input_tokens"] == 120
    assert stored["steps"][2]["text"] == "The Tampines 3BR is S$1,250,000."
    assert all(s["latency_ms"] >= 0 for s in stored["steps"])


def test_a_run_that_raises_is_recorded_as_an_error(directive: Directive, store: Store) -> None:
    from execution.run_log import get_run

    class Down:
        name, model = "down", "down-1"

        async def complete(self, **_: Any) -> ModelTurn:
            raise TimeoutError("model timed out")

    with pytest.raises(TimeoutError):
        go(directive, Down(), {"store": store})
    with store.read() as tx:
        run_id = tx.scalar("SELECT MAX(run_id) FROM runs")
    stored = get_run(store, run_id)
    assert (stored["stopped"], stored["provider"], stored["steps"]) == ("error", "down", [])


def test_dry_runs_are_recorded_as_such(directive: Directive, store: Store) -> None:
    from execution.run_log import get_run

    model = QueuedModel([tools(call("send_message", text="Hello")), text("done")])
    done = go(directive, model, {"store": store}, dry_run=True)
    assert done.run_id is not None and get_run(store, done.run_id)["dry_run"] is True
