"""One handler per notification type, each run inside the transaction that stores the
notification: `incomingMessageReceived` -> USER message + turn (edits and deletions update the
stored message); `outgoingAPIMessageReceived` -> the echo of our own send, matched by
idMessage; `outgoingMessageReceived` (typed on the agent's phone) -> HUMAN message (the
conversation was switched to HUMAN first: `phone_takeover`); `outgoingMessageStatus` ->
delivery status (failures become incidents); anything else -> an event and a warning."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from execution import metrics
from execution.agents import Agent
from execution.audit import record_event
from execution.clock import utcnow
from execution.conversations import touch_conversation
from execution.coordination import Coordinator
from execution.errors import ValidationError
from execution.forget_deleted import forget_deleted_message
from execution.incidents import insert_incident
from execution.messages import NewMessage, insert_message
from execution.set_mode import set_mode_human
from execution.store import Store, Tx
from execution.turn_queue import SILENT_TYPES, schedule_turn
from execution.webhook.notification import (
    INSTANCE_WARNING_TYPES,
    KNOWN_TYPES,
    Notification,
    dig,
    message_text,
    short_str,
)

log = logging.getLogger(__name__)

DELIVERY_RANK = {"pending": 0, "sent": 1, "delivered": 2, "read": 3}
DELIVERY_FAILURES = ("failed", "noAccount", "notInGroup", "yellowCard")


@dataclass(frozen=True)
class Accepted:
    outcome: str
    duplicate: bool = False
    notification_id: int | None = None
    conversation_id: int | None = None
    turn_scheduled: bool = False


Handler = Callable[[Tx, Agent, Notification, float], Accepted]
"""(transaction, agent, notification, debounce) -> what was done."""


def handler_for(type_webhook: str) -> Handler:
    return _HANDLERS.get(type_webhook, _other)


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return (value.strip()[:200] or None) if isinstance(value, str) else None


def _conversation_id(tx: Tx, agent: Agent, n: Notification) -> int | None:
    sender = n.payload.get("senderData")
    name = label = None
    if isinstance(sender, dict) and n.type_webhook == "incomingMessageReceived":
        # the buyer's own WhatsApp name may be said to them; what the agent saved them as in
        # the phone ("Tan - lowballer") is the agent's alone. (On our own messages the sender
        # is the agent, not the buyer.)
        name, label = _text(sender, "senderName"), _text(sender, "senderContactName")
    try:
        return touch_conversation(tx, agent.agent_id, n.chat_id or "", name, label)
    except ValidationError:
        return None


def _incoming(tx: Tx, agent: Agent, n: Notification, debounce: float) -> Accepted:
    cid = _conversation_id(tx, agent, n)
    if cid is None:
        return Accepted("unroutable_chat")
    if n.type_message in ("editedMessage", "deletedMessage"):
        return _edit_or_delete(tx, agent, n, cid, "in", debounce)
    message_id = _insert_message(tx, agent, n, cid, "in", "USER", "received")
    if message_id is None:
        return Accepted("message_already_stored", conversation_id=cid)
    personal = (n.chat_id or "").endswith("@c.us")
    if n.type_message in SILENT_TYPES or not personal:
        return Accepted("stored", conversation_id=cid)
    schedule_turn(tx, agent.agent_id, cid, message_id, debounce=debounce)
    return Accepted("turn_scheduled", conversation_id=cid, turn_scheduled=True)


def _insert_message(
    tx: Tx, agent: Agent, n: Notification, cid: int, direction: str, sender: str, status: str
) -> int | None:
    """The message a notification carries (None: that idMessage is stored already)."""
    message = NewMessage(
        agent_id=agent.agent_id,
        conversation_id=cid,
        direction=direction,
        sender_type=sender,
        text=message_text(n.payload.get("messageData")),
        green_message_id=n.id_message,
        type_message=n.type_message or "unknown",
        status=status,
        raw_payload=n.raw,
    )
    return insert_message(tx, message)


_EDIT = "UPDATE messages SET text = :text, edited_at = :now "
_DELETE = "UPDATE messages SET deleted_at = :now "
_OF_ORIGINAL = (
    "WHERE agent_id = :agent_id AND conversation_id = :cid AND green_message_id = :original "
    "AND direction = :direction AND deleted_at IS NULL RETURNING message_id"
)


def _edit_or_delete(
    tx: Tx, agent: Agent, n: Notification, cid: int, direction: str, debounce: float = 0.0
) -> Accepted:
    """Apply an edit or a deletion to the stored message (a deleted one keeps no text and
    takes no edit). A buyer's message not answered yet
    gets its turn (re)scheduled: a turn generating meanwhile is superseded and redone with the
    edited text (or without the deleted message), never answering what the buyer took back."""
    data = n.payload.get("messageData") or {}
    original = dig(data, "editedMessageData", "stanzaId") or dig(
        data, "deletedMessageData", "stanzaId"
    )
    edit = n.type_message == "editedMessage"
    changed = tx.fetchone(
        (_EDIT if edit else _DELETE) + _OF_ORIGINAL,
        {
            "text": message_text(data),
            "now": utcnow(),
            "agent_id": agent.agent_id,
            "cid": cid,
            "original": str(original),
            "direction": direction,
        },
    )
    done, unknown = (
        ("message_edited", "edit_of_unknown_message")
        if edit
        else ("message_deleted", "deletion_of_unknown_message")
    )
    if changed is None:
        return Accepted(unknown, conversation_id=cid)
    if not edit:
        forget_deleted_message(tx, agent.agent_id, cid, str(original))
    if direction == "in" and _reopens_turn(tx, cid, int(changed["message_id"])):
        latest = tx.scalar(  # the turn must still cover everything the buyer said after it
            "SELECT MAX(message_id) FROM messages WHERE conversation_id = :cid "
            f"AND direction = 'in' AND type_message NOT IN ({_SILENT_SQL})",
            {"cid": cid},
        )
        schedule_turn(tx, agent.agent_id, cid, int(latest), debounce=debounce)
        return Accepted(done, conversation_id=cid, turn_scheduled=True)
    return Accepted(done, conversation_id=cid)


_SILENT_SQL = ", ".join(f"'{t}'" for t in SILENT_TYPES)


def _reopens_turn(tx: Tx, cid: int, message_id: int) -> bool:
    """Whether a changed buyer message is still to be answered (in a personal chat)."""
    row = tx.fetchone(
        "SELECT answered_through, chat_id FROM conversations WHERE conversation_id = :cid",
        {"cid": cid},
    )
    return (
        row is not None
        and message_id > int(row["answered_through"])
        and str(row["chat_id"]).endswith("@c.us")
    )


def phone_takeover(store: Store, coordinator: Coordinator, agent: Agent, n: Notification) -> None:
    """The agent typed in this chat on the phone: the assistant stops at once (before the
    message is stored, so a failure here is retried with the redelivery)."""
    if not agent_takes_over_from_phone(store, agent.agent_id):
        return
    with store.transaction() as tx:
        seen = "SELECT COUNT(*) FROM notifications WHERE dedup_key = :key"
        if tx.scalar(seen, {"key": n.dedup_key}):
            return  # a redelivery of a message already handled
        cid = _conversation_id(tx, agent, n)
    if cid is not None:
        set_mode_human(store, coordinator, cid, "the agent replied from the phone", "agent:phone")


def agent_takes_over_from_phone(store: Store, agent_id: int) -> bool:
    with store.read() as tx:
        value = tx.scalar(
            "SELECT phone_takeover FROM agents WHERE agent_id = :id", {"id": agent_id}
        )
    return bool(value)


def _from_phone(tx: Tx, agent: Agent, n: Notification, debounce: float) -> Accepted:
    cid = _conversation_id(tx, agent, n)
    if cid is None:
        return Accepted("unroutable_chat")
    if n.type_message in ("editedMessage", "deletedMessage"):
        return _edit_or_delete(tx, agent, n, cid, "out")
    stored = _insert_message(tx, agent, n, cid, "out", "HUMAN", "sent")
    outcome = "human_message_stored" if stored is not None else "message_already_stored"
    return Accepted(outcome, conversation_id=cid)


def _echo(tx: Tx, agent: Agent, n: Notification, debounce: float) -> Accepted:
    """The echo of a message we sent through the API: never a new message, never a turn.
    Matched by idMessage; when no row has it, a pending row of that chat with the same text is
    a send whose process died before it heard Green API's answer: it did go out."""
    row = tx.fetchone(
        "UPDATE messages SET echoed_at = :now WHERE agent_id = :agent_id "
        "AND green_message_id = :green_id AND direction = 'out' RETURNING conversation_id",
        {"now": utcnow(), "agent_id": agent.agent_id, "green_id": n.id_message},
    )
    if row is not None:
        return Accepted("echo_matched", conversation_id=row["conversation_id"])
    text = message_text(n.payload.get("messageData"))
    pending = tx.fetchone(
        "SELECT m.message_id, m.conversation_id FROM messages m "
        "JOIN conversations c ON c.conversation_id = m.conversation_id "
        "WHERE m.agent_id = :agent_id AND c.chat_id = :chat_id AND m.direction = 'out' "
        "AND m.status = 'pending' AND m.text = :text ORDER BY m.message_id LIMIT 1",
        {"agent_id": agent.agent_id, "chat_id": n.chat_id, "text": text},
    )
    if pending is None or text is None:
        return Accepted("echo_unmatched")
    tx.execute(
        "UPDATE messages SET status = 'sent', green_message_id = :green_id, echoed_at = :now, "
        "sent_at = :now WHERE message_id = :id",
        {"green_id": n.id_message, "now": utcnow(), "id": pending["message_id"]},
    )
    log.warning(
        "echo %s confirms pending message %s: its sender stopped before the answer",
        n.id_message,
        pending["message_id"],
    )
    return Accepted("echo_confirmed_pending", conversation_id=pending["conversation_id"])


