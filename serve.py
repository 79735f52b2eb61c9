"""The ASGI app: the Green API webhook, the operator API, health and metrics.

    wa serve [--host 127.0.0.1] [--port 8000] [--workers N]

`POST /webhook/greenapi` stores each notification once and answers 200 only after it is
committed (execution/webhook/); the turns it schedules are worked by a `TurnWorker`
on its own thread (orchestrator/worker.py), or by any `wa worker` process. The operator API
(`/api/...`, web/operator_api.py) takes a per-agent token from `wa agents token` (or
`WA_ADMIN_TOKEN` for all agents); web/ holds the parts of the server other than the webhook.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import typer
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.routing import Route

from execution import metrics
from execution.cli_support import configure_logging
from execution.coordination import Coordinator, RedisCoordinator, open_coordinator
from execution.errors import WaError
from execution.rate_limits import RateLimited, RateLimits
from execution.runtime import Runtime, greenapi_client
from execution.settings import Settings, load_settings
from execution.store import Store, StoreUnavailable, open_store
from execution.store.migrate import require_current_schema
from execution.store.sqlite import SqliteStore
from execution.webhook.directory import AgentDirectory, check_webhook_token
from execution.webhook.handlers import Accepted
from execution.webhook.intake import BatchWriter, accept_notification
from execution.webhook.notification import (
    KNOWN_TYPES,
    MAX_BODY_BYTES,
    Notification,
    WebhookRejected,
    parse_notification,
)
from orchestrator.providers.base import Provider
from orchestrator.providers.select import select_provider
from orchestrator.worker import WorkerThread, require_distributed
from web.access import client_address, require_admin, too_many, within_limit
from web.errors import install_error_handlers
from web.operator_api import operator_api
from web.state import ServerState, state_of

log = logging.getLogger("wa.serve")


def create_app(
    settings: Settings | None = None,
    store: Store | None = None,
    coordinator: Coordinator | None = None,
    *,
    work_turns: bool | None = None,
    provider: Provider | None = None,
) -> FastAPI:
    """Build the app. Shared clients are opened once here (or passed in by tests) and closed
    when the server stops. `work_turns=False` serves HTTP only (turns wait for a worker);
    the default is `WA_WORK_TURNS` (true)."""
    settings = settings or load_settings()
    if work_turns is None:
        work_turns = settings.work_turns

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned_store = store is None
        owned_coordinator = coordinator is None
        opened = store or open_store(
            settings.resolved_database_url, settings.db_pool_size, warm=settings.db_pool_size
        )
        try:
            require_current_schema(opened)
            embedded = opened.dialect == "sqlite"
            if owned_store and isinstance(opened, SqliteStore):
                opened.hold_process_lock()
            coordination = coordinator or open_coordinator(settings.redis_url)
            only_process = embedded or not isinstance(coordination, RedisCoordinator)
            worker = None
            if work_turns:
                turn_rt = Runtime(settings, opened, coordination, greenapi_client(settings))
                chosen = provider or select_provider(settings)
                worker = WorkerThread(turn_rt, chosen, only_process=only_process)
            state = app.state.wa = ServerState(
                store=opened,
                coordinator=coordination,
                agents=AgentDirectory(opened),
                writer=BatchWriter(  # SQLite has one writer at a time anyway
                    opened,
                    coordination,
                    debounce=settings.debounce_seconds,
                    threads=1 if embedded else 2,
                ),
                runtime=Runtime(settings, opened, coordination, greenapi_client(settings)),
                worker=worker,
                limits=RateLimits.from_settings(settings, coordination),
            )
            if worker is not None:
                worker.start()
            try:
                yield
            finally:
                state.writer.close()
                if worker is not None:
                    worker.stop()
                await state.runtime.greenapi.aclose()
                await state.limits.aclose()
                if owned_coordinator:
                    coordination.close()
        finally:
            if owned_store:
                opened.close()

    app = FastAPI(title="wa", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        database, coordination = await asyncio.gather(
            _bounded(_database_ready, state_of(app).store),
            _bounded(_coordination_ready, state_of(app).coordinator),
        )
        checks = {"database": database, "coordination": coordination}
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    @app.get("/metrics")
    async def prometheus(request: Request) -> Response:
        if not settings.metrics_public:
            require_admin(request, settings)
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        require_admin(request, settings)
        return JSONResponse(app.openapi())

    async def webhook(request: Request) -> JSONResponse:
        """The hot path: a plain Starlette route (no FastAPI parameter solving per request)."""
        type_label = "?"
        try:
            await within_limit(request.app, "webhook_address", client_address(request))
            body = await _read_limited(request, MAX_BODY_BYTES)
            notification = parse_notification(body)
            type_label = notification.type_webhook
            result = await _accept(app, settings, notification, request.headers)
        except WebhookRejected as exc:
            _count(type_label, f"rejected_{exc.status}")
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        except RateLimited as exc:  # Green API delivers it again later
            _count(type_label, "rate_limited")
            return too_many(exc)
        except StoreUnavailable as exc:  # Green API redelivers a non-200
            _count(type_label, "unavailable")
            log.error("webhook not stored (503): %s", exc)
            return JSONResponse({"error": "storage unavailable, retry"}, status_code=503)
        _count(type_label, "duplicate" if result.duplicate else "stored")
        worker = state_of(app).worker
        if result.turn_scheduled and worker is not None:
            worker.wake()
        return JSONResponse(
            {"status": "duplicate" if result.duplicate else "stored", "outcome": result.outcome}
        )

    app.router.routes.append(Route("/webhook/greenapi", webhook, methods=["POST"]))
    app.include_router(operator_api)
    install_error_handlers(app)
    return app


async def _accept(
    app: FastAPI, settings: Settings, notification: Notification, headers: Headers
) -> Accepted:
    """Authenticate and store: through the batch writer (no thread hop per request), or
    directly for a message typed on the agent's phone (it takes the chat over first)."""
    state = state_of(app)
    known, agent = state.agents.cached(notification.instance_id)
    if not known:
        agent = await run_in_threadpool(state.agents.lookup, notification.instance_id)
    agent = check_webhook_token(agent, headers.get("authorization"))
    await within_limit(app, "webhook_agent", str(agent.agent_id))  # only once authenticated: nobody
    # else can spend an agent's allowance
    if notification.type_webhook == "outgoingMessageReceived":
        return await run_in_threadpool(
            accept_notification,
            state.store,
            state.coordinator,
            agent,
            notification,
            debounce=settings.debounce_seconds,
        )
    return await asyncio.wrap_future(state.writer.submit(agent, notification))


