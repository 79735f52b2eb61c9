"""The idempotency keys of sends, each format built here and only here.

A key names one send for good: the same key never sends twice. Keys the system makes are
derived from what the send answers (`turn:<conversation>:<message>`, then `:reply` or
`:handoff`); the parts of a long message add `#2`, `#3`. A key a caller brings (the operator
API, `wa send`) lives in a namespace of its own, scoped to the conversation, so no caller can
take, or learn of, a key of the system's or of another conversation's.
"""

from __future__ import annotations

MAX_KEY_LENGTH = 200
MAX_CALLER_KEY_LENGTH = 150
"""A caller's key; its namespace prefix keeps the stored key within MAX_KEY_LENGTH."""


def turn(conversation_id: int, last_message_id: int) -> str:
    """The stem of a turn's sends: the conversation and the last message the turn answers."""
    return f"turn:{conversation_id}:{last_message_id}"


def reply(turn_stem: str) -> str:
    return f"{turn_stem}:reply"


def handoff(turn_stem: str) -> str:
    return f"{turn_stem}:handoff"


def parts(key: str, count: int) -> list[str]:
    """The keys of a message sent in `count` parts: the first is the key itself."""
    return [key] + [f"{key}#{i}" for i in range(2, count + 1)]


LIKE_ESCAPE = "ESCAPE '\\'"
"""What follows every `LIKE :pattern` made by later_parts_like."""


def later_parts_like(key: str) -> str:
    """A SQL LIKE pattern for the keys of the second and later parts (a caller's key may hold
    % or _: they are escaped, so they match only themselves)."""
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}#%"


def from_caller(conversation_id: int, key: str) -> str:
    """A key an operator brings for a send into `conversation_id`: in its own namespace."""
    return f"op:{conversation_id}:{key}"


def is_from_caller(key: str) -> bool:
    return key.startswith("op:")


def is_turn(key: str) -> bool:
    return key.startswith("turn:")