def _status(tx: Tx, agent: Agent, n: Notification, debounce: float) -> Accepted:
    status = n.status or ""
    failed = status in DELIVERY_FAILURES
    if failed:
        allowed = list(DELIVERY_RANK)
        new = "failed"
    elif status in DELIVERY_RANK:
        allowed = [s for s, rank in DELIVERY_RANK.items() if rank < DELIVERY_RANK[status]]
        new = status
    else:
        return Accepted(f"status_unknown:{status[:40]}")
    error = short_str(n.payload.get("description"), 500) or status
    params: dict[str, Any] = {
        "new": new,
        "agent_id": agent.agent_id,
        "green_id": n.id_message,
        "error": error,
    }
    params |= {f"s{i}": s for i, s in enumerate(allowed)}
    earlier = ", ".join(f":s{i}" for i in range(len(allowed)))
    row = tx.fetchone(
        "UPDATE messages SET status = :new, "
        + ("error = :error " if failed else "error = error ")
        + "WHERE agent_id = :agent_id AND green_message_id = :green_id AND direction = 'out' "
        f"AND status IN ({earlier}) RETURNING message_id, conversation_id",
        params,
    )
    if failed:
        _delivery_failed(tx, agent, n, status, error, row["conversation_id"] if row else None)
    if row is None:
        known = tx.fetchone(  # statuses arrive out of order: "delivered" after "read"
            "SELECT conversation_id FROM messages WHERE agent_id = :agent_id "
            "AND green_message_id = :green_id AND direction = 'out'",
            {"agent_id": agent.agent_id, "green_id": n.id_message},
        )
        if known is not None:  # the message is further already: the furthest status is kept
            return Accepted("status_superseded", conversation_id=known["conversation_id"])
        return Accepted(f"status_{status}_unmatched")
    return Accepted(f"status_{new}", conversation_id=row["conversation_id"])


