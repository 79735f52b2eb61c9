"""The ASGI app's health endpoints, on both backends."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

import serve
from execution.coordination import Coordinator, RedisCoordinator
from execution.settings import load_settings
from execution.store import Store
from serve import create_app
from tests.servers import free_port


def test_health_and_readiness(store: Store, coordinator: Coordinator) -> None:
    app = create_app(load_settings(), store=store, coordinator=coordinator)
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "coordination": "ok"}


def test_not_ready_when_redis_is_down(store: Store) -> None:
    down = RedisCoordinator(f"redis://127.0.0.1:{free_port()}/0")
    with TestClient(create_app(load_settings(), store=store, coordinator=down)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["coordination"].startswith("unavailable")
    assert ready.json()["checks"]["database"] == "ok"


def test_not_ready_when_the_database_is_gone(store: Store, coordinator: Coordinator) -> None:
    with TestClient(create_app(load_settings(), store=store, coordinator=coordinator)) as client:
        store.close()
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"].startswith("unavailable")


def test_readiness_answers_503_when_a_check_hangs(
    store: Store, coordinator: Coordinator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15.8: a database that does not answer (PostgreSQL stopped mid-connect) must not
    hold the health check: the check gives up after READY_TIMEOUT_S and says so."""
    release = threading.Event()

    def hangs(_store: Store) -> str:
        release.wait(10)
        return "ok"

    monkeypatch.setattr(serve, "_database_ready", hangs)
    with TestClient(create_app(load_settings(), store=store, coordinator=coordinator)) as client:
        ready = client.get("/readyz")
        release.set()
    assert ready.status_code == 503
    assert ready.json()["checks"] == {
        "database": f"no answer within {serve.READY_TIMEOUT_S:g} s",
        "coordination": "ok",
    }
