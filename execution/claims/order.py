"""Order claims: "the cheaper of the two", "the biggest of the three" (a comparative or a
superlative said of one listing against the others spoken of)."""

from __future__ import annotations

import re

from execution.claims.claim import Claim
from execution.regex_gate import compile_quick

ORDER_WORDS = frozenset(
    "cheaper cheapest pricier priciest dearer dearest expensive affordable bigger biggest larger"
    " largest smaller smallest roomier roomiest lowest highest".split()
)
_ORDER = compile_quick(
    r"(?i)\b(?:the\s+)?(cheaper|cheapest|pricier|dearer|more\s+expensive|bigger|larger|smaller"
    r"|roomier)\s+(?:of\s+the\s+(?:two|2|pair)|one|1)\b"
)
_ORDER_SAID = compile_quick(
    r"(?i)\b(?:is|are|'s|but|and)\s+(?:(?:slightly|a\s+bit|a\s+little|much|way|also|even)\s+)?"
    r"(cheaper|pricier|dearer|more\s+expensive|less\s+expensive|bigger|larger|smaller|roomier)\b"
    r"(?:\s+than(?=\s+(?:the\s+)?[A-Z])|(?=\s*(?:[,.!:;)]|[\u2013\u2014]|at\b|with\b|but\b|$)))"
)
"""A comparative said of one listing against the other spoken of ("X is pricier", "X is
slightly bigger: ...") or against one named after it ("X is bigger than Y")."""
_ORDER_VALUE = {
    "cheaper": "price<",
    "cheapest": "price<",
    "pricier": "price>",
    "dearer": "price>",
    "expensive": "price>",
    "bigger": "size>",
    "larger": "size>",
    "roomier": "size>",
    "smaller": "size<",
}
_RANK = compile_quick(  # "the cheapest of the three", "the biggest one", "the most affordable"
    r"(?i)(?:\bthe\s+|^\W*)(cheapest|priciest|dearest|most\s+(?:expensive|affordable)"
    r"|(?:lowest|highest)(?:[\s-]priced)?|biggest|largest|smallest|roomiest)"
    r"(?:\s+(?:of\s+(?:the\s+)?(?:(\w+)|lot|bunch|them(?:\s+all)?|all)"
    r"|(?:one|option|unit|listing|place|flat|home)s?\b(?:\s+of\s+(?:the\s+)?(\w+))?)"
    r"|\b(?=\s*(?:[,.!)]|is\b|are\b|would\b|at\b|with\b|[\u2013\u2014]|$)))"
)
_RANK_VALUE = {
    "cheapest": "price<",
    "affordable": "price<",
    "lowest": "price<",
    "priciest": "price>",
    "dearest": "price>",
    "expensive": "price>",
    "highest": "price>",
    "biggest": "size>",
    "largest": "size>",
    "roomiest": "size>",
    "smallest": "size<",
}


def orders_in(text: str) -> list[Claim]:
    """ "the cheaper of the two", "the bigger one": which of two listings costs or measures
    more ("price<": the one named is the cheaper)."""
    claims = []
    for match in _ORDER.finditer(text):
        word = match.group(1).lower()
        value = _ORDER_VALUE.get(word.split()[-1] if word.startswith("more") else word, "price>")
        claims.append(Claim("order", value, "=", match.start(), match.group(0)))
    for match in _ORDER_SAID.finditer(text):  # "X is pricier", "X is bigger than Y"
        word = match.group(1).lower().split()[-1]
        value = _ORDER_VALUE.get(word, "price>")
        if match.group(1).lower().startswith("less"):
            value = "price<"
        claims.append(Claim("order", value, "=", match.start(), match.group(0)))
    for match in _RANK.finditer(text):
        value = next(
            _RANK_VALUE[w] for w in re.findall(r"\w+", match.group(1).lower()) if w in _RANK_VALUE
        )
        many = words_count(match.group(2) or match.group(3) or "")
        claims.append(Claim("rank", f"{value}{many or ''}", "=", match.start(), match.group(0)))
    return claims


_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "2": 2, "3": 3, "4": 4}


def words_count(word: str) -> int:
    """ "three" -> 3 ("the cheapest of the three"); 0 when the word is no count."""
    return _COUNTS.get(word.lower(), 0)
