"""A fresh, private place for one scenario: its own database and its own coordination keys,
on whichever backends the settings name, removed afterwards (SQLite files are kept to inspect).

- SQLite: `<tmp_dir>/replay/<slug>.db`, recreated for every run.
- PostgreSQL: a schema of its own (`replay_<pid>_<n>`), first on the connection's search_path,
  dropped when the scenario ends.
- Redis: every key under a namespace of its own, deleted when the scenario ends; without Redis,
  a new in-process coordinator.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from execution.coordination import Coordinator, InProcessCoordinator, RedisCoordinator
from execution.settings import Settings
from execution.store import Store, open_store
from execution.store.base import StoreUnavailable, redact_url
from execution.store.migrate import migrate

_numbers = itertools.count(1)


@dataclass
class Sandbox:
    store: Store
    coordinator: Coordinator
    database: str  # where, for people: a file path or `postgresql://host/db (schema s)`
    distributed: bool  # PostgreSQL + Redis: several processes could share it


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "scenario"


@contextmanager
def sandbox(settings: Settings, name: str) -> Iterator[Sandbox]:
    url = settings.resolved_database_url
    with (
        _database(url, settings.tmp_dir, slug(name)) as (store, where),
        _coordinator(settings.redis_url) as coordinator,
    ):
        distributed = store.dialect == "postgresql" and isinstance(coordinator, RedisCoordinator)
        yield Sandbox(store, coordinator, where, distributed)


@contextmanager
def _database(url: str, tmp_dir: Path, name: str) -> Iterator[tuple[Store, str]]:
    if urlsplit(url).scheme == "sqlite":
        path = tmp_dir / "replay" / f"{name}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
        ):
            leftover.unlink(missing_ok=True)
        store = open_store(f"sqlite:///{path}", pool_size=4)
        try:
            migrate(store)
            yield store, str(path)
        finally:
            store.close()
        return
    import psycopg

    schema = f"replay_{os.getpid()}_{next(_numbers)}"
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as admin:
            admin.execute(f'CREATE SCHEMA "{schema}"')
    except psycopg.Error as exc:
        raise StoreUnavailable(
            f"cannot make a replay schema in {redact_url(url)}: {exc}".strip()
        ) from None
    try:
        store = open_store(with_search_path(url, schema), pool_size=4)
        try:
            migrate(store)
            yield store, f"{store.display_url} (schema {schema})"
        finally:
            store.close()
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def with_search_path(url: str, schema: str) -> str:
    """`url` whose connections put `schema` first on the search path (extensions stay found)."""
    parts = urlsplit(url)
    option = "options=" + quote(f"-c search_path={schema},public", safe="")
    query = f"{parts.query}&{option}" if parts.query else option
    return urlunsplit(parts._replace(query=query))


@contextmanager
def _coordinator(redis_url: str) -> Iterator[Coordinator]:
    if not redis_url:
        coordinator = InProcessCoordinator()
        try:
            yield coordinator
        finally:
            coordinator.close()
        return
    namespace = f"wa-replay:{secrets.token_hex(6)}:"
    redis_coordinator = RedisCoordinator(redis_url, namespace=namespace)
    try:
        yield redis_coordinator
    finally:
        try:
            keys = list(redis_coordinator.client.scan_iter(match=namespace + "*", count=500))
            if keys:
                redis_coordinator.client.delete(*keys)
        finally:
            redis_coordinator.close()
