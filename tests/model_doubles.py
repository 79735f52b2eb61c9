"""Test doubles that implement the provider interface (no network)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from orchestrator.providers.base import Entry, ModelTurn, ToolCall, Usage
from orchestrator.tools import Tool


def call(name: str, call_id: str = "c1", **arguments: Any) -> ToolCall:
    return ToolCall(call_id, name, arguments)


@dataclass
class QueuedModel:
    """Answers with the queued turns, in order; records what it was asked."""

    turns: list[ModelTurn]
    name: str = "queued"
    model: str = "queued-1"
    requests: list[dict[str, Any]] = field(default_factory=list)

    async def complete(
        self, *, system: str, transcript: list[Entry], tools: list[Tool]
    ) -> ModelTurn:
        self.requests.append({"system": system, "transcript": list(transcript),
                              "tools": [t.name for t in tools]})  # fmt: skip
        if not self.turns:
            raise AssertionError("the model was asked more often than the test expected")
        return self.turns.pop(0)


@dataclass
class FunctionModel:
    """Answers with `fn(transcript)`: for models whose next turn depends on tool results."""

    fn: Callable[[list[Entry]], ModelTurn]
    name: str = "function"
    model: str = "function-1"

    async def complete(
        self, *, system: str, transcript: list[Entry], tools: list[Tool]
    ) -> ModelTurn:
        return self.fn(transcript)


def text(value: str, **usage: int) -> ModelTurn:
    return ModelTurn(text=value, usage=Usage(**usage))


def tools(*calls: ToolCall) -> ModelTurn:
    return ModelTurn(tool_calls=calls)
