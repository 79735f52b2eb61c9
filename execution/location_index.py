"""Keeps the fuzzy-search vocabulary (`location_terms`, `location_spans`) in step with an agent's
listings.

Called inside the transaction that changed the listings, so search never sees a half-updated
vocabulary. Work is proportional to the locations that appeared or disappeared.
"""

from __future__ import annotations

from execution import location_match
from execution.store import Store, Tx


def refresh_location_index(store: Store, tx: Tx, agent_id: int) -> tuple[int, int]:
    """Index new locations and forget vanished ones; returns (added, removed) location counts."""
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
        tx.execute(
            "DELETE FROM location_terms WHERE agent_id = :agent_id AND NOT EXISTS ("
            "SELECT 1 FROM location_spans s WHERE s.term_id = location_terms.term_id)",
            params,
        )
    added = sorted(current - indexed)
    if added:
        _index_locations(store, tx, agent_id, added)
    return len(added), len(gone)


def _index_locations(store: Store, tx: Tx, agent_id: int, locations: list[str]) -> None:
    spans_of = {location: list(location_match.spans(location)) for location in locations}
    params = {"agent_id": agent_id}
    term_ids = {
        row["span"]: int(row["term_id"])
        for row in tx.fetchall(
            "SELECT span, term_id FROM location_terms WHERE agent_id = :agent_id", params
        )
    }
    new_spans = sorted({s for spans in spans_of.values() for s in spans} - term_ids.keys())
    if new_spans:
        tx.executemany(
            "INSERT INTO location_terms (agent_id, span, trigram_count) "
            "VALUES (:agent_id, :span, :count)",
            (
                {"agent_id": agent_id, "span": span, "count": len(location_match.trigrams(span))}
                for span in new_spans
            ),
        )
        wanted = set(new_spans)
        for row in tx.fetchall(
            "SELECT span, term_id FROM location_terms WHERE agent_id = :agent_id", params
        ):
            if row["span"] in wanted:
                term_ids[row["span"]] = int(row["term_id"])
        store.index_location_terms(tx, [(term_ids[s], agent_id, s) for s in new_spans])
    tx.executemany(
        "INSERT INTO location_spans (agent_id, term_id, location) "
        "VALUES (:agent_id, :term_id, :location)",
        (
            {"agent_id": agent_id, "term_id": term_ids[span], "location": location}
            for location, spans in spans_of.items()
            for span in spans
        ),
    )
