"""What an earlier attempt of a turn left behind, read back when the turn is redone after a
crash: the reply it already claimed (finish it, never generate it again) and the handoff
message it still owes (the chat went HUMAN, the buyer was never told)."""

from __future__ import annotations

import json
from typing import Any

from execution import send_keys
from execution.store import Store, Tx


def claimed_reply(store: Store, turn_id: str) -> str | None:
    """The text of this turn's reply if an earlier attempt of it claimed the send (its first
    row by the unique key; the parts of a long one after it, within the conversation)."""
    key = send_keys.reply(turn_id)
    with store.read() as tx:
        first = tx.fetchone(
            "SELECT message_id, conversation_id FROM messages WHERE idempotency_key = :key",
            {"key": key},
        )
        if first is None:
            return None
        parts = tx.fetchall(
            "SELECT text FROM messages WHERE conversation_id = :cid AND message_id >= :first "
            f"AND (idempotency_key = :key OR idempotency_key LIKE :parts {send_keys.LIKE_ESCAPE}) "
            "ORDER BY message_id",
            {
                "cid": first["conversation_id"],
                "first": first["message_id"],
                "key": key,
                "parts": send_keys.later_parts_like(key),
            },
        )
    return "\n".join(row["text"] or "" for row in parts)  # (erased: no text)


def drop_reply_the_buyer_changed(store: Store, turn_id: str) -> bool:
    """A reply that failed (a rate limit kept it for a later attempt) while the buyer edited
    or deleted a message it answers since it was written: its rows are set aside (discarded,
    their keys freed) so the turn answers afresh. True when it was dropped."""
    key = send_keys.reply(turn_id)
    with store.transaction() as tx:
        first = tx.fetchone(
            "SELECT message_id, conversation_id, status, created_at FROM messages "
            "WHERE idempotency_key = :key",
            {"key": key},
        )
        if first is None or first["status"] != "failed":
            return False
        changed = tx.scalar(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = :cid AND direction = 'in' "
            "AND message_id < :first AND (edited_at >= :since OR deleted_at >= :since)",
            {
                "cid": first["conversation_id"],
                "first": first["message_id"],
                "since": first["created_at"],
            },
        )
        if not changed:
            return False
        tx.execute(
            "UPDATE messages SET status = 'discarded', idempotency_key = idempotency_key || "
            ":dropped || message_id, error = 'the buyer changed what it answered' "
            "WHERE conversation_id = :cid AND message_id >= :first AND status = 'failed' "
            f"AND (idempotency_key = :key OR idempotency_key LIKE :parts {send_keys.LIKE_ESCAPE})",
            {
                "cid": first["conversation_id"],
                "first": first["message_id"],
                "key": key,
                "parts": send_keys.later_parts_like(key),
                "dropped": ":dropped:",
            },
        )
    return True


def owed_handoff(store: Store, conversation_id: int) -> str | None:
    """The turn whose handoff message is still owed (None: none is): the switch that made the
    chat HUMAN was that turn's escalation, its handoff never went out (no row, or one left
    pending by a stopped process), and since the switch no one has asked for HUMAN again (an
    operator) and the agent has not written."""
    with store.read() as tx:
        switch = _last_switch(tx, conversation_id)
        turn_id = switch.get("turn_id")
        if switch.get("to") != "HUMAN" or not isinstance(turn_id, str):
            return None  # (a `mode_confirmed` has no `to`)
        handoff = tx.scalar(
            "SELECT status FROM messages WHERE idempotency_key = :key",
            {"key": send_keys.handoff(turn_id)},
        )
        if handoff not in (None, "pending"):
            return None
        agent_wrote = tx.scalar(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = :id AND sender_type = 'HUMAN' "
            "AND message_id > :since",
            {"id": conversation_id, "since": int(switch.get("last_message_id") or 0)},
        )
    return None if agent_wrote else turn_id


def _last_switch(tx: Tx, conversation_id: int) -> dict[str, Any]:
    """The detail of the conversation's latest mode change or confirmation (set_mode writes
    them), or {}."""
    row = tx.fetchone(
        "SELECT event_id, detail FROM events WHERE conversation_id = :id "
        "AND kind IN ('mode_change', 'mode_confirmed') ORDER BY event_id DESC LIMIT 1",
        {"id": conversation_id},
    )
    detail = json.loads(row["detail"]) if row else {}
    return detail if isinstance(detail, dict) else {}
