"""Every claim a clause makes (`claims_in`), with what states nothing about a listing left out:
other homes as the subject, a question to the buyer, what the buyer is looking for, a search
that found nothing; and a unit said once for several figures, written out again."""

from __future__ import annotations

from execution.claims.claim import Claim, words_of
from execution.claims.order import ORDER_WORDS, orders_in
from execution.claims.prices import prices_in
from execution.claims.rooms import rooms_of
from execution.claims.sizes import sizes_in
from execution.claims.states import STATE_WORDS, states_in
from execution.regex_gate import compile_quick, lower_for_gate, may_match

_HOMES = (  # homes in the plural: a kind of home spoken of in general
    r"(?:units|flats|homes|ones|houses|terraces|semi-?ds|bungalows|condos|apartments|bedders"
    r"|maisonettes|studios|penthouses|executives|ecs|shophouses"
    r"|\d[ -]?(?:room|bed(?:room)?|bedder|br)s)"
)
_A_HOME = (  # one home, of any kind
    r"(?:unit|flat|home|house|terrace|semi-?d|bungalow|condo|apartment|maisonette|studio"
    r"|penthouse|executive|shophouse|\d[ -]?(?:room|bed(?:room)?|bedder))"
)
_OTHERS_SUBJECT = compile_quick(
    r"(?i)\W*(?:units?|flats?|homes?|ones)\s+(?:in|at|of|on)\s+(?:the\s+same|this|that|similar)\b"
    rf"|\W*(?:similar|other|comparable|nearby|neighbouring|recent)\s+(?:[\w+-]+\s+){{0,2}}?"
    rf"(?:units?|flats?|homes?|{_HOMES}|transactions|sales|deals)\b"
    rf"|\W*(?:the\s+)?(?:[\w+-]+\s+){{0,2}}?{_HOMES}"
    r"\s+(?:nearby|around\s+here|in\s+the\s+(?:area|estate|neighbourhood|vicinity))\b"
    rf"|\W*(?:the\s+|a\s+|one\s+)?(?:last|previous|another|other\s+)?(?:[\w+-]+\s+){{0,2}}?"
    rf"(?:{_A_HOME}|{_HOMES})\s+in\s+the\s+same\s+(?:development|block|project|stack|building)\b"
    rf"|\W*(?:the\s+)?(?:last|previous)\s+(?:[\w+-]+\s+){{0,2}}?{_A_HOME}\s+"
    r"(?:in|at|of)\s+(?:the|this|that)\s+(?:development|block|project|stack|building)\b"
    r"|\W*(?:blk|block)\s+\d+[a-z]?\s+"
    r"(?:sold|transacted|went)\b"
)
_YOU = compile_quick(r"(?i)\byou(?:r|'ve|'d|'re)?\b")
_CHOSEN_BY_STATE = compile_quick(
    r"(?i)\W*(?:the|both|all)\s+(?:\d\s+|two\s+|three\s+)?(?:available|unsold|remaining|open)"
    r"\s+(?:ones?|units?|flats?|homes?|listings?|options?)\b"
)
_CORRECTION = compile_quick(r"(?i)\b(?:sorry|actually|correction|mistake|wrong|meant|apologies)\b")
_IF_YOU = compile_quick(
    r"(?i)\bif\s+you(?:'re|\s+are)?\s+(?:looking|after|searching|open|keen|ok|okay)\b"
    r"|\byou\s+asked\s+(?:if|whether|about)\b|\b(?:i|we)\s+(?:said|mentioned|wrote|told\s+you)\b"
)
_QUESTION_TO_BUYER = compile_quick(
    r"(?i)\b(?:are|were|would|do|did|is|will|could)\s+you\b|\byour\b|\byou\s+(?:want|need|prefer)"
)
_TAG_QUESTION = compile_quick(
    r"(?i)[\s,]+(?:right|correct|rite|yah?|yeah|yes|isn'?t\s+it|is\s+it|no)\s*\?+\W*$"
)
"""A statement asked back to be confirmed ("Your max was 950k right?"): it still states."""
_NOTHING_FOUND = compile_quick(
    r"(?i)\b(?:couldn'?t|could\s+not|can'?t|cannot|didn'?t|did\s+not|don'?t|do\s+not|unable\s+to)"
    r"\s+(?:\w+\s+)?(?:find|have|see|get|locate)\b"
    r"|\bno\s+(?:\w+\s+){0,3}(?:listings?|units?|options?|matches|results|flats?|condos?)\b"
    r"|\bnothing\s+(?:in|under|below|within|that|matching|available|else|similar)\b"
    r"|\bnone\s+of\s+(?:them|these|those|the|our|my)\b|\bany\s+\d"
)

