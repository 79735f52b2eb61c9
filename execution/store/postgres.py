"""The production store: PostgreSQL through psycopg 3 and a psycopg_pool connection pool."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

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

    def __init__(self, url: str, pool_size: int = 10, min_size: int = 1) -> None:
        super().__init__(url)
        self._pool: ConnectionPool[psycopg.Connection[dict[str, object]]] = ConnectionPool(
            url,
            min_size=min_size,
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
                yield Tx(cursor, to_pyformat, (psycopg.errors.IntegrityError,), can_prepare=True)
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

    def terms_table(self, name: str) -> str:
        # Arrays, not JSON: unnest of a constant array tells the planner its exact length.
        return (
            f"SELECT * FROM unnest(CAST(:{name}_ids AS bigint[]), "
            f"CAST(:{name}_scores AS float8[])) AS t (term_id, score)"
        )

    def terms_params(self, name: str, terms: Sequence[tuple[int, float]]) -> dict[str, Any]:
        return {
            f"{name}_ids": "{" + ",".join(str(int(t)) for t, _ in terms) + "}",
            f"{name}_scores": "{" + ",".join(repr(float(s)) for _, s in terms) + "}",
        }

    def match_terms(self, tx: Tx, agent_id: int, query: str) -> list[tuple[int, float]]:
        if not location_match.trigrams(query):
            return []
        # `span % query` is the GIN-indexed test: similarity >= pg_trgm.similarity_threshold,
        # which every connection sets to MATCH_THRESHOLD. The bigint cast lets the btree_gin
        # part of the index narrow the search to this agent.
        rows = tx.fetchall(
            "SELECT term_id, similarity(span, :query) AS score FROM location_terms "
            "WHERE agent_id = CAST(:agent_id AS BIGINT) AND span % :query",
            {"agent_id": agent_id, "query": query},
        )
        return [(int(row["term_id"]), float(row["score"])) for row in rows]
