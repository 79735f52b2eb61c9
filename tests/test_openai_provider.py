"""The OpenAI-compatible provider with the real `openai` SDK against a loopback endpoint."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from execution.errors import ConfigurationError
from execution.settings import load_settings
from execution.store import Store
from orchestrator.directives import load_directives
from orchestrator.loop import run
from orchestrator.providers.base import ModelUnavailable
from orchestrator.providers.openai_compatible import OpenAICompatibleProvider
from orchestrator.providers.select import select_provider
from orchestrator.registry import REGISTRY
from orchestrator.run_context import RunContext
from tests.fake_openai import FakeOpenAI, completion, error, function_call


@pytest.fixture
def endpoint() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def provider(fake: FakeOpenAI, **options: Any) -> OpenAICompatibleProvider:
    client = openai.AsyncOpenAI(
        base_url=fake.base_url, api_key="local-key", max_retries=options.pop("max_retries", 2),
        timeout=options.pop("timeout", 10.0),
    )  # fmt: skip
    return OpenAICompatibleProvider("llama-test", client)


def test_tool_call_then_tool_message_then_text(
    endpoint: FakeOpenAI, store: Store, agent_with_listings: int
) -> None:
    endpoint.queue(
        completion(None, function_call("call_1", "search_properties",
                                       {"location": "tampnes", "bedrooms": 3})),
        completion("The Tampines 3BR is S$1,250,000.", prompt=300, out=12, cached=256),
    )  # fmt: skip
    directive = load_directives()["property_search"]
    context = RunContext(store, agent_id=agent_with_listings)
    done = asyncio.run(
        run(directive, {"message": "3 bedder in tampnes"}, provider(endpoint), REGISTRY, context)
    )
    assert done.stopped == "done" and done.final_text == "The Tampines 3BR is S$1,250,000."
    first, second = endpoint.requests
    assert endpoint.headers[0]["authorization"] == "Bearer local-key"
    assert first["model"] == "llama-test" and first["max_tokens"] > 0
    assert first["messages"][0]["role"] == "system"
    assert (
        "Find the agent's listings that fit 3 bedder in tampnes" in first["messages"][0]["content"]
    )
    assert first["messages"][1] == {"role": "user", "content": '{"message": "3 bedder in tampnes"}'}
    assert [t["function"]["name"] for t in first["tools"]] == ["search_properties", "get_property"]
    assert first["tools"][0]["function"]["parameters"] == REGISTRY["search_properties"].schema
    assistant, tool_message = second["messages"][2:]
    assert assistant["tool_calls"][0]["id"] == "call_1"
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {
        "location": "tampnes", "bedrooms": 3,
    }  # fmt: skip
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == "call_1"
    assert json.loads(tool_message["content"])[0]["external_ref"] == "T1"
    usage = [s.usage for s in done.steps if s.kind == "model"]
    assert usage[1] == {"input_tokens": 300, "output_tokens": 12, "cache_read_tokens": 256,
                        "cache_write_tokens": 0}  # fmt: skip


def test_arguments_that_are_not_json_come_back_as_a_fixable_error(
    endpoint: FakeOpenAI, store: Store, agent_with_listings: int
) -> None:
    endpoint.queue(
        completion(None, function_call("c1", "search_properties", "{location: tampines")),
        completion(None, function_call("c2", "search_properties", {"location": "tampines"})),
        completion("Found it."),
    )
    done = asyncio.run(run(load_directives()["property_search"], {"message": "x"},
                           provider(endpoint), REGISTRY,
                           RunContext(store, agent_id=agent_with_listings)))  # fmt: skip
    assert done.stopped == "done"
    fed_back = endpoint.requests[1]["messages"][-1]
    assert fed_back["content"].startswith("ERROR: invalid arguments for search_properties")
    assert "arguments_were_not_json" in fed_back["content"]
    assert [s.is_error for s in done.steps if s.kind == "tool"] == [True, False]


def test_429_and_503_are_retried_by_the_sdk(endpoint: FakeOpenAI) -> None:
    endpoint.queue(error(429), error(503), completion("Hello!"))
    turn = asyncio.run(provider(endpoint).complete(system="s", transcript=[], tools=[]))
    assert turn.text == "Hello!" and len(endpoint.requests) == 3
    assert "tools" not in endpoint.requests[0]  # no tools: none offered (some servers refuse [])


def test_down_slow_or_refusing_is_model_unavailable(endpoint: FakeOpenAI) -> None:
    endpoint.queue(*[error(503)] * 3)
    with pytest.raises(ModelUnavailable, match="503"):
        asyncio.run(provider(endpoint).complete(system="s", transcript=[], tools=[]))
    slow = completion("late")
    slow.delay = 2.0
    endpoint.queue(slow)
    with pytest.raises(ModelUnavailable, match="in time"):
        asyncio.run(provider(endpoint, timeout=0.3, max_retries=0).complete(
            system="s", transcript=[], tools=[]))  # fmt: skip
    endpoint.queue(error(401, None))
    before = len(endpoint.requests)
    with pytest.raises(ModelUnavailable, match="401"):
        asyncio.run(provider(endpoint).complete(system="s", transcript=[], tools=[]))
    assert len(endpoint.requests) == before + 1  # a bad key is not retried


def test_selected_by_settings(endpoint: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WA_LLM", "openai")
    monkeypatch.delenv("WA_OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("WA_LLM_MODEL", raising=False)
    with pytest.raises(ConfigurationError, match="WA_OPENAI_BASE_URL"):
        select_provider(load_settings())
    monkeypatch.setenv("WA_OPENAI_BASE_URL", endpoint.base_url)
    with pytest.raises(ConfigurationError, match="WA_LLM_MODEL"):
        select_provider(load_settings())
    monkeypatch.setenv("WA_LLM_MODEL", "llama-test")
    chosen = select_provider(load_settings())
    assert (chosen.name, chosen.model) == ("openai", "llama-test")
    assert select_provider(load_settings(), model="qwen-directive").model == "qwen-directive"
    endpoint.queue(completion("Hi there"))
    turn = asyncio.run(chosen.complete(system="s", transcript=[], tools=[]))
    assert turn.text == "Hi there"
    assert endpoint.headers[-1]["authorization"] == "Bearer not-needed"  # no key configured


def test_wa_chat_through_an_openai_compatible_model(
    endpoint: FakeOpenAI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WA_DATABASE_URL", f"sqlite:///{tmp_path / 'wa.db'}")
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "--json"]).exit_code == 0
    monkeypatch.setenv("WA_LLM", "openai")
    monkeypatch.setenv("WA_OPENAI_BASE_URL", endpoint.base_url)
    monkeypatch.setenv("WA_LLM_MODEL", "llama-test")
    endpoint.queue(
        completion(None, function_call("c1", "search_properties", {"location": "bishan"})),
        completion("Bishan Park 3BR is available."),
    )
    result = runner.invoke(app, ["chat", "--agent", "1", "--contact", "6580000055",
                                 "--message", "anything in Bishan?", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    trace = json.loads(result.stdout)
    assert trace["status"] == "replied" and trace["reply"] == "Bishan Park 3BR is available."
    assert "Ava" in endpoint.requests[0]["messages"][0]["content"]  # the persona rides along
