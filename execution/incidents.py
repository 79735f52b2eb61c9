"""The self-annealing log: every unexpected failure, with the layer it belongs to."""

from __future__ import annotations

import json
from typing import Any, Literal

from execution.store import Store, Tx

Layer = Literal["directive", "orchestration", "execution"]


def record_incident(
    store: Store,
    layer: Layer,
    error: str,
    *,
    agent_id: int | None = None,
    directive: str | None = None,
    tool: str | None = None,
    context: dict[str, Any] | None = None,
) -> int:
    """Write one incident (status open); returns its id."""
    with store.transaction() as tx:
        return insert_incident(
            tx, layer, error, agent_id=agent_id, directive=directive, tool=tool, context=context
        )


def insert_incident(
    tx: Tx,
    layer: Layer,
    error: str,
    *,
    agent_id: int | None = None,
    directive: str | None = None,
    tool: str | None = None,
    context: dict[str, Any] | None = None,
) -> int:
    """`record_incident` inside the caller's transaction."""
    row = tx.fetchone(
        "INSERT INTO incidents (agent_id, layer, directive, tool, error, context) "
        "VALUES (:agent_id, :layer, :directive, :tool, :error, :context) "
        "RETURNING incident_id",
        {
            "agent_id": agent_id,
            "layer": layer,
            "directive": directive,
            "tool": tool,
            "error": error[:2000],
            "context": json.dumps(context or {}, default=str, ensure_ascii=False),
        },
    )
    assert row is not None
    return int(row["incident_id"])


def open_incidents(store: Store) -> list[dict[str, Any]]:
    with store.read() as tx:
        rows = tx.fetchall(
            "SELECT incident_id, agent_id, layer, directive, tool, error, context, created_at "
            "FROM incidents WHERE status = 'open' ORDER BY incident_id"
        )
    return [row | {"context": json.loads(row["context"])} for row in rows]
