"""The ASGI app: the Green API webhook, the operator API, health and metrics.

    wa serve [--host 127.0.0.1] [--port 8000] [--workers N]

`POST /webhook/greenapi` stores each notification once and answers 200 only after it is
committed (execution/webhook/); the turns it schedules are worked by a `TurnWorker`
on its own thread (orchestrator/worker.py), or by any `wa worker` process. The operator API
(`/api/...`) takes a per-agent token from `wa agents token` (or `WA_ADMIN_TOKEN` for all agents).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

import typer
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator, BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.routing import Route

from execution import metrics
from execution.agents import operator_token_agent
from execution.cli_support import configure_logging
from execution.conversations import (
    Conversation,
    get_conversation,
    history,
    list_conversations,
)
from execution.coordination import (
    CoordinationUnavailable,
    Coordinator,
    LockTimeout,
    RedisCoordinator,
    open_coordinator,
)
from execution.errors import NotFoundError, ValidationError, WaError
from execution.rate_limits import RateLimited, RateLimits
from execution.rate_limits import Scope as LimitScope
from execution.runtime import Runtime, greenapi_client
from execution.send_keys import MAX_CALLER_KEY_LENGTH, from_caller
from execution.send_whatsapp_message import send_whatsapp_message
from execution.set_mode import set_mode, set_mode_human
from execution.settings import Settings, load_settings
from execution.storable_text import storable, unstorable
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

log = logging.getLogger("wa.serve")


@dataclass(frozen=True)
class ServerState:
    """What the server opened at startup and every request uses (`state_of(app)`), typed:
    `app.state` holds this one object and nothing else."""

    store: Store
    coordinator: Coordinator
    agents: AgentDirectory
    writer: BatchWriter
    runtime: Runtime
    worker: WorkerThread | None
    limits: RateLimits


def state_of(app: FastAPI) -> ServerState:
    """The running server's state (a RuntimeError before startup or after shutdown)."""
    state = getattr(app.state, "wa", None)
    if not isinstance(state, ServerState):
        raise RuntimeError("the server is not running (no state before startup)")
    return state


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
            _require_admin(request, settings)
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        _require_admin(request, settings)
        return JSONResponse(app.openapi())

    async def webhook(request: Request) -> JSONResponse:
        """The hot path: a plain Starlette route (no FastAPI parameter solving per request)."""
        type_label = "?"
        try:
            await _limit(request.app, "webhook_address", _address(request))
            body = await _read_limited(request, MAX_BODY_BYTES)
            notification = parse_notification(body)
            type_label = notification.type_webhook
            result = await _accept(app, settings, notification, request.headers)
        except WebhookRejected as exc:
            _count(type_label, f"rejected_{exc.status}")
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        except RateLimited as exc:  # Green API delivers it again later
            _count(type_label, "rate_limited")
            return _too_many(exc)
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
    _install_error_handlers(app)
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
    await _limit(app, "webhook_agent", str(agent.agent_id))  # only once authenticated: nobody
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


# --- the operator API -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Who is calling: one agent's operator (agent_id), or the admin (agent_id None)."""

    agent_id: int | None

    @property
    def actor(self) -> str:
        return "admin" if self.agent_id is None else f"operator:agent{self.agent_id}"


MAX_ID = 2**63 - 1
"""The largest row id either backend stores (a larger one is a 422, not an overflow)."""
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


def _storable(text: str) -> str:
    if unstorable(text):
        raise ValueError("the text holds a NUL character or an unpaired surrogate")
    return text


StorableText = Annotated[str, AfterValidator(_storable)]


class ToggleMode(BaseModel):
    conversation_id: RowId
    mode: Literal["AI", "HUMAN"]
    reason: StorableText = Field(min_length=1, max_length=500)


class HumanMessage(BaseModel):
    text: StorableText = Field(min_length=1, max_length=100_000)
    idempotency_key: str | None = Field(None, min_length=1, max_length=MAX_CALLER_KEY_LENGTH)
    takeover: bool = True


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


def _is_admin(token: str, settings: Settings) -> bool:
    admin = settings.admin_token
    return admin is not None and hmac.compare_digest(
        token.encode(), admin.get_secret_value().encode()
    )


def _require_admin(request: Request, settings: Settings) -> None:
    """/metrics and /openapi.json: the admin token only (they describe every tenant)."""
    if not _is_admin(_bearer(request), settings):
        raise HTTPException(
            401, "needs the admin token (WA_ADMIN_TOKEN)", {"WWW-Authenticate": "Bearer"}
        )


def operator_scope(request: Request) -> Scope:
    """The caller of an operator API route, from its bearer token: 401 without a valid one."""
    token = _bearer(request)
    if not token:
        raise HTTPException(401, "missing bearer token", {"WWW-Authenticate": "Bearer"})
    if _is_admin(token, state_of(request.app).runtime.settings):
        return Scope(None)
    with state_of(request.app).store.read() as tx:
        agent_id = operator_token_agent(tx, token)
    if agent_id is None:
        raise HTTPException(401, "unknown or revoked token", {"WWW-Authenticate": "Bearer"})
    return Scope(agent_id)


