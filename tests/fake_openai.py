"""A loopback fake of an OpenAI-compatible chat-completions endpoint, for the real `openai` SDK.

`POST /v1/chat/completions` answers with queued completions in the documented shape (choices,
message with tool_calls whose arguments are a JSON string, usage with cached prompt tokens);
errors use the documented `{"error": {...}}` envelope. Requests and headers are recorded.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from replay.loopback import Answer, QueuedLoopback


def completion(
    content: str | None = None, *calls: dict[str, Any], prompt: int = 100, out: int = 20,
    cached: int = 0,
) -> Answer:  # fmt: skip
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = list(calls)
    return Answer(200, {
        "id": f"chatcmpl-{secrets.token_hex(6)}", "object": "chat.completion", "created": 1,
        "model": "llama-test",
        "choices": [{"index": 0, "message": message,
                     "finish_reason": "tool_calls" if calls else "stop"}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": out, "total_tokens": prompt + out,
                  "prompt_tokens_details": {"cached_tokens": cached}},
    })  # fmt: skip


def function_call(call_id: str, name: str, arguments: dict[str, Any] | str) -> dict[str, Any]:
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": raw}}


def error(status: int, retry_after_ms: int | None = 10) -> Answer:
    headers = {"retry-after-ms": str(retry_after_ms)} if retry_after_ms is not None else {}
    body = {"error": {"message": f"status {status}", "type": "server_error", "code": None}}
    return Answer(status, body, headers)


class FakeOpenAI(QueuedLoopback):
    path = "/v1/chat/completions"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def not_found(self, path: str) -> Answer:
        return Answer(404, {"error": {"message": path, "type": "not_found"}})

    def nothing_queued(self) -> Answer:
        return error(500, None)
