"""Who is calling and how often: the operator API's bearer tokens (one agent's, or the admin's,
compared in constant time) and the per-address and per-agent request allowances."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from execution.agents import operator_token_agent
from execution.rate_limits import RateLimited
from execution.rate_limits import Scope as LimitScope
from execution.settings import Settings
from web.state import state_of

# --- the operator API -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Who is calling: one agent's operator (agent_id), or the admin (agent_id None)."""

    agent_id: int | None

    @property
    def actor(self) -> str:
        return "admin" if self.agent_id is None else f"operator:agent{self.agent_id}"


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


def _is_admin(token: str, settings: Settings) -> bool:
    admin = settings.admin_token
    return admin is not None and hmac.compare_digest(
        token.encode(), admin.get_secret_value().encode()
    )


def require_admin(request: Request, settings: Settings) -> None:
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
    await within_limit(request.app, "api_agent", key)
    return scope


async def address_limit(request: Request) -> None:
    """Every operator API request counts against its address first, a bad token included."""
    await within_limit(request.app, "api_address", client_address(request))


async def within_limit(app: FastAPI, scope: LimitScope, key: str) -> None:
    refused = await state_of(app).limits.refused(scope, key)
    if refused is not None:
        raise RateLimited(refused)


def client_address(request: Request) -> str:
    """The client's address as uvicorn gives it (X-Forwarded-For only from the proxies in
    FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else "unknown"


def too_many(exc: RateLimited) -> JSONResponse:
    return JSONResponse(
        {"detail": str(exc)},
        status_code=429,
        headers={"Retry-After": str(exc.refused.retry_after)},
    )
