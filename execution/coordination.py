"""Coordination: locks with expiry and renewal, and one-shot atomic claims with a TTL.

Two implementations of the same three primitives: `InProcessCoordinator` (one process, the
embedded default) and `RedisCoordinator` (`SET NX PX` plus token-checked renew/release scripts,
for any number of processes). Correctness never rests on these alone: database unique
constraints are the durable backstop for dedup and idempotency.

    lock = coordinator.acquire("conversation:42", ttl=30, timeout=5)
    with lock:
        ...
        lock.renew()          # extend before the TTL runs out on long work
    if coordinator.claim("webhook:1101:incomingMessageReceived:ABC", ttl=300):
        ...                   # first (and only) claimer within the TTL
    claim = coordinator.begin_claim("webhook:...", ttl=30)   # two-phase: work that can fail
    if claim.state == "claimed":
        ...                   # do it, then finish_claim(claim, remember=86400) or abandon_claim
"""

from __future__ import annotations

import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from execution.backoff import pauses
from execution.errors import WaError

LOCK_PREFIX = "wa:lock:"
CLAIM_PREFIX = "wa:claim:"
_DONE = "done"
_IN_PROGRESS = "wip:"


class CoordinationUnavailable(WaError):
    """Redis cannot be reached."""


class LockTimeout(WaError):
    """The lock stayed held by someone else for the whole wait."""


class Lock:
    """A held lock. Only the holder's token can renew or release it; expiry frees it for others."""

    def __init__(self, coordinator: Coordinator, name: str, token: str, ttl: float) -> None:
        self.coordinator = coordinator
        self.name = name
        self.token = token
        self.ttl = ttl

    def renew(self, ttl: float | None = None) -> bool:
        """Extend the lock to `ttl` seconds from now. False: it expired, maybe taken over."""
        return self.coordinator._renew(LOCK_PREFIX + self.name, self.token, ttl or self.ttl)

    def release(self) -> bool:
        """Free the lock. False: it had already expired (and may be someone else's now)."""
        return self.coordinator._release(LOCK_PREFIX + self.name, self.token)

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@dataclass(frozen=True)
class Claim:
    """The answer of `begin_claim`: `claimed` (yours: finish or abandon it), `in_progress`
    (someone else is on it now) or `done` (it was finished within the remembered window)."""

    state: Literal["claimed", "in_progress", "done"]
    key: str
    token: str = ""


