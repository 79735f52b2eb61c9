"""Availability claims: sold, under offer, available, open to view (an offer to view implies
it), gone; said with the usual words or without them ("up for grabs", "snapped up")."""

from __future__ import annotations

import re

from execution.claims.claim import Claim
from execution.claims.said import MOST_HOMES, said_before
from execution.regex_gate import compile_quick

_SOLD = compile_quick(
    r"(?i)\b(?:sold|snapped\s+(?:it\s+|them\s+)?up|been\s+bought|found\s+a\s+buyer|off\s+the\s+market|transacted"
    r"|(?:a|the|another)\s+new\s+(?:buyer|owner)|\bnew\s+owners?\b|handed\s+over\s+the\s+keys"
    r"|keys\s+(?:have\s+been\s+|were\s+)?handed\s+over|collected\s+the\s+keys"
    r"|(?:sale|deal|transaction)(?:'s|\s+is|\s+was|\s+has\s+been)?\s+"
    r"(?:done|completed|closed|sealed|through)|completed\s+(?:the|its)\s+sale"
    r"|(?:someone|somebody)\s+else\s+(?:has|owns|got)\s+(?:the\s+keys|it)"
    r"|(?:is|was|'s|has\s+been|have\s+been|already|just|got|been|now|kena)\s+(?:taken|gone)\b"
    r"(?!\s+(?:care|over|into|up|down|through|for|by\s+surprise)))"
)
_PENDING = compile_quick(
    r"(?i)\b(?:reserved|under\s+offer|on\s+hold|pending\b(?!\s+(?:your|you|confirmation|approval"
    r"|the\s+agent|her|his|\w+'s\s+(?:confirmation|approval|reply|ok|go-ahead)))|(?:an?\s+)?offer\s+(?:pending|accepted|in\s+progress)"
    r"|(?:has|got|received)\s+an?\s+(?:\w+\s+)?offer"
    r"|(?:someone|somebody|another\s+(?:buyer|party|family|agent'?s\s+buyer)|an?\s+buyer|they)\s+"
    r"(?:has\s+|have\s+|had\s+)?(?:already\s+|just\s+)?(?:put\s+down|put\s+in|paid|made|placed)\s+"
    r"(?:the\s+|an?\s+)?(?:offer|option\s+fee|deposit|booking\s+fee)"
    r"|accepted\s+(?:someone\s+else'?s|another|an|a)\s+(?:\w+\s+)?offer"
    r"|(?:granted|given|issued)\s+(?:an?\s+)?(?:option|otp)\s+to\s+(?:another|someone|a\s+buyer|the\s+buyer)"
    r"|an?\s+offer\s+(?:is|was|has\s+been)\s+(?:made|put\s+in|accepted)"
    r"|(?:option|otp)\s+(?:has\s+been\s+|was\s+)?(?:granted|issued|exercised|signed))"
)
_AVAILABLE = compile_quick(
    r"(?i)(?:\b(?:is|are|'s|it's|remains?|still|currently|now|also|and|both|unit|flat|condo|listing|house|home"
    r"|one|place|apartment|property)\s+(?:\w+\s+)?available\b"
    r"|\bavailable\s+(?:now|for\s+(?:sale|purchase|viewing|you)|to\s+(?:view|buy))"
    r"|(?:\d\s?[km]?\s+|[-\u2013:|,]\s*)avail\b(?!\s+(?:yourself|of))"
    r"|\bstill\s+(?:on\s+the\s+market|there|open|up\s+for\s+grabs|for\s+sale|around|free"
    r"|unsold|going|in\s+the\s+market)"
    r"|\bup\s+for\s+grabs|\bon\s+the\s+market|\bfor\s+sale\b|\bunsold\b|\bstill\s+got\b"
    r"|\bavailable\s+again\b"
    r"|(?:^|[,:(\u2013\u2014|-]\s*)(?:still\s+|currently\s+|now\s+)?available\b(?!\s+(?:on|at|from|slots?))"
    r"|(?<!not\s)(?<!n't\s)\bopen\s+for\s+(?:viewing|offers)"
    r"|\bnobody\s+has\s+(?:bought|taken)|\bno\s+(?:one|1)\s+has\s+(?:bought|taken))"
)
_NOT_SOLD = compile_quick(
    r"(?i)\b(?:not|isn'?t|hasn'?t\s+been|haven'?t\s+been|has\s+not\s+been|wasn'?t|never\s+been)"
    r"\s+(?:\w+\s+)?(?:sold|taken|snapped\s+up|gone)\b"
    r"|\bnot\s+yet\s+(?:been\s+)?(?:sold|taken|snapped\s+up|gone)\b"
    r"|\b(?:neither|none)(?:\s+of\s+them)?\s+(?:(?:is|are|has\s+been|have\s+been|was)\s+)?"
    r"(?:\w+\s+)?(?:sold|taken)\b"
)
"""Not sold: available, or under offer ("not sold yet, it's pending")."""
_GONE = compile_quick(
    r"(?i)\boff\s+the\s+table\b|\bsigned\s+with\s+(?:a|another|the)\s+buyer"
    r"|\bno\s+longer\s+(?:on\s+offer|open)|\bcomes\s+back\s+on\s+(?:the\s+)?market\b"
    r"|\b(?:taken|gone)\s+(?:already|liao|le)\b"
)
_OPEN = compile_quick(
    r"(?i)\b(?:still\s+)?(?:entertain(?:ing)?|accept(?:ing)?|tak(?:e|ing)|open\s+to|consider(?:ing)?)"
    r"\s+offers\b"
    r"|\b(?:hasn'?t|has\s+not|haven'?t|not\s+yet)\s+(?:yet\s+)?(?:accepted|received|taken)\s+any\s+offers?"
    r"|\b(?:nobody|no\s+(?:one|1))(?:'s|\s+has)?\s+(?:yet\s+)?(?:reserved|bought|taken"
    r"|snapped\s+(?:it\s+)?up|put\s+in\s+an?\s+offer)"
    r"|\byou\s+can\s+(?:still\s+)?(?:put\s+in|make)\s+an?\s+offer|\bopen\s+(?:for|to)\s+offers"
)
_NOT_AVAILABLE = compile_quick(
    r"(?i)\b(?:not|isn'?t|is\s+no\s+longer|no\s+longer|not\s+currently|isn'?t\s+currently"
    r"|neither\s+(?:one\s+|of\s+them\s+)?(?:is|are)|not\s+open)\s+"
    r"(?:\w+\s+)?(?:available|on\s+the\s+market|for\s+sale|up\s+for\s+grabs|for\s+viewings?)"
)
_VIEWING = compile_quick(
    r"(?i)\b(?:view(?:ing|ed)?s?|see\s+(?:it|the\s+(?:unit|flat|place|house|condo|home)|this|that"
    r"|both|them|all)|(?:pop|drop|come|swing)\s+by|come\s+see|get\s+you\s+(?:in|into)|access"
    r"|show\s+(?:it|the\s+(?:unit|flat|place|house))|keys?\s+(?:are\s+|is\s+)?with\s+me"
    r"|(?:bring|take)\s+you\s+(?:to|round|around|over|down|in)\b"
    r"|visit|show\s+you\s+(?:around|it|the\s+(?:unit|flat|place))|come\s+(?:down|by|and\s+see)"
    r"|take\s+a\s+look|have\s+a\s+look|check\s+it\s+out|walk\s*-?\s*through|tour"
    r"|can\s+do|can!|see\s+you|confirmed?\s+(?:for|the\s+(?:viewing|slot|appointment|time|visit))"
    r"|(?:viewing|slot|appointment|visit)\s+(?:is\s+|has\s+been\s+)?confirmed|booked|book\s+you"
    r"|slot\s+you|pencil\w*"
    r"|(?:\d{1,2}(?::\d\d)?\s*(?:am|pm)|(?:mon|tues|wednes|thurs|fri|satur|sun)day|tomorrow|tonight"
    r"|\bsat|\bsun)\s+(?:\w+\s+){0,2}?(?:works|is\s+(?:fine|ok|okay|good|perfect|confirmed)|can)"
    r"|(?:meet|see)\s+you\s+(?:at|by|outside|downstairs|in\s+front)"
    r"|open\s+(?:this|next|on|for\s+(?:viewing|a\s+viewing))\s*(?:weekend|week|sat|sun|\w+day)?"
    r"|\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm)\s+(?:for\s+)?the\s+(?=\w)"
    r"|(?:\b(?!(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|to(?:day|morrow|night)\b|sat\b|sun\b"
    r"|slots?\b|free\b|available\b|meet\b|you\b|me\b|us\b|on\b|or\b|and\b|sold\b|completed\b"
    r"|closed\b|signed\b|exercised\b|reserved\b|taken\b|went\b|ended\b|expired\b)[a-z][\w-]*\s+at"
    r"|how\s+about(?:\s+\w+){0,2}?)\s+\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm))\b"
)
_OFFER = compile_quick(
    r"(?i)\b(?:would\s+you\s+like|want\s+to|wanna|keen|shall\s+i|should\s+i|can\s+i|could\s+i"
    r"|happy\s+to|glad\s+to|let\s+me|i\s+can|i'll|i\s+will|arrange|book|schedule|set\s+up"
    r"|slot\s+you|free\s+to|available\s+to|open\s+for|how\s+about|interested\s+in|come"
    r"|can\s+(?:view|see|visit|come|go)|bring\s+you|ok(?:ay)?\s+for|(?:mon|tues|wednes|thurs|fri"
    r"|satur|sun)day|tomorrow|tonight|this\s+weekend|this\s+week|next\s+week|anytime|any\s+time"
    r"|after\s+work|send\s+me\s+a\s+time|fix|can|\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm))\b"
)
_NOT_THIS_ONE = compile_quick(
    r"(?i)\b(?:similar|other|another|alternatives?|instead|else|these|those|any\s+of"
    r"|can'?t|cannot|unable|no\s+longer|not\s+possible)\b"
)
_OFFER_INVITED = compile_quick(
    r"(?i)\b(?:put|submit|send|pass|bring)\s+(?:your\s+|an?\s+|the\s+)?(?:(?:s\$|\$)?[\d.,]+\s?[km]?\s+)?"
    r"offer\s+(?:to|in\s+(?:for|on))\b|\b(?:you\s+can|we\s+can|can)\s+(?:make\s+an\s+)?offer\s+(?:on|for)\b"
    r"|\bmake\s+(?:an|your)\s+offer\s+(?:on|for)\b"
    r"|\bput\s+(?:up|in)\s+(?:an?|your)\s+(?!back-?up\b)(?:\w+\s+)?offer\b"
    r"|\b(?:put|pass|take|forward|present|send|bring|relay|submit|convey)\s+"
    r"(?:it|this|that|them|your\s+(?:\w+\s+)?offer)\s+(?:on\s+)?to\s+the\s+(?:seller|owner|vendor)s?\b"
)
"""An offer invited or put to a listing's owner: the listing is one that can be bought."""
_MAYBE = compile_quick(r"(?i)\b(?:will|'ll|would|could|may|might|once|when|if|unless)\b")