def _count(type_webhook: str, outcome: str) -> None:
    label = type_webhook if type_webhook in KNOWN_TYPES else "other"
    metrics.WEBHOOKS.labels(label, outcome).inc()


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise WebhookRejected(413, f"body over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise WebhookRejected(413, f"body over {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise WebhookRejected(408, f"body not received within {BODY_TIMEOUT_S:g} s") from None
    return b"".join(chunks)


BODY_TIMEOUT_S = 10.0
"""A client that sends headers and then trickles (or never sends) its body is cut off."""


READY_TIMEOUT_S = 1.0
"""A readiness check answers within this, ready or not: a load balancer must not wait on it."""


async def _bounded(check: Callable[[Any], str], target: Any) -> str:
    try:
        return await asyncio.wait_for(run_in_threadpool(check, target), READY_TIMEOUT_S)
    except TimeoutError:
        return f"no answer within {READY_TIMEOUT_S:g} s"


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


# --- `wa serve` --------------------------------------------------------------------------------


def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Processes (more than 1: PostgreSQL + Redis).")
    ] = 1,
    log_level: Annotated[str, typer.Option(help="debug|info|warning|error")] = "info",
    turns: Annotated[
        bool, typer.Option(help="Work turns here too (--no-turns: intake only, for `wa worker`).")
    ] = True,
) -> None:
    """Serve the Green API webhook, the operator API and /metrics; work the turns."""
    import uvicorn

    settings = load_settings()
    if workers > 1:
        require_distributed(settings, f"--workers {workers}")
    if not turns:
        require_distributed(settings, "--no-turns (a `wa worker` must work the turns)")
        # the WA_WORK_TURNS setting: uvicorn's worker processes build the app from the import
        # string below and read their settings from the environment (load_settings), so a
        # flag reaches them only as the setting it stands for
        os.environ["WA_WORK_TURNS"] = "false"
    with open_store(settings.resolved_database_url, pool_size=1) as store:
        require_current_schema(store)
        if isinstance(store, SqliteStore):  # another `wa serve` on this file: one line, exit 1
            store.hold_process_lock()  # (released here; each server process takes it again)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="wa-metrics-")
    configure_logging(log_level)
    uvicorn.run(
        "serve:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        timeout_graceful_shutdown=30,
        access_log=False,
    )


def app_factory() -> FastAPI:
    """What `wa serve` runs in each process."""
    return create_app()
