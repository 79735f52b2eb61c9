"""A Green API notification read from a webhook body: its identity (instance, type, idMessage,
chat) and the key that tells a redelivery from a new notification; the buyer's words in it."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from execution.errors import WaError
from execution.storable_text import may_hold_unstorable, sanitized

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
INSTANCE_WARNING_TYPES = ("stateInstanceChanged", "quotaExceeded", "incomingCall", "incomingBlock")
KNOWN_TYPES = frozenset(
    {
        "incomingMessageReceived",
        "outgoingMessageReceived",
        "outgoingAPIMessageReceived",
        "outgoingMessageStatus",
        *INSTANCE_WARNING_TYPES,
        "outgoingCall",
        "deviceInfo",
        "statusInstanceChanged",
    }
)
"""Notification types Green API documents (others are stored too, as `unknown_type`)."""


class WebhookRejected(WaError):
    """A request that is not an acceptable notification: answered with `status` (4xx)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Notification:
    payload: dict[str, Any]
    instance_id: str
    type_webhook: str
    id_message: str | None
    status: str | None
    type_message: str | None
    chat_id: str | None
    raw: str = field(default="", repr=False)
    """The payload as JSON text (what is stored)."""

    @property
    def dedup_key(self) -> str:
        stem = f"{self.instance_id}:{self.type_webhook}"
        if not self.id_message:  # state/quota/block notifications carry no id: their content
            content = json.dumps(self.payload, sort_keys=True).encode()
            return f"{stem}:sha256:{hashlib.sha256(content).hexdigest()[:32]}"
        # the message type tells an edit or a deletion from the message (same idMessage in
        # Green API's own examples); a redelivery never changes it
        return f"{stem}:{self.id_message}:{self.status or self.type_message or ''}"


def parse_notification(body: bytes) -> Notification:
    """A Green API notification (or the `{receiptId, body}` envelope of `receiveNotification`)."""
    if len(body) > MAX_BODY_BYTES:
        raise WebhookRejected(413, f"body over {MAX_BODY_BYTES} bytes")
    try:
        text = body.decode("utf-8")  # what Green API sends (JSON on the wire is UTF-8)
    except UnicodeDecodeError:
        text = None  # json still reads UTF-16/32, and surrogates written as UTF-8 bytes
    try:
        payload = json.loads(body if text is None else text)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected(400, "body is not JSON") from None
    except RecursionError:
        raise WebhookRejected(400, "body is nested too deep") from None
    if (
        isinstance(payload, dict)
        and isinstance(payload.get("body"), dict)
        and ("receiptId" in payload)
    ):
        payload = payload["body"]
    if not isinstance(payload, dict):
        raise WebhookRejected(400, "body is not a JSON object")
    if text is None or may_hold_unstorable(body):  # a NUL or a lone surrogate: replaced
        payload, changed = sanitized(payload, body)
        if changed:
            log.warning("webhook with a NUL or an unpaired surrogate: stored sanitized")
    instance = payload.get("instanceData")
    instance_id = instance.get("idInstance") if isinstance(instance, dict) else None
    if isinstance(instance_id, bool) or not isinstance(instance_id, int | str):
        raise WebhookRejected(400, "no instanceData.idInstance")
    instance_id = str(instance_id).strip()
    if not instance_id.isdigit() or len(instance_id) > 20:
        raise WebhookRejected(400, "instanceData.idInstance is not a Green API instance id")
    type_webhook = payload.get("typeWebhook")
    if not isinstance(type_webhook, str) or not type_webhook.strip() or len(type_webhook) > 100:
        raise WebhookRejected(400, "no typeWebhook")
    message_data = payload.get("messageData")
    sender = payload.get("senderData")
    return Notification(
        payload=payload,
        instance_id=instance_id,
        type_webhook=type_webhook,
        id_message=short_str(payload.get("idMessage")),
        status=short_str(payload.get("status")),
        type_message=short_str(message_data.get("typeMessage"))
        if isinstance(message_data, dict)
        else None,
        chat_id=short_str(sender.get("chatId"))
        if isinstance(sender, dict)
        else short_str(payload.get("chatId")),
        raw=json.dumps(payload, ensure_ascii=False),
    )


def short_str(value: Any, limit: int = 200) -> str | None:
    """A string or number field as trimmed text of at most `limit` characters (else None)."""
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value).strip()
        return text[:limit] or None
    return None


def message_text(message_data: Any) -> str | None:
    """The buyer's own words in a message, whatever its type (None: nothing to read)."""
    if not isinstance(message_data, dict):
        return None
    type_message = message_data.get("typeMessage")
    candidates: list[Any] = []
    if type_message == "textMessage":
        candidates.append(dig(message_data, "textMessageData", "textMessage"))
    candidates += [
        dig(message_data, "extendedTextMessageData", "text"),
        dig(message_data, "fileMessageData", "caption"),
        dig(message_data, "editedMessageData", "textMessage"),
        dig(message_data, "templateButtonReplyMessage", "selectedDisplayText"),
        dig(message_data, "buttonsResponseMessage", "selectedButtonText"),
        dig(message_data, "listResponseMessage", "title"),
        dig(message_data, "interactiveButtonsResponse", "selectedDisplayText"),
        dig(message_data, "interactiveButtons", "contentText"),
        dig(message_data, "textMessageData", "textMessage"),
    ]
    for value in candidates:
        if isinstance(value, str) and value.strip():
            return value.strip()[:20_000]
    return None


def dig(value: Any, *path: str) -> Any:
    """`value[path[0]][path[1]]...`, None wherever a step is not an object."""
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    return value