class Coordinator(ABC):
    backend: str

    def try_acquire(self, name: str, ttl: float) -> Lock | None:
        """Take the lock `name` for `ttl` seconds if nobody holds it; None otherwise."""
        _check_ttl(ttl)
        token = secrets.token_hex(16)
        if self._set_if_absent(LOCK_PREFIX + name, token, ttl):
            return Lock(self, name, token, ttl)
        return None

    def acquire(self, name: str, ttl: float, timeout: float) -> Lock:
        """Take the lock, waiting up to `timeout` seconds for the holder to release or expire."""
        deadline = time.monotonic() + timeout
        wait = pauses()
        while (lock := self.try_acquire(name, ttl)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LockTimeout(f"lock {name!r} is still held after {timeout:g}s")
            time.sleep(min(next(wait), remaining))
        return lock

    def is_held(self, name: str) -> bool:
        """Whether someone holds the lock `name` now (a hint: it may change the next moment)."""
        return self._exists(LOCK_PREFIX + name)

    def claim(self, key: str, ttl: float) -> bool:
        """True for exactly one caller per `key` until `ttl` seconds have passed (dedup)."""
        _check_ttl(ttl)
        return self._set_if_absent(CLAIM_PREFIX + key, _DONE, ttl)

    def begin_claim(self, key: str, ttl: float) -> Claim:
        """Claim `key` for work that may fail. A claim nobody finishes or abandons frees itself
        after `ttl` seconds, so a crashed claimer never blocks the work for good."""
        _check_ttl(ttl)
        token = _IN_PROGRESS + secrets.token_hex(8)
        for _ in range(3):  # the key may expire between the two calls: look again
            if self._set_if_absent(CLAIM_PREFIX + key, token, ttl):
                return Claim("claimed", key, token)
            value = self._get(CLAIM_PREFIX + key)
            if value is not None:
                return Claim("in_progress" if value.startswith(_IN_PROGRESS) else "done", key)
        return Claim("in_progress", key)

    def begin_claims(self, keys: list[str], ttl: float) -> list[Claim]:
        """`begin_claim` for several keys at once (Redis: two pipelined round trips)."""
        return [self.begin_claim(key, ttl) for key in keys]

    def finish_claims(self, claims: list[Claim], remember: float) -> None:
        for claim in claims:
            self.finish_claim(claim, remember)

    def finish_claim(self, claim: Claim, remember: float) -> None:
        """The claimed work is done: answer `done` to this key for `remember` seconds."""
        _check_ttl(remember)
        self._set(CLAIM_PREFIX + claim.key, _DONE, remember)

    def abandon_claim(self, claim: Claim) -> None:
        """The claimed work failed: free the key at once for the next try."""
        self._release(CLAIM_PREFIX + claim.key, claim.token)

    def claim_state(self, key: str) -> Literal["in_progress", "done"] | None:
        value = self._get(CLAIM_PREFIX + key)
        if value is None:
            return None
        return "in_progress" if value.startswith(_IN_PROGRESS) else "done"

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release client resources."""

    # the primitives each backend implements atomically
    @abstractmethod
    def _set_if_absent(self, key: str, value: str, ttl: float) -> bool: ...

    @abstractmethod
    def _exists(self, key: str) -> bool: ...

    @abstractmethod
    def _get(self, key: str) -> str | None: ...

    @abstractmethod
    def _set(self, key: str, value: str, ttl: float) -> None: ...

    @abstractmethod
    def _renew(self, key: str, token: str, ttl: float) -> bool: ...

    @abstractmethod
    def _release(self, key: str, token: str) -> bool: ...


def _check_ttl(ttl: float) -> None:
    if not ttl > 0:
        raise ValueError(f"ttl must be positive seconds, got {ttl!r}")


class InProcessCoordinator(Coordinator):
    """Threads of one process. A dict of key -> (value, expiry) behind one mutex.

    Memory is bounded: past `max_entries`, the oldest finished claims are forgotten first (a
    duplicate of one is still caught by the database's unique key); locks and claims in
    progress are never dropped. Expired entries are swept in amortized O(1).
    """

    backend = "in-process"

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_entries: int = 200_000
    ) -> None:
        self._clock = clock
        self._entries: dict[str, tuple[str, float]] = {}
        self._mutex = threading.Lock()
        self._max_entries = max_entries
        self._next_sweep = 1_000

    def _live(self, key: str, now: float) -> tuple[str, float] | None:
        entry = self._entries.get(key)
        if entry is not None and entry[1] <= now:
            del self._entries[key]
            return None
        return entry

    def _set_if_absent(self, key: str, value: str, ttl: float) -> bool:
        with self._mutex:
            now = self._clock()
            if self._live(key, now) is not None:
                return False
            self._entries[key] = (value, now + ttl)
            if len(self._entries) > self._next_sweep:
                self._sweep(now)
            return True

    def _exists(self, key: str) -> bool:
        with self._mutex:
            return self._live(key, self._clock()) is not None

    def _get(self, key: str) -> str | None:
        with self._mutex:
            entry = self._live(key, self._clock())
            return None if entry is None else entry[0]

    def _set(self, key: str, value: str, ttl: float) -> None:
        with self._mutex:
            self._entries[key] = (value, self._clock() + ttl)

    def _renew(self, key: str, token: str, ttl: float) -> bool:
        with self._mutex:
            now = self._clock()
            entry = self._live(key, now)
            if entry is None or entry[0] != token:
                return False
            self._entries[key] = (token, now + ttl)
            return True

    def _release(self, key: str, token: str) -> bool:
        with self._mutex:
            entry = self._live(key, self._clock())
            if entry is None or entry[0] != token:
                return False
            del self._entries[key]
            return True

    def _sweep(self, now: float) -> None:
        for key in [k for k, (_, expiry) in self._entries.items() if expiry <= now]:
            del self._entries[key]
        excess = len(self._entries) - self._max_entries * 3 // 4
        if excess > 0:  # insertion order: the oldest finished claims come first
            finished = (
                k
                for k, (value, _) in self._entries.items()
                if k.startswith(CLAIM_PREFIX) and value == _DONE
            )
            for key in [k for _, k in zip(range(excess), finished, strict=False)]:
                del self._entries[key]
        # the next sweep once the dict has grown by half again: each entry is visited O(1) times
        self._next_sweep = max(1_000, len(self._entries) * 3 // 2)


_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisCoordinator(Coordinator):
    """Any number of processes and machines sharing one Redis."""

    backend = "redis"

    def __init__(self, url: str, *, namespace: str = "") -> None:
        """`namespace` prefixes every key: several independent users of one Redis (replays)."""
        import redis

        self.namespace = namespace
        self.url = url

        self._redis_errors: tuple[type[Exception], ...] = (redis.RedisError,)
        self.client = redis.Redis.from_url(
            url, socket_timeout=5, socket_connect_timeout=5, decode_responses=True
        )
        self._renew_script = self.client.register_script(_RENEW)
        self._release_script = self.client.register_script(_RELEASE)

    def _call(self, what: str, fn: Callable[[], object]) -> object:
        try:
            return fn()
        except self._redis_errors as exc:
            raise CoordinationUnavailable(f"Redis unavailable during {what}: {exc}") from exc

    def _set_if_absent(self, key: str, value: str, ttl: float) -> bool:
        ms = max(1, int(ttl * 1000))
        return bool(
            self._call("set", lambda: self.client.set(self.namespace + key, value, nx=True, px=ms))
        )

    def _exists(self, key: str) -> bool:
        return bool(self._call("exists", lambda: self.client.exists(self.namespace + key)))

    def _get(self, key: str) -> str | None:
        value = self._call("get", lambda: self.client.get(self.namespace + key))
        return None if value is None else str(value)

    def _set(self, key: str, value: str, ttl: float) -> None:
        ms = max(1, int(ttl * 1000))
        self._call("set", lambda: self.client.set(self.namespace + key, value, px=ms))

    def _renew(self, key: str, token: str, ttl: float) -> bool:
        ms = max(1, int(ttl * 1000))
        result = self._call(
            "renew", lambda: self._renew_script(keys=[self.namespace + key], args=[token, ms])
        )
        return bool(result)

    def _release(self, key: str, token: str) -> bool:
        return bool(
            self._call(
                "release", lambda: self._release_script(keys=[self.namespace + key], args=[token])
            )
        )

    def begin_claims(self, keys: list[str], ttl: float) -> list[Claim]:
        _check_ttl(ttl)
        ms = max(1, int(ttl * 1000))
        tokens = [_IN_PROGRESS + secrets.token_hex(8) for _ in keys]

        def claim_all() -> list[object]:
            pipe = self.client.pipeline(transaction=False)
            for key, token in zip(keys, tokens, strict=True):
                pipe.set(self.namespace + CLAIM_PREFIX + key, token, nx=True, px=ms)
            for key in keys:
                pipe.get(self.namespace + CLAIM_PREFIX + key)
            return list(pipe.execute())

        answers = self._call("claims", claim_all)
        assert isinstance(answers, list)
        claims = []
        for key, token, won, value in zip(
            keys, tokens, answers[: len(keys)], answers[len(keys) :], strict=True
        ):
            if won:
                claims.append(Claim("claimed", key, token))
            elif value is None:  # expired between the two commands: one more try, alone
                claims.append(self.begin_claim(key, ttl))
            else:
                state = "in_progress" if str(value).startswith(_IN_PROGRESS) else "done"
                claims.append(Claim(state, key))  # type: ignore[arg-type]
        return claims

    def finish_claims(self, claims: list[Claim], remember: float) -> None:
        _check_ttl(remember)
        ms = max(1, int(remember * 1000))

        def finish_all() -> list[object]:
            pipe = self.client.pipeline(transaction=False)
            for claim in claims:
                pipe.set(self.namespace + CLAIM_PREFIX + claim.key, _DONE, px=ms)
            return list(pipe.execute())

        if claims:
            self._call("claims", finish_all)

    def ping(self) -> bool:
        return bool(self._call("ping", self.client.ping))

    def close(self) -> None:
        self.client.close()


def open_coordinator(redis_url: str) -> Coordinator:
    """Redis when a URL is given, else the in-process implementation."""
    return RedisCoordinator(redis_url) if redis_url else InProcessCoordinator()