def _delivery_failed(
    tx: Tx, agent: Agent, n: Notification, status: str, error: str, cid: int | None
) -> None:
    """A message Green API could not deliver: an incident, an event and a warning."""
    context = {"idMessage": n.id_message, "chatId": n.chat_id, "notification": n.dedup_key}
    insert_incident(
        tx,
        "execution",
        f"delivery {status}: {error}",
        agent_id=agent.agent_id,
        tool="send_whatsapp_message",
        context=context,
    )
    detail = {"idMessage": n.id_message, "status": status, "description": error}
    record_event(tx, "delivery_failed", detail, agent_id=agent.agent_id, conversation_id=cid)
    log.warning("delivery %s for message %s: %s", status, n.id_message, error)


_STATE_KEYS = ("stateInstance", "statusInstance", "status", "isVideo")


def _other(tx: Tx, agent: Agent, n: Notification, debounce: float) -> Accepted:
    """Instance state, quota, calls, blocks, and types we do not know yet: stored, an event,
    and a warning for the ones that need a person's attention."""
    detail = {k: v for k, v in n.payload.items() if k not in ("instanceData", "typeWebhook")}
    if len(json.dumps(detail, default=str)) > 4000:  # the whole payload is in `notifications`
        detail = {"truncated": True, "keys": sorted(detail)[:50]}
    event = detail | {"notification": n.dedup_key}
    record_event(tx, f"greenapi:{n.type_webhook}", event, agent_id=agent.agent_id)
    if n.type_webhook in INSTANCE_WARNING_TYPES:
        metrics.INSTANCE_WARNINGS.labels(n.type_webhook).inc()
        # what the state is, never who called or which chats a quota names (a log is no place
        # for a buyer's number): the whole of it is in the event
        shown = {k: detail[k] for k in _STATE_KEYS if isinstance(detail.get(k), str | int | bool)}
        log.warning("Green API %s for agent %s: %s", n.type_webhook, agent.agent_id, shown)
        return Accepted("instance_warning")
    return Accepted("event" if n.type_webhook in KNOWN_TYPES else "unknown_type")


_HANDLERS: dict[str, Handler] = {
    "incomingMessageReceived": _incoming,
    "outgoingMessageReceived": _from_phone,
    "outgoingAPIMessageReceived": _echo,
    "outgoingMessageStatus": _status,
}
