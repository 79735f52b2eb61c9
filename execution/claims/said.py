"""How a figure is said, read from the words around it: equal, about, under, over or not
(`relation_of`), a bound ("over 1,200 sq ft"), the buyer's own number ("your 1.5M budget",
"with 2M, ..."), a price the listing had before, the gap a figure answers ("by how much")."""

from __future__ import annotations

import re
from functools import lru_cache

from execution.claims.claim import Relation
from execution.regex_gate import compile_quick, lower_for_gate, may_match, source_may_match

DELTA_AFTER = compile_quick(
    r"(?i)^\s*(?:\([^()]{0,30}\)\s*)?(?:(cheaper|less|lower|below|under|smaller|off)|(more|higher|above|pricier|dearer|over|extra|bigger|larger)"
    r"|(apart|difference|diff|in\s+between|between|gap))\b"
    r"|^\s*[\u2013\u2014:-]\s*(?:[A-Za-z][\w-]*\s+){0,3}?(?:s?\$)?\d[\d,.]*\s*(?:k|m|mil)?\s*(?:vs\.?|versus)\s"
)
_BY_ALONE = compile_quick(
    r"(?i)\W*(?:[a-z#][\w'#-]*,?\s+|\d+\s+){1,5}by\s*(?:about\s+|around\s+|roughly\s+|~)?(?:s\$|\$)?$"
)
_FORMER_BEFORE = compile_quick(
    r"(?i)(?:\b(?:was|were|had\s+been|used\s+to\s+be)\s+(?:listed\s+|priced\s+|asking\s+)?"
    r"(?:at\s+)?(?P<needs_time>)|\b(?:previously|originally|formerly|(?:down|up|reduced|lowered|cut"
    r"|dropped|raised|increased)\s+from|(?:lowered|dropped|reduced|cut|raised|increased|revised)\b"
    r"[^.;!?\d$]{0,30}\bfrom)\s+(?:listed\s+at\s+|at\s+)?)(?:s\$|\$)?\s*$"
)
_FORMER_AFTER = compile_quick(
    r"(?i)^[\s,]*(?:previously|before|originally|earlier|at\s+first|last\s+(?:week|month|year)"
    r"|when\s+(?:it\s+was\s+)?(?:first|1st)\s+listed|(?:\w+\s+){1,2}ago"
    r"|(?:in|back\s+in|until|till|up\s+to)\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
    r"|(?:in|until|till)\s+(?:the\s+)?(?:spring|summer|autumn|winter)"
    r"|(?:this|last)\s+(?:morning|weekend|quarter))\b"
)
"""A price the listing had before ("it was $590k last month", "previously $1.48M", "down
from 1.3M"): the records hold the current price only, so a former one is not checked. "Was"
alone is no sign of the past ("the Bishan one was $688k" recaps it): only with a time."""
_APPROX = compile_quick(
    r"(?i)(?:about|around|approx(?:imately|\.)?|roughly|~|close\s+to|nearly|almost|some|circa"
    r"|ard|abt|or\s+so|give\s+or\s+take)\s*(?:s\$|\$)?\s*$"
)
_UNDER = compile_quick(
    r"(?i)(?:under|below|less\s+than|within|(?<!add\s)(?<!adds\s)(?<!added\s)(?<!comes\s)"
    r"(?<!come\s)up\s+to|at\s+most|max(?:imum)?|no\s+more\s+than"
    r"|not\s+more\s+than|cheaper\s+than|lower\s+than|below|<|sub|beneath|short\s+of"
    r"|fits?(?:\s+(?:in|into|within))?|affordable\s+(?:on|with(?:in)?))"
    r"\s*(?:the\s+|a\s+|your\s+)?(?:s\$|\$)?\s*$"
)
_OVER = compile_quick(
    r"(?i)(?:over|above|more(?:\s+(?:space|room))?\s+than|at\s+least|from|starting(?:\s+from|\s+at)?|upwards\s+of"
    r"|north\s+of|>|min(?:imum)?|bigger\s+than|larger\s+than)"
    r"\s*(?:the\s+|a\s+|your\s+)?(?:s\$|\$)?\s*$"
)
_A_GAP_BEFORE = compile_quick(
    r"(?i)(?:\$\s?\d[\d,.]*\s?(?:k|m|mil|million)?|\d[\d,.]*\s?(?:k|m|mil|million|%))\s*"
    r"(?:\([^()]{0,30}\)\s*)?$"
)
_GAP_WORD = compile_quick(
    r"(?i)(?:below|under|above|over|from|(?:more|less|cheaper|lower|higher)\s+than)\b"
)
"""A figure just before "below"/"above": "$80k below the $1.18M asking" says how far below;
the figure after the word is stated as it is."""
_INCLUSIVE = compile_quick(
    r"(?i)\s*(?:within|up\s+to|at\s+most|max|no\s+more|not\s+more|at\s+least|from|starting|min"
    r"|fit|afford)"
)
_NOT = compile_quick(
    r"(?i)\b(?:not|isn'?t|aren'?t|wasn'?t|no\s+longer|never|nor|rather\s+than)\s+(?:a\s+|an\s+|the\s+)?$"
)

