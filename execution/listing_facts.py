"""What a listing's record says, in the terms a message states facts in.

The fact check compares claims with these, and tool results hand the model the same facts in
one canonical line it can quote (`facts_line`), so that the form the model copies is the form
the checker reads. Flat type and floor area come from the record's own fields where it has
them, else from what its title and selling points say ("Tampines GreenRidges 4-room",
"Spacious 145 sqm"); for an HDB flat with neither, the flat types its bedrooms allow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from execution.listings import SQFT_PER_SQM

if TYPE_CHECKING:
    from execution.property_lookup import Property

_FLAT_TYPE = re.compile(
    r"(?i)\b([1-5])\s*-?\s*(?:room|rm)\b|\b(executive|maisonette|jumbo)\b(?!\s+condo)|\b(EA|EM)\b"
)
_SIZE = re.compile(
    r"(?i)(?<![\d,.])\b(\d[\d,]{0,9}+(?:\.\d{1,3})?)\s*(?:(sq\.?\s?f(?:ee)?t\.?|sqft|square\s+f(?:ee|oo)t|ft²|sf)"
    r"|(sq\.?\s?m(?:etres?|eters?)?\.?|sqm|square\s+met(?:re|er)s?|m²|m2))(?![a-z])"
)
_LAND = re.compile(r"(?i)\b(?:land|plot|site)\b")
_HDB_TYPES_BY_BEDROOMS = {1: {"2-room"}, 2: {"3-room"}, 3: {"4-room", "5-room"}, 4: {"executive"}}


@dataclass(frozen=True)
class Facts:
    price: int
    bedrooms: int | None
    flat_types: frozenset[str]
    """HDB flat types the record backs ("4-room", "executive"); empty: not HDB, or unknown."""
    size_sqft: float | None
    availability: str
    land_sqft: float | None = None
    """The land's area, where a selling point states it ("Land size 1,650 sq ft")."""


def flat_type_of(match: re.Match[str]) -> str:
    if match.group(1):
        return f"{match.group(1)}-room"
    return "executive"


def sizes_in(text: str) -> list[float]:
    """Floor areas `text` states, in square feet."""
    found = []
    for match in _SIZE.finditer(text):
        value = float(match.group(1).replace(",", ""))
        if value > 0:
            found.append(value if match.group(2) else value * SQFT_PER_SQM)
    return found


def facts_of(listing: Property) -> Facts:
    return _facts(
        listing.title,
        listing.property_type,
        listing.bedrooms,
        listing.price,
        listing.availability,
        listing.floor_area_sqft,
        tuple(listing.key_selling_points),
    )


@lru_cache(maxsize=8192)
def _facts(
    title: str,
    property_type: str,
    bedrooms: int | None,
    price: int,
    availability: str,
    floor_area_sqft: int | None,
    points: tuple[str, ...],
) -> Facts:
    types = frozenset(flat_type_of(m) for m in _FLAT_TYPE.finditer(title))
    if property_type != "HDB":
        types = frozenset()
    elif not types and bedrooms is not None:
        types = frozenset(_HDB_TYPES_BY_BEDROOMS.get(bedrooms, set()))
    land_points = [p for p in points if _LAND.search(p)]
    land = [s for p in land_points for s in sizes_in(p)]
    size: float | None = floor_area_sqft
    if size is None:
        stated = sizes_in(" ".join([title, *(p for p in points if p not in land_points)]))
        size = stated[0] if stated else None
    return Facts(price, bedrooms, types, size, availability, land[0] if land else None)


def facts_line(listing: Property) -> str:
    """The record's facts in the one form to quote: 'S$598,000 · 3 bedrooms · HDB 4-room ·
    1,001 sq ft · available'."""
    facts = facts_of(listing)
    parts = [f"S${facts.price:,}"]
    if facts.bedrooms is not None:
        parts.append("studio" if facts.bedrooms == 0 else f"{facts.bedrooms} bedrooms")
    stated = [m for m in _FLAT_TYPE.finditer(listing.title)]
    if listing.property_type == "HDB" and stated:
        parts.append(f"HDB {flat_type_of(stated[0])}")
    else:
        parts.append(listing.property_type)
    if facts.size_sqft is not None:
        sqm = round(facts.size_sqft / SQFT_PER_SQM)
        parts.append(f"{round(facts.size_sqft):,} sq ft ({sqm} sqm)")
    parts.append(facts.availability)
    return " · ".join(parts)
