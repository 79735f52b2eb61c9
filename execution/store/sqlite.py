"""The embedded store: one SQLite file in WAL mode, a small pool of connections.

Write transactions start with BEGIN IMMEDIATE so two writers queue on the lock (busy_timeout)
instead of failing half-way when a read transaction tries to become a write.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from execution import location_match
from execution.errors import ConfigurationError
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


def _enable_wal(conn: sqlite3.Connection) -> None:
    """WAL mode. Switching a new file to WAL needs a moment alone with it, and SQLite answers
    "locked" at once (no busy wait) while another connection does the same: try again."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _create_private(path: Path) -> None:
    """The database file readable by its owner only (0600; SQLite gives its -wal and -shm
    files the same), in a folder made 0700 when this creates it. An existing file is left
    as its owner set it."""
    if path.name in ("", ":memory:") or path.exists():
        return
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


class SqliteStore(Store):
    dialect = "sqlite"

    def __init__(self, url: str, path: str, pool_size: int = 10) -> None:
        super().__init__(url)
        self.path = path
        try:
            _create_private(Path(path))
        except OSError as exc:
            raise StoreUnavailable(f"cannot create {path}: {exc}") from exc
        self._idle: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(pool_size)
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
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            _enable_wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open SQLite database {self.path}: {exc}") from exc
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
                if self._closed:  # closed while in use: this thread closes it now
                    self._forget(conn)
                else:
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

    def hold_process_lock(self) -> None:
        """Make this process the only server of this database file (released on close): a
        second `wa serve` or `wa worker` on the same file is refused, clearly."""
        import fcntl

        handle = open(f"{self.path}.serve.lock", "a+")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise ConfigurationError(
                f"another process already serves {self.path}: the embedded backends allow one "
                "`wa serve` process (use PostgreSQL and Redis for several)"
            ) from None
        self._process_lock = handle

    def close(self) -> None:
        """Close the idle connections now; one in use by another thread is closed by that
        thread when it is done (closing it under the thread would crash the process)."""
        self._closed = True
        lock = getattr(self, "_process_lock", None)
        if lock is not None:
            lock.close()
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                break
            self._forget(conn)

    def _forget(self, conn: sqlite3.Connection) -> None:
        conn.close()

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
