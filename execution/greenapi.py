"""Green API over HTTP: send a text, send a file by URL, mark a chat read.

`POST {api_url}/waInstance{idInstance}/{method}/{apiTokenInstance}` with a JSON body. The token
sits in the URL path, so no URL leaves this module unredacted: not in errors, not in logs (a
filter rewrites httpx's own request log lines: `greenapi_errors`). 429, 5xx, timeouts and
connection failures are retried with exponential backoff and jitter (tenacity), honouring
`Retry-After`; other 4xx are not retried and raise a typed error. A 200 means queued by Green
API, not delivered.

A send whose request may have reached Green API (a timeout or a lost connection after the
request went out) is *in doubt*: it is never simply sent again. The caller's `confirm` looks
for it first (the chat's outgoing journal, the send queue); only a send confirmed missing is
tried again, and one that cannot be confirmed either way raises `GreenApiInDoubt`.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential_jitter

from execution import metrics
from execution.greenapi_errors import (
    GreenApiAuthError,
    GreenApiError,
    GreenApiInDoubt,
    GreenApiQuotaError,
    GreenApiUnavailable,
    GreenApiValidationError,
    Retryable,
    answer_detail,
    error_kind,
)

MAX_MESSAGE_CHARS = 20_000
"""Green API's limit for `sendMessage`'s `message`."""

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
ATTEMPT_TIMEOUT_S = 20.0
"""Hard ceiling on one attempt, however slowly a server drips its answer."""

Guard = Callable[[], AbstractAsyncContextManager[None]]
SENDS = frozenset({"sendMessage", "sendFileByUrl"})
"""The methods that put something in front of the buyer: never carried out twice."""
Confirm = Callable[[], Awaitable[dict[str, Any] | None]]
"""Looks for an in-doubt send: Green API's answer for it when it went out, None when it did
not; raises `GreenApiInDoubt` when it cannot tell."""
MAX_RETRY_AFTER_S = 30.0
RATE_LIMIT_BUDGET_S = 60.0
"""How long a request Green API answers 429 is retried (other failures: `attempts` tries)."""


@dataclass(frozen=True)
class Instance:
    """One agent's Green API instance."""

    api_url: str
    instance_id: str
    api_token: str = field(repr=False)

    def url(self, method: str) -> str:
        return f"{self.api_url.rstrip('/')}/waInstance{self.instance_id}/{method}/{self.api_token}"

    def where(self, method: str) -> str:
        """The URL of `method` with the token hidden: for messages and logs."""
        return f"{self.api_url.rstrip('/')}/waInstance{self.instance_id}/{method}/***"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER_S)
    except ValueError:
        return None  # an HTTP date: rare from Green API; fall back to our own backoff


