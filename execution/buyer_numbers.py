"""What the buyer wrote, as numbers: every amount (read the generous ways a buyer writes one:
"budget 1.5" is 1.5M) and every size with its unit, for a reply that says a number is theirs
("your 1.5M budget") to be checked against."""

from __future__ import annotations

from collections.abc import Iterable

from execution.claims.claim import MAX_TEXT
from execution.numbers import message_in_digits
from execution.regex_gate import compile_quick

_BUYER_NUMBER = compile_quick(
    r"(?i)(?<![\d,.])(\d[\d,]{0,15}+(?:\.\d{1,6})?)\s?(k|m|mil|mio|mn|million)?(?![a-z])"
)

_BUYER_SIZE = compile_quick(
    r"(?i)(?<![\d,.])(\d[\d,]{0,8}+(?:\.\d{1,3})?)\s?(k)?\s?(?:sq\.?\s?f|sqft|sf\b|sq\.?\s?m|m2|m²"
    r"|square)"
)

_MONEY_WORDS = compile_quick(
    r"(?i)budget|price|pay|afford|max|cash|loan|\$|sgd|\d\s?(?:k|m|mil|million)\b|asking|offer"
)


def buyer_amounts(buyer_texts: Iterable[str]) -> set[float]:
    """Every amount the buyer wrote, read the generous ways a buyer writes one ("budget 1.5"
    is 1.5M, "700" may be 700k)."""
    amounts: set[float] = set()
    for text in buyer_texts:
        money = bool(_MONEY_WORDS.search(text[:MAX_TEXT]))
        for match in _BUYER_NUMBER.finditer(message_in_digits(text[:MAX_TEXT])):
            value = float(match.group(1).replace(",", ""))
            suffix = (match.group(2) or "").lower()
            if suffix == "k":
                amounts.add(value * 1_000)
            elif suffix:
                amounts.add(value * 1_000_000)
            elif money:  # "budget 1.5" is 1.5M, "max 700" is 700k; "we have 2 kids" is not
                amounts |= {value, value * 1_000, value * 1_000_000}
            else:
                amounts.add(value)
    return {round(a) for a in amounts}


def buyer_sizes(buyer_texts: Iterable[str]) -> set[float]:
    """Every size the buyer wrote with its unit, the unit written close ("need min 100sqm")."""
    return {
        float(m.group(1).replace(",", "")) * (1_000 if m.group(2) else 1)
        for text in buyer_texts
        for m in _BUYER_SIZE.finditer(message_in_digits(text[:MAX_TEXT]))
    }