_TO_SEARCH = compile_quick(
    r"(?i)\b(?:i|we|let\s+me|happy\s+to|want\s+me\s+to|shall\s+i|should\s+i)"
    r"(?:\s*(?:can|could|will|'ll|\u2019ll|am\s+happy\s+to|would\s+be\s+happy\s+to))?"
    r"(?:\s+(?:also|try\s+and|try\s+to|go\s+and))?"
    r"\s+(?:search|look|hunt|scout|find|shortlist|keep\s+an\s+eye)(?:\s+(?:out|around))?"
    r"\s+(?:for|you)\b"
    r"|\b(?:widen|expand|extend|broaden|stretch)\s+(?:the|my|our|your)\s+search\b"
)
"""An offer to look for other homes ("I can search for 2-bedders nearby"): what it names is
what the buyer wants, said of no listing."""

# Cheap looks that let a clause skip the patterns that cannot match it (most clauses state one
# or two kinds of fact; the full patterns are the slow part of the check).
_DIGIT = compile_quick(r"\d")
_ROOM_HINT = compile_quick(r"(?i)studio|exec|maisonette|jumbo|\bE[AM]\b")
_HOUSEHOLD = compile_quick(
    r"(?i)\byour\s+(?:\w+\s+)?(\d{1,2})\s+(?:little\s+|young\s+)?(?:kids?|children|child|sons?"
    r"|daughters?|boys?|girls?|grandkids|grandchildren|pets?|dogs?|cats?)\b"
    r"|\byour\s+(?:\w+\s+)?family\s+of\s+(\d{1,2})\b|\b(?:all|the)\s+(\d{1,2})\s+of\s+you\b"
)
"""A count of the buyer's household the message says ("your 3 kids", "your family of five"):
the buyer must have written it."""


_ELIDED_UNIT = compile_quick(
    r"(?i)(\d[\d,.]{0,15}\s?(sq\.?\s?ft|sqft|sqm|sq\.?\s?m|k|m|mil|million)\b\s*"
    r"(?:vs\.?|versus|against)\s*)(\d[\d,]{0,15}(?:\.\d{1,6})?)"
    r"(?![\d,]|\.\d|\s*(?:sq|ft|k\b|m\b|m²|mil|million|bed|br|room))"
)


_ELIDED_UNIT_BEFORE = compile_quick(
    r"(?i)(?<![\d,.$])(\d[\d,]{0,15}(?:\.\d{1,6})?)(?![\d,.]|\s*(?:sq|ft|k\b|m\b|mil|million))"
    r"(\s*(?:vs\.?|versus|against)\s*\d[\d,.]{0,15}\s?(sq\.?\s?ft|sqft|sqm|sq\.?\s?m)\b)"
)


_ELIDED_ROOMS = compile_quick(
    r"(?i)(\b(?:has|have|had|with|gets?)\s+(?:the\s+)?(\d)\s*-?\s*(bedrooms?|beds?|br|bedders?)\b"
    r"(?:[^.!?\n]{0,80}?\b(?:has|have|had|with|gets?)\s+(?:also\s+|only\s+|just\s+)?"
    r"|\s*(?:vs\.?|versus|against)\s+))(\d)"
    r"(?![\d,]|\.\d|\s*(?:-|sq|ft|k\b|m\b|mil|bed|br|room|rm|min|storey|floor|%|year|yr|level))"
)
"""A count said again without its unit: "A has 4 bedrooms; B also has 2", "5 bedrooms vs 3 at
B"."""


