"""Storage: one `Store` interface over SQLite (embedded default) or PostgreSQL.

with open_store(settings.resolved_database_url) as store:
    with store.transaction() as tx:
        tx.fetchone("SELECT ... WHERE agent_id = :agent_id", {"agent_id": 1})
"""

from __future__ import annotations

from urllib.parse import urlsplit

from execution.errors import ConfigurationError
from execution.store.base import (
    IntegrityError,
    Row,
    SchemaNotReady,
    Store,
    StoreUnavailable,
    Tx,
    redact_url,
)

__all__ = [
    "IntegrityError",
    "Row",
    "SchemaNotReady",
    "Store",
    "StoreUnavailable",
    "Tx",
    "open_store",
    "redact_url",
]


def open_store(url: str, pool_size: int = 10, *, warm: int = 1) -> Store:
    """Open the store a URL names: `sqlite:///relative.db`, `sqlite:////abs.db`, `postgresql://...`.

    `warm`: PostgreSQL connections opened at once (a server opens several, so its first burst
    of requests does not wait for the pool to grow)."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        from execution.store.sqlite import SqliteStore

        path = url.removeprefix("sqlite://").removeprefix("/")
        if not path:
            raise ConfigurationError(f"no file in SQLite URL {url!r}: use sqlite:///path/to/wa.db")
        if path == ":memory:":
            raise ConfigurationError("an in-memory SQLite database cannot be shared: use a file")
        return SqliteStore(url, path, pool_size)
    if scheme in ("postgresql", "postgres"):
        from execution.store.postgres import PostgresStore

        return PostgresStore(url, pool_size, min_size=min(warm, pool_size))
    raise ConfigurationError(
        f"unsupported database URL {redact_url(url)!r}: use sqlite:///path or postgresql://..."
    )
