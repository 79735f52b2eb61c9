"""Whether a claim holds for a listing's record: a price within its rounding or its "about", a
size in either unit, a bedroom count, a flat type, an availability as said ("still there",
"taken"), and a relation ("under 1.3M", "at least 3 bedrooms")."""

from __future__ import annotations

import math

from execution.claims.claim import Claim
from execution.claims.sizes import size_in_sqft
from execution.listing_facts import Facts
from execution.listings import SQFT_PER_SQM

APPROXIMATE = 0.02
"""How far "about 1.2M" or "around 1,000 sq ft" may be from the record."""

ROUND = 0.04
"""How far "around 1,000 sq ft" may be from the record: a size of at most two significant
digits says it was rounded (a price is held to APPROXIMATE: "about 1.3M" of 1.25M is wrong)."""


def near(a: float, b: float, share: float) -> bool:
    return abs(a - b) <= share * max(a, b)


def holds(claim: Claim, facts: Facts) -> bool:
    if claim.kind == "price":
        return compare(claim, facts.price, tolerance=APPROXIMATE, exact=rounding(claim.value))
    if claim.kind == "psf":  # on the floor area, or on the land where the record states it
        areas = [a for a in (facts.size_sqft, facts.land_sqft) if a]
        return any(
            compare(claim, facts.price / area, tolerance=0.02, exact=0.015) for area in areas
        )
    if claim.kind == "bedrooms":
        if facts.bedrooms is None:
            return False
        return compare(claim, facts.bedrooms, tolerance=0.0)
    if claim.kind == "flat_type":
        if claim.relation == "!=":
            return claim.value not in facts.flat_types
        return claim.value in facts.flat_types
    if claim.kind == "size":
        return facts.size_sqft is not None and _size_holds(claim, facts.size_sqft)
    if claim.kind == "land_size":  # checked where the record states the land's area
        return facts.land_sqft is None or _size_holds(claim, facts.land_sqft)
    return _available_as_said(str(claim.value), facts.availability)


def _size_holds(claim: Claim, recorded_sqft: float) -> bool:
    sqft, unit = size_in_sqft(str(claim.value))
    recorded = recorded_sqft if unit == "sqft" else recorded_sqft / SQFT_PER_SQM
    stated = sqft if unit == "sqft" else sqft / SQFT_PER_SQM
    slack = 0.75 / stated if stated else 0.0  # a whole unit of rounding either way
    return compare(
        claim,
        recorded,
        tolerance=max(APPROXIMATE, slack),
        rounded=ROUND,
        exact=max(0.002, slack),
        stated=stated,
    )


ROUNDED_EXACT = 0.0025
"""An exact-sounding price of three significant digits or fewer ("1.25M" of 1,248,000) is
rounded by at most half its last digit, and never by more than this share."""


def rounding(value: float | str) -> float:
    number = float(value)
    digits = str(int(number)).rstrip("0")
    if number < 1000 or number != int(number) or len(digits) > 3:
        return 0.0
    unit = 10.0 ** (len(str(int(number))) - len(digits))
    return min(ROUNDED_EXACT, unit / 2 / number)


def _round(value: float) -> bool:
    """1,000 and 1,300,000 are round; 1,023 and 1,280,000 are not."""
    return value >= 100 and value == int(value) and len(str(int(value)).rstrip("0")) <= 2


def compare(
    claim: Claim,
    actual: float,
    *,
    tolerance: float,
    exact: float = 0.0,
    stated: float | None = None,
    rounded: float = 0.0,
) -> bool:
    """Whether `actual` (the record) bears out the claim, `tolerance` the slack of "about",
    `rounded` that of "about" before a round figure ("about 1,000 sq ft" of 1,023)."""
    value = float(claim.value) if stated is None else stated
    if claim.relation == "=":
        return math.isclose(actual, value, rel_tol=exact, abs_tol=0.5)
    if claim.relation == "!=":
        return not math.isclose(actual, value, rel_tol=exact, abs_tol=0.5)
    if claim.relation == "~":
        return abs(actual - value) <= max(tolerance, rounded if _round(value) else 0.0) * value
    if claim.relation == "<":
        return actual < value
    if claim.relation == "<=":
        return actual <= value
    if claim.relation == ">":
        return actual > value
    return actual >= value


def _available_as_said(said: str, availability: str) -> bool:
    if said in ("available", "open to view"):
        return availability == "available"
    if said == "not available":
        return availability in ("sold", "pending")
    if said == "not sold":
        return availability in ("available", "pending")
    return said == availability
