"""Size claims: floor and land area in square feet or metres, a gap between two sizes, the
same size said again in the other unit, and the headings that label a line's sizes
("Land:", "Built-up:", "psf:")."""

from __future__ import annotations

import re

from execution.claims.claim import NUMBER, Claim, Relation
from execution.claims.said import answers_by_how_much, relation_of, said_before, said_by_buyer
from execution.listings import SQFT_PER_SQM
from execution.regex_gate import compile_quick

SIZES_COMPARED = compile_quick(
    r"(?i)(?:sq\.?\s?ft|sqft|sqm|square\s+feet)\s+(?:\w+\s+){0,3}?(?:bigger|larger|smaller|more|less)"
    r"(?:\s+[\w-]+)?\s*[(,:]?\s*(?:\d[\d,]*\s*(?:vs\.?|versus)\s*)?$"
)
"""A size gap said just before bare figures: the figures are the two sizes."""
_SIZE_UNIT = compile_quick(r"(?i)sq\.?\s?ft|sqft|\bsf\b|square\s+f(?:ee|oo)t|sqm|sq\.?\s?m\b|m²")
AFTER_A_SIZE = compile_quick(
    r"(?i)(?:sq\.?\s?ft\.?|sqft|square\s+feet|sqm|sq\.?\s?m)\s*(?:vs\.?|versus|against|and)\s*$"
)
_SIZE_GAP = compile_quick(
    r"(?i)^\s*(?:\([^()]{0,30}\)\s*|[,/]\s*(?:about\s+|around\s+|~|\u2248)?\s*(?P<same>[\d,.]+)\s*"
    r"(?P<unit>sq\.?\s?ft|sqft|sqm|sq\.?\s?m|square\s+(?:feet|met\w+))\s*,?\s*)?"
    r"(?:(?P<more>bigger|larger|more|roomier|extra)|(?P<less>smaller|less|tinier|short|shy)"
    r"|diff(?:erence)?|apart)\b"
)
"""After a size, a gap between two sizes: "118 sq ft bigger", "52 sqm (~560 sqft) bigger",
"17 sqm, ~183 sqft more", "86 sqft extra", "(1 sqm diff)"."""
_SIZE_GAP_BEFORE = compile_quick(
    r"(?i)(?:\b(?:(?P<more>bigger|larger|roomier|clears?|beats?|exceeds?|tops?)|(?P<less>smaller|tinier"
    r"|miss(?:es)?))\b|^\W*than\b)[^.;:!?]{0,40}?\bby\s*(?:about\s+|around\s+|roughly"
    r"\s+|~|\u2248)?\s*$"
)
_EXTRA_BEFORE = compile_quick(
    r"(?i)(?:\b(?:(?:an?\s+)?(?:extra|additional)|give\s+up|giving\s+up|lose|losing|gain|gaining"
    r"|sacrifice|sacrificing|(?:more|extra|less)\s+(?:for|and\s+get)(?:\s+an?)?(?:\s+extra)?"
    r"|more,?\s+you\s+(?:get|gain)(?:\s+an?)?(?:\s+extra)?|(?:gap|difference|diff)\s+(?:is|of)\s+\S+\s+for)"
    r"|(?:^|[\s(])[+\u00b1])\s*(?:only\s+|just\s+)?(?:about\s+|around\s+|roughly\s+|~|\u2248)?$"
)
"""Before a size, what one home has over another: "for an extra 183 sq ft", "you only give up
10 sq ft"."""
_ELIDED_AGAIN = compile_quick(r"(?i)^[^.;:\d]{0,48}?\b\w+['\u2019]s\s*\(?\s*$")
"""Between a land size and a size after a possessive that leaves the noun out: "Cluny Brook's
land (8,200 sq ft) is more than double Siglap's (3,400 sq ft)": Siglap's land."""
_OF_LAND = compile_quick(r"(?i)\b(?:land|plot)\b")
_OF_LAND_AFTER = compile_quick(r"(?i)\s*(?:of\s+)?(?:land|plot)\b")
_GAP_AGAIN = compile_quick(
    r"(?i)^\s*(?:bigger|larger|more|extra|smaller|less)?\s*[(,]\s*(?:about\s+|around\s+|~|\u2248)?\s*$"
)
"""Between a size gap and the same gap in the other unit: "97 sqft more (9 sqm)"."""
_SIZE = compile_quick(
    rf"(?i)\b({NUMBER})\s*(?:(sq\.?\s?f(?:ee)?t\.?|sqft|square\s+f(?:ee|oo)t|ft²|ft2|sf\b)"
    r"|(sq\.?\s?m(?:etres?|eters?)?\.?|sqm|square\s+met(?:re|er)s?|m²|m2\b))(?![a-z])"
)
LAND_BEFORE = compile_quick(
    r"(?i)\b(?:land|plot|site|lot)(?:\s+(?:area|size))?\s*(?:of|is|at|:|[\u2013\u2014(\u2248=-])?\s*"
    r"(?:about|approx\.?|around|~|\u2248)?\s*$"
)
_LAND_AFTER = compile_quick(
    r"(?i)^\s*(?:\(\s*(?:about\s+|~|\u2248)?\d[\d,]*\s*sq\.?\s?m\)\s*)?(?:of\s+)?(?:(?:freehold|leasehold|corner|prime|flat"
    r"|regular|rectangular|squarish|good)\s+)?(?:land|plot|site|lot)\b"
)
_LAND_HEADING = compile_quick(
    r"(?i)^\W*(?:land|plot|site)(?:\s+(?:area|size))?\s*[:\u2014-]|^\W*(?:land|plot)[\s-]?wise\b"
)
"""A line or bullet headed "Land:" or "Land-wise": every size in it is of the land."""
_PER_AREA_HEADING = compile_quick(
    r"(?i)(?<![\w$])(?:psf|per\s+sq(?:uare)?\.?\s*f(?:ee|oo)?t|price\s+per\s+sq\.?\s*ft)\s*$"
)
_GAP_HEADING = compile_quick(r"(?i)\b(?:difference|gap|diff)\b[^:.!?$\d]{0,50}$")
_BUILT_HEADING = compile_quick(
    r"(?i)\b(?:built[\s-]?up|floor\s+area|strata(?:\s+area)?|internal\s+area|house)"
    r"(?:\s+(?:area|size))?\s*$"
)
_SAME_SIZE_AGAIN = compile_quick(
    r"(?i)^[^.;,\d()]{0,30}[(/\u2248=~]\s*(?:about|approx\.?|around|roughly|~|\u2248|or)?\s*$"
)
"""Between a size and the same size in the other unit: "1,650 sq ft (about 153 sqm)", "1,650
sq ft of land (153 sqm)"."""


