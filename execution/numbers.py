"""Numbers written in words, turned into digits, so that a checker reads one form.

"one point two million" -> "1200000", "six hundred and fifty thousand" -> "650000",
"a three-bedroom" -> "a 3 bedroom", "half a million" -> "500000". The words themselves are
read by text2num (`alpha2digit`), a maintained parser (Rust core) that reads compounds and
decimals ("one point two five") correctly; this module only adds what it leaves apart: a
scale word after a decimal ("1.2 million"), fractions of a scale ("half a million", "one and a
half million") and hyphens between a number and its unit ("3-bedder", "four-room").
"""

from __future__ import annotations

import re
from functools import lru_cache

from text_to_num import alpha2digit  # type: ignore[import-untyped]

from execution.regex_gate import compile_quick

_HYPHEN = compile_quick(r"(?<=[A-Za-z0-9])-(?=[A-Za-z])|(?<=[A-Za-z])(?<!\d[kKmM])-(?=[0-9])")
"""Hyphens between words, or a word and a number ("3-bedder", "One-North"), not in a range of
prices ("550k-700k")."""
_ONES = compile_quick(r"(?i)\bones\b")
_KEPT = "\ue000"  # stands for "ones" while the parser reads (it would read "the 1")
_DIGIT_WORDS = "one two three four five six seven eight nine".split()
_SCALE_AND_A_DIGIT = compile_quick(
    rf"(?i)\b(an?|{'|'.join(_DIGIT_WORDS)}|\d)\s+(million)\s+({'|'.join(_DIGIT_WORDS)})\b"
    r"(?!\s+(?:hundred|thousand|point|and)\b|[-\s]+(?:ty|teen))"
)
_A_MIL = compile_quick(r"(?i)\b(half|quarter)\s+(?:of\s+)?an?\s+mil\b")
_SPOKEN_THOUSANDS = compile_quick(r"(?<![\d.,])\b(\d)\s+(\d{2}|\d\s+\d)\s?k\b")
"""Prices said digit by digit: "seven twenty k" (7 20 k), "six nine eight k" (6 9 8 k)."""
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_SCALE_DIGITS = "|".join(str(v) for v in sorted(_SCALES.values(), reverse=True))
_FRACTION = {"half": 0.5, "quarter": 0.25, "three quarters": 0.75}
_FRACTION_OF = compile_quick(
    rf"(?i)\b(?:(?:a|one)\s+)?(half|quarter|three\s+quarters)\s+(?:of\s+)?(?:a\s+)?({_SCALE_DIGITS})\b"
)
_AND_A_FRACTION = compile_quick(
    rf"(?i)(?<![\d.])\b(\d{{1,12}})\s+and\s+a\s+(half|quarter)\s+({_SCALE_DIGITS})\b"
)
_TIMES_SCALE = compile_quick(
    rf"(?<![\d.])\b(\d{{1,12}}(?:\.\d{{1,6}})?)\s+({_SCALE_DIGITS})\b(?![.,]\d)"
)
_SCALE_WORD = compile_quick(r"(?i)thousand|million|billion")
_A_SCALE = compile_quick(rf"(?i)\ban?\s+({_SCALE_DIGITS})\b")


def _scale_and_a_digit(match: re.Match[str]) -> str:
    whole = match.group(1).lower()
    number = (
        1
        if whole in ("a", "an")
        else int(whole)
        if whole.isdigit()
        else _DIGIT_WORDS.index(whole) + 1
    )
    return f"{number}.{_DIGIT_WORDS.index(match.group(3).lower()) + 1} {match.group(2)}"


def _number(value: float) -> str:
    return str(round(value))


@lru_cache(maxsize=1024)
def message_in_digits(text: str) -> str:
    """`words_to_digits` of a buyer's message, kept: the same messages are read every turn."""
    return words_to_digits(text)


def words_to_digits(text: str) -> str:
    """`text` with its numbers in digits (what is not a number is left as it was)."""
    spaced = _HYPHEN.sub(" ", text)
    if "million" in spaced.lower():  # "a million three" is 1.3 million, not 1,000,003
        spaced = _SCALE_AND_A_DIGIT.sub(_scale_and_a_digit, spaced)
    if "mil" in spaced.lower():  # "half a mil"
        spaced = _A_MIL.sub(lambda m: f"{m.group(1)} a million", spaced)
    kept = _ONES.sub(_KEPT, spaced) if "ones" in spaced.lower() else spaced
    try:
        digits: str = alpha2digit(kept, "en", threshold=0)
    except (ValueError, UnicodeError):  # text the parser cannot take: read it as written
        digits = kept
    if _KEPT in digits:
        digits = digits.replace(_KEPT, "ones")
    if "k" in digits or "K" in digits:
        digits = _SPOKEN_THOUSANDS.sub(
            lambda m: f"{m.group(1)}{m.group(2).replace(' ', '')}k", digits
        )
    lowered = digits.lower()
    if "half" in lowered or "quarter" in lowered:
        digits = _AND_A_FRACTION.sub(
            lambda m: _number((int(m.group(1)) + _FRACTION[m.group(2).lower()]) * int(m.group(3))),
            digits,
        )
        digits = _FRACTION_OF.sub(
            lambda m: _number(_FRACTION[" ".join(m.group(1).lower().split())] * int(m.group(2))),
            digits,
        )
    if " 1000" not in digits or not _SCALE_WORD.search(text):
        return digits  # no scale word stands apart ("1.2 1000000"; "Block 5 1000 sqft" is none)
    digits = _TIMES_SCALE.sub(lambda m: _number(float(m.group(1)) * int(m.group(2))), digits)
    return _A_SCALE.sub(lambda m: m.group(1), digits)
