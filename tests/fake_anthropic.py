"""A loopback fake of Anthropic's Messages API (`POST /v1/messages`), for the real SDK.

Answers are queued; each request's JSON body and headers are recorded. Replies follow the
documented message shape (content blocks, stop_reason, usage incl. cache tokens); errors use
the documented error envelope (429 rate_limit_error, 529 overloaded_error).
"""

from __future__ import annotations

import secrets
from typing import Any

from replay.loopback import Answer, QueuedLoopback


def message(*content: dict[str, Any], stop: str = "end_turn", **usage: int) -> Answer:
    return Answer(200, {
        "id": f"msg_{secrets.token_hex(8)}", "type": "message", "role": "assistant",
        "model": "claude-test", "content": list(content), "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": usage.get("input_tokens", 100),
                  "output_tokens": usage.get("output_tokens", 20),
                  "cache_creation_input_tokens": usage.get("cache_write", 0),
                  "cache_read_input_tokens": usage.get("cache_read", 0)},
    })  # fmt: skip


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def tool_use(call_id: str, name: str, **arguments: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": call_id, "name": name, "input": arguments}


def error(status: int, kind: str, retry_after_ms: int | None = 10) -> Answer:
    headers = {"retry-after-ms": str(retry_after_ms)} if retry_after_ms is not None else {}
    return Answer(status, {"type": "error", "error": {"type": kind, "message": kind}}, headers)


class FakeAnthropic(QueuedLoopback):
    path = "/v1/messages"

    def not_found(self, path: str) -> Answer:
        return Answer(404, {"type": "error", "error": {"type": "not_found_error", "message": path}})

    def nothing_queued(self) -> Answer:
        return error(500, "api_error", None)
