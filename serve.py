"""The ASGI app. For now: liveness and readiness; the Green API webhook and the operator API
arrive with the orchestrator (see DESIGN.md)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from execution.coordination import Coordinator, RedisCoordinator, open_coordinator
from execution.errors import WaError
from execution.settings import Settings, load_settings
from execution.store import Store, open_store


def create_app(
    settings: Settings | None = None,
    store: Store | None = None,
    coordinator: Coordinator | None = None,
) -> FastAPI:
    """Build the app. Shared clients are opened once here (or passed in by tests) and closed
    when the server stops."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned_store = store is None
        owned_coordinator = coordinator is None
        app.state.store = store or open_store(settings.resolved_database_url, settings.db_pool_size)
        app.state.coordinator = coordinator or open_coordinator(settings.redis_url)
        try:
            yield
        finally:
            if owned_coordinator:
                app.state.coordinator.close()
            if owned_store:
                app.state.store.close()

    app = FastAPI(title="wa", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = {
            "database": await run_in_threadpool(_database_ready, app.state.store),
            "coordination": await run_in_threadpool(_coordination_ready, app.state.coordinator),
        }
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    return app


def _database_ready(store: Store) -> str:
    try:
        with store.read() as tx:
            tx.scalar("SELECT 1")
    except WaError as exc:
        return f"unavailable: {exc}"
    return "ok"


def _coordination_ready(coordinator: Coordinator) -> str:
    if not isinstance(coordinator, RedisCoordinator):
        return "ok"
    try:
        coordinator.ping()
    except WaError as exc:
        return f"unavailable: {exc}"
    return "ok"
