"""Text that every backend can store: no NUL character (PostgreSQL refuses it) and no unpaired
surrogate (no UTF-8 encoder takes one). Both reach us as JSON escapes (`\\u0000`, `\\ud800`),
or, for a surrogate, in a body that is not valid UTF-8 (Python's JSON reader passes surrogates
written as UTF-8 bytes, and reads UTF-16): a webhook carrying them is stored with them replaced,
its original bytes kept in base64 beside it; an operator's text carrying them is refused with a
clear error.
"""

from __future__ import annotations

import base64
import re
from typing import Any

REPLACEMENT = "\ufffd"
ORIGINAL_KEY = "waOriginalBase64"
"""Where a sanitized webhook keeps the body as it came (base64 of its bytes)."""

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
"""What a JSON body must contain for a decoded string to hold an unstorable character."""


def unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


def storable(text: str) -> str:
    """`text` with each NUL or unpaired surrogate replaced by U+FFFD (a pair stays a pair)."""
    if not unstorable(text):
        return text
    kept = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")  # pairs join
    return kept.replace("\x00", REPLACEMENT)


def may_hold_unstorable(body: bytes) -> bool:
    """False when a JSON body that is valid UTF-8 cannot decode to an unstorable string (the
    common case)."""
    return b"\\u" in body and _ESCAPE.search(body) is not None


def sanitized(payload: Any, body: bytes) -> tuple[Any, bool]:
    """The decoded `payload` with every string (keys too) made storable, iteratively (a deep
    body cannot exhaust the stack); True when anything changed, and then, for an object, the
    original body is kept under ORIGINAL_KEY."""
    changed = False

    def clean(value: Any) -> Any:
        nonlocal changed
        if isinstance(value, str) and unstorable(value):
            changed = True
            return storable(value)
        return value

    root: list[Any] = [payload]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        holder, key = stack.pop()
        value = holder[key]
        if isinstance(value, dict):
            fresh = {clean(k): v for k, v in value.items()}
            holder[key] = fresh
            stack.extend((fresh, k) for k in fresh)
        elif isinstance(value, list):
            stack.extend((value, i) for i in range(len(value)))
        else:
            holder[key] = clean(value)
    result = root[0]
    if changed and isinstance(result, dict):
        result[ORIGINAL_KEY] = base64.b64encode(body).decode("ascii")
    return result, changed
