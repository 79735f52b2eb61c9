"""What a failed Green API call is, typed (bad token, quota, refused, unavailable, in doubt),
and the redaction that keeps the API token (it sits in the URL path) out of every error and
log line, httpx's own included."""

from __future__ import annotations

import logging
import re

import httpx

from execution.errors import WaError

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


class GreenApiInDoubt(GreenApiUnavailable):
    """The request may have reached Green API and nothing could confirm whether it did: the
    message may be with the buyer. Never retry it blindly; resolve it from the journal."""


class Retryable(GreenApiError):
    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        retry_after: float | None,
        in_doubt: bool = False,
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after
        self.in_doubt = in_doubt
        """The request went out and its answer was lost: it may have been carried out."""


def error_kind(exc: GreenApiError) -> str:
    """A metrics label: the HTTP status class, or what went wrong without one."""
    if exc.status is None:
        text = str(exc)
        if "timed out" in text:
            return "timeout"
        return "unreachable" if "unreachable" in text else "bad_answer"
    return "http_5xx" if exc.status >= 500 else f"http_{exc.status}"


def answer_detail(response: httpx.Response) -> str:
    text = response.text.strip()
    return f": {text[:300]}" if text else ""