def land_label(text: str) -> bool:
    """Whether `text` is a heading that makes the sizes after it the land's ("Land:")."""
    return _LAND_HEADING.match(text.strip() + ":") is not None


def built_label(text: str) -> bool:
    """Whether `text` ends in a heading that makes the sizes after it the home's own, not the
    land's ("Built-up:", "Floor area:")."""
    return _BUILT_HEADING.search(text) is not None


def per_area_label(text: str) -> bool:
    """Whether `text` ends in a heading that makes the money after it a price per square foot
    ("psf: ~$527 vs ~$500")."""
    return _PER_AREA_HEADING.search(text) is not None


def gap_label(text: str) -> bool:
    """Whether `text` ends in a heading that makes the money after it a gap between two
    listings ("Difference: $80k", "Gap from the cheapest to the next: $113k")."""
    return _GAP_HEADING.search(text) is not None


def is_sqm(unit: str) -> bool:
    """Whether a size unit as written is square metres ("sqm", "sq. m", "m²", "square metres")."""
    return unit.lower().replace(".", "").replace(" ", "").startswith(("sqm", "m", "squarem"))


def nearest_unit(text: str, start: int, end: int) -> str | None:
    """The size unit the text last named before `start`, else the first after `end`."""
    named = list(_SIZE_UNIT.finditer(text, 0, start))
    found = named[-1] if named else _SIZE_UNIT.search(text, end)
    return found.group(0) if found else None