# The buyer's own numbers: "your 1.5M budget", "your budget of 1.5M", "you mentioned 700k",
# "the 700k you mentioned", "within budget".
_BUYERS_BEFORE = compile_quick(
    r"(?i)(?:\byour\b(?:\s+[\w'\u2019-]+){0,3}|\byou(?:'ve|'d|'re)?\s+(?:\w+\s+){0,2}"
    r"(?:mentioned|said|wanted|want|gave|told|shared|set|specified|indicated|asked|prefer"
    r"|need|looking|considering|can\s+afford|budgeted|capped|stated|noted|wrote)"
    r"(?:\s+(?:for|at|of|about|around|is|was|under|below|up\s+to|within|a|an|the|me|us|max"
    r"|maximum|min|minimum|roughly|approx\.?))*"
    r"(?:\s+[\w-]+(?:\s+[\w-]+)?\s+(?:under|below|within|up\s+to|around|about|of))?"
    r"|\bbudget(?:\s+(?:of|is|was|at|around|about|cap|max|limit|under|below|within|up\s+to))*\b"
    r"|\bas\s+you\s+\w+,?|^\W*with(?:\s+(?:a|your)\s+budget\s+of)?)\s*(?:of|is|was|at|:|around|about)?"
    r"\s*~?\s*(?:s\$|\$)?\s*$"
)
_BUYERS_AFTER = compile_quick(
    r"(?i)^\s*(?:k|m|mil|million)?\s*(?!(?:is\s+|are\s+|and\s+|so\s+|still\s+|well\s+)*"
    r"(?:above|over|under|below|within|outside|beyond|out\s+of|than)\b)"
    r"(?:[\w-]+\s+){0,2}?(?:budget|range|limit|cap|ceiling|max"
    r"|(?:that\s+|which\s+)?(?:you|your\s+[\w'\u2019-]+)(?:'ve|'d|'re|\u2019re|\s+have|\s+had)?"
    r"\s+(?:\w+\s+)?(?:mentioned"
    r"|said|wanted|saw|seen|heard|read|looking\s+for|after"
    r"|asked|need|gave|specified|told|prefer|set|shared|stated|indicated|wrote|budgeted"
    r"|can\s+(?:stretch|afford|go|do|spend|manage)|are\s+(?:ok|okay|comfortable|looking)"
    r"|have\s+in\s+mind|set\s+aside))"
)
MOST_HOMES = compile_quick(
    r"(?i)\b(?:most|many|typical|typically|usually|normally|often)\s+(?:\w+\s+){0,2}?"
    r"(?:are|were|have|has|come\s+with|get|go)\s+(?:a\s+|an\s+)?$"
)
"""Homes in general as the subject ("most executives are 3 bedrooms", "most get snapped up"):
the market, not the listing (other homes named as a clause's subject: _OTHERS_SUBJECT)."""


_RELATION_TEXT = (
    "not isn't isnt aren't wasn't longer never nor rather about around approx approximately "
    "approx. roughly ~ close nearly almost some circa ard abt so take just slightly under below "
    "less within up most max maximum more cheaper lower < sub beneath short over above least "
    "from starting start upwards north > min minimum bigger larger fit fits afford affordable"
)
_RELATION_WORDS = frozenset(_RELATION_TEXT.split())
_RELATION_TOKEN = compile_quick(r"[\w~<>']+")
"""Words of which one is among the last few before a number that is compared, not stated."""
_BUYERS_HINT = compile_quick(r"budget|range|limit|\bcap\b|ceiling|\bmax\b|\byour?\b")


def answers_by_how_much(text: str, start: int) -> bool:
    """Whether the figure at `start` answers which of two is cheaper or bigger, and by how
    much ("Clementi, by about $32k.")."""
    return start < 40 and _BY_ALONE.match(text, 0, start) is not None


def gap_ahead(text: str) -> bool:
    """Whether `text`, after a figure, makes it a gap: "43k — AMK 408k vs TP 365k"."""
    return DELTA_AFTER.match(text) is not None


