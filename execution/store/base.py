"""The store interface: transactions over one of two databases, queries written once.

Queries use `:name` placeholders (SQLite's own style); the PostgreSQL store rewrites them to
psycopg's `%(name)s` once per distinct query. What truly differs between the two databases lives
in the few abstract methods at the bottom of `Store`, and nowhere else.
"""

from __future__ import annotations

import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from execution.errors import WaError

Row = dict[str, Any]
Params = Mapping[str, Any]


class StoreUnavailable(WaError):
    """The database cannot be reached (the webhook answers 503 so Green API redelivers)."""


class IntegrityError(WaError):
    """A constraint refused a write (duplicate key, broken reference, failed check)."""


class SchemaNotReady(WaError):
    """The database has migrations that are not applied yet."""


class Tx:
    """One open transaction. Every statement of a unit of work goes through the same `Tx`."""

    def __init__(
        self,
        cursor: Any,
        translate: Callable[[str], str],
        integrity_errors: tuple[type[BaseException], ...],
        *,
        can_prepare: bool = False,
    ) -> None:
        self._cursor = cursor
        self._translate = translate
        self._integrity_errors = integrity_errors
        self._prepare = {"prepare": True} if can_prepare else {}

    def execute(self, sql: str, params: Params | None = None, *, prepare: bool = False) -> int:
        """Run one statement; returns the number of rows it changed (-1 when unknown).

        `prepare`: a hot statement whose plan never depends on its values (an insert by key):
        PostgreSQL keeps it prepared per connection, skipping the parse and plan next time.
        """
        try:
            if prepare:
                self._cursor.execute(self._translate(sql), params or {}, **self._prepare)
            else:
                self._cursor.execute(self._translate(sql), params or {})
        except self._integrity_errors as exc:
            raise IntegrityError(str(exc).strip()) from exc
        return int(self._cursor.rowcount)

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        try:
            self._cursor.executemany(self._translate(sql), list(rows))
        except self._integrity_errors as exc:
            raise IntegrityError(str(exc).strip()) from exc

    def fetchone(
        self, sql: str, params: Params | None = None, *, prepare: bool = False
    ) -> Row | None:
        self.execute(sql, params, prepare=prepare)
        row = self._cursor.fetchone()
        return dict(row) if row is not None else None

    def fetchall(
        self, sql: str, params: Params | None = None, *, prepare: bool = False
    ) -> list[Row]:
        self.execute(sql, params, prepare=prepare)
        return [dict(row) for row in self._cursor.fetchall()]

    def scalar(self, sql: str, params: Params | None = None) -> Any:
        row = self.fetchone(sql, params)
        return None if row is None else next(iter(row.values()))


class Store(ABC):
    """A database holding the `wa` schema. Open once per process, share, close at exit."""

    dialect: str

    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def display_url(self) -> str:
        """The URL with any password removed: safe to print and log."""
        return redact_url(self.url)

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Tx]:
        """A read-write transaction: commits on normal exit, rolls back on an exception."""

    def read(self) -> AbstractContextManager[Tx]:
        """A transaction for reads only (the SQLite store avoids taking the write lock)."""
        return self.transaction()

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what differs between the two databases -------------------------------------------

    @abstractmethod
    def lock_for_migrations(self, tx: Tx) -> None:
        """Serialize concurrent `wa db init` runs for the rest of this transaction."""

    @abstractmethod
    def lock_agent_listings(self, tx: Tx, agent_id: int) -> None:
        """Serialize writers of one agent's listings for the rest of this transaction."""

    @abstractmethod
    def index_location_terms(self, tx: Tx, terms: Sequence[tuple[int, int, str]]) -> None:
        """Make new `location_terms` rows `(term_id, agent_id, span)` searchable."""

    @abstractmethod
    def terms_table(self, name: str) -> str:
        """A subquery yielding rows `(term_id, score)` from the parameters that
        `terms_params(name, ...)` makes: however many terms, the query text stays the same."""

    @abstractmethod
    def terms_params(self, name: str, terms: Sequence[tuple[int, float]]) -> dict[str, Any]:
        """The parameters of `terms_table(name)` holding `terms`."""

    @abstractmethod
    def match_terms(self, tx: Tx, agent_id: int, query: str) -> list[tuple[int, float]]:
        """`(term_id, similarity)` of the agent's location terms whose trigram similarity with
        `query` is at least `location_match.MATCH_THRESHOLD` (see `execution.location_match`)."""


_NAMED_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=512)
def to_pyformat(sql: str) -> str:
    """Rewrite `:name` placeholders to `%(name)s` (and a literal `%` to `%%`) for psycopg.

    `::type` casts are left alone. Queries never put placeholders-looking text in literals.
    """
    return _NAMED_PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def split_statements(script: str) -> Iterator[str]:
    """Split a migration script into statements (a `;` inside BEGIN...END stays inside)."""
    buffer: list[str] = []
    for line in script.splitlines(keepends=True):
        if not buffer and not line.strip():
            continue
        buffer.append(line)
        candidate = "".join(buffer)
        if sqlite3.complete_statement(candidate):
            statement = candidate.strip()
            if statement.rstrip(";").strip() and not _only_comments(statement):
                yield statement
            buffer = []
    rest = "".join(buffer).strip()
    if rest and not _only_comments(rest):
        yield rest


def _only_comments(statement: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in statement.splitlines())
