"""Storing a message a chat received or the agent typed: one insert for the webhook (a buyer's
message, the agent's phone) and for `wa chat` (the buyer's line typed at the console). The
assistant's own sends are stored by the send path (`send_whatsapp_message`), under their key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from execution.clock import utcnow
from execution.store import Store, Tx


@dataclass(frozen=True)
class NewMessage:
    agent_id: int
    conversation_id: int
    direction: str
    """"in" (the buyer wrote) or "out" (the agent typed on the phone)."""
    sender_type: str
    """USER or HUMAN."""
    text: str | None
    green_message_id: str | None
    """Green API's idMessage (`local:<turn>` for a console line): unique per agent; None for a
    notification that carries none."""
    type_message: str = "textMessage"
    status: str = "received"
    raw_payload: str | None = None


def insert_message(tx: Tx, message: NewMessage) -> int | None:
    """The message's row id; None when that agent has a message of that idMessage already (a
    redelivery)."""
    now = utcnow()
    row = tx.fetchone(
        "INSERT INTO messages (agent_id, conversation_id, direction, sender_type, type_message, "
        "text, green_message_id, status, raw_payload, sent_at, created_at) VALUES (:agent_id, "
        ":cid, :direction, :sender, :type_message, :text, :green_id, :status, :raw, :sent_at, "
        ":now) "
        "ON CONFLICT (agent_id, green_message_id) DO NOTHING RETURNING message_id",
        {
            "agent_id": message.agent_id,
            "cid": message.conversation_id,
            "direction": message.direction,
            "sender": message.sender_type,
            "type_message": message.type_message,
            "text": message.text,
            "green_id": message.green_message_id,
            "status": message.status,
            "raw": message.raw_payload,
            "sent_at": now if message.direction == "out" else None,
            "now": now,
        },
        prepare=True,
    )
    return None if row is None else int(row["message_id"])


def assistant_messages_within(
    store: Store, conversation_id: int, window: timedelta, since: datetime | None = None
) -> int:
    """How many assistant messages the conversation got in the last `window` (by `utcnow`,
    so replays on simulated time count as the live server does), and after `since` when given
    (the agent handing the chat back starts the count again)."""
    start = utcnow() - window
    with store.read() as tx:
        count = tx.scalar(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = :cid AND sender_type = 'AI' "
            "AND direction = 'out' AND created_at >= :since",
            {"cid": conversation_id, "since": max(start, since) if since else start},
        )
    return int(count or 0)
