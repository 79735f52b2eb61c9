"""A cheap look before a costly pattern: the words one of which any match must contain.

Python's `re` tries every alternative of `\\b(?:speak|talk|chat)...` at every position of the
text, so a few hundred such rules over a long message cost seconds. But a match of that pattern
must contain "speak", "talk" or "chat": when the (lower-cased) text contains none of them, the
pattern cannot match and need not run. `required_words` reads those words off the parsed
pattern (the same parser `re` uses); where it cannot tell, it says so and the pattern runs.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from typing import Any

# the parser `re` itself uses (private, but stable since Python 3.11, which the project needs)
sre_parse: Any = importlib.import_module("re._parser")
sre_constants: Any = importlib.import_module("re._constants")

_LITERAL = sre_constants.LITERAL
_BRANCH = sre_constants.BRANCH
_SUBPATTERN = sre_constants.SUBPATTERN
_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT)


def _best(candidates: list[frozenset[str]]) -> frozenset[str] | None:
    """The most selective of several required sets: the one whose shortest word is longest."""
    usable = [c for c in candidates if c and all(c)]
    return max(usable, key=lambda c: (min(map(len, c)), -len(c)), default=None)


def _required(sequence: Any) -> frozenset[str] | None:
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            candidates.append(frozenset(["".join(run).lower()]))
            run.clear()

    for op, argument in sequence:
        if op is _LITERAL:
            run.append(chr(argument))
            continue
        flush()
        if op is _BRANCH:
            alternatives = [_required(alternative) for alternative in argument[1]]
            if all(a is not None for a in alternatives):
                candidates.append(frozenset().union(*alternatives))  # type: ignore[arg-type]
        elif op is _SUBPATTERN:
            inner = _required(argument[-1])
            if inner is not None:
                candidates.append(inner)
        elif op in _REPEATS and argument[0] >= 1:
            inner = _required(argument[2])
            if inner is not None:
                candidates.append(inner)
    flush()
    return _best(candidates)


@lru_cache(maxsize=4096)
def required_words(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Lower-cased strings one of which every match of `pattern` contains; None: unknown."""
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except (re.error, RecursionError, TypeError):  # pragma: no cover - compiled already
        return None
    return _required(parsed)


_FOLDS = str.maketrans({"\u0131": "i", "\u0130": "i", "\u017f": "s", "\u212a": "k", "\u0307": None})
"""Letters IGNORECASE matches as ASCII that str.lower() leaves apart (dotless i, long s, the
Kelvin sign): "di\\u017fcount" matches "discount" in `re`, so the look must see it too."""


def lower_for_gate(text: str) -> str:
    """`text` lower-cased the way the gate compares it."""
    lowered = text.lower()
    return lowered if lowered.isascii() else lowered.translate(_FOLDS)


def may_match(pattern: re.Pattern[str], lowered: str) -> bool:
    """False only when `pattern` certainly cannot match the text, given `lower_for_gate` of
    it."""
    words = required_words(pattern)
    return words is None or any(word in lowered for word in words)
