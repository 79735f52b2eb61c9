"""The embedded store: one SQLite file in WAL mode, a small pool of connections.

Write transactions start with BEGIN IMMEDIATE so two writers queue on the lock (busy_timeout)
instead of failing half-way when a read transaction tries to become a write.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from execution import location_match
from execution.store.base import Store, StoreUnavailable, Tx

BUSY_TIMEOUT_MS = 10_000


def _adapt_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime: store timestamps with a timezone")
    return value.astimezone(UTC).isoformat(sep=" ")


def _convert_timestamp(raw: bytes) -> datetime:
    parsed = datetime.fromisoformat(raw.decode())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


sqlite3.register_adapter(datetime, _adapt_datetime)
sqlite3.register_converter("TIMESTAMPTZ", _convert_timestamp)


def _dict_row(cursor: sqlite3.Cursor, row: tuple[object, ...]) -> dict[str, object]:
    return {col[0]: value for col, value in zip(cursor.description, row, strict=True)}


class SqliteStore(Store):
    dialect = "sqlite"

    def __init__(self, url: str, path: str, pool_size: int = 10) -> None:
        super().__init__(url)
        self.path = path
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"cannot create the folder for {path}: {exc}") from exc
        self._idle: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(pool_size)
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                check_same_thread=False,
                detect_types=sqlite3.PARSE_DECLTYPES,
            )
            conn.row_factory = _dict_row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open SQLite database {self.path}: {exc}") from exc
        with self._lock:
            self._all.append(conn)
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise StoreUnavailable("the store is closed")
        self._slots.acquire()
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = self._connect()
            try:
                yield conn
            finally:
                self._idle.put(conn)
        finally:
            self._slots.release()

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[Tx]:
        with self._connection() as conn:
            try:
                conn.execute(begin)
            except sqlite3.OperationalError as exc:
                raise StoreUnavailable(f"SQLite is busy or unreadable: {exc}") from exc
            try:
                yield Tx(conn.cursor(), str, (sqlite3.IntegrityError,))
            except BaseException:
                conn.rollback()
                raise
            else:
                conn.commit()

    def transaction(self) -> AbstractContextManager[Tx]:
        return self._transaction("BEGIN IMMEDIATE")

    def read(self) -> AbstractContextManager[Tx]:
        return self._transaction("BEGIN")

    def close(self) -> None:
        self._closed = True
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()

    # --- dialect ---------------------------------------------------------------------------

    def lock_for_migrations(self, tx: Tx) -> None:
        pass  # BEGIN IMMEDIATE already holds the database's only write lock

    def lock_agent_listings(self, tx: Tx, agent_id: int) -> None:
        pass  # likewise

    def index_location_terms(self, tx: Tx, terms: Sequence[tuple[int, int, str]]) -> None:
        tx.executemany(
            "INSERT INTO location_term_trigrams (agent_id, trigram, term_id) "
            "VALUES (:agent_id, :trigram, :term_id)",
            (
                {
                    "agent_id": agent_id,
                    "trigram": location_match.encode_trigram(gram),
                    "term_id": term_id,
                }
                for term_id, agent_id, span in terms
                for gram in location_match.trigrams(span)
            ),
        )

    def terms_table(self, name: str) -> str:
        return (
            "SELECT json_extract(value, '$[0]') AS term_id, json_extract(value, '$[1]') AS score "
            f"FROM json_each(:{name})"
        )

    def terms_params(self, name: str, terms: Sequence[tuple[int, float]]) -> dict[str, Any]:
        return {name: json.dumps([[int(t), float(s)] for t, s in terms])}

    def match_terms(self, tx: Tx, agent_id: int, query: str) -> list[tuple[int, float]]:
        grams = sorted(location_match.encode_trigram(g) for g in location_match.trigrams(query))
        if not grams:
            return []
        threshold = location_match.MATCH_THRESHOLD
        params: dict[str, Any] = {f"g{i}": g for i, g in enumerate(grams)}
        params.update(
            agent_id=agent_id,
            nq=len(grams),
            threshold=threshold,
            min_shared=location_match.min_shared_trigrams(len(grams), threshold),
        )
        placeholders = ", ".join(f":g{i}" for i in range(len(grams)))
        # Count the query's trigrams in each term (inverted index), then the exact Jaccard.
        rows = tx.fetchall(
            f"""
            SELECT term_id, score FROM (
                SELECT h.term_id,
                       CAST(h.shared AS REAL) / (:nq + t.trigram_count - h.shared) AS score
                FROM (
                    SELECT term_id, COUNT(*) AS shared
                    FROM location_term_trigrams
                    WHERE agent_id = :agent_id AND trigram IN ({placeholders})
                    GROUP BY term_id
                    HAVING COUNT(*) >= :min_shared
                ) AS h
                JOIN location_terms t ON t.term_id = h.term_id
            ) AS scored
            WHERE score >= :threshold
            """,
            params,
        )
        return [(int(row["term_id"]), float(row["score"])) for row in rows]
