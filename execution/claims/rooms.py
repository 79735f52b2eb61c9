"""Bedroom and flat-type claims: "3 bedrooms", "3BR", "2+study", "a 4-room flat", "studio",
"executive"; and the rooms the buyer asks for or has ("we need 2 rooms")."""

from __future__ import annotations

import re

from execution.claims.claim import MAX_TEXT, Claim, Kind
from execution.claims.said import MOST_HOMES, relation_of, said_before, said_by_buyer
from execution.listing_facts import flat_type_of
from execution.numbers import message_in_digits
from execution.regex_gate import compile_quick

_BEDROOMS = compile_quick(
    r"(?i)\b(\d{1,2})\s*(?:(?:\+\s*(?:1|study)\s*)?"
    r"(?:(?:proper|full|big|large|good[\s-]sized|decent|real|actual|separate|spacious|cosy|small)\s+)?"
    r"(?:bed(?:room)?s?|br|bdr|bdrm|bedrm|bedrms|bedders?|b/r|bhk|bedroom\s+unit)(?![a-z])"
    r"|\+\s*(?:1|study)\b(?!\d|[.,]\d|\s*(?:year|yr|month|day|%)))"
)
"""A bedroom count: "3 bedrooms", "3BR", "2+study" and "2+1" (two bedrooms and a study)."""
_ROOMS_SPOKEN_OF = compile_quick(r"(?i)bed|room|\bbr\b")
rooms_spoken_of = _ROOMS_SPOKEN_OF.search
_THE_ONES_YOU = compile_quick(
    r"(?i)\bthe\s+(\d{1,2})\s+(?:rooms\s+)?(?:that\s+|which\s+)?you(?:'ve|\s+have|\s+had)?\s+(?:asked\s+for"
    r"|need(?:ed)?|wanted|want|mentioned|said|specified|requested|were\s+after)\b"
)
_GENERIC_BEFORE = compile_quick(
    r"(?i)\b(?:(?:than|like|versus|vs\.?|compared\s+(?:to|with))\s+(?:(?:a|an|the|your|most)\s+)?"
    r"|(?:more|other|similar)\s+)"
    r"(?:(?:typical|average|normal|standard|regular|usual|ordinary|older|newer|new|old)\s+)?$"
)
_COUNTS_SET_AGAINST = compile_quick(r"(?i)\b(?:vs\.?|versus)\s*$")
_STUDIO = compile_quick(
    r"(?i)(?<!yoga\s)(?<!dance\s)(?<!art\s)(?<!music\s)\bstudio\b"
    r"(?!\s+(?:room|space|pool|gym|for\b|at\b|in\s+the\s+club))"
)
_FLAT_TYPE = compile_quick(
    r"(?i)\b([1-5])\s*(?:room|rm)\b(?!s)"
    r"|\b(executive|exec)\b(?!\s*condo)(?:\s*(?:flat|apartment|maisonette|hdb|unit|mansionette)\b)?"
    r"|\b(maisonette|jumbo\s+flat)\b|\b(EA|EM)\b"
)


def _room_value(kind: str, match: re.Match[str]) -> int | str | None:
    if kind == "bedrooms":
        return int(match.group(1))
    if kind == "studio":
        return 0
    if match.group(4) and match.group(4) != match.group(4).upper():
        return None  # "ea" or "em" in lower case: a word, not Executive Apartment
    return flat_type_of(match) if match.group(1) else "executive"


def rooms_of(text: str, about_rooms: bool = False) -> list[Claim]:
    lowered = text.lower()
    families = [
        ("bedrooms", _BEDROOMS, "b" in lowered or "+" in lowered),
        ("studio", _STUDIO, "studio" in lowered),
        ("flat_type", _FLAT_TYPE, "r" in lowered or "e" in lowered),
    ]
    claims = []
    for kind, pattern, possible in families:
        for match in pattern.finditer(text) if possible else ():
            value = _room_value(kind, match)
            generic = said_before(_GENERIC_BEFORE, text, match.start(), 32)
            if generic and kind == "bedrooms" and _COUNTS_SET_AGAINST.search(generic.group(0)):
                generic = None  # "5 bedrooms vs 3 bedrooms at B": B's count
            if value is None or generic or said_before(MOST_HOMES, text, match.start(), 40):
                continue  # "bigger than a 5-room", "most executives are 3 bedrooms": a kind
            relation = relation_of(text, match.start())
            if kind != "bedrooms" and relation != "!=":
                relation = "="  # "at least a 4-room" is a 4-room or bigger: not checked
            buyers = said_by_buyer(text, match.start(), match.end())
            claim_kind: Kind = "flat_type" if kind == "flat_type" else "bedrooms"
            claims.append(Claim(claim_kind, value, relation, match.start(), match.group(0), buyers))
    if about_rooms or rooms_spoken_of(text):
        for match in _THE_ONES_YOU.finditer(text):  # "5 bedrooms, more than the 3 you asked for"
            relation = relation_of(text, match.start())
            claims.append(
                Claim(
                    "bedrooms", int(match.group(1)), relation, match.start(), match.group(0), True
                )
            )
    return claims


_ROOMS_WANTED = compile_quick(r"(?i)\b(\d{1,2})\s*rooms\b")
"""A buyer's "we need 2 rooms": bedrooms (a flat type is "a 3-room", in the singular)."""


def rooms_in(text: str) -> tuple[Claim, ...]:
    """The bedroom counts and flat types `text` names (a listing's title)."""
    return tuple(rooms_of(message_in_digits(text[:MAX_TEXT])))


def rooms_asked(text: str) -> set[tuple[str, float | str]]:
    """(kind, value) of each bedroom count and flat type a buyer's message names ("need 3
    bedrooms", "we need 2 rooms")."""
    text = message_in_digits(text[:MAX_TEXT])
    wanted = {("bedrooms", int(m.group(1))) for m in _ROOMS_WANTED.finditer(text)}
    return {(c.kind, c.value) for c in rooms_of(text)} | wanted
