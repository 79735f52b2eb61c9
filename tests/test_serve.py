"""The ASGI app's health endpoints, on both backends."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

import serve
from execution.coordination import Coordinator, RedisCoordinator
from execution.settings import load_settings
from execution.store import Store
from replay.throwaway import free_port
from serve import create_app


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


async def _call(app: Any, messages: list[dict[str, Any]], stall: float = 0.0) -> list[Any]:
    """Drive the ASGI app by hand: the request arrives as `messages`, then (when `stall`) the
    client sends nothing more for that long."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "path": "/webhook/greenapi", "raw_path": b"/webhook/greenapi",
             "query_string": b"", "root_path": "", "scheme": "http", "server": ("t", 80),
             "client": ("127.0.0.1", 5000),
             "headers": [(b"content-type", b"application/json"),
                         (b"content-length", b"500")]}  # fmt: skip
    pending = list(messages)
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        await asyncio.sleep(stall)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def test_a_body_that_never_arrives_is_cut_off_with_408(
    store: Store, coordinator: Coordinator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15.5: headers and part of a body, then nothing: answered 408 after BODY_TIMEOUT_S
    (shortened here), not held open."""
    monkeypatch.setattr(serve, "BODY_TIMEOUT_S", 0.2)
    app = create_app(load_settings(), store=store, coordinator=coordinator, work_turns=False)
    part = {"type": "http.request", "body": b'{"typeWebhook": ', "more_body": True}
    with TestClient(app):  # runs the app's lifespan
        sent = asyncio.run(_call(app, [part], stall=30))
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 408


def test_a_client_that_hangs_up_mid_body_is_one_log_line(
    store: Store, coordinator: Coordinator, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(load_settings(), store=store, coordinator=coordinator, work_turns=False)
    part = {"type": "http.request", "body": b'{"typeWebhook": ', "more_body": True}
    with TestClient(app), caplog.at_level(logging.INFO):
        asyncio.run(_call(app, [part, {"type": "http.disconnect"}]))
    assert not [r for r in caplog.records if r.exc_info]
    assert [r.getMessage() for r in caplog.records if "disconnected" in r.getMessage()] == [
        "client disconnected before its body was read: /webhook/greenapi"
    ]


ADMIN = "admin-token-for-tests-0123456789"


@pytest.mark.parametrize("path", ["/metrics", "/openapi.json"])
def test_metrics_and_the_schema_need_the_admin_token(
    store: Store, coordinator: Coordinator, path: str
) -> None:
    """Issue 15.7: both describe every tenant; /healthz and /readyz stay open."""
    app = create_app(load_settings(admin_token=ADMIN), store=store, coordinator=coordinator)
    with TestClient(app) as client:
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer wa_op_nope"}).status_code == 401
        assert client.get(path, headers={"Authorization": f"Bearer {ADMIN}"}).status_code == 200
        assert client.get("/healthz").status_code == 200


def test_metrics_may_be_made_public_for_a_scraper(store: Store, coordinator: Coordinator) -> None:
    app = create_app(load_settings(metrics_public=True), store=store, coordinator=coordinator)
    with TestClient(app) as client:
        assert "wa_webhooks_total" in client.get("/metrics").text
        assert client.get("/openapi.json").status_code == 401  # no admin token set: never open
