"""What is left of a record once its content is taken out: a notification payload or an audit
detail that says nothing of what a person wrote or who they are (execution/privacy.py erases
with these; execution/forget_deleted.py forgets a deleted message with them)."""

from __future__ import annotations

import json
from typing import Any

_KEPT_PAYLOAD_KEYS = ("typeWebhook", "timestamp", "idMessage")


def content_free_payload(payload: str, reason: str) -> str:
    """A notification payload with its content taken out: the kind of notification, when, its
    id and the message type stay; texts, names, numbers, files and the original bytes go."""
    data = json_object(payload)
    kept: dict[str, Any] = {}
    if data is not None:
        kept = {k: data[k] for k in _KEPT_PAYLOAD_KEYS if k in data}
        message = data.get("messageData")
        if isinstance(message, dict) and isinstance(message.get("typeMessage"), str):
            kept["messageData"] = {"typeMessage": message["typeMessage"]}
    kept["waContentRemoved"] = reason
    return json.dumps(kept)


def content_free_detail(detail: str) -> str:
    """An audit detail with only what says nothing about a person: numbers, yes/no, and the
    short names of things (a trigger, a mode, a layer); every longer text goes."""
    data = json_object(detail)
    kept: dict[str, Any] = {}
    if data is not None:
        for key, value in data.items():
            if value is None or isinstance(value, bool | int | float) or is_a_name(value):
                kept[key] = value
    kept["erased"] = True
    return json.dumps(kept)


def json_object(text: str) -> dict[str, Any] | None:
    """The JSON object `text` holds, or None (not JSON, or not an object)."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def is_a_name(value: object) -> bool:
    """A short identifier ("negotiation", "HUMAN", "rules", "agent:phone"), not free text."""
    return (
        isinstance(value, str)
        and len(value) <= 40
        and all(c.isalnum() or c in "_:-." for c in value)
    )


def like_escaped(text: str) -> str:
    """`text` safe inside a LIKE pattern (its wildcards dropped: ids hold none)."""
    return text.replace("%", "").replace("_", "")
