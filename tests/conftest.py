"""Fixtures: every store test runs on SQLite and on a real PostgreSQL; every coordination test
in-process and on a real Redis. Servers are throwaway (replay/throwaway.py), started once per
session.

Locally a server that cannot start skips its tests; in CI (CI=true) it fails them.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from execution.coordination import Coordinator, InProcessCoordinator, RedisCoordinator
from execution.store import Store, open_store
from execution.store.migrate import migrate
from replay.throwaway import ServerUnavailable, ThrowawayPostgres, ThrowawayRedis

IN_CI = os.environ.get("CI", "").lower() == "true"
os.environ.setdefault("WA_GREENAPI_JOURNAL_LAG_SECONDS", "0.3")
"""The fake Green API's journal shows a send at once: a send in doubt is resolved in 0.3 s
(a real instance's journal may lag two minutes: the default)."""
TEMPLATE_DB = "wa_template"
_db_numbers = itertools.count()

T = TypeVar("T")


def _server(request: pytest.FixtureRequest, start: Callable[[], T], what: str) -> T:
    try:
        return start()
    except (ServerUnavailable, OSError) as exc:
        message = f"{what} could not start: {exc}"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres()
    _server(request, server.start, "PostgreSQL")
    try:
        template = open_store(server.create_database(TEMPLATE_DB), pool_size=1)
        migrate(template)
        template.close()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_server(request: pytest.FixtureRequest) -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    _server(request, server.start, "Redis")
    try:
        yield server
    finally:
        server.stop()


def fresh_postgres_database(server: ThrowawayPostgres, *, migrated: bool = True) -> str:
    """A new database (a copy of the migrated template, or empty): nothing shared between tests."""
    import psycopg

    name = f"wa_test_{os.getpid()}_{next(_db_numbers)}"
    with psycopg.connect(server.admin_url, autocommit=True) as conn:
        template = f' TEMPLATE "{TEMPLATE_DB}"' if migrated else ""
        conn.execute(f'CREATE DATABASE "{name}"{template}')
    return server.url(name)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a fresh, migrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'wa.db'}"
        with open_store(url) as store:
            migrate(store)
        return url
    server: ThrowawayPostgres = request.getfixturevalue("postgres_server")
    return fresh_postgres_database(server)


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> str:
    """Another database of the same kind as `database_url`, with no schema at all."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return fresh_postgres_database(request.getfixturevalue("postgres_server"), migrated=False)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    with open_store(database_url) as opened:
        yield opened


@pytest.fixture(params=["inprocess", "redis"])
def coordinator(request: pytest.FixtureRequest) -> Iterator[Coordinator]:
    if request.param == "inprocess":
        yield InProcessCoordinator()
        return
    server: ThrowawayRedis = request.getfixturevalue("redis_server")
    redis_coordinator = RedisCoordinator(server.url)
    redis_coordinator.client.flushdb()
    try:
        yield redis_coordinator
    finally:
        redis_coordinator.close()


@pytest.fixture(params=["sqlite+inprocess", "postgres+redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Coordinator]]:
    """The two deployments: embedded (SQLite + in-process) and distributed (PostgreSQL + Redis)."""
    if request.param == "sqlite+inprocess":
        url = f"sqlite:///{tmp_path / 'wa.db'}"
        with open_store(url) as store:
            migrate(store)
            yield store, InProcessCoordinator()
        return
    url = fresh_postgres_database(request.getfixturevalue("postgres_server"))
    redis_coordinator = RedisCoordinator(request.getfixturevalue("redis_server").url)
    redis_coordinator.client.flushdb()
    try:
        with open_store(url) as store:
            yield store, redis_coordinator
    finally:
        redis_coordinator.close()


@pytest.fixture
def agent_with_listings(store: Store, tmp_path: Path) -> int:
    """An agent with one listing (T1, "Tampines 3BR", 3 bedrooms, S$1,250,000): for model tests."""
    from execution.property_import import import_properties
    from tests.test_store import make_agent

    agent_id = make_agent(store)
    path = tmp_path / "l.json"
    path.write_text(json.dumps([{"ref": "T1", "title": "Tampines 3BR", "price": 1250000,
                                 "location": "Tampines Street 81", "type": "condo",
                                 "bedrooms": 3}]))  # fmt: skip
    import_properties(store, agent_id, path)
    return agent_id


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Point the `wa` CLI at this test's database, with no stray `.env` around."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WA_DATABASE_URL", database_url)
    monkeypatch.delenv("WA_REDIS_URL", raising=False)
    from execution.cli_support import console

    monkeypatch.setattr(console, "width", 200)  # tables unfolded, so tests can read cells
    return database_url


SUMMARY_LINES: list[str] = []
"""Figures tests want in the run's output (escalation precision/recall): printed at the end."""


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SUMMARY_LINES:
        terminalreporter.section("figures")
        for line in SUMMARY_LINES:
            terminalreporter.write_line(line)
