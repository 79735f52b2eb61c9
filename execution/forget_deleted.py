"""A message its sender deleted on WhatsApp is forgotten: its text and payload go, from the
message and from every notification that carried it (the webhook calls this as it applies the
deletion; the deletion itself is kept)."""

from __future__ import annotations

from execution.content_free import content_free_payload, like_escaped
from execution.store import Tx


def forget_deleted_message(
    tx: Tx, agent_id: int, conversation_id: int, green_message_id: str
) -> None:
    """The sender deleted this message: its text and payload go from the message and from
    every notification that carried it (the original and its edits). The deletion is kept."""
    tx.execute(
        "UPDATE messages SET text = NULL, raw_payload = NULL WHERE agent_id = :agent_id "
        "AND conversation_id = :cid AND green_message_id = :green_id",
        {"agent_id": agent_id, "cid": conversation_id, "green_id": green_message_id},
    )
    chat = tx.scalar(
        "SELECT chat_id FROM conversations WHERE conversation_id = :cid", {"cid": conversation_id}
    )
    carriers = tx.fetchall(
        "SELECT notification_id, payload FROM notifications WHERE agent_id = :agent_id "
        "AND chat_id = :chat AND (id_message = :green_id OR (type_message = 'editedMessage' "
        "AND payload LIKE :mention))",
        {
            "agent_id": agent_id,
            "chat": chat,
            "green_id": green_message_id,
            "mention": f"%{like_escaped(green_message_id)}%",
        },
    )
    for row in carriers:
        tx.execute(
            "UPDATE notifications SET payload = :payload WHERE notification_id = :id",
            {
                "payload": content_free_payload(str(row["payload"]), "deleted by the sender"),
                "id": row["notification_id"],
            },
        )
