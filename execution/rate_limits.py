"""Rate limits: how many requests one address, or one agent, may make of the webhook and of
the operator API, answered 429 with `Retry-After` past them.

Counted with the `limits` library's sliding-window counters (two counters per key, atomic Lua
in Redis): in Redis when the coordination is distributed, so every server process counts the
same requests, and in memory otherwise. Keys carry the scope and the tenant (`webhook:agent`,
the agent's id), so one tenant's traffic never spends another's allowance. A limit store that
is down never refuses a request: the request goes ahead (the database's own guarantees do not
rest on the limits), the failure is counted and logged at most once a minute.

    limits = RateLimits.from_settings(settings, coordinator)
    refused = await limits.refused("webhook_address", "203.0.113.9")
    if refused: ...  # 429, Retry-After: refused.retry_after
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError

from execution import metrics
from execution.coordination import Coordinator, RedisCoordinator
from execution.errors import WaError

if TYPE_CHECKING:  # settings read their limits with parse_limit: no import back at run time
    from execution.settings import Settings

log = logging.getLogger("wa.rate_limits")

Scope = Literal["webhook_address", "webhook_agent", "api_address", "api_agent"]
OFF = "off"
"""A limit setting that turns the limit off."""
REDIS_TIMEOUT_S = 0.25
"""How long a limit lookup may wait for Redis before the request goes ahead unlimited."""
_WARN_EVERY_S = 60.0


def parse_limit(text: str) -> RateLimitItem | None:
    """ "600/minute", "20 per second", "off" (None). ValueError with the accepted forms."""
    if text.strip().lower() == OFF:
        return None
    try:
        return parse(text)
    except ValueError:
        raise ValueError(
            f"not a rate limit: {text!r} (write e.g. '600/minute', '20/second' or 'off')"
        ) from None


@dataclass(frozen=True)
class Refused:
    scope: Scope
    retry_after: int
    """Whole seconds until the window lets a request through again (at least 1)."""


class RateLimited(WaError):
    """A request past a rate limit: answered 429 with `Retry-After`."""

    def __init__(self, refused: Refused) -> None:
        super().__init__(f"too many requests ({refused.scope.replace('_', ' per ')}), retry later")
        self.refused = refused


class RateLimits:
    def __init__(self, items: dict[Scope, RateLimitItem | None], storage: Storage) -> None:
        self.items = items
        self.storage = storage
        self.limiter = SlidingWindowCounterRateLimiter(storage)
        self._warned_at = -math.inf

    async def aclose(self) -> None:
        """Close the Redis connections the counters use (in memory there are none), in the
        event loop that used them; a Redis already gone is no error at shutdown."""
        client = getattr(getattr(self.storage, "bridge", None), "storage", None)
        if client is None:
            return
        try:
            await client.aclose()
        except Exception as exc:
            log.warning("rate limits: Redis connections not closed cleanly: %r", exc)

    @classmethod
    def from_settings(cls, settings: Settings, coordinator: Coordinator) -> RateLimits:
        """The limits the settings set, counted where `coordinator` coordinates: in its Redis
        (under its namespace), else in this process's memory."""
        items: dict[Scope, RateLimitItem | None] = {
            "webhook_address": parse_limit(settings.rate_limit_webhook_per_address),
            "webhook_agent": parse_limit(settings.rate_limit_webhook_per_agent),
            "api_address": parse_limit(settings.rate_limit_api_per_address),
            "api_agent": parse_limit(settings.rate_limit_api_per_agent),
        }
        storage: Storage
        if isinstance(coordinator, RedisCoordinator):
            storage = RedisStorage(
                "async+" + coordinator.url,
                wrap_exceptions=True,
                implementation="redispy",
                key_prefix=f"wa:limits:{coordinator.namespace}",
                client_name=f"wa:limits:{coordinator.namespace}",  # told apart in CLIENT LIST
                socket_timeout=REDIS_TIMEOUT_S,
                socket_connect_timeout=REDIS_TIMEOUT_S,
            )
        else:
            storage = MemoryStorage(wrap_exceptions=True)
        return cls(items, storage)

    async def refused(self, scope: Scope, key: str) -> Refused | None:
        """Count one request of `key` (an address, an agent's id) in `scope`: None when it may
        go ahead, else how long to wait."""
        item = self.items.get(scope)
        if item is None:
            return None
        try:
            if await self.limiter.hit(item, scope, key):
                return None
            stats = await self.limiter.get_window_stats(item, scope, key)
        except Exception as exc:  # the store down, or anything else: the limits never decide
            # correctness, so the request goes ahead (never a 500 for a limit)
            metrics.RATE_LIMIT_DOWN.inc()
            now = time.monotonic()
            if now - self._warned_at >= _WARN_EVERY_S:
                self._warned_at = now
                cause = exc.storage_error if isinstance(exc, StorageError) else exc
                log.warning("rate limits unavailable, not applied: %r", cause)
            return None
        metrics.RATE_LIMITED.labels(scope).inc()
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        return Refused(scope, wait)
