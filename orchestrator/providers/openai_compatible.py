"""Any OpenAI-compatible chat-completions endpoint with tools (Ollama, vLLM, LM Studio, ...).

Chosen with `WA_LLM=openai`; the endpoint is `WA_OPENAI_BASE_URL` (for example
`http://127.0.0.1:11434/v1` for Ollama), the key `WA_OPENAI_API_KEY` (local servers need none),
the model `WA_LLM_MODEL`. Requests go through the official `openai` SDK (AsyncOpenAI), which
retries 429/5xx with backoff; a model that stays unavailable or times out raises
`ModelUnavailable`, which hands the chat to a human.
"""

from __future__ import annotations

import json
from typing import Any

import openai

from orchestrator.providers.base import (
    Entry,
    ModelTurn,
    ModelUnavailable,
    ToolCall,
    ToolResult,
    Usage,
    UserText,
    sdk_errors,
)
from orchestrator.tools import Tool

DEFAULT_MAX_TOKENS = 1024
NO_KEY = "not-needed"  # the SDK insists on a key; local servers ignore it


def to_messages(system: str, transcript: list[Entry]) -> list[dict[str, Any]]:
    """The transcript as chat-completions messages (a tool result is a `tool` message)."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    for entry in transcript:
        if isinstance(entry, UserText):
            messages.append({"role": "user", "content": entry.text})
        elif isinstance(entry, ModelTurn):
            message: dict[str, Any] = {"role": "assistant", "content": entry.text or None}
            if entry.tool_calls:
                message["tool_calls"] = [
                    {
                        "id": c.call_id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                    }
                    for c in entry.tool_calls
                ]
            messages.append(message)
        elif isinstance(entry, ToolResult):
            content = f"ERROR: {entry.content}" if entry.is_error else entry.content
            messages.append({"role": "tool", "tool_call_id": entry.call_id, "content": content})
    return messages


def to_tools(tools: list[Tool]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.schema},
        }
        for t in tools
    ]


def _arguments(raw: str | None) -> dict[str, Any]:
    """A call's arguments; text that is not a JSON object becomes an argument the tool's
    validation refuses with a message the model can act on."""
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {"arguments_were_not_json": (raw or "")[:200]}
    return value if isinstance(value, dict) else {"arguments_were_not_an_object": value}


class OpenAICompatibleProvider:
    name = "openai"

    def __init__(
        self,
        model: str,
        client: openai.AsyncOpenAI | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        timeout: float = 60.0,
        max_retries: int = 2,
    ) -> None:
        self.model = model
        self.max_tokens = max_tokens
        self.client = client or openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key or NO_KEY, timeout=timeout, max_retries=max_retries
        )

    async def complete(
        self, *, system: str, transcript: list[Entry], tools: list[Tool]
    ) -> ModelTurn:
        options: dict[str, Any] = {"tools": to_tools(tools)} if tools else {}
        with sdk_errors(openai):
            response = await self.client.chat.completions.create(
                model=self.model,
                max_tokens=self.max_tokens,
                messages=to_messages(system, transcript),  # type: ignore[arg-type]
                **options,
            )
        if not response.choices:
            raise ModelUnavailable("the model returned no choices")
        message = response.choices[0].message
        calls = tuple(
            ToolCall(call.id, call.function.name, _arguments(call.function.arguments))
            for call in message.tool_calls or ()
            if call.type == "function"
        )
        usage = response.usage
        cached = 0
        if usage is not None and usage.prompt_tokens_details is not None:
            cached = usage.prompt_tokens_details.cached_tokens or 0
        return ModelTurn(
            text=message.content or "",
            tool_calls=calls,
            usage=Usage(
                input_tokens=usage.prompt_tokens if usage else 0,
                output_tokens=usage.completion_tokens if usage else 0,
                cache_read_tokens=cached,
            ),
        )
