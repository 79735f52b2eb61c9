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

_C = sre_constants
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


def required_words(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Lower-cased strings one of which every match of `pattern` contains; None: unknown."""
    return _required_words(pattern.pattern, pattern.flags)  # keyed by the source: hashing a
    # compiled pattern hashes its whole program, which costs more than most searches


@lru_cache(maxsize=4096)
def _required_words(source: str, flags: int) -> frozenset[str] | None:
    try:
        parsed = sre_parse.parse(source, flags)
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
    return source_may_match(pattern.pattern, pattern.flags, lowered)


def source_may_match(source: str, flags: int, lowered: str) -> bool:
    """`may_match` of the pattern compiled from `source` and `flags` (cheap to use as a cache
    key, unlike the compiled pattern)."""
    words = _required_words(source, flags)
    return words is None or any(word in lowered for word in words)


# --- a look at the first character -----------------------------------------------------------

_CATEGORIES = {
    _C.CATEGORY_DIGIT: r"\d",
    _C.CATEGORY_NOT_DIGIT: r"\D",
    _C.CATEGORY_SPACE: r"\s",
    _C.CATEGORY_NOT_SPACE: r"\S",
    _C.CATEGORY_WORD: r"\w",
    _C.CATEGORY_NOT_WORD: r"\W",
}
_ZERO_WIDTH = (_C.AT, _C.ASSERT, _C.ASSERT_NOT)
_GLOBAL_FLAGS = re.compile(r"^(?:\(\?[aiLmsux]+\))+")


def _in_class(code: int) -> str:
    char = chr(code)
    return "\\" + char if char in "\\]^-[" else char


def _class_items(op: Any, argument: Any) -> list[str] | None:
    """A consuming element's characters as items of a class ("a", "0-9", "\\d"); None: any."""
    if op is _LITERAL:
        return [_in_class(argument)]
    if op is not _C.IN:
        return None
    items = []
    for item, value in argument:
        if item is _LITERAL:
            items.append(_in_class(value))
        elif item is _C.RANGE:
            items.append(f"{_in_class(value[0])}-{_in_class(value[1])}")
        elif item is _C.CATEGORY and value in _CATEGORIES:
            items.append(_CATEGORIES[value])
        else:  # a negated class and the rarer kinds: not worth telling
            return None
    return items


def _first_chars(sequence: Any) -> tuple[list[str] | None, bool]:
    """The class items a match of `sequence` can begin with, and whether it can be empty."""
    items: list[str] = []
    for op, argument in sequence:
        if op is _C.ASSERT and argument[0] == 1:  # (?=...): the match begins as it does
            ahead, empty = _first_chars(argument[1])
            if ahead is not None and not empty:
                return ahead, False
        if op in _ZERO_WIDTH:  # \b, ^, look-arounds: the character after them still counts
            continue
        if op is _SUBPATTERN:
            if (argument[1] | argument[2]) & re.IGNORECASE:
                return None, False  # (?i:...) inside: the look would have to say it too
            found, empty = _first_chars(argument[3])
        elif op is _BRANCH:
            found, empty = [], False
            for alternative in argument[1]:
                more, can_be_empty = _first_chars(alternative)
                if more is None:
                    return None, False
                found += more
                empty = empty or can_be_empty
        elif op in (*_REPEATS, _C.POSSESSIVE_REPEAT):
            found, empty = _first_chars(argument[2])
            empty = empty or argument[0] == 0
        elif op is _C.ATOMIC_GROUP:
            found, empty = _first_chars(argument)
        else:
            found, empty = _class_items(op, argument), False
        if found is None:
            return None, False
        items += found
        if not empty:
            return items, False
    return items, True


def quick(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """`pattern` led by a look at the characters a match can begin with: the same matches.

    `re` skips quickly to where a match may begin only when the pattern starts with a plain
    character or class; one that starts with `\\b`, a look-behind, or letters under
    IGNORECASE is tried in full at every position of the text. In front of it,
    `(?=[$\\d])` lets most positions fail at once (1.5-3 times faster over a reply).
    Returned unchanged when those characters cannot be told (a match may be empty, or begin
    with almost anything).
    """
    items, empty = _first_chars(sre_parse.parse(pattern.pattern, pattern.flags))
    if items is None or empty or not items or r"\W" in items or r"\S" in items:
        return pattern
    body = _GLOBAL_FLAGS.sub("", pattern.pattern, count=1)
    look = "".join(dict.fromkeys(items))
    return re.compile(f"(?=[{look}])(?:{body})", pattern.flags)


def compile_quick(source: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile`, then `quick`: for patterns run over whole texts many times a turn."""
    return quick(re.compile(source, flags))