_AT_LEAST = compile_quick(
    r"(?i)\b(?:over|above|more\s+than|at\s+least|upwards\s+of|north\s+of|just\s+over)"
    r"\s*(?:s\$|\$)?\s*$"
)
_AT_MOST = compile_quick(
    r"(?i)\b(?:under|below|less\s+than|at\s+most|just\s+under|not\s+quite|shy\s+of)"
    r"\s*(?:s\$|\$)?\s*$"
)


def bound(text: str, start: int) -> str:
    """How the number at `start` bounds what it counts: "over 600 sq ft more" ("over"),
    "under 50k cheaper" ("under"), or not at all ("")."""
    if said_before(_AT_LEAST, text, start, 16):
        return "over"
    return "under" if said_before(_AT_MOST, text, start, 16) else ""


def approximate(text: str, start: int) -> bool:
    """Whether the number at `start` is said to be approximate ("almost 300 sq ft more")."""
    return said_before(_APPROX, text, start, 24) is not None


def text_before(text: str, start: int, width: int = 48) -> str:
    return text[max(0, start - width) : start]


def said_before(
    pattern: re.Pattern[str], text: str, start: int, width: int
) -> re.Match[str] | None:
    """`pattern` in the `width` characters before `start`, after a quick look for its words
    (most windows hold none of them, and the look costs a fraction of the search)."""
    if not _in_clause(pattern.pattern, pattern.flags, text):  # the clause lacks its words,
        return None  # so does every window of it
    window = text[max(0, start - width) : start]
    return pattern.search(window) if may_match(pattern, lower_for_gate(window)) else None


@lru_cache(maxsize=8192)
def _in_clause(source: str, flags: int, text: str) -> bool:
    """`may_match` of a pattern on a whole clause, looked at once for all its windows."""
    return source_may_match(source, flags, _lowered(text))


@lru_cache(maxsize=1024)
def _lowered(text: str) -> str:
    return lower_for_gate(text)


def _gap_relation(before: str, word: re.Match[str]) -> bool:
    """Whether the relation word `word` in `before` says how far a figure before it is from
    the next ("$80k below the $1.18M asking"), not how the next compares."""
    gap_word = _GAP_WORD.match(word.group(0)) is not None
    return gap_word and _A_GAP_BEFORE.search(before, 0, word.start()) is not None


def relation_of(text: str, start: int) -> Relation:
    before = text_before(text, start, 32)
    if not _RELATION_WORDS.intersection(_RELATION_TOKEN.findall(before.lower())[-5:]):
        return "="  # the common case, without the patterns below
    if _NOT.search(before):
        return "!="
    if _APPROX.search(before):
        return "~"
    under = _UNDER.search(before)
    if under and not _gap_relation(before, under):
        return "<=" if _INCLUSIVE.match(under.group(0)) else "<"
    over = _OVER.search(before)
    if over and not _gap_relation(before, over):
        return ">=" if _INCLUSIVE.match(over.group(0)) else ">"
    return "="


_WITH_BEFORE = compile_quick(
    r"(?i)\bwith\s+(?:about|around|roughly|approx\.?|~|only|just)?\s*(?:s\$|\$)?$"
)


_MEANS_AFTER = compile_quick(r"(?i)\s+(?:the|you|u|your)\b")


def said_as_means(text: str, match: re.Match[str]) -> bool:
    """ "With 2M, Kim Yam Loft would have been ideal", "in the west with about 1.3 mil, the
    Clementi one fits", "With 4m the terrace works": money set off by "with" and a comma, or
    followed by what it buys, is the buyer's means."""
    after = text[match.end() : match.end() + 12]
    before = text_before(text, match.start(), 24)
    set_off = after.startswith(",") or _MEANS_AFTER.match(after) is not None
    return set_off and _WITH_BEFORE.search(before) is not None


def said_by_buyer(text: str, start: int, end: int) -> bool:
    before, after = text_before(text, start).lower(), text[end : end + 60].lower()
    if "you" not in before and "budget" not in before and not _BUYERS_HINT.search(after):
        return False
    return bool(_BUYERS_BEFORE.search(before) or _BUYERS_AFTER.match(after))


def said_as_former(text: str, match: re.Match[str]) -> bool:
    """Whether the price at `match` is one the listing had before (_FORMER_BEFORE)."""
    said = said_before(_FORMER_BEFORE, text, match.start(), 48)
    if said is None:
        return False
    return said.group("needs_time") is None or _FORMER_AFTER.match(text[match.end() :]) is not None