def _unit_of(text: str) -> str:
    match = _SIZE.search(text)
    return "sqft" if match and match.group(2) else "sqm"


def _same_size(value: float, unit: str, gap: re.Match[str]) -> bool:
    """Whether the size after the comma is this one in the other unit ("17 sqm, ~183 sqft")."""
    try:
        other = float(gap.group("same").replace(",", ""))
    except ValueError:
        return False
    other_sqft = other * SQFT_PER_SQM if is_sqm(gap.group("unit")) else other
    sqft = value if unit == "sqft" else value * SQFT_PER_SQM
    return abs(other_sqft - sqft) <= 0.03 * max(sqft, 1.0)


def sizes_in(text: str) -> list[Claim]:
    claims: list[Claim] = []
    land_heading = _LAND_HEADING.match(text) is not None
    land_until = -1  # where the last size of the land ended
    for match in _SIZE.finditer(text):
        value = float(match.group(1).replace(",", ""))
        unit = "sqft" if match.group(2) else "sqm"
        land = (
            land_heading
            or said_before(LAND_BEFORE, text, match.start(), 24) is not None
            or _LAND_AFTER.match(text[match.end() :]) is not None
            or (
                land_until >= 0
                and (
                    _SAME_SIZE_AGAIN.match(text[land_until : match.start()])
                    or _ELIDED_AGAIN.match(text[land_until : match.start()])
                )
            )
        )
        gap = _SIZE_GAP.match(text[match.end() :])
        if gap and gap.group("same") and not _same_size(value, unit, gap):
            gap = None  # "1,464 sqft, about 97 sqft more": a size, then the gap
        by = None if gap else said_before(_SIZE_GAP_BEFORE, text, match.start(), 60)
        alone = not gap and not by and answers_by_how_much(text, match.start())
        extra = not gap and not by and said_before(_EXTRA_BEFORE, text, match.start(), 24)
        last = claims[-1] if claims else None
        again = (
            last is not None
            and last.kind == "size_gap"
            and _GAP_AGAIN.match(text[last.start + len(last.text) : match.start()])
            and unit != _unit_of(last.text)  # the same gap in the other unit: "97 sqft
            # more (9 sqm)", not "an extra 183 sq ft (110 sqm vs 93 sqm)"
            and abs((value if unit == "sqft" else value * SQFT_PER_SQM) - float(last.value))
            <= 0.06 * float(last.value) + 11
        )
        if gap or by or again or extra or alone:  # "118 sq ft bigger than Rivervale", "an
            # extra 183 sq ft", "Tre Ver, by 43 sq ft": between two listings
            plots = land or said_before(_OF_LAND, text, match.start(), 24)
            if plots or (gap and _OF_LAND_AFTER.match(text, match.end() + gap.end())):
                continue  # a gap between plots ("1,350 sqft more land"): seldom both recorded
            sqft = value if unit == "sqft" else value * SQFT_PER_SQM
            said = gap or by
            direction: Relation = (
                (">" if said.group("more") else "<" if said.group("less") else "~")
                if said is not None
                else "~"
                if extra or alone  # which of the two has the more is said elsewhere, if at all
                else last.relation  # type: ignore[union-attr]  # the same gap again
            )
            claims.append(Claim("size_gap", sqft, direction, match.start(), match.group(0)))
            continue
        if land:  # "land 4,300 sqft", "on a 4,300 sqft corner plot": the land, not the home
            land_until = match.end()
        claims.append(
            Claim(
                "land_size" if land else "size",
                f"{value} {unit}",
                relation_of(text, match.start()),
                match.start(),
                match.group(0),
                said_by_buyer(text, match.start(), match.end()),
            )
        )
    return claims


def size_in_sqft(value: str) -> tuple[float, str]:
    number, unit = value.split()
    return (float(number) if unit == "sqft" else float(number) * SQFT_PER_SQM), unit
