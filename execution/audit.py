"""The audit log (`events`): mode changes, escalations, discarded sends, errors."""

from __future__ import annotations

import json
from typing import Any

from execution.clock import utcnow
from execution.store import Store, Tx


def record_event(
    tx: Tx,
    kind: str,
    detail: dict[str, Any],
    *,
    agent_id: int | None = None,
    conversation_id: int | None = None,
) -> None:
    """Append to the audit log (events), inside the caller's transaction."""
    tx.execute(
        "INSERT INTO events (agent_id, conversation_id, kind, detail, created_at) "
        "VALUES (:agent_id, :conversation_id, :kind, :detail, :now)",
        {
            "now": utcnow(),  # the clock the queue runs on (simulated in a replay)
            "agent_id": agent_id,
            "conversation_id": conversation_id,
            "kind": kind,
            "detail": json.dumps(detail, default=str, ensure_ascii=False),
        },
    )


def events(store: Store, conversation_id: int) -> list[dict[str, Any]]:
    with store.read() as tx:
        rows = tx.fetchall(
            "SELECT event_id, kind, detail, created_at FROM events "
            "WHERE conversation_id = :id ORDER BY event_id",
            {"id": conversation_id},
        )
    return [row | {"detail": json.loads(row["detail"])} for row in rows]
