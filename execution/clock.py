"""The time the queue, leases and follow-ups run on: the wall clock, or a simulated one.

Everything that decides *when* (a turn's debounce, a lease, a follow-up's due time, an
abandoned send) reads `utcnow()`. A replay swaps in a `SimulatedClock` so a 72-hour ladder
replays in milliseconds; the process-wide swap is why only one replay runs per process.

    with simulated(start) as clock:
        clock.advance(timedelta(hours=72))
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta


class SimulatedClock:
    """Time that moves only when told to (thread-safe)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a simulated clock needs an aware start time")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, by: timedelta) -> datetime:
        if by < timedelta(0):
            raise ValueError(f"time only moves forward, not by {by}")
        with self._lock:
            self._now += by
            return self._now

    def advance_to(self, when: datetime) -> datetime:
        with self._lock:
            self._now = max(self._now, when)
            return self._now


_simulated: SimulatedClock | None = None


def utcnow() -> datetime:
    clock = _simulated
    return clock.now() if clock is not None else datetime.now(UTC)


@contextmanager
def simulated(start: datetime | None = None) -> Iterator[SimulatedClock]:
    """Run the block on simulated time (starting now, or at `start`)."""
    global _simulated
    if _simulated is not None:
        raise RuntimeError("a simulated clock is already running in this process")
    clock = SimulatedClock(start or datetime.now(UTC))
    _simulated = clock
    try:
        yield clock
    finally:
        _simulated = None
