"""The provider interface: one async call from a transcript and tools to the model's next turn.

Transcripts are provider-neutral records; each provider translates them to its own API.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol

from execution.errors import WaError
from orchestrator.tools import Tool


class ModelUnavailable(WaError):
    """The model could not answer (timeouts, overload, bad key): the turn must hand over."""


@contextmanager
def sdk_errors(sdk: ModuleType) -> Iterator[None]:
    """Turn an official SDK's final errors (anthropic and openai share their names; the SDK has
    already retried what is worth retrying) into `ModelUnavailable`."""
    try:
        yield
    except sdk.APITimeoutError:
        raise ModelUnavailable("the model did not answer in time") from None
    except sdk.APIConnectionError as exc:
        raise ModelUnavailable(f"cannot reach the model: {exc}") from None
    except sdk.APIStatusError as exc:
        raise ModelUnavailable(
            f"the model refused the request (HTTP {exc.status_code}): {exc.message}"
        ) from None


@dataclass(frozen=True)
class ToolCall:
    call_id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass(frozen=True)
class ModelTurn:
    """What the model said: text, tool calls, or both."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    blocks: tuple[dict[str, Any], ...] = ()
    """The provider's own content blocks, in order, when the next request must carry them back
    unchanged (Claude's thinking blocks in a tool-use loop). Empty: rebuilt from the above."""


@dataclass(frozen=True)
class UserText:
    text: str


@dataclass(frozen=True)
class ToolResult:
    call_id: str
    name: str
    content: str
    is_error: bool = False


Entry = UserText | ModelTurn | ToolResult


class Provider(Protocol):
    name: str
    model: str

    async def complete(
        self, *, system: str, transcript: list[Entry], tools: list[Tool]
    ) -> ModelTurn: ...
