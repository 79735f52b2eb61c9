"""The production store: PostgreSQL through psycopg 3 and a psycopg_pool connection pool."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from execution import location_match
from execution.store.base import Store, StoreUnavailable, Tx, to_pyformat

CONNECT_TIMEOUT_S = 5
MIGRATION_LOCK_KEY = 0x7761_6462  # "wadb": pg_advisory_xact_lock key for `wa db init`


def _configure(conn: psycopg.Connection[dict[str, object]]) -> None:
    # `%` (the GIN-indexable trigram operator) uses this threshold; keep it equal to ours.
    conn.execute(
        "SELECT set_config('pg_trgm.similarity_threshold', %s, false)",
        (str(location_match.MATCH_THRESHOLD),),
    )
    conn.commit()


class PostgresStore(Store):
    dialect = "postgresql"

    def __init__(self, url: str, pool_size: int = 10) -> None:
        super().__init__(url)
        self._pool: ConnectionPool[psycopg.Connection[dict[str, object]]] = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={
                "row_factory": dict_row,
                "connect_timeout": CONNECT_TIMEOUT_S,
                # No server-side prepared statements: a generic plan cannot see the search text,
                # so it would scan every location term instead of using the trigram index.
                "prepare_threshold": None,
            },
            configure=_configure,
            timeout=CONNECT_TIMEOUT_S,
            open=False,
            name="wa",
        )
        try:
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except PoolTimeout as exc:
            self._pool.close()
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL at {self.display_url} "
                f"within {CONNECT_TIMEOUT_S}s: is the server running?"
            ) from exc

    @contextmanager
    def _transaction(self) -> Iterator[Tx]:
        try:
            # The pool's context commits on a normal exit and rolls back on an exception.
            with self._pool.connection() as conn, conn.cursor() as cursor:
                yield Tx(cursor, to_pyformat, (psycopg.errors.IntegrityError,))
        except PoolTimeout as exc:
            raise StoreUnavailable(f"PostgreSQL at {self.display_url} is unavailable") from exc
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"PostgreSQL connection failed: {exc}") from exc

    def transaction(self) -> AbstractContextManager[Tx]:
        return self._transaction()

    def close(self) -> None:
        self._pool.close()

    # --- dialect ---------------------------------------------------------------------------

    def lock_for_migrations(self, tx: Tx) -> None:
        tx.execute("SELECT pg_advisory_xact_lock(:key)", {"key": MIGRATION_LOCK_KEY})

    def lock_agent_listings(self, tx: Tx, agent_id: int) -> None:
        tx.execute(
            "SELECT 1 FROM agents WHERE agent_id = :agent_id FOR UPDATE", {"agent_id": agent_id}
        )

    def index_location_terms(self, tx: Tx, terms: Sequence[tuple[int, int, str]]) -> None:
        pass  # the GIN trigram index on location_terms.span is maintained by PostgreSQL

    def in_list(self, column: str, param: str) -> str:
        return f"{column} IN (SELECT jsonb_array_elements_text(CAST(:{param} AS jsonb)))"

    def match_locations(self, tx: Tx, agent_id: int, query: str) -> list[tuple[str, float]]:
        if not location_match.trigrams(query):
            return []
        # `span % query` is the GIN-indexed test: similarity >= pg_trgm.similarity_threshold,
        # which every connection sets to MATCH_THRESHOLD. MATERIALIZED computes each term's
        # similarity once, not once per location that contains the term.
        rows = tx.fetchall(
            """
            WITH terms AS MATERIALIZED (
                SELECT term_id, similarity(span, :query) AS score
                FROM location_terms
                WHERE agent_id = CAST(:agent_id AS BIGINT) AND span % :query
            )
            SELECT s.location, MAX(terms.score) AS score
            FROM terms
            CROSS JOIN LATERAL (  -- OFFSET 0: probe the index per term, never hash all spans
                SELECT location FROM location_spans
                WHERE agent_id = :agent_id AND term_id = terms.term_id OFFSET 0
            ) AS s
            GROUP BY s.location
            ORDER BY score DESC, s.location
            """,
            {"agent_id": agent_id, "query": query},
        )
        return [(row["location"], float(row["score"])) for row in rows]
