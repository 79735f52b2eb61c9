"""The pauses of a wait that polls: short at first (a lock is usually free again within
milliseconds), doubling up to a ceiling (a long wait costs few polls).

    for pause in pauses():
        if done():
            break
        time.sleep(pause)
"""

from __future__ import annotations

from collections.abc import Iterator

FIRST_PAUSE_S = 0.002
LONGEST_PAUSE_S = 0.05


def pauses(first: float = FIRST_PAUSE_S, longest: float = LONGEST_PAUSE_S) -> Iterator[float]:
    """first, 2*first, 4*first, ... up to `longest`, then `longest` for ever."""
    pause = first
    while True:
        yield pause
        pause = min(pause * 2, longest)