_ELIDED = (
    (_ELIDED_ROOMS, r"\1\4 bedrooms"),
    (_ELIDED_UNIT, r"\1\3 \2"),
    (_ELIDED_UNIT_BEFORE, r"\1 \3\2"),
)


def units_repeated(text: str) -> str:
    """ "1,292 sqft vs 1,270" -> "1,292 sqft vs 1,270 sqft", "1,572 vs 1,033 sqft" -> "1,572
    sqft vs 1,033 sqft": both figures of a pair are in the unit one of them names; "A has 4
    bedrooms, B has 3" -> "..., B has 3 bedrooms"."""
    lowered = lower_for_gate(text)
    for pattern, written_out in _ELIDED:
        if may_match(pattern, lowered):  # most replies have none: a quick look first
            said = pattern.sub(written_out, text)
            if said != text:
                text, lowered = said, lower_for_gate(said)
    return text


def claims_in(clause: str, confirmed: bool = False, about_rooms: bool = False) -> list[Claim]:
    """Every claim `clause` makes, in order of position. `confirmed`: the clause reports a
    question the next words answer yes to ("You asked if it's a 5-room: yes, it is").
    `about_rooms`: the sentence speaks of bedrooms, so "more than the 3 you asked for" counts
    them."""
    numbers = _DIGIT.search(clause) is not None
    words = words_of(clause)
    claims = states_in(clause, words) if words & STATE_WORDS else []
    if numbers:
        claims += [*prices_in(clause), *sizes_in(clause)]
        claims += [
            Claim("household", int(m.group(m.lastindex or 1)), "=", m.start(), m.group(0), True)
            for m in _HOUSEHOLD.finditer(clause)
        ]
    if numbers or _ROOM_HINT.search(clause):
        claims += rooms_of(clause, about_rooms)
    if words & ORDER_WORDS:
        claims += orders_in(clause)
    if not claims:
        return claims
    if _CHOSEN_BY_STATE.match(clause):  # "The 2 available ones can be viewed same day":
        # those the state picks out, whichever they are
        claims = [c for c in claims if c.kind != "availability"]
    if _OTHERS_SUBJECT.match(clause):  # "Units in the same stack have transacted at ~$1,400
        # psf": a clause about other homes states nothing about a listing ("were in the
        # $5.3-5.8M range": no buyer's range either, unless the clause says it is theirs)
        return [c for c in claims if c.buyers and _YOU.search(clause)]
    # Words that state nothing about a listing, from where they begin to the clause's end:
    # "if you're looking for a 3-bedder under 1M" (the buyer's), "you asked if it's a 4-room"
    # and "sorry, I said it was sold" (reported), "I couldn't find a 3-bedder under 1M".
    reported = _IF_YOU.search(clause)
    if reported and reported.group(0).lower().startswith(("i ", "we ")):
        reported = reported if _CORRECTION.search(clause) else None  # "As I mentioned, ..."
    if reported and not (confirmed and reported.group(0).lower().startswith("you asked")):
        claims = [c for c in claims if c.start < reported.start()]
    search = _TO_SEARCH.search(clause)
    if search:  # "I can search for 2-bedders nearby for you"
        claims = [c for c in claims if c.start < search.start() or c.buyers]
    nothing = _NOTHING_FOUND.search(clause)
    if nothing:
        claims = [
            c
            for c in claims
            if c.start < nothing.start() or (c.kind == "availability" and c.value != "open to view")
        ]
    asks = clause.rstrip().endswith("?") and not _TAG_QUESTION.search(clause)
    if asks and _QUESTION_TO_BUYER.search(clause):
        # "Are you looking for a 3-bedder under 1M?" asks; it states nothing. Only the asking
        # part: "It's S$1.58M, would you like to view it?" still states its price.
        asking = max(clause.rfind(", "), clause.rfind("; "), 0)
        claims = [c for c in claims if c.kind == "availability" or c.start < asking]
    return sorted(claims, key=lambda c: c.start)
