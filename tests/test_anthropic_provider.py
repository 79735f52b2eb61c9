"""The Anthropic provider with the real SDK against a loopback Messages API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from execution.store import Store
from orchestrator.directives import load_directives
from orchestrator.loop import run
from orchestrator.providers.anthropic import AnthropicProvider
from orchestrator.providers.base import ModelUnavailable
from orchestrator.registry import REGISTRY
from orchestrator.run_context import RunContext
from tests.fake_anthropic import FakeAnthropic, error, message, text_block, tool_use
from tests.test_store import make_agent

KEY = "sk-ant-test-key-not-real"


@pytest.fixture
def claude() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as server:
        yield server


def provider(fake: FakeAnthropic, **options: Any) -> AnthropicProvider:
    client = anthropic.AsyncAnthropic(
        api_key=KEY, base_url=fake.url, max_retries=options.pop("max_retries", 2),
        timeout=options.pop("timeout", 10.0),
    )  # fmt: skip
    return AnthropicProvider("claude-test", client)


def test_tool_use_then_tool_result_then_text(
    claude: FakeAnthropic, store: Store, agent_with_listings: int
) -> None:
    claude.queue(
        message(
            text_block("Let me look."),
            tool_use("toolu_1", "search_properties", location="tampnes", bedrooms=3),
            stop="tool_use",
            cache_write=900,
        ),
        message(text_block("The Tampines 3BR is S$1,250,000."), cache_read=900),
    )
    directive = load_directives()["property_search"]
    context = RunContext(store, agent_id=agent_with_listings)
    done = asyncio.run(
        run(directive, {"message": "3 bedder in tampnes"}, provider(claude), REGISTRY, context)
    )
    assert done.stopped == "done" and done.final_text == "The Tampines 3BR is S$1,250,000."
    first, second = claude.requests
    sent_key = claude.headers[0].get("x-api-key") or claude.headers[0].get("authorization", "")
    assert sent_key.removeprefix("Bearer ") == KEY
    assert first["model"] == "claude-test" and first["max_tokens"] > 0
    assert first["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert "Find the agent's listings that fit 3 bedder in tampnes" in first["system"][0]["text"]
    assert [t["name"] for t in first["tools"]] == ["search_properties", "get_property"]
    assert first["tools"][0]["input_schema"] == REGISTRY["search_properties"].schema
    assert first["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert first["messages"] == [{"role": "user", "content": '{"message": "3 bedder in tampnes"}'}]
    assistant, results = second["messages"][1:]
    assert assistant["content"][1] == {"type": "tool_use", "id": "toolu_1",
                                       "name": "search_properties",
                                       "input": {"location": "tampnes", "bedrooms": 3}}  # fmt: skip
    [result] = results["content"]
    assert result["tool_use_id"] == "toolu_1" and result["is_error"] is False
    assert json.loads(result["content"])[0]["external_ref"] == "T1"
    model_steps = [s for s in done.steps if s.kind == "model"]
    assert model_steps[0].usage["cache_write_tokens"] == 900  # type: ignore[index]
    assert model_steps[1].usage["cache_read_tokens"] == 900  # type: ignore[index]


def test_thinking_blocks_go_back_unchanged_and_never_into_the_reply(
    claude: FakeAnthropic, store: Store, agent_with_listings: int
) -> None:
    """Adaptive thinking (on by default from Claude Sonnet 5): thinking blocks, also around the
    tool calls, return in the next request exactly as they came, in order; only text replies."""
    thought = {"type": "thinking", "thinking": "", "signature": "sig-AAA=="}
    progress = {"type": "thinking", "thinking": "Checking Tampines.", "signature": "sig-BBB=="}
    hidden = {"type": "redacted_thinking", "data": "opaque-CCC"}
    call = tool_use("toolu_1", "search_properties", location="tampines", bedrooms=3)
    claude.queue(
        message(thought, progress, call, hidden, stop="tool_use"),
        message(
            {"type": "thinking", "thinking": "", "signature": "sig-DDD=="},
            text_block("The Tampines 3BR is S$1,250,000."),
        ),
    )
    directive = load_directives()["property_search"]
    context = RunContext(store, agent_id=agent_with_listings)
    done = asyncio.run(
        run(directive, {"message": "3 bedder in tampines"}, provider(claude), REGISTRY, context)
    )
    assert done.stopped == "done" and done.final_text == "The Tampines 3BR is S$1,250,000."
    assistant = claude.requests[1]["messages"][1]
    assert assistant == {"role": "assistant", "content": [thought, progress, call, hidden]}
    assert "Checking Tampines" not in done.final_text


def test_two_tool_results_go_back_in_one_user_turn_in_order(
    claude: FakeAnthropic, store: Store, agent_with_listings: int
) -> None:
    claude.queue(
        message(
            tool_use("a", "search_properties", location="tampines"),
            tool_use("b", "get_property", property_id=999),
            stop="tool_use",
        ),
        message(text_block("Done.")),
    )
    directive = load_directives()["property_search"]
    asyncio.run(run(directive, {"message": "x"}, provider(claude), REGISTRY,
                    RunContext(store, agent_id=agent_with_listings)))  # fmt: skip
    results = claude.requests[1]["messages"][2]["content"]
    assert [(r["tool_use_id"], r["is_error"]) for r in results] == [("a", False), ("b", True)]
    assert "no property 999" in results[1]["content"]


def test_429_and_529_are_retried_by_the_sdk(claude: FakeAnthropic) -> None:
    claude.queue(error(429, "rate_limit_error"), error(529, "overloaded_error"),
                 message(text_block("Hello!")))  # fmt: skip
    turn = asyncio.run(provider(claude).complete(system="s", transcript=[], tools=[]))
    assert turn.text == "Hello!" and len(claude.requests) == 3


def test_a_model_that_stays_down_or_times_out_is_model_unavailable(claude: FakeAnthropic) -> None:
    claude.queue(*[error(529, "overloaded_error")] * 3)
    with pytest.raises(ModelUnavailable, match="529"):
        asyncio.run(provider(claude).complete(system="s", transcript=[], tools=[]))
    slow = message(text_block("late"))
    slow.delay = 2.0
    claude.queue(slow)
    with pytest.raises(ModelUnavailable, match="in time"):
        asyncio.run(provider(claude, timeout=0.3, max_retries=0).complete(
            system="s", transcript=[], tools=[]))  # fmt: skip


def test_bad_key_is_not_retried(claude: FakeAnthropic) -> None:
    claude.queue(error(401, "authentication_error", None))
    with pytest.raises(ModelUnavailable, match="401"):
        asyncio.run(provider(claude).complete(system="s", transcript=[], tools=[]))
    assert len(claude.requests) == 1


def test_the_persona_rides_in_the_cached_system_prompt(claude: FakeAnthropic, store: Store) -> None:
    from execution.agents import get_agent, update_persona

    agent_id = make_agent(store)
    update_persona(store, agent_id, assistant_name="Ava", style="premium", tone=2,
                   flags=["polite"], instruction="Call buyers Sir or Madam.")  # fmt: skip
    agent = get_agent(store, agent_id)
    claude.queue(message(text_block("Good afternoon.")))
    directive = load_directives()["property_search"]
    asyncio.run(run(directive, {"message": "hello"}, provider(claude), REGISTRY,
                    RunContext(store, agent_id=agent_id), agent=agent))  # fmt: skip
    [system] = claude.requests[0]["system"]
    assert system["cache_control"] == {"type": "ephemeral"}
    text = system["text"]
    assert text.startswith("## Goal")
    assert "You are Ava, the assistant of Agent 1" in text
    assert "Style: premium" in text and "Tone 2 of 10: formal" in text
    assert "Call buyers Sir or Madam." in text
    # the persona comes after the rules: lower priority, and the cached prefix stays stable
    assert text.index("## Rules that always hold") < text.index("<persona>")