# The words without one of which a family of patterns cannot match: a clause's words are read
# once, and only the families they allow run (the patterns are the costly part of the check).
_NOT_AVAILABLE_WORDS = frozenset("available market sale grabs viewing viewings".split())
_NEGATION_WORDS = frozenset(
    "not isn isnt hasn haven wasn never longer no currently neither none".split()
)
_AVAILABLE_WORDS = frozenset(
    "available avail market grabs sale unsold still sold taken gone snapped bought got"
    " nobody".split()
)
_SOLD_WORDS = frozenset(
    (
        "sold snapped bought buyer market transacted taken gone owner owners keys sale deal "
        "completed transaction collected else new"
    ).split()
)
_PENDING_WORDS = frozenset("reserved offer hold pending option otp".split())
_VIEWING_EXTRA = frozenset("viewed pop drop swing get access keys key fix am pm bring".split())
_VIEWING_WORDS = _VIEWING_EXTRA | frozenset(
    (
        "view viewing viewings views see visit show come take have check walk tour can "
        "confirm confirmed booked book slot pencil pencilled look works fine ok okay good perfect"
        " meet open"
    ).split()
)
_OFFER_INVITED_WORDS = frozenset("offer seller owner vendor sellers owners".split())
_OPEN_WORDS = frozenset("entertain entertaining offers offer nobody one accepted received".split())
_GONE_WORDS = frozenset("table signed longer comes taken gone".split())
STATE_WORDS = (
    _OPEN_WORDS | _GONE_WORDS | _AVAILABLE_WORDS | _SOLD_WORDS | _PENDING_WORDS | _VIEWING_WORDS
) | _OFFER_INVITED_WORDS