class GreenApiClient:
    """Async Green API client. Share one per process (it pools connections); close it at exit."""

    def __init__(
        self,
        http: httpx.AsyncClient | None = None,
        *,
        attempts: int = 5,
        backoff_initial: float = 0.5,
        backoff_max: float = 8.0,
        rate_limit_budget: float = RATE_LIMIT_BUDGET_S,
    ) -> None:
        self._http = http  # created on first use when not given
        self._owns_http = http is None
        self._attempts = attempts
        self._rate_limit_budget = rate_limit_budget
        self._backoff = wait_exponential_jitter(
            multiplier=backoff_initial, max=backoff_max, jitter=backoff_initial
        )

    async def aclose(self) -> None:
        if self._owns_http and self._http is not None:
            await self._http.aclose()

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
        return self._http

    async def __aenter__(self) -> GreenApiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def send_message(
        self,
        instance: Instance,
        chat_id: str,
        message: str,
        *,
        quoted_message_id: str | None = None,
        guard: Guard | None = None,
        confirm: Confirm | None = None,
        in_doubt: bool = False,
    ) -> str:
        """Send a text; returns Green API's `idMessage`. `guard`, `confirm`, `in_doubt`: see
        `call`."""
        if not message:
            raise GreenApiValidationError("message is empty")
        if len(message) > MAX_MESSAGE_CHARS:
            raise GreenApiValidationError(
                f"message is {len(message)} characters; Green API takes {MAX_MESSAGE_CHARS}"
            )
        body: dict[str, Any] = {"chatId": chat_id, "message": message}
        if quoted_message_id:
            body["quotedMessageId"] = quoted_message_id
        answer = await self.call(
            instance, "sendMessage", body, guard=guard, confirm=confirm, in_doubt=in_doubt
        )
        return _id_message(answer)

    async def send_file_by_url(
        self,
        instance: Instance,
        chat_id: str,
        url_file: str,
        file_name: str,
        *,
        caption: str | None = None,
    ) -> str:
        """Send a file Green API downloads from `url_file`; returns its `idMessage`."""
        body: dict[str, Any] = {"chatId": chat_id, "urlFile": url_file, "fileName": file_name}
        if caption:
            body["caption"] = caption
        return _id_message(await self.call(instance, "sendFileByUrl", body))

    async def read_chat(
        self, instance: Instance, chat_id: str, id_message: str | None = None
    ) -> bool:
        """Mark a chat (or one message of it) as read; True when Green API says it did."""
        body: dict[str, Any] = {"chatId": chat_id}
        if id_message:
            body["idMessage"] = id_message
        return bool((await self.call(instance, "readChat", body)).get("setRead"))

    async def call(
        self,
        instance: Instance,
        method: str,
        body: dict[str, Any],
        *,
        guard: Guard | None = None,
        confirm: Confirm | None = None,
        in_doubt: bool = False,
    ) -> dict[str, Any]:
        """POST `body` to `method`, retrying what is worth retrying; the decoded JSON answer.

        `guard`, when given, is entered around every attempt (and left before any backoff
        sleep): a send's per-conversation lock and mode check live there. An exception it
        raises is not retried.

        `confirm`, when given, is called before any attempt that follows one whose request may
        have reached Green API (and before the first when `in_doubt`: an earlier process's
        attempt may have): its answer is returned instead of sending again. Without it such a
        request is not retried. A last failure that leaves the request in doubt raises
        `GreenApiInDoubt`.
        """
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(Retryable),
            stop=self._stop,
            wait=self._wait,
            reraise=True,
        )
        tries = 0
        doubt = in_doubt
        try:
            async for attempt in retrying:
                tries = attempt.retry_state.attempt_number
                with attempt:
                    if doubt:
                        found = await self._confirm(instance, method, confirm)
                        if found is not None:
                            return found
                        doubt = False  # confirmed not sent: safe to send
                    try:
                        if guard is None:
                            return await self._post_once(instance, method, body)
                        async with guard():
                            return await self._post_once(instance, method, body)
                    except Retryable as exc:
                        doubt = exc.in_doubt and method in SENDS
                        raise
        except Retryable as exc:
            if doubt:  # the last attempt may have gone out: find out before saying it failed
                found = await self._confirm(instance, method, confirm)
                if found is not None:
                    return found
            raise GreenApiUnavailable(
                f"{instance.where(method)} failed {tries} times; last: {exc}",
                status=exc.status,
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _confirm(
        self, instance: Instance, method: str, confirm: Confirm | None
    ) -> dict[str, Any] | None:
        """Green API's answer for an in-doubt request, or None when it is known not sent."""
        if confirm is None:
            raise GreenApiInDoubt(
                f"{instance.where(method)}: the last attempt may have been carried out and "
                "nothing can confirm it; not sent again"
            )
        return await confirm()

    def _stop(self, state: RetryCallState) -> bool:
        """`attempts` tries; while Green API only says 429 (rate limited), as many as fit in
        the rate-limit budget: a minute of 429s must not mute the assistant."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Retryable) and exc.status == 429:
            return (state.seconds_since_start or 0.0) >= self._rate_limit_budget
        return state.attempt_number >= self._attempts

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._backoff(state))

    async def find_sent(
        self, instance: Instance, chat_id: str, text: str, since: float, known: set[str]
    ) -> str | None:
        """The idMessage of a text sent to `chat_id` since `since` (epoch seconds) that is not
        one of `known`: from the send queue (accepted, not yet sent) or the outgoing journal
        (which may lag a sent message by up to two minutes). None: not found (yet)."""
        queue = await self._get(instance, "showMessagesQueue")
        for item in queue:
            body = item.get("body") if isinstance(item, dict) else None
            if isinstance(body, dict) and body.get("chatId") == chat_id:
                found = item.get("messageID") or item.get("idMessage")
                if body.get("message") == text and isinstance(found, str) and found not in known:
                    return found
        minutes = max(1, math.ceil((time.time() - since) / 60) + 1)
        journal = await self._get(instance, "lastOutgoingMessages", {"minutes": minutes})
        for item in journal:
            if not isinstance(item, dict) or item.get("chatId") != chat_id:
                continue
            found, at = item.get("idMessage"), item.get("timestamp")
            recent = isinstance(at, int | float) and at >= since - 60
            ours = isinstance(found, str) and found not in known
            if item.get("textMessage") == text and recent and ours:
                return str(found)
        return None

    async def _get(
        self, instance: Instance, method: str, params: dict[str, Any] | None = None
    ) -> list[Any]:
        """GET a journal or queue method once (the caller polls); the decoded JSON list."""
        answer = await self._post_once(instance, method, params or {}, verb="GET")
        items = answer.get("items")
        return items if isinstance(items, list) else []

    async def _post_once(
        self, instance: Instance, method: str, body: dict[str, Any], verb: str = "POST"
    ) -> dict[str, Any]:
        try:
            return await self._attempt(instance, method, body, verb)
        except GreenApiError as exc:
            metrics.GREENAPI_ERRORS.labels(error_kind(exc)).inc()
            raise

    async def _attempt(
        self, instance: Instance, method: str, body: dict[str, Any], verb: str = "POST"
    ) -> dict[str, Any]:
        where = instance.where(method)
        try:
            async with asyncio.timeout(ATTEMPT_TIMEOUT_S):
                if verb == "GET":
                    response = await self._client().get(instance.url(method), params=body)
                else:
                    response = await self._client().post(instance.url(method), json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise Retryable(  # the request never left: nothing can have been carried out
                f"{where} unreachable ({type(exc).__name__})", status=None, retry_after=None
            ) from None
        except (httpx.TimeoutException, TimeoutError):
            raise Retryable(
                f"{where} timed out", status=None, retry_after=None, in_doubt=True
            ) from None
        except httpx.TransportError as exc:  # the connection broke after the request left
            raise Retryable(
                f"{where} unreachable ({type(exc).__name__})",
                status=None,
                retry_after=None,
                in_doubt=True,
            ) from None
        status = response.status_code
        if status == 200:
            try:
                data = response.json()
            except ValueError:
                raise GreenApiError(f"{where} answered 200 with a body that is not JSON") from None
            if verb == "GET" and isinstance(data, list):
                return {"items": data}  # the journal and queue methods answer a list
            if not isinstance(data, dict):
                raise GreenApiError(f"{where} answered 200 with unexpected JSON", status=status)
            return data
        detail = answer_detail(response)
        if status == 429 or status >= 500:
            raise Retryable(
                f"HTTP {status}{detail}", status=status, retry_after=_retry_after(response)
            )
        if status in (401, 403):
            raise GreenApiAuthError(
                f"{where} refused the credentials (HTTP {status}): check the instance id and "
                f"API token{detail}",
                status=status,
            )
        if status == 466:
            raise GreenApiQuotaError(
                f"{where}: the instance's quota is used up{detail}", status=466
            )
        raise GreenApiValidationError(
            f"{where} refused the request (HTTP {status}){detail}", status=status
        )


def _id_message(data: dict[str, Any]) -> str:
    value = data.get("idMessage")
    if not isinstance(value, str) or not value:
        raise GreenApiError(f"Green API answered without an idMessage: {str(data)[:200]}")
    return value


class ConsoleGreenApi(GreenApiClient):
    """Delivers nowhere: hands each message to `deliver(chat_id, text)` (the console, a demo
    transcript) and answers like Green API. Guards and mode checks run exactly as for a real
    send; only the HTTP request is replaced."""

    def __init__(self, deliver: Callable[[str, str], None]) -> None:
        super().__init__(attempts=1)
        self._deliver = deliver

    async def _post_once(
        self, instance: Instance, method: str, body: dict[str, Any], verb: str = "POST"
    ) -> dict[str, Any]:
        if verb == "GET":  # the journal: a console send never leaves a doubt to resolve
            return {"items": []}
        if method == "readChat":
            return {"setRead": True}
        self._deliver(str(body.get("chatId")), str(body.get("message") or body.get("urlFile")))
        return {"idMessage": f"CONSOLE-{uuid.uuid4().hex[:20].upper()}"}
