"""Errors as JSON, never a traceback: bad input 422, not found 404, storage or Redis down or a
busy conversation 503, too many requests 429, any other expected failure 400."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from execution.coordination import CoordinationUnavailable, LockTimeout
from execution.errors import NotFoundError, ValidationError, WaError
from execution.rate_limits import RateLimited
from execution.storable_text import storable
from execution.store import StoreUnavailable
from web.access import too_many

log = logging.getLogger("wa.serve")


def install_error_handlers(app: FastAPI) -> None:
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
        return too_many(exc)

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
