"""Green API over HTTP: send a text, send a file by URL, mark a chat read.

`POST {api_url}/waInstance{idInstance}/{method}/{apiTokenInstance}` with a JSON body. The token
sits in the URL path, so no URL leaves this module unredacted: not in errors, not in logs (a
filter rewrites httpx's own request log lines). 429, 5xx, timeouts and connection failures are
retried with exponential backoff and jitter (tenacity), honouring `Retry-After`; other 4xx are
not retried and raise a typed error. A 200 means queued by Green API, not delivered.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    wait_exponential_jitter,
)

from execution import metrics
from execution.errors import WaError

MAX_MESSAGE_CHARS = 20_000
"""Green API's limit for `sendMessage`'s `message`."""

DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
ATTEMPT_TIMEOUT_S = 20.0
"""Hard ceiling on one attempt, however slowly a server drips its answer."""

Guard = Callable[[], AbstractAsyncContextManager[None]]
MAX_RETRY_AFTER_S = 30.0
RATE_LIMIT_BUDGET_S = 120.0
"""How long a request Green API answers 429 is retried (other failures: `attempts` tries)."""

_TOKEN_IN_PATH = re.compile(r"(/waInstance[^/\s]+/[A-Za-z]+/)[^/\s?\"']+")


def redact(text: str) -> str:
    """`text` with every Green API token that sits in a URL path replaced by `***`."""
    return _TOKEN_IN_PATH.sub(r"\1***", text)


class _RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_RedactTokens())


class GreenApiError(WaError):
    """A Green API call failed. The message never contains the API token."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(redact(message))
        self.status = status


class GreenApiAuthError(GreenApiError):
    """401/403: the instance id or API token is wrong, or the instance is not authorized."""


class GreenApiQuotaError(GreenApiError):
    """466: the instance's tariff quota is used up."""


class GreenApiValidationError(GreenApiError):
    """400 (or another 4xx): Green API refused the request as written."""


class GreenApiUnavailable(GreenApiError):
    """429, 5xx, timeouts or connection failures, still failing after every retry."""


class _Retryable(GreenApiError):
    def __init__(self, message: str, *, status: int | None, retry_after: float | None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


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
    ) -> str:
        """Send a text; returns Green API's `idMessage`. `guard`: see `call`."""
        if not message:
            raise GreenApiValidationError("message is empty")
        if len(message) > MAX_MESSAGE_CHARS:
            raise GreenApiValidationError(
                f"message is {len(message)} characters; Green API takes {MAX_MESSAGE_CHARS}"
            )
        body: dict[str, Any] = {"chatId": chat_id, "message": message}
        if quoted_message_id:
            body["quotedMessageId"] = quoted_message_id
        return _id_message(await self.call(instance, "sendMessage", body, guard=guard))

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
    ) -> dict[str, Any]:
        """POST `body` to `method`, retrying what is worth retrying; the decoded JSON answer.

        `guard`, when given, is entered around every attempt (and left before any backoff
        sleep): a send's per-conversation lock and mode check live there. An exception it
        raises is not retried.
        """
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(_Retryable),
            stop=self._stop,
            wait=self._wait,
            reraise=True,
        )
        tries = 0
        try:
            async for attempt in retrying:
                tries = attempt.retry_state.attempt_number
                with attempt:
                    if guard is None:
                        return await self._post_once(instance, method, body)
                    async with guard():
                        return await self._post_once(instance, method, body)
        except _Retryable as exc:
            raise GreenApiUnavailable(
                f"{instance.where(method)} failed {tries} times; last: {exc}",
                status=exc.status,
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _stop(self, state: RetryCallState) -> bool:
        """`attempts` tries; while Green API only says 429 (rate limited), as many as fit in
        the rate-limit budget: a minute of 429s must not mute the assistant."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.status == 429:
            return (state.seconds_since_start or 0.0) >= self._rate_limit_budget
        return state.attempt_number >= self._attempts

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._backoff(state))

    async def _post_once(
        self, instance: Instance, method: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            return await self._attempt(instance, method, body)
        except GreenApiError as exc:
            metrics.GREENAPI_ERRORS.labels(_error_kind(exc)).inc()
            raise

    async def _attempt(
        self, instance: Instance, method: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        where = instance.where(method)
        try:
            async with asyncio.timeout(ATTEMPT_TIMEOUT_S):
                response = await self._client().post(instance.url(method), json=body)
        except (httpx.TimeoutException, TimeoutError):
            raise _Retryable(f"{where} timed out", status=None, retry_after=None) from None
        except httpx.TransportError as exc:
            raise _Retryable(
                f"{where} unreachable ({type(exc).__name__})", status=None, retry_after=None
            ) from None
        status = response.status_code
        if status == 200:
            try:
                data = response.json()
            except ValueError:
                raise GreenApiError(f"{where} answered 200 with a body that is not JSON") from None
            if not isinstance(data, dict):
                raise GreenApiError(f"{where} answered 200 with unexpected JSON", status=status)
            return data
        detail = _detail(response)
        if status == 429 or status >= 500:
            raise _Retryable(
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


def _error_kind(exc: GreenApiError) -> str:
    """A metrics label: the HTTP status class, or what went wrong without one."""
    if exc.status is None:
        text = str(exc)
        return "timeout" if "timed out" in text else "unreachable" if "unreachable" in text else (
            "bad_answer")  # fmt: skip
    return "http_5xx" if exc.status >= 500 else f"http_{exc.status}"


def _detail(response: httpx.Response) -> str:
    text = response.text.strip()
    return f": {text[:300]}" if text else ""


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
        self, instance: Instance, method: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        if method == "readChat":
            return {"setRead": True}
        self._deliver(str(body.get("chatId")), str(body.get("message") or body.get("urlFile")))
        return {"idMessage": f"CONSOLE-{uuid.uuid4().hex[:20].upper()}"}