async def limited_scope(
    request: Request, scope: Annotated[Scope, Depends(operator_scope)]
) -> Scope:
    """The caller, within its agent's allowance of requests (the admin has one of its own)."""
    key = "admin" if scope.agent_id is None else str(scope.agent_id)
    await _limit(request.app, "api_agent", key)
    return scope


async def address_limit(request: Request) -> None:
    """Every operator API request counts against its address first, a bad token included."""
    await _limit(request.app, "api_address", _address(request))


async def _limit(app: FastAPI, scope: LimitScope, key: str) -> None:
    refused = await state_of(app).limits.refused(scope, key)
    if refused is not None:
        raise RateLimited(refused)


def _address(request: Request) -> str:
    """The client's address as uvicorn gives it (X-Forwarded-For only from the proxies in
    FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else "unknown"


def _too_many(exc: RateLimited) -> JSONResponse:
    return JSONResponse(
        {"detail": str(exc)},
        status_code=429,
        headers={"Retry-After": str(exc.refused.retry_after)},
    )


Caller = Annotated[Scope, Depends(limited_scope)]
operator_api = APIRouter(prefix="/api", dependencies=[Depends(address_limit)])


def _owned(request: Request, conversation_id: int, caller: Scope) -> Conversation:
    """The conversation, if the caller may see it; another agent's is simply not found."""
    try:
        conversation = get_conversation(state_of(request.app).store, conversation_id)
    except NotFoundError:
        conversation = None
    if conversation is None or caller.agent_id not in (None, conversation.agent_id):
        raise HTTPException(404, f"no conversation {conversation_id}")
    return conversation


@operator_api.get("/conversations")
def api_conversations(
    request: Request,
    caller: Caller,
    agent_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    mode: Literal["AI", "HUMAN"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    if caller.agent_id is not None:
        if agent_id not in (None, caller.agent_id):
            raise HTTPException(403, "this token is scoped to another agent")
        agent_id = caller.agent_id
    found = list_conversations(state_of(request.app).store, agent_id, mode, limit)
    return [asdict(c) for c in found]


@operator_api.get("/conversations/{conversation_id}/messages")
def api_messages(
    request: Request,
    conversation_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    conversation = _owned(request, conversation_id, caller)
    recent = history(state_of(request.app).store, conversation_id, limit)
    return {"conversation": asdict(conversation), "messages": [asdict(m) for m in recent]}


@operator_api.post("/conversations/toggle-mode")
def api_toggle_mode(request: Request, body: ToggleMode, caller: Caller) -> dict[str, Any]:
    _owned(request, body.conversation_id, caller)
    state = state_of(request.app)
    change = set_mode(
        state.store, state.coordinator, body.conversation_id, body.mode, body.reason, caller.actor
    )
    return asdict(change)


@operator_api.post("/conversations/{conversation_id}/messages")
async def api_send_as_human(
    request: Request,
    conversation_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    body: HumanMessage,
    caller: Caller,
) -> dict[str, Any]:
    await run_in_threadpool(_owned, request, conversation_id, caller)
    rt: Runtime = state_of(request.app).runtime
    if body.takeover:
        await run_in_threadpool(
            set_mode_human,
            rt.store,
            rt.coordinator,
            conversation_id,
            "the agent sent a message",
            caller.actor,
        )
    key = body.idempotency_key or f"api:{uuid.uuid4()}"
    caller_key = from_caller(conversation_id, key)
    result = await send_whatsapp_message(
        rt, conversation_id, body.text, sender="HUMAN", idempotency_key=caller_key
    )
    if result.status == "failed":
        raise HTTPException(502, f"Green API did not take the message: {result.reason}")
    return asdict(result) | {"idempotency_key": key}  # the caller's key, as it was given


def _install_error_handlers(app: FastAPI) -> None:
    """Domain errors as JSON: bad input 422, not found 404, storage or Redis down or a busy
    conversation 503, any other expected failure 400."""

    @app.exception_handler(ClientDisconnect)
    async def gone(request: Request, _exc: ClientDisconnect) -> Response:
        """A client that hung up mid-body: one line, no traceback (nobody reads the answer)."""
        log.info("client disconnected before its body was read: %s", request.url.path)
        return Response(status_code=400)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        """FastAPI's 422, without echoing the input (it may hold what no encoder takes)."""
        errors = [
            {
                "loc": [storable(str(part)) for part in error.get("loc", ())],
                "msg": storable(str(error.get("msg", ""))),
                "type": str(error.get("type", "")),
            }
            for error in exc.errors()
        ]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(RateLimited)
    async def rate_limited(_request: Request, exc: RateLimited) -> JSONResponse:
        return _too_many(exc)

    @app.exception_handler(WaError)
    async def domain_error(_request: Request, exc: WaError) -> JSONResponse:
        status = (
            422
            if isinstance(exc, ValidationError)
            else 404
            if isinstance(exc, NotFoundError)
            else 503
            if isinstance(exc, StoreUnavailable | CoordinationUnavailable | LockTimeout)
            else 400
        )
        return JSONResponse({"detail": str(exc)}, status_code=status)


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
