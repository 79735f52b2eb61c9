"""Claude through the official SDK (AsyncAnthropic): Messages API with tool use.

The stable part of the prompt (directive, persona, rules: the system prompt) and the tool
definitions are marked for prompt caching. The SDK retries 429/529/5xx with backoff; a model
that stays unavailable or times out raises `ModelUnavailable`, which hands the chat to a human.
`ANTHROPIC_API_KEY` and `ANTHROPIC_BASE_URL` are read by the SDK itself.

Models with adaptive thinking (Claude Sonnet 5 and later: on by default) answer with thinking
blocks, and put the text they write between tool calls in thinking blocks too. Only text blocks
make the reply; an assistant turn with thinking goes back in the next request exactly as it came
(its blocks in order, signatures intact), as tool use with thinking requires.
"""

from __future__ import annotations

from typing import Any

import anthropic

from orchestrator.providers.base import (
    Entry,
    ModelTurn,
    ToolCall,
    ToolResult,
    Usage,
    UserText,
    sdk_errors,
)
from orchestrator.tools import Tool

DEFAULT_MAX_TOKENS = 4096
"""Thinking counts against it too: room for adaptive thinking and a WhatsApp-length reply."""
KEEP_AS_RETURNED = ("thinking", "redacted_thinking")


def to_messages(transcript: list[Entry]) -> list[dict[str, Any]]:
    """The transcript as Messages API turns (consecutive tool results share one user turn)."""
    messages: list[dict[str, Any]] = []
    for entry in transcript:
        if isinstance(entry, UserText):
            messages.append({"role": "user", "content": entry.text})
        elif isinstance(entry, ModelTurn) and entry.blocks:
            messages.append({"role": "assistant", "content": [dict(b) for b in entry.blocks]})
        elif isinstance(entry, ModelTurn):
            content: list[dict[str, Any]] = []
            if entry.text:
                content.append({"type": "text", "text": entry.text})
            content += [
                {"type": "tool_use", "id": c.call_id, "name": c.name, "input": c.arguments}
                for c in entry.tool_calls
            ]
            messages.append({"role": "assistant", "content": content})
        elif isinstance(entry, ToolResult):
            block = {
                "type": "tool_result",
                "tool_use_id": entry.call_id,
                "content": entry.content,
                "is_error": entry.is_error,
            }
            last = messages[-1] if messages else None
            if last and last["role"] == "user" and isinstance(last["content"], list):
                last["content"].append(block)
            else:
                messages.append({"role": "user", "content": [block]})
    return messages


def to_tools(tools: list[Tool]) -> list[dict[str, Any]]:
    definitions: list[dict[str, Any]] = [
        {"name": t.name, "description": t.description, "input_schema": t.schema} for t in tools
    ]
    if definitions:  # cache everything up to and including the last tool definition
        definitions[-1]["cache_control"] = {"type": "ephemeral"}
    return definitions


def _as_returned(content: list[Any]) -> tuple[dict[str, Any], ...]:
    """The response's blocks for the next request, when it has thinking blocks (else empty:
    the turn is rebuilt from its text and tool calls)."""
    if not any(block.type in KEEP_AS_RETURNED for block in content):
        return ()
    blocks: list[dict[str, Any]] = []
    for block in content:
        if block.type == "text":
            blocks.append({"type": "text", "text": block.text})
        elif block.type == "tool_use":
            blocks.append(
                {"type": "tool_use", "id": block.id, "name": block.name, "input": dict(block.input)}
            )
        else:  # thinking (signature), redacted_thinking (data): unchanged
            blocks.append(block.model_dump(exclude_none=True))
    return tuple(blocks)


class AnthropicProvider:
    name = "anthropic"

    def __init__(
        self,
        model: str,
        client: anthropic.AsyncAnthropic | None = None,
        *,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        timeout: float = 30.0,
        max_retries: int = 2,
    ) -> None:
        self.model = model
        self.max_tokens = max_tokens
        self.client = client or anthropic.AsyncAnthropic(timeout=timeout, max_retries=max_retries)

    async def complete(
        self, *, system: str, transcript: list[Entry], tools: list[Tool]
    ) -> ModelTurn:
        with sdk_errors(anthropic):
            response = await self.client.messages.create(
                model=self.model,
                max_tokens=self.max_tokens,
                system=[{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
                messages=to_messages(transcript),  # type: ignore[arg-type]
                tools=to_tools(tools),  # type: ignore[arg-type]
            )
        text = "".join(block.text for block in response.content if block.type == "text")
        calls = tuple(
            ToolCall(block.id, block.name, dict(block.input))
            for block in response.content
            if block.type == "tool_use"
        )
        usage = response.usage
        return ModelTurn(
            text=text,
            tool_calls=calls,
            blocks=_as_returned(response.content),
            usage=Usage(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_read_tokens=usage.cache_read_input_tokens or 0,
                cache_write_tokens=usage.cache_creation_input_tokens or 0,
            ),
        )
