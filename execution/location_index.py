"""Keeps `location_spans` (the fuzzy-search vocabulary) in step with an agent's listings.

Called inside the transaction that changed the listings, so search never sees a half-updated
vocabulary. Work is proportional to the locations that appeared or disappeared.
"""

from __future__ import annotations

from execution import location_match
from execution.store import Store, Tx


def refresh_location_spans(store: Store, tx: Tx, agent_id: int) -> tuple[int, int]:
    """Add spans for new locations and drop those of vanished ones; returns (added, removed)."""
    params = {"agent_id": agent_id}
    current = {
        row["location"]
        for row in tx.fetchall(
            "SELECT DISTINCT location FROM properties WHERE agent_id = :agent_id", params
        )
    }
    indexed = {
        row["location"]
        for row in tx.fetchall(
            "SELECT DISTINCT location FROM location_spans WHERE agent_id = :agent_id", params
        )
    }
    gone = sorted(indexed - current)
    if gone:
        tx.executemany(
            "DELETE FROM location_spans WHERE agent_id = :agent_id AND location = :location",
            ({"agent_id": agent_id, "location": location} for location in gone),
        )
    added = sorted(current - indexed)
    new_spans = []
    for location in added:
        for span in location_match.spans(location):
            row = tx.fetchone(
                "INSERT INTO location_spans (agent_id, location, span, trigram_count) "
                "VALUES (:agent_id, :location, :span, :count) RETURNING span_id",
                {
                    "agent_id": agent_id,
                    "location": location,
                    "span": span,
                    "count": len(location_match.trigrams(span)),
                },
            )
            assert row is not None
            new_spans.append((int(row["span_id"]), agent_id, span))
    store.index_location_spans(tx, new_spans)
    return len(added), len(gone)
