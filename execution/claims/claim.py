"""A claim: what a sentence states about a listing (a kind, a value and how it is said:
equal, about, under, over, not), where it is said, and whether it is the buyer's number."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from execution.regex_gate import compile_quick

MAX_TEXT = 25_000
"""Longer than Green API's 20,000-character message: beyond this a text is not read."""
Kind = Literal[
    "price",
    "price_gap",
    "price_total",
    "price_spread",
    "psf",
    "bedrooms",
    "flat_type",
    "size",
    "land_size",
    "size_gap",
    "size_spread",
    "household",
    "availability",
    "order",
    "rank",
]
Relation = Literal["=", "~", "<", "<=", ">", ">=", "!="]


@dataclass(frozen=True)
class Claim:
    kind: Kind
    value: float | str
    relation: Relation
    start: int
    text: str
    buyers: bool = False
    """The message attributes this number to the buyer."""

    def __str__(self) -> str:
        return self.text


NUMBER = r"(?<![\d,.])\d[\d,]{0,15}+(?:\.\d{1,6})?"
"""A number as written (at most 16 digits and commas: no price or size is longer, and a bounded
run cannot make the patterns below backtrack over a hostile string of digits)."""
SCALE = {
    "k": 1_000,
    "m": 1_000_000,
    "mil": 1_000_000,
    "mio": 1_000_000,
    "mn": 1_000_000,
    "million": 1_000_000,
}
_TOKEN = compile_quick(r"[a-z]+")


def words_of(text: str) -> frozenset[str]:
    return frozenset(_TOKEN.findall(text.lower()))
