"""Figures a reply works out from figures it states: "990 vs 980 sq ft, so just 10 sq ft",
"Combined 12,850 sq ft: 8,000 + 3,200 + 1,650", "93 sqm, 3 sqm above your 90", "8,000 sq ft of
land, about 743 sqm". Such a figure is arithmetic on other figures, not what one home costs or
measures, so the fact check does not hold it against a listing.

Only figures the records (or the buyer) back count as operands: a difference worked out from a
wrong price is never excused by it ("$700k, $115k more than St 81's $585k" for a $720k flat:
$115k is no record, so $700k is judged as a price, and is wrong).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

from execution.listings import SQFT_PER_SQM

ROUNDING = 0.6
"""How far an area converted to the other unit may be from the figure: a whole number."""
MAX_OPERANDS = 8
"""The operands looked at, the first ones stated (sums of three: 56 triples at most)."""

_FIGURE = re.compile(
    r"(?<![\w.,])(\$\s?)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(k|m|mil|million)?(?![\w])",
    re.IGNORECASE,
)
_SCALE = {"k": 1e3, "m": 1e6, "mil": 1e6, "million": 1e6}


def figures(text: str) -> tuple[list[float], list[float]]:
    """The amounts of money `text` states (with $ or k/m), and its other numbers, in order."""
    money: list[float] = []
    plain: list[float] = []
    for match in _FIGURE.finditer(text):
        value = float(match.group(2).replace(",", "") + (match.group(3) or ""))
        suffix = (match.group(4) or "").lower()
        if suffix:
            money.append(value * _SCALE[suffix])
        elif match.group(1):
            money.append(value)
        else:
            plain.append(value)
    return money, plain


def _close(a: float, b: float, money: bool) -> bool:
    """Equal as worked out from figures as written (a sum is exact; rounding of a figure
    written in thousands or whole square feet aside)."""
    return abs(a - b) <= max(0.001 * abs(b), 1_000.0 if money else 0.5)


def is_worked_out(
    value: float, money: bool, text: str, backed: Callable[[float, bool], bool]
) -> bool:
    """Whether `value` (money, or an area as written) is a difference or sum of two or three
    backed figures `text` states, or, for an area, one of them in the other unit."""
    stated = figures(text)[0 if money else 1]
    operands = [f for f in stated if not _close(f, value, money) and backed(f, money)]
    operands = operands[:MAX_OPERANDS]
    for a, b in itertools.combinations(operands, 2):
        # a gap between like figures is smaller than either ("1,001 vs 980: 21 sq ft"); one
        # bigger than the smaller is no gap anyone works out but a price in a list
        if abs(a - b) < min(a, b) and _close(abs(a - b), value, money):
            return True
        if _close(a + b, value, money):
            return True
    for trio in itertools.combinations(operands, 3):
        if _close(sum(trio), value, money):
            return True
    if money:
        return False
    return any(  # the other unit, as rounded to a whole number
        abs(value - a / SQFT_PER_SQM) <= ROUNDING or abs(value / SQFT_PER_SQM - a) <= ROUNDING
        for a in operands
    )