def states_in(text: str, words: frozenset[str]) -> list[Claim]:
    found: list[Claim] = []
    taken: list[tuple[int, int]] = []

    def add(state: str, match: re.Match[str]) -> None:
        if any(a <= match.start() < b for a, b in taken):
            return
        taken.append(match.span())  # its words are read, whether or not they state
        if state != "open to view" and said_before(_MAYBE, text, match.start(), 48):
            return  # "if they don't exercise it, it'll come back on the market": not now
        if said_before(MOST_HOMES, text, match.start(), 40):
            return  # "most get snapped up": the market
        found.append(Claim("availability", state, "=", match.start(), match.group(0)))

    families = [
        (_NOT_AVAILABLE, "not available", words & _NOT_AVAILABLE_WORDS and words & _NEGATION_WORDS),
        (_NOT_SOLD, "not sold", words & _SOLD_WORDS and words & _NEGATION_WORDS),
        (_OPEN, "available", words & _OPEN_WORDS),
        (_GONE, "not available", words & _GONE_WORDS),
        (_AVAILABLE, "available", words & _AVAILABLE_WORDS),
        (_SOLD, "sold", words & _SOLD_WORDS),
        (_PENDING, "pending", words & _PENDING_WORDS),
    ]
    for pattern, state, possible in families:
        for match in pattern.finditer(text) if possible else ():
            add(state, match)
    for invited in _OFFER_INVITED.finditer(text) if words & _OFFER_INVITED_WORDS else ():
        add("open to view", invited)  # "you can offer on either": both are on the market
    if words & _VIEWING_WORDS and _OFFER.search(text) and not _NOT_THIS_ONE.search(text):
        for viewing in _VIEWING.finditer(text):  # "A at 10am, then B at 11.45am": each one
            add("open to view", viewing)
    return found
