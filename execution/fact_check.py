"""The fact guardrail: every price, bedroom count, flat type, size and availability an outgoing
AI message states must match the agent's records, checked here, in code, before it is sent.

The message is read in its numbers-as-digits form (`execution.numbers`), one sentence at a
time, each sentence cut into clauses ("the Bishan one is 1.2M, while the Tampines one is
598k" is two). Every claim (`execution.claims`) is tied to the listing named nearest before it
in its clause (`execution.listing_names`; else after it, else the one the sentence or the
message spoke of last: "It is still available."), and compared with that listing's record
(`execution.listing_facts`, `execution.claim_holds`). A
claim no listing can own, or one true of none of the listings it may speak of, is a
discrepancy. A number the message attributes to the buyer is allowed only when the buyer
wrote that amount in this conversation (`execution.buyer_numbers`). What a buyer wrote is never
itself checked.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from execution.answered_units import (
    asks_bedrooms,
    asks_which_open,
    bedrooms_written_out,
    names_only,
)
from execution.buyer_numbers import buyer_amounts, buyer_sizes
from execution.claim_holds import APPROXIMATE, compare, holds, near, rounding
from execution.claims.claim import MAX_TEXT, Claim
from execution.claims.prices import money_label, summed_before
from execution.claims.reading import claims_in, units_repeated
from execution.claims.rooms import rooms_asked, rooms_in, rooms_spoken_of
from execution.claims.said import answers_by_how_much, approximate, bound, gap_ahead
from execution.claims.sizes import built_label, gap_label, land_label, per_area_label, size_in_sqft
from execution.errors import ValidationError
from execution.listing_facts import facts_line, facts_of
from execution.listing_names import Mention, names_of
from execution.listings import SQFT_PER_SQM
from execution.numbers import message_in_digits, words_to_digits
from execution.property_lookup import Property
from execution.regex_gate import compile_quick, lower_for_gate, may_match
from execution.tables import tables_as_lines
from execution.worked_out import figures, is_worked_out

MAX_CLAIMS = 400
"""Claims read in one message before it is refused as too dense to check."""
SMALL_SHARE = 0.25
"""A price under this share of the cheapest listing in play is read as no listing's price
unless it is said to be a price or a listing is named just before or after it."""
NAMED_NEAR = 40
"""How close (in characters) a listing must be named to a small price for the price to be
that listing's."""
BOUNDED = 1.2
"""How far past its figure a gap said with a bound may be: "over 600 sq ft more" of 614 or
700, "under 50k cheaper" of 45k (not of 10k: a bound that far off misleads)."""
FAR = 0.2
"""A figure within this share of a listing's own is an attempt at it, never arithmetic."""

_SENTENCE = compile_quick(
    r"(?<=[.!?])\s+(?=\S)|\n+|(?<=\S)\s+[•·▪-]\s+|^\s*[•·▪*-]\s+"
    r"|(?<=[\U0001F300-\U0001FAFF\u2600-\u27BF])\s+(?=[A-Z])",
    re.M,
)
_CLAUSE = compile_quick(
    r"(?i);|:\s|\s[\u2013\u2014]\s|\s-\s|,\s*(?=(?:while|whereas|whilst|but|and\s+the|and\s+this|and\s+that"
    r"|and\s+it|so\s+it"
    r"|compared|versus|vs\.?)\b)|\b(?=(?:while|whereas|whilst|but|since|because|although|though"
    r"|compared\s+(?:to|with)"
    r"|versus|vs\.?|(?<!more\s)(?<!less\s)(?<!fewer\s)(?<!space\s)(?<!room\s)than)\s)|\band\s+(?=the\s)"
)
_POSSESSED = compile_quick(
    r"(?i)(?:\b(?:has|have|having|had|with|gives?|offers?|comes?\s+with|got|gets?|provides?"
    r"|includes?|is|are|it's|its|all|exactly|just|only|indeed)|[,(:\u2013\u2014-])"
    r"(?:\s+(?:all|exactly|just|only|the|your|indeed))*\s*#"
)
"""Before a number of rooms the buyer gave, words that give the listing those rooms ("has the
3 bedrooms you asked for"); without them the number is held up against the buyer's need."""
_DENIED_KIND = compile_quick(
    r"(?i)(?:\bnot|n't|\brather\s+than|\binstead\s+of)\s+(?:an?\s+|the\s+)?$"
)
_PSF_SAID = compile_quick(
    r"(?i)(?<![\w$])(?:psf|per\s+sq(?:uare)?\.?\s*f(?:ee|oo)?t|/\s*sq\.?\s?ft)(?!\w)"
)
_SHORT_OF_A_BAR = compile_quick(r"^\W*(?:short|shy)\b(?!\s+of\s+(?:the\s+)?[A-Z])")
_RESPECTIVELY = compile_quick(r"(?i)\brespectively\b")
_THE = compile_quick(r"(?i)\bthe\s+$")
_OVERALL = compile_quick(r"(?i)^\s*(?:\w+\s+)?(?:overall|in\s+total|in\s+price|all\s+in)\b")
_BARE_FIGURE = compile_quick(
    r"(?<![\d.,$#/-])(\d{1,2},\d{3}|\d{3,5})(?![\d,.]*\d)(?!\s*(?:k|m|mil|%|am|pm|years?|yrs?)\b)"
)
_EXTREMES = compile_quick(
    r"(?i)\btop\s+to\s+bottom\b|\b(?:biggest|largest|smallest|cheapest|priciest|dearest|highest"
    r"|lowest)\s+(?:one\s+)?(?:and|to|vs)\s+(?:the\s+)?(?:biggest|largest|smallest|cheapest|priciest"
    r"|dearest|highest|lowest|most\s+expensive)\b"
)
_PERCENT = compile_quick(r"(\d{1,2}(?:\.\d+)?)\s*%")
_TOGETHER = compile_quick(r"(?i)\b(?:together|combined)\b[^.;:]{0,60}$")
_BETWEEN = compile_quick(r"(?i)\bbetween\s[^,;:$\d]{0,30}$")
_ACKNOWLEDGED = compile_quick(
    r"(?i)\W*(?:noted|got\s+it|understood|sure|ok|okay|alright|roger|haha\w*|thanks|thank\s+you)\b"
)
"""A sentence that starts by taking note of what the buyer said, then restates it."""
_RANK_VALUE = compile_quick(r"(\w+)([<>])(\d*)")
_OF_THE_REST = compile_quick(
    r"(?i)\b(?:what'?s|those|the\s+ones?|ones?)\s+(?:still\s+)?(?:left|remaining|available|unsold)\b"
    r"|\b(?:available|remaining|unsold)\s+ones\b"
)
_OPTIONS_INTRO = compile_quick(
    r"(?i)\b(?:here\s+are|here's|i\s+have|i've\s+got|we\s+have|sharing|check\s+out)\s+(?:the\s+)?"
    r"(?:\d+|some|a\s+few|several)?\s*(?:great\s+|good\s+|nice\s+|more\s+)?(?:options?|listings?"
    r"|units?|homes?|choices|matches|properties|picks)\b"
)
_FOIL = compile_quick(r"(?i)\bthan\s+(?:the\s+)?$")
"""What a listing named after it is compared against ("more than Piermont")."""
_VS = compile_quick(r"(?i)\b(?:vs\.?|versus|against|compared\s+(?:to|with))(?!\w)")
_SET_AGAINST = compile_quick(
    r"(?i)\s*(?:vs\.?|versus|against)(?!\w)\s*(?:~|\u2248|about\s+|around\s+)?"
)
"""A clause that sets its first figure against the last one ("... ~$1,487 vs ~$1,630", "land
7,500 sq ft vs Kembangan's 1,650"): the same kind of figure."""
_OVER_UNDER = compile_quick(r"(?i)\s*(?:over|under|above|below)\b")
_FOR_GAP = compile_quick(
    r"(?i)\bfor\s+(?:about\s+|around\s+|roughly\s+|~|only\s+|just\s+)?(?:s\$|\$)?$"
)
_SO_GAP = compile_quick(
    r"(?i)(?:[,;:\u2013\u2014]\s*|^)(?:so|that's|thats|i\.e\.|meaning)\s+(?:about\s+|around\s+|roughly\s+"
    r"|~|only\s+|just\s+)?(?:s\$|\$)?$"
)
_NEXT_CLAUSE = compile_quick(r"(?i)[;]|,\s*(?:but|though|although|while|whereas|yet)\b")
_LABEL = compile_quick(
    r"(?i)\W*(?:option|opt|choice|no\.?|number)?\s*#?\w{1,6}\s*[:.)\-\u2013\u2014]\W{0,4}"
)
"""Between a place and a name that make one label: "Option 1: ", "2) ", "first - "."""
_REFERENCE = compile_quick(
    r"(?i)\bthe\s+(former|latter|other)(?:\s+(?:1|one|unit|flat|condo|listing|place|option))?\b"
)
_TITLE_ROOMS = compile_quick(r"(?i)\b(\d)\s*-?\s*(?:bedrooms?|beds?|br|bedders?)\b")
_BY_BEDROOMS = compile_quick(
    r"\b[Tt][Hh][Ee]\s+(?:[A-Z][\w'-]*\s+){0,3}(\d)\s*-?\s*"
    r"(?:[Bb]edrooms?|BEDROOMS?|[Bb]eds?|BEDS?|[Bb][Rr]|[Bb]edders?)\b"
)
"""A unit named by its bedrooms ("the 2-bedroom", "the Parc Lumina 4-bed")."""
_AGAINST = compile_quick(r"(?i)\b(?:than|above|below|over|under|versus|vs\.?)\s+(?:the\s+)?$")
_PREDICATE = compile_quick(
    r"(?i)\b(?:is|are|'s|was|were)\s+(?:also\s+|still\s+|actually\s+|both\s+)?(?:an?\s+)?$"
)
_ANSWER_OPENS = compile_quick(
    r"(?i)\W*(?:(?:yes|ya|yah|yup|yep|yeah|no|nope|correct|right|sure)\b\W*"
    r"|(?:(?:yes|ya|yup|no)\W+)?(?:it|that|this)(?:\s+one)?(?:'s|\s+is)\s+(?:also\s+|actually\s+)?)"
    r"(?:an?\s+)?"
)
"""The opening of a short answer before a kind: "Ya ", "Yes, ", "It's a ", "That one is a "."""
_COMPARES = compile_quick(
    r"(?i)\b(?:vs\.?|versus|compare[ds]?|difference|diff|between|than|more|cheaper|bigger|and)\b"
)
_GAP_ASKED = compile_quick(
    r"(?i)\bhow\s+much\s+(?:more|less|cheaper|pricier|extra|difference|bigger|larger|smaller)\b|\b(?:price\s+)?(?:difference|diff|gap)\b"
)
_PRICE_SAID = compile_quick(
    r"(?i)\b(?:price[ds]?|pricing|asking|costs?|going\s+for|listed\s+(?:at|for)|selling\s+(?:at|for))"
    r"\b[^.;!?\d]{0,14}$"
)
_FOR_LISTING = compile_quick(r"(?i)\s*(?:k|m|mil)?\s*for\s+(?:the\s+)?")
"""Between a figure and the listing it is for: "5.2M for the semi-D"."""
_COUNT = compile_quick(r"(?<![\d.,])\d{1,2}(?![\d.,]\d)")
ASKED_ABOUT = 3
"""How many of the buyer's last messages may name what a reply speaks of."""
_RANKED_REFERENCE = compile_quick(
    r"(?i)\bthe\s+(cheaper|cheapest|pricier|priciest|more\s+expensive|most\s+expensive|bigger|biggest"
    r"|larger|largest|smaller|smallest)\b(?:\s+(?:one|1|unit|flat|of\s+the\s+(?:two|2)))?"
)
_AFFIRMED = compile_quick(
    r"(?i)\W*(?:yes|yup|yep|ya|yah|yeah|correct|right|that's\s+right|exactly|indeed|confirmed"
    r"|can)\b(?:\s+(?:it\s+is|lah|lor|ah|sir|madam|ma'am|po))?\W*"
)
_YES = compile_quick(r"(?i)\W*(?:yes|yup|yep|correct|that's\s+right|indeed)\b")
_STRETCH = compile_quick(r"[,;:(]|\s[\u2013\u2014-]\s")
_IT = compile_quick(r"(?i)\W*(?:but|and|though|although|yet|so)?\s*(?:it|it's|its|it is)\b")
_YOUR_AMOUNT = compile_quick(
    r"(?i)(?:^\s*\w+\s+(?:than\s+)?|\b)your\s+(?:budget\s+of\s+|max\s+of\s+)?(?:s\$|\$)?"
    r"(\d[\d,]*(?:\.\d+)?)\s?(k|m|mil|million)?\b"
)
_ELIDED_GAP = compile_quick(r"(?i)^\s*\w+\s*(?:[.,;!]|$)")
_NOT_A_LISTING_AFTER_GAP = compile_quick(
    r"(?i)^\s*\w+\s+(?:than\s+)?(?:it|that|this|your|the\s+budget|budget|you|what)\b"
)
_LISTED = compile_quick(r"[:(]|\s[\u2013\u2014-]\s")
_PLURAL = compile_quick(r"(?i)\b(?:are|have|both|all|each)\b")
_VERSUS = compile_quick(
    r"(?i)(?<![\d,.$])(\$?\d[\d,.]{0,15}+\s?(?:k|m|mil|million)?(?:\s*(?:sq\.?\s?ft|sqft|sqm))?)"
    r"\s*(?:vs\.?|versus|against)"
    r"\s*(?:~|\u2248|about\s+|around\s+)?(\$?\d[\d,.]{0,15}+\s?(?:k|m|mil|million)?(?:\s*(?:sq\.?\s?ft|sqft|sqm))?)"
)
_A_FIGURE = re.compile(
    r"(?i)\$\s?\d|\d[\d,.]*\s*(?:k|m|mil|million|sq\.?\s*(?:ft|feet|foot|m)|sqft|sf|sqm|square)\b"
)
"""An amount or an area (a number with its unit): "St 81" is a name, "980 sq ft" a figure."""
_TERM_BEFORE = re.compile(r"\d\s*[kKmM]?\s*\+\s*(?:s?\$)?$")
_TERM_AFTER = re.compile(r"\s*\+\s*(?:s?\$)?\d")
"""A "+" joining two figures ("$585k + $688k"), not the "and above" of "$1.2M+"."""
_STATE_SAID = compile_quick(
    r"(?i)\b(?:sold|offer|pending|reserved|taken|gone|available|open|market|view)"
)
_BOTH = compile_quick(
    r"(?i)\b(?:both|each\s+of\s+them|all\s+of\s+them|all\s+(\d)|all\s+(?:are|have|come|can))\b"
)


@dataclass(frozen=True)
class Discrepancy:
    sentence: str
    fact: str
    problem: str
    record: str = ""
    """What the record says (for the model's corrective turn and the agent's incident)."""

    def __str__(self) -> str:
        text = f"{self.problem}: {self.fact!r} in {self.sentence!r}"
        return f"{text} (the record: {self.record})" if self.record else text


class FactCheckFailed(ValidationError):
    def __init__(self, discrepancies: list[Discrepancy]) -> None:
        super().__init__("; ".join(str(d) for d in discrepancies))
        self.discrepancies = discrepancies


def _a_term(sentence: str, claim: Claim) -> bool:
    """Whether the figure stands beside a "+": a part of a sum ("$585k + $688k + $780k"),
    each of one of the listings named, not of all of them."""
    end = claim.start + len(claim.text)
    before = _TERM_BEFORE.search(sentence, max(0, claim.start - 12), claim.start)
    return before is not None or _TERM_AFTER.match(sentence, end) is not None


def _terms_after(sentence: str, end: int) -> list[float]:
    """The amounts of a sum written out after a total, in a later clause ("$22.6M: $3.2M +
    $5.6M + $12.8M"): every amount after it, if they are joined by "+"."""
    rest = sentence[end:]
    terms = figures(rest)[0]
    return terms if len(terms) >= 2 and rest.count("+") >= len(terms) - 1 else []


def _titled_rooms(title: str) -> int | None:
    """The bedrooms a title names its listing by ("Casa Meyer 2-bedroom": 2)."""
    found = _TITLE_ROOMS.search(title)
    return int(found.group(1)) if found else None


def _criterion_like(claim: Claim) -> bool:
    """A price said as a bound or a rough figure ("max 650k", "below 450k", "around 1.2M"): the
    shape of a buyer's criterion when a sentence restates what they asked for."""
    return claim.kind == "price" and claim.relation in ("<", "<=", ">", ">=", "~")


def _clauses(sentence: str) -> list[tuple[int, int]]:
    bounds = [0]
    for match in _CLAUSE.finditer(sentence):
        joined = match.group(0).startswith("and") and (
            _BETWEEN.search(sentence, bounds[-1], match.start())
            or _TOGETHER.search(sentence, bounds[-1], match.start())
        )
        if not joined:  # "the spread between the top and the bottom", "together the 4-room
            # ($548k) and the 5-room ($668k) would be": one clause
            bounds.append(match.start())
    bounds.append(len(sentence))
    return [(a, b) for a, b in itertools.pairwise(sorted(set(bounds))) if b > a]


def _sizes_set_against(piece: str, found: list[Claim], unit: str) -> list[Claim]:
    """Bare figures in a clause set against a size ("vs Punggol's 1,261"), as sizes in its
    unit; none when the clause states a size of its own, or for a figure that reads as a
    year ("vs 2018")."""
    if any(c.kind in ("size", "land_size") for c in found):
        return []
    taken = [(c.start, c.start + len(c.text)) for c in found]
    sizes = []
    for match in _BARE_FIGURE.finditer(piece):
        value = float(match.group(1).replace(",", ""))
        if "," not in match.group(1) and 1950 <= value <= 2040:
            continue
        if any(a <= match.start() < b for a, b in taken):
            continue
        sizes.append(Claim("size", f"{value} {unit}", "=", match.start(), match.group(1)))
    return sizes


def _distinct(items: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(items))


@dataclass
class _Judged:
    claim: Claim
    owners: tuple[int, ...]
    together: bool = False
    """It must hold for every owner ("both are 4-room"), not for one of them."""
    guessed: bool = False
    """No listing named near it: the owners are those spoken of before, or all in play."""


class _Reading:
    """One message read against the records, sentence by sentence."""

    def __init__(self, listings: list[Property], buyer_texts: Iterable[str]) -> None:
        self.listings = listings
        self.names = names_of(listings)
        self.facts = [facts_of(p) for p in listings]
        self.buyer_texts = tuple(buyer_texts)  # read more than once
        self.buyers: set[float] | None = None
        self.sizes: set[float] | None = None  # every amount and size the buyer wrote
        self.counts: set[int] | None = None  # every whole number the buyer wrote
        self.rooms: set[tuple[str, float | str]] | None = None
        self.context: tuple[int, ...] = ()
        self.seen: list[int] = []  # listings named so far, the latest last
        self.introduced: list[int] = []  # listings in the order they were first named
        self.checked = 0
        self.problems: list[Discrepancy] = []
        self.sentence_text = ""
        self.lowered = ""  # the sentence, lower-cased for the quick looks (regex_gate)
        self.versus: list[re.Match[str]] = []
        self.asked = ""  # the buyer's message the reply answers (in digits)
        self.offering = False  # after "Here are 3 options:", each listing named is offered
        self.offered: dict[int, str] = {}  # listing -> the line that offered it
        self.state_said: set[int] = set()  # listings whose availability the message states
        self.labels: dict[int, int] = {}  # "Option 2: <name>": place -> the listing so labelled
        self.titled_rooms = [_titled_rooms(p.title) for p in listings]  # "Casa Meyer 2-bedroom"
        self.by_bedrooms = sum(n is not None for n in self.titled_rooms) >= 2

    def offered_but_sold(self) -> None:
        """A listing offered as an option ("Here are 3 options: 1. ...") is one the buyer can
        have: a sold one offered without a word on its state is a wrong fact."""
        for index, line in self.offered.items():
            if index not in self.state_said and self.facts[index].availability == "sold":
                record = f"{self.listings[index].title}: {facts_line(self.listings[index])}"
                self.problems.append(
                    Discrepancy(line, self.listings[index].title, "offered but sold", record)
                )

    def asked_about(self, texts: tuple[str, ...]) -> None:
        """A reply speaks of what the buyer's last messages asked about ("Is the Bishan one
        still available?" - "Yes, still available!"; "the cheaper one?") until it names a
        listing itself: the latest of `texts` that names one."""
        for text in reversed(texts):
            digits = message_in_digits(text[:MAX_TEXT])
            named = self.names.buyer_mentions(digits, len(self.listings))
            if not _COMPARES.search(digits):  # "the Punggol Drive one is 5 room right?":
                # the listing named, not the kind asked about ("4rm vs 5rm": both)
                named = [m for m in named if not m.by_kind] or named
            one_each = [m.listings[0] for m in named if len(m.listings) == 1]
            ranked = self._ranked_reference(digits)
            if ranked is not None:
                one_each = [ranked]
            if one_each:
                self.context = tuple(sorted(set(one_each)))
                self.asked = digits
                return

    def _ranked_reference(self, text: str) -> int | None:
        """ "the cheaper one", "the biggest": the listing in play that is."""
        match = _RANKED_REFERENCE.search(text) if len(self.listings) >= 2 else None
        if match is None:
            return None
        word = match.group(1).lower().split()[-1]
        by_size = word in ("bigger", "biggest", "larger", "largest", "smaller", "smallest")
        values = [f.size_sqft if by_size else f.price for f in self.facts]
        if None in values:
            return None
        least = word in ("cheaper", "cheapest", "smaller", "smallest")
        pick = min if least else max
        best = pick(values)  # type: ignore[type-var]
        return values.index(best) if values.count(best) == 1 else None

    def confirmed(self, reply: str) -> None:
        """ "Toa Payoh one 720k right?" - "Correct 👍": a reply that only says yes makes the
        buyer's claims its own (checked against what the buyer asked about)."""
        if not self.asked or _AFFIRMED.match(reply.lstrip()) is None:  # the quick look first
            return
        first = _SENTENCE.split(reply.strip(), maxsplit=1)[0]
        if not _AFFIRMED.fullmatch(first.strip()):
            return
        for found in claims_in(self.asked):
            if found.buyers:
                continue
            claim = Claim(found.kind, found.value, found.relation, found.start, found.text)
            if claim.kind in ("price", "bedrooms", "flat_type", "size", "availability"):
                held = [holds(claim, self.facts[i]) for i in self.context]
                if held and not any(held):
                    record = "; ".join(
                        f"{self.listings[i].title}: {facts_line(self.listings[i])}"
                        for i in self.context
                    )
                    problem = f"confirms the buyer's {claim.kind.replace('_', ' ')}"
                    self.problems.append(Discrepancy(first, claim.text, problem, record))

    def sentence(self, sentence: str) -> bool:
        """Judge one sentence; False once the message holds too many claims to go on."""
        self.sentence_text = sentence
        self.lowered = lowered = lower_for_gate(sentence)
        mentions = self._references(sentence, self._in_order(sentence))
        if self.asked and self.context:  # "The 1st one is 3-room or 4-room?" - "It's a
            # 3-room": said of what was asked about, not a name of the 3-room listing
            mentions = [m for m in mentions if not (m.by_kind and self._answered(sentence, m))]
        if "not" in lowered or "n't" in lowered or "rather" in lowered or "instead" in lowered:
            # "is a 3-room, not a 4-room": the kind it is not, no name of the 4-room listing
            mentions = [
                m
                for m in mentions
                if not (m.by_kind and _DENIED_KIND.search(sentence, max(0, m.start - 16), m.start))
            ]
        self.versus = (
            list(_VERSUS.finditer(sentence))
            if "vs" in lowered or "versus" in lowered or "against" in lowered
            else []
        )
        judged: list[_Judged] = []
        about_rooms = rooms_spoken_of(sentence) is not None
        restating = _ACKNOWLEDGED.match(sentence) is not None
        land = per_area = False
        last_kind = ""  # the kind of the last claim read, for a "vs" that goes on with it
        plots = False  # the sentence has spoken of the land: its size gaps are between plots
        money_before = False  # a price or a gap was read before, in this sentence
        last_unit = "sqft"  # the unit of the last size read
        for clause in _clauses(sentence):
            piece = sentence[clause[0] : clause[1]]
            against = _SET_AGAINST.match(piece) if last_kind in ("psf", "land_size") else None
            goes_on = against if last_kind == "psf" else None
            more_land = last_kind == "land_size" and against is not None
            answer = sentence[clause[1] : clause[1] + 12]
            # "Buyer's stamp duty: roughly $77,100": the label says the money is no price
            label = sentence[max(0, clause[0] - 60) : clause[0]] if piece.startswith(":") else ""
            money = bool(label) and money_label(label)
            if label:  # "Land: 3,520 sq ft | Built-up: ~3,800 sq ft": to the next heading
                land = not built_label(label) and (land or land_label(label))
            per_area = per_area_label(label) if label else per_area  # to the next label
            gap = bool(label) and gap_label(label)
            found_here = claims_in(piece, bool(_YES.match(answer)), about_rooms)
            if last_kind == "size" and _SET_AGAINST.match(piece):  # "Tampines is 1,001 sq ft
                # vs Punggol's 1,261": the bare figure set against a size is one
                found_here = [*found_here, *_sizes_set_against(piece, found_here, last_unit)]
            summed = any(found.kind == "price_total" for found in found_here)
            prices = [f for f in found_here if f.kind == "price" and not f.buyers]
            for found in found_here:
                if money and found.kind == "price":
                    continue
                if land and found.kind == "size":  # "Land: Siglap 1,650 sq ft vs ..."
                    found = dataclasses.replace(found, kind="land_size")
                set_against = goes_on is not None and found.start <= goes_on.end()
                if more_land and found.kind == "size":  # "land at 7,500 vs Kembangan's 1,650"
                    found = dataclasses.replace(found, kind="land_size")
                    more_land = False
                if (per_area or set_against) and found.kind == "price" and not found.buyers:
                    # "psf: ~$527 vs ~$500", "psf works out to ~$1,487 vs ~$1,630"
                    found = dataclasses.replace(found, kind="psf")
                plots = plots or found.kind == "land_size"
                if plots and found.kind == "size_gap":
                    continue  # "3,003 sq ft land vs 2,400 — about 600 sq ft more": not checked
                if gap and found.kind == "size":  # "Gap top to bottom: 409 sq ft"
                    sqft = size_in_sqft(str(found.value))[0]
                    found = dataclasses.replace(found, kind="size_gap", value=sqft, relation="~")
                if found.kind in ("price_gap", "size_gap") and _EXTREMES.search(sentence):
                    # "the gap top to bottom", "between the biggest and the smallest"
                    found = dataclasses.replace(
                        found, kind="price_spread" if found.kind == "price_gap" else "size_spread"
                    )
                if found.kind == "price" and not found.buyers:
                    end = clause[0] + found.start + len(found.text)
                    if gap or gap_ahead(sentence[end:]):  # "Difference: $80k", "43k — A 408k
                        # vs B 365k": a gap between the two
                        found = dataclasses.replace(found, kind="price_gap", relation="~")
                last_kind = found.kind
                if found.kind == "size":
                    last_unit = str(found.value).split()[1]
                self.checked += 1
                if self.checked > MAX_CLAIMS:
                    self.problems.append(Discrepancy(sentence, "claims", "too many facts to check"))
                    return False
                claim = Claim(
                    found.kind,
                    found.value,
                    found.relation,
                    found.start + clause[0],
                    found.text,
                    found.buyers,
                )
                if self._buyers_own(claim, sentence):
                    continue
                if self._psf_in_passing(claim) and not self._too_small_for_a_home(
                    claim, clause, mentions
                ):  # "higher psf than the 3-bed ($1,794)": no home costs that
                    claim = dataclasses.replace(claim, kind="psf")
                gap_asked = not mentions and claim.kind == "price" and not claim.buyers
                gap_asked = gap_asked and not money_before  # the first figure answers; "Price
                # gap is $1.72M ($5.6M vs $3.88M)": the ones after it are the two prices
                money_before = money_before or claim.kind in ("price", "price_gap")
                if gap_asked and _GAP_ASKED.search(self.asked):  # "how much more?" - "About
                    # 100k.": the gap between the two asked about
                    claim = dataclasses.replace(claim, kind="price_gap", relation="~")
                elif self._too_small_for_a_home(claim, clause, mentions):
                    continue  # "~$13.4k", "$7,440": fees and duties, not what a home costs
                heading = sentence[clause[1] : clause[1] + 1] == ":"
                if (restating or heading) and not claim.buyers and not _BOTH.search(piece):
                    inside = any(clause[0] <= m.start < clause[1] for m in mentions)
                    if not inside and self._the_buyers_criterion(claim):
                        continue  # "Noted, 3 bedrooms and around 580k.", "3 bedrooms under 1.3M:"
                    if restating and not inside and _criterion_like(claim):
                        # "Got it, 3 bedrooms and max 650k": what the buyer asked for, misquoted
                        misquoted = "a number the buyer never wrote"
                        self.problems.append(Discrepancy(sentence, claim.text, misquoted))
                        continue
                if claim.kind in ("order", "rank"):
                    order = self._order if claim.kind == "order" else self._rank
                    problem = order(claim, clause, mentions)
                    if problem:
                        self.problems.append(Discrepancy(sentence, claim.text, problem))
                    continue
                if claim.kind in ("price_total", "price_spread", "size_spread"):
                    # the parts: a sum worked out before it, else the prices said before it
                    # ("together A ($585k) and B ($688k) would be"), else after it
                    # ("Together $2.81M ($1.32M + $1.59M)")
                    before = [float(f.value) for f in prices if f.start < found.start]
                    after = [float(f.value) for f in prices if f.start > found.start]
                    parts = summed_before(piece, found.start) or (
                        before if len(before) >= 2 else after
                    )
                    if len(parts) < 2:  # "would be $22.6M: $3.2M + $5.6M + $12.8M"
                        parts = _terms_after(sentence, claim.start + len(claim.text))
                    problem = self._total(claim, mentions, parts)
                    if problem:
                        self.problems.append(Discrepancy(sentence, claim.text, problem))
                    continue
                if claim.kind in ("price_gap", "size_gap"):
                    problem = self._gap(claim, mentions)
                    if problem:
                        self.problems.append(Discrepancy(sentence, claim.text, problem))
                    continue
                owned = self._owned(claim, clause, piece, mentions)
                if owned and owned.together and _RESPECTIVELY.search(piece):
                    # "Both 4-rooms, $575k and $528k respectively": in the order named
                    first_named = [i for i in self.introduced if i in owned.owners]
                    alike = [f.start for f in found_here if f.kind == claim.kind]
                    nth = sum(1 for start in alike if start < found.start)
                    if len(alike) >= 2 and len(first_named) == len(owned.owners) > nth:
                        owned = _Judged(claim, (first_named[nth],))
                if (
                    owned
                    and owned.together
                    and claim.kind == "price"
                    and (summed or _a_term(sentence, claim))
                ):
                    owned = replace(owned, together=False)  # "Both together would be
                    # $1,286,000 ($598k + $688k)": the parts of a sum, each of one of them
                if heading and claim.kind == "availability":  # "Available: A and B."
                    listed = self._listed_after(clause, mentions)
                    owned = _Judged(claim, listed, together=True) if listed else owned
                if owned is None:
                    if claim.kind != "availability":  # "viewings are available on Sat"
                        problem = f"{claim.kind} of no listing named"
                        self.problems.append(Discrepancy(sentence, claim.text, problem))
                    continue
                judged.append(owned)
        for item in self._most_consistent(judged):
            if item.claim.kind == "availability":
                self.state_said.update(item.owners)
            held = [holds(item.claim, self.facts[i]) for i in item.owners]
            if not (all(held) if item.together else any(held)):
                if self._share_of_a_price(item.claim, judged):
                    continue  # "the 25% downpayment on $1.32M ($330k)"
                if self._worked_out(item.claim, item.owners, mentions):
                    continue  # "990 vs 980 sq ft, so just 10 sq ft"
                record = "; ".join(
                    f"{self.listings[i].title}: {facts_line(self.listings[i])}" for i in item.owners
                )
                problem = f"{item.claim.kind.replace('_', ' ')} does not match the record"
                self.problems.append(Discrepancy(sentence, item.claim.text, problem, record))
        if self.offering and mentions and len(mentions[0].listings) == 1:
            self.offered.setdefault(mentions[0].listings[0], sentence)
        self.offering = self.offering or (
            may_match(_OPTIONS_INTRO, lowered) and _OPTIONS_INTRO.search(sentence) is not None
        )
        if mentions:  # a later sentence ("It is available.") speaks of the same: the listings
            # named one by one if any ("Geylang East is the 3-room": not every 3-room)
            named = [m for m in mentions if len(m.listings) == 1] or mentions
            self.context = tuple(sorted({i for m in named for i in m.listings}))
            for mention in named:
                if len(mention.listings) == 1 and mention.listings[0] not in self.introduced:
                    self.introduced.append(mention.listings[0])
            for mention in mentions:
                self.seen = [i for i in self.seen if i not in mention.listings]
                self.seen += list(mention.listings)
        return True

    def _in_order(self, sentence: str) -> list[Mention]:
        """The listings the sentence names. "Option 2: Canberra Breeze EC" labels that
        listing "option 2"; a later "Option 2", "the second" is the listing the message so
        labelled, else the second it named, else the search's second."""
        mentions = self.names.mentions(sentence, len(self.listings))
        found: list[Mention] = []
        for i, mention in enumerate(mentions):
            place = mention.ordinal
            if place is None:
                found.append(mention)
                continue
            named = mentions[i + 1] if i + 1 < len(mentions) else None
            if (
                named is not None
                and named.ordinal is None
                and len(named.listings) == 1
                and _LABEL.fullmatch(sentence[mention.start : named.start])
            ):
                self.labels[place] = named.listings[0]
                continue  # the label and the name are one mention: the name's
            if place in self.labels:
                found.append(replace(mention, listings=(self.labels[place],)))
            elif place < len(self.introduced):
                found.append(replace(mention, listings=(self.introduced[place],)))
            else:
                found.append(mention)
        return found

    def _listed_after(self, clause: tuple[int, int], mentions: list[Mention]) -> tuple[int, ...]:
        """The listings a heading clause with none of its own heads: each named after it."""
        if any(clause[0] <= m.start < clause[1] for m in mentions):
            return ()
        after = [m.listings[0] for m in mentions if m.start >= clause[1] and len(m.listings) == 1]
        return tuple(_distinct(after))

    def _share_of_a_price(self, claim: Claim, judged: list[_Judged]) -> bool:
        """Whether a price that fits no listing is a share the sentence names of a price in it
        or of a listing's ("the 20% downpayment on the Punggol 3-room ($428k -> $85.6k)"): a
        sum worked out, not what a home costs."""
        if claim.kind != "price" or "%" not in self.sentence_text:
            return False
        shares = [float(m.group(1)) / 100 for m in _PERCENT.finditer(self.sentence_text)]
        bases = {float(j.claim.value) for j in judged if j.claim.kind == "price"}
        bases |= {float(f.price) for f in self.facts}
        value = float(claim.value)
        return any(
            math.isclose(value, share * base, rel_tol=0.005)
            for share in shares
            for base in bases
            if 0 < share < 1
        )

    def _worked_out(self, claim: Claim, owners: tuple[int, ...], mentions: list[Mention]) -> bool:
        """Whether a price or size that fits no listing is arithmetic on figures the records
        back, stated in the same sentence (`worked_out`), and far from what the
        listing it is held against has: a near miss ("1,021 sq ft" of a 1,012 sq ft flat) is a
        wrong figure, however it adds up; so is a figure said of a listing named just before it
        ("Yishun is $400k")."""
        if claim.kind not in ("price", "size", "land_size"):
            return False
        for m in mentions:  # the first figure after a name is said of it
            named_before = 0 <= claim.start - m.start <= NAMED_NEAR
            if named_before and not _A_FIGURE.search(self.sentence_text, m.start, claim.start):
                return False
        money = claim.kind == "price"
        number, _, unit = str(claim.value).partition(" ")
        value = float(number)
        for i in owners:
            f = self.facts[i]
            own = f.price if money else f.land_sqft if claim.kind == "land_size" else f.size_sqft
            if own and unit == "sqm":
                own /= SQFT_PER_SQM
            if own and near(own, value, FAR):
                return False
        return is_worked_out(value, money, self.sentence_text, self._backed)

    def _backed(self, figure: float, money: bool) -> bool:
        """A figure some listing's record (price; floor or land area in either unit) or the
        buyer's own words hold."""
        if money:
            return round(figure) in self._buyer_money() or any(
                near(f.price, figure, 0.005) for f in self.facts
            )
        areas = [a for f in self.facts for a in (f.size_sqft, f.land_sqft) if a]
        return figure in self._buyer_areas() or any(
            near(a, figure, 0.005) or near(a / SQFT_PER_SQM, figure, 0.015) for a in areas
        )

    def _psf_in_passing(self, claim: Claim) -> bool:
        """A bare figure in the range of the listings' prices per square foot, after the
        sentence has spoken of psf ("slightly higher psf than the 3-bed ($1,794)"), is one."""
        if claim.kind != "price" or claim.buyers or not self.listings:
            return False
        if not _PSF_SAID.search(self.sentence_text, 0, claim.start):
            return False
        rates = [f.price / f.size_sqft for f in self.facts if f.size_sqft]
        value = float(claim.value)
        return bool(rates) and min(rates) / 2 <= value <= max(rates) * 2

    def _too_small_for_a_home(
        self, claim: Claim, clause: tuple[int, int], mentions: list[Mention]
    ) -> bool:
        """A price under a quarter of the cheapest listing in play is no listing's price
        unless it is said to be the price or a listing is named just before or after it
        ("Bishan at $48.5k", "the price is $1 for the Tampines condo" are wrong prices; "BSD
        about $7,440" is a duty)."""
        if claim.kind != "price" or claim.buyers or not self.listings:
            return False
        if float(claim.value) >= SMALL_SHARE * min(f.price for f in self.facts):
            return False
        if _PRICE_SAID.search(self.sentence_text, max(0, claim.start - 32), claim.start):
            return False  # "the price is $1": said to be a price, however small
        near = [m for m in mentions if clause[0] <= m.start < claim.start]
        if near and claim.start - near[-1].start <= NAMED_NEAR:
            return False
        end = claim.start + len(claim.text)  # "$1 for the Tampines condo"
        return not any(end <= m.start <= end + NAMED_NEAR for m in mentions)

    def _answered(self, sentence: str, mention: Mention) -> bool:
        """Whether a kind said at `mention` answers the buyer's question ("Ya 5-room lor",
        "It's a 3-room") rather than naming a listing."""
        return _ANSWER_OPENS.fullmatch(sentence[: mention.start]) is not None

    def _by_bedrooms(
        self, sentence: str, mentions: list[Mention]
    ) -> tuple[list[Mention], list[Mention]]:
        """ "Casa Meyer: the 2-bedroom at $1.495M and the 3-bedroom at $2.15M": where listings'
        titles tell them apart by their bedrooms, "the 2-bedroom" names the one so titled among
        those spoken of; "the Parc Lumina 4-bed" names that one, not every Parc Lumina unit
        (the mentions of the name alone are returned second, to be dropped)."""
        if not self.by_bedrooms or not may_match(_BY_BEDROOMS, self.lowered):
            return [], []
        spoken = {i for m in mentions for i in m.listings} or set(self.context)
        extra, dropped = [], []
        for match in _BY_BEDROOMS.finditer(sentence):
            count = int(match.group(1))
            titled = [i for i, n in enumerate(self.titled_rooms) if n == count]
            among = [i for i in titled if i in spoken] or titled
            if len(among) == 1:
                extra.append(Mention(match.start(), (among[0],)))
                dropped += [
                    m
                    for m in mentions
                    if match.start() < m.start < match.start(1) and among[0] in m.listings
                ]
        return extra, dropped

    def _references(self, sentence: str, mentions: list[Mention]) -> list[Mention]:
        """ "The former", "the latter", "the other one": of the two listings named last, in
        the order they were first named."""
        found = list(_REFERENCE.finditer(sentence)) if may_match(_REFERENCE, self.lowered) else []
        extra, dropped = self._by_bedrooms(sentence, mentions)
        mentions = [m for m in mentions if m not in dropped]
        for match in found:
            before = [
                m.listings[0] for m in mentions if m.start < match.start() and len(m.listings) == 1
            ]
            named = _distinct([*self.introduced, *before])
            if len(named) < 2:
                continue
            pair = named[-2:]
            word = match.group(1).lower()
            if word == "other":  # the one of the two not spoken of just before
                last = (before or self.seen)[-1:]
                index = pair[0] if last == [pair[1]] else pair[1]
            else:
                index = pair[0] if word == "former" else pair[1]
            extra.append(Mention(match.start(), (index,)))
        return sorted([*mentions, *extra], key=lambda m: m.start)

    def _buyer_money(self) -> set[float]:
        """Every amount the buyer wrote (read once per message checked)."""
        if self.buyers is None:
            self.buyers = buyer_amounts(self.buyer_texts)
        return self.buyers

    def _buyer_areas(self) -> set[float]:
        """Every number the buyer wrote that may be an area, in the unit written."""
        if self.sizes is None:
            self.sizes = self._buyer_money() | buyer_sizes(self.buyer_texts)
        return self.sizes

    def _the_buyers_criterion(self, claim: Claim) -> bool:
        """A price or a bedroom count the buyer wrote, restated as what they asked for."""
        if claim.kind == "price":
            return round(float(claim.value)) in self._buyer_money()
        if claim.kind in ("bedrooms", "flat_type"):
            if self.rooms is None:
                self.rooms = {kind for t in self.buyer_texts for kind in rooms_asked(t)}
            return (claim.kind, claim.value) in self.rooms
        return False

    def _buyers_own(self, claim: Claim, sentence: str) -> bool:
        """True when the claim is the buyer's number and nothing more is to check."""
        if not claim.buyers:
            return False
        if claim.kind in ("bedrooms", "flat_type"):  # "has the 3 bedrooms you asked for":
            # the buyer must have asked for them, and the listing must have them
            if self.rooms is None:
                self.rooms = {kind for t in self.buyer_texts for kind in rooms_asked(t)}
            if (claim.kind, claim.value) in self.rooms:
                # "has the 3 bedrooms you asked for" says the listing has them; "doesn't meet
                # your 3-bedroom minimum", "could work for the 4 rooms you need" hold it up
                # against the buyer's need and say nothing of its own
                return _POSSESSED.search(self._around(claim)) is None
            self.problems.append(
                Discrepancy(sentence, claim.text, "a number the buyer never wrote")
            )
            return True
        if claim.kind == "household":  # "your 3 kids": the buyer said how many
            if self.counts is None:
                self.counts = {
                    int(n)
                    for t in self.buyer_texts
                    for n in _COUNT.findall(message_in_digits(t[:MAX_TEXT]))
                }
            if claim.value not in self.counts:
                self.problems.append(
                    Discrepancy(sentence, claim.text, "a number the buyer never wrote")
                )
            return True
        if claim.kind in ("size", "land_size"):  # "the 110 sqm you wanted": as the buyer
            # wrote it, in either unit
            sizes = self._buyer_areas()
            number, unit = str(claim.value).split()
            written = float(number)
            other = written * SQFT_PER_SQM if unit == "sqm" else written / SQFT_PER_SQM
            if not any(near(a, written, 0.01) or near(a, other, 0.03) for a in sizes):
                self.problems.append(
                    Discrepancy(sentence, claim.text, "a number the buyer never wrote")
                )
            return True
        if claim.kind != "price":
            return True
        if round(float(claim.value)) not in self._buyer_money():
            self.problems.append(
                Discrepancy(sentence, claim.text, "a number the buyer never wrote")
            )
            return True
        # "under the 700k you mentioned": the listing's price must be under it
        return claim.relation not in ("<", "<=", ">", ">=")

    def _owned(
        self, claim: Claim, clause: tuple[int, int], piece: str, mentions: list[Mention]
    ) -> _Judged | None:
        paired = self._versus(claim, mentions)
        if paired is not None:
            return _Judged(claim, paired)
        together = self._collective(claim, clause, piece, mentions)
        if together:
            return _Judged(claim, together, together=True)
        inside = [m for m in mentions if clause[0] <= m.start < clause[1]]
        before = [m for m in inside if m.start <= claim.start]
        if len(before) >= 2 and before[-1].start == claim.start:
            # "Woodlands is a 4-room": "4-room" names the 4-room listing too, but said after
            # "is" it is said of the one named before it
            said_of = _PREDICATE.search(self.sentence_text, 0, claim.start) is not None
            before = before[:-1] if said_of else before
        after = [m for m in inside if m.start > claim.start]
        # "... 730k less than the 4BR": a listing after "than" is what the figure is set
        # against, not what it is of
        after = [m for m in after if not _AGAINST.search(self.sentence_text, 0, m.start)]
        earlier = [m for m in mentions if m.start < clause[0]]
        end = claim.start + len(claim.text)
        owner_after = [m for m in after if _FOR_LISTING.fullmatch(self.sentence_text, end, m.start)]
        if owner_after:  # "from 3.88M for the terrace to 5.2M for the semi-D"
            return _Judged(claim, owner_after[0].listings)
        if before:
            return _Judged(claim, before[-1].listings)
        if earlier and _IT.match(piece):  # "..., but it's reserved": "it" is what the
            # words before spoke of: the first listing named in the last stretch that names one
            cuts = [0, *(m.end() for m in _STRETCH.finditer(self.sentence_text, 0, clause[0]))]
            for cut in reversed(cuts):
                since = [m for m in earlier if m.start >= cut]
                if since:
                    return _Judged(claim, since[0].listings)
        if after:
            return _Judged(claim, after[0].listings)
        if earlier:
            return _Judged(claim, earlier[-1].listings)
        if self.context:
            return _Judged(claim, self.context, guessed=True)
        if not self.listings or (claim.kind == "availability" and len(self.listings) > 1):
            return None
        # nothing named yet ("It's a 3-room, 721 sq ft"): one of the listings in play
        return _Judged(claim, tuple(range(len(self.listings))), guessed=True)

    def _versus(self, claim: Claim, mentions: list[Mention]) -> tuple[int, ...] | None:
        """In "A is 80k more than B (628k vs 548k)" the first figure is A's, the second B's;
        in "A is bigger (1,216 vs 969 sq ft)" after B was named, the second is B's; in "Psf:
        ~$1,723 vs ~$1,472" with neither named in order, each is one of the two in play."""
        for match in self.versus:
            side = 0 if match.start(1) <= claim.start < match.end(1) else None
            if match.start(2) <= claim.start < match.end(2):
                side = 1
            if side is None:
                continue
            named = _distinct(
                m.listings[0] for m in mentions if m.start < match.start() and len(m.listings) == 1
            )
            if len(named) == 1:  # the other is the one named before it (or the only other)
                earlier = [i for i in self.introduced if i != named[0]]
                if not earlier and len(self.listings) == 2:
                    earlier = [1 - named[0]]
                named = [named[0], earlier[-1]] if earlier else named
            elif not named:
                named = self.introduced[-2:]
                if len(named) < 2 and len(self.listings) == 2:
                    return (0, 1)
            return (named[-2:][side],) if len(named) >= 2 else None
        return None

    def _collective(
        self, claim: Claim, clause: tuple[int, int], piece: str, mentions: list[Mention]
    ) -> tuple[int, ...]:
        """The listings a claim about "both" or "all" of them speaks of (it must hold for
        every one): "Bishan Loft and Clementi Ridge are both 4-room", "Both the Bukit Panjang
        maisonette and the Sembawang terrace are 4-bedders", "Both Tampines flats are ...",
        "I can show you both on Sunday", "Both are 4-room: Khatib and Woodlands". Empty: the
        claim is about one listing."""
        # the last "both"/"all" before the claim in its sentence; for a viewing, also after
        # it in its clause ("Happy to arrange viewings of both")
        if not may_match(_BOTH, self.lowered):
            return ()
        end = clause[1] if claim.kind == "availability" else claim.start + len(claim.text)
        words = list(_BOTH.finditer(self.sentence_text, 0, end))
        if not words:
            return ()
        word = words[-1]
        start = word.start()
        subject = _THE.search(self.sentence_text, max(0, claim.start - 8), claim.start)
        if subject and any(m.by_kind and m.start == claim.start for m in mentions):
            return ()  # "both on Tampines St 81 - the 4-room is Blk 812": a name, of one
        between = [m for m in mentions if start < m.start < claim.start]
        # "..., Woodlands is an EA (1,571 sqft)": the last listing named alone, not a kind
        # said of two after it
        singles = [m for m in between if len(m.listings) == 1]
        if singles and (len(between[-1].listings) == 1 or between[-1].by_kind):
            gap = self.sentence_text[singles[-1].start : claim.start]
            listed = _LISTED.search(self.sentence_text, start, claim.start)
            if listed or (len(gap) <= 40 and not _PLURAL.search(gap)):
                return ()  # "Both are under 1.2M: Punggol Edge at 1.18M ...": one by one
        # "Bishan Loft and Clementi Ridge are both ...": named in the clause before "both"
        leading = [m for m in mentions if clause[0] <= m.start < min(start, claim.start)]
        named = {i for m in [*between, *leading] for i in m.listings}
        if len(named) >= 2 or (named and between):
            return tuple(sorted(named))
        count = word.group(1)
        many = int(count) if count else 2 if "both" in word.group(0).lower() else 0
        if len(self.seen) >= 2:
            return tuple(sorted(self.seen[-many:] if many else self.seen))
        # "Both are 4-room flats: the Yishun one and the Fernvale one"
        later = _distinct(
            m.listings[0] for m in mentions if m.start > claim.start and len(m.listings) == 1
        )
        wanted = many or len(later)
        if wanted >= 2 and len(later) >= wanted:
            return tuple(sorted(later[:wanted]))
        if len(self.listings) >= 2 and many in (0, len(self.listings)):
            return tuple(range(len(self.listings)))  # "Both are below 1.48M" of the two shown
        return ()

    def _order(self, claim: Claim, clause: tuple[int, int], mentions: list[Mention]) -> str | None:
        """ "X is the cheaper of the two": of the two listings spoken of, X must be."""
        owned = self._owned(claim, clause, "", mentions)
        pair = (
            self.introduced[-2:] if len(self.introduced) >= 2 else list(range(len(self.listings)))
        )
        if claim.text.lower().endswith("than"):  # "X is bigger than Y": Y is the one after
            after = [m for m in mentions if m.start > claim.start and len(m.listings) == 1]
            if owned is None or not after:
                return None
            pair = [owned.owners[0], after[0].listings[0]] if len(owned.owners) == 1 else []
        if owned is None or len(owned.owners) != 1 or len(pair) != 2 or owned.owners[0] not in pair:
            return None
        this = owned.owners[0]
        other = pair[0] if pair[1] == this else pair[1]
        field, direction = str(claim.value)[:-1], str(claim.value)[-1]
        a, b = self.facts[this], self.facts[other]
        mine, theirs = (a.price, b.price) if field == "price" else (a.size_sqft, b.size_sqft)
        if mine is None or theirs is None:
            return None if field == "price" else "a size the records do not back"
        holds = mine < theirs if direction == "<" else mine > theirs
        return None if holds else f"{field} order does not match the records"

    def _rank(self, claim: Claim, clause: tuple[int, int], mentions: list[Mention]) -> str | None:
        """ "X is the cheapest of the three": of the listings spoken of (those named so far, or
        every one in play), X must cost or measure the least (or the most)."""
        owned = self._owned(claim, clause, "", mentions)
        if owned is None or len(owned.owners) != 1:
            return None
        parsed = _RANK_VALUE.fullmatch(str(claim.value))  # "price<3": the cheapest of three
        if parsed is None:
            return None
        field, direction, count = parsed.groups()
        many = int(count or 0)
        named = _distinct(
            [*self.introduced, *(m.listings[0] for m in mentions if len(m.listings) == 1)]
        )
        group = named[-many:] if many and len(named) >= many else named
        if len(group) < 2 or (many and len(group) != many):
            group = list(range(len(self.listings)))
        if _OF_THE_REST.search(self.sentence_text):  # "of what's left, X is the cheapest"
            group = [i for i in group if self.facts[i].availability == "available"]
        this = owned.owners[0]
        if len(group) < 2 or this not in group:
            return None
        sizes = [
            (self.facts[i].price if field == "price" else self.facts[i].size_sqft) for i in group
        ]
        mine = sizes[group.index(this)]
        if mine is None or None in sizes:
            return None if field == "price" else "a size the records do not back"
        best = min(sizes) if direction == "<" else max(sizes)  # type: ignore[type-var]
        return None if mine == best else f"{field} ranking does not match the records"

    def _total(self, claim: Claim, mentions: list[Mention], parts: list[float]) -> str | None:
        """ "Together about 2.1M": the prices of the listings this sentence names one by one
        (or, when it names fewer than two, those named so far, or spoken of before) add up;
        "a spread of 120k": the dearest of them less the cheapest. A total said with its
        parts ("$3.305M ($835k + $1.15M + $1.32M)", each checked as a price) is their sum."""
        judged = Claim("price", claim.value, claim.relation, claim.start, claim.text)
        if claim.kind == "price_total" and len(parts) >= 2:
            if compare(judged, sum(parts), tolerance=APPROXIMATE, exact=rounding(claim.value)):
                return None
            return f"the parts add up to {sum(parts):,.0f}"
        named = _distinct(m.listings[0] for m in mentions if len(m.listings) == 1)
        spread = claim.kind != "price_total"  # "spread is $120k": priciest - cheapest
        every = list(range(len(self.listings))) if spread else []
        for group in (named, self.introduced, list(self.context), every):
            if len(group) >= 2:
                if claim.kind == "size_spread":  # "gap top to bottom: 409 sq ft"
                    sizes = [self.facts[i].size_sqft for i in group]
                    if None in sizes:
                        return None
                    figures = [float(size or 0) for size in sizes]
                else:
                    figures = [float(self.facts[i].price) for i in group]
                total = max(figures) - min(figures) if spread else sum(figures)
                exact = 2.0 / max(total, 1.0) if claim.kind == "size_spread" else 0.0  # sq ft
                if compare(judged, total, tolerance=APPROXIMATE, exact=exact):
                    return None
                return f"the {'spread' if spread else 'total'} is {total:,.0f}"
        return None

    def _gap(self, claim: Claim, mentions: list[Mention]) -> str | None:
        """A gap ("30k cheaper than Clementi Vista", "118 sq ft bigger") between the listing
        before it and the one after it (or the one other listing the sentence names); None
        when it holds, or when the text does not name both ends."""
        before = [m for m in mentions if m.start < claim.start]
        after = [m for m in mentions if m.start > claim.start]
        # "A: $160k above Clementi and $295k above Tampines": a listing named after "above"
        # or "than" is what an earlier figure was set against, no end of this one
        subjects = [m for m in before if not _AGAINST.search(self.sentence_text, 0, m.start)]
        first = (subjects or before)[-1].listings if before else self.context
        budget = self._budget_for_gap(claim, bool(after))
        if budget is not None:  # "Simei Green is 222k under your 900k"
            if len(first) != 1 or claim.kind != "price_gap":
                return None
            price = self.facts[first[0]].price
            expected = (
                budget - float(claim.value)
                if claim.relation == "<"
                else budget + float(claim.value)
            )
            if math.isclose(price, expected, abs_tol=0.5):
                return None
            return f"{self.listings[first[0]].title} is {abs(budget - price):,.0f} from it"
        if _NOT_A_LISTING_AFTER_GAP.match(self._text_after(claim)):
            return None  # "80k above it" (the buyer's budget), "20k more than you planned"
        if _SHORT_OF_A_BAR.match(self._text_after(claim)):
            return None  # "roughly 170 sqft short": of what the buyer wants
        after = [m for m in after if m.listings != first]  # "..., and Bishan Park nearby"
        end = claim.start + len(claim.text)  # "255k cheaper, but Piermont's reserved": the
        # listing after the next clause's "but" is no end of this gap
        after = [m for m in after if not _NEXT_CLAUSE.search(self.sentence_text[end : m.start])]
        second = after[0].listings if after else ()
        unordered = False  # which end is the bigger one is not said: the size of the gap is
        if not before and len(after) >= 2 and claim.relation == "~":
            first, second, unordered = after[0].listings, after[1].listings, True  # "43k — AMK
            # 408k vs TP 365k": between the two named after it
        if not after and len(before) >= 2 and _FOIL.search(self.sentence_text[: before[-1].start]):
            # "A is 330k more than B, but you get 270 sqft more": again A against B
            first, second = before[-2].listings, before[-1].listings
        elif (
            not after
            and len(before) >= 2
            and _VS.search(self.sentence_text[before[-2].start : before[-1].start])
        ):  # "A is 1,313 sqft vs B 1,001 sqft: 312 sqft more": A's more than B's
            first, second = before[-2].listings, before[-1].listings
        if not mentions and claim.relation == "~" and len(self.introduced) >= 2:
            # "Bishan is 1.65M and Tampines 1.58M. The gap is 70k.": the two named last
            first, second = (self.introduced[-2],), (self.introduced[-1],)
        if not second and len(first) == 1:
            others = {i for m in mentions for i in m.listings} - set(first)
            second = tuple(others) if len(others) == 1 else ()
        named_first = bool(before) and not _FOIL.search(self.sentence_text[: before[-1].start])
        known = set(self.introduced)  # "$50k over." alone is over the buyer's budget; "about
        # $57k more" after a listing of this sentence and one before it: more than that one
        if not _OVER_UNDER.match(self._text_after(claim)):
            known |= {m.listings[0] for m in before if len(m.listings) == 1}
        if not second and len(first) == 1 and named_first and len(known) == 2:
            # "So the Bishan one is 40k more" after two were named: more than the other one
            second = tuple(known - set(first))
        if not first and not second and len(self.listings) == 2:
            first, second = (0,), (1,)  # "the two are only 17k apart"
            unordered = claim.relation != "~"
        if not mentions and not second and len(first) == 2:  # "About 1.3M more." to a buyer
            # who asked about two listings
            first, second, unordered = first[:1], first[-1:], True
        if not second and len(first) == 1 and len(self.context) == 2 and first[0] in self.context:
            second = tuple(i for i in self.context if i != first[0])  # "Exec is 360 sq ft bigger"
        asked = not mentions and _GAP_ASKED.search(self.asked) is not None
        alone = asked or answers_by_how_much(self.sentence_text, claim.start)
        if alone and not second and len(first) == 1 and len(self.listings) == 2:
            second = (1 - first[0],)  # "which cheaper?" - "Clementi, by about $32k.": than
            # the other of the two; "how much bigger is A vs B?" - "About 50 sqm bigger.":
            # the size of the gap (which is the bigger is the question's)
            unordered = unordered or asked
        lead = self.sentence_text[max(0, claim.start - 16) : claim.start]
        for_gap = _FOR_GAP.search(lead) is not None
        if for_gap and len(before) >= 2:  # "The terrace is double the Parc
            # Lumina size for 900k more": the subject costs the more
            first, second = before[0].listings, before[1].listings
        elif _SO_GAP.search(lead) and len(before) >= 2:  # "A is $680,000 and B $560,000, so
            # 120k more": which end is the bigger one is left to the reader
            unordered = True
        elif for_gap and not before and after:  # "For $120k more, Bishan ..."
            unordered = True
        if len(first) != 1 or len(second) != 1 or first == second:
            return None
        a_facts, b_facts = self.facts[first[0]], self.facts[second[0]]
        if claim.kind == "size_gap":
            if a_facts.size_sqft is None or b_facts.size_sqft is None:
                return "a size gap the records do not back"
            a, b, tolerance = a_facts.size_sqft, b_facts.size_sqft, 2.0
        elif self._per_sqft(claim):  # "the studio is cheaper psf by about $245"
            if not a_facts.size_sqft or not b_facts.size_sqft:
                return None
            a, b = a_facts.price / a_facts.size_sqft, b_facts.price / b_facts.size_sqft
            tolerance = 2.0 + APPROXIMATE * float(claim.value)  # each rate rounded
        else:
            a, b, tolerance = float(a_facts.price), float(b_facts.price), 0.5
        gap = float(claim.value)
        actual = (
            abs(a - b) if unordered else {"<": b - a, ">": a - b}.get(claim.relation, abs(a - b))
        )
        if approximate(self.sentence_text, claim.start):  # "almost 300 sq ft more": 291
            tolerance = max(tolerance, APPROXIMATE * gap)
        said = bound(self.sentence_text, claim.start)  # "over 600 sq ft bigger": 614
        low, high = (gap, gap * BOUNDED) if said == "over" else (gap / BOUNDED, gap)
        if said and low - tolerance <= actual <= high + tolerance:
            return None
        if math.isclose(actual, gap, abs_tol=tolerance):
            return None
        return f"the gap is {actual:,.0f}, not {gap:,.0f}"

    def _per_sqft(self, claim: Claim) -> bool:
        """Whether a price gap is one of prices per square foot ("cheaper psf by $245",
        "$304 psf more")."""
        start, end = claim.start, claim.start + len(claim.text)
        after = self.sentence_text[end : end + 16]
        if _OVERALL.match(after):  # "... even though it's $148k cheaper overall"
            return False
        if _PSF_SAID.match(after.lstrip()):
            return True
        return _PSF_SAID.search(self.sentence_text, max(0, start - 40), start) is not None

    def _budget_for_gap(self, claim: Claim, listing_after: bool) -> float | None:
        """The buyer's amount a gap is measured from: "222k under your 900k", or "212k
        under." after "5k under your 900k" in the same sentence; None: not the buyer's."""
        direct = _YOUR_AMOUNT.match(self._text_after(claim))
        elided = None if listing_after else _ELIDED_GAP.match(self._text_after(claim))
        found = direct or (elided and _YOUR_AMOUNT.search(self.sentence_text))
        if not found:
            return None
        suffix = (found.group(2) or "").lower()
        value = float(found.group(1).replace(",", ""))
        if not suffix:  # "your 1.5 budget" is 1.5M, "your 900 budget" 900k
            return value * (1_000_000 if value < 100 else 1_000 if value < 10_000 else 1)
        return value * (1_000 if suffix == "k" else 1_000_000)

    def _around(self, claim: Claim) -> str:
        start, end = claim.start, claim.start + len(claim.text)
        return f"{self.sentence_text[max(0, start - 40) : start]}#{self.sentence_text[end:][:24]}"

    def _text_after(self, claim: Claim) -> str:
        return self.sentence_text[claim.start + len(claim.text) :][:40]

    def _most_consistent(self, judged: list[_Judged]) -> list[_Judged]:
        """A sentence whose listing the text leaves open ("the Tampines maisonette at 880k":
        two Tampines flats; "It's 6.8M with 4 bedrooms" after two were named) speaks of the
        one its claims fit best: the candidates for which most of its claims hold; a guess
        from what was said before prefers the listing named last. Claims are judged
        against those."""
        result = []
        for item in judged:
            if item.together or len(item.owners) == 1:
                result.append(item)
                continue
            peers = [j.claim for j in judged if j.owners == item.owners and not j.together]
            fits = {i: sum(holds(c, self.facts[i]) for c in peers) for i in item.owners}
            best = max(fits.values())
            chosen = tuple(i for i in item.owners if fits[i] == best)
            if item.guessed and len(chosen) > 1:
                recent = [i for i in reversed(self.seen) if i in chosen]
                chosen = (recent[0],) if recent else chosen
            result.append(replace(item, owners=chosen))
        return result


def check_facts(
    text: str, listings: list[Property], buyer_texts: Iterable[str] = ()
) -> list[Discrepancy]:
    """Discrepancies between `text` and `listings` (the agent's records); empty means safe.

    Args:
        text: The message about to be sent.
        listings: The agent's listings it may speak of (those the turn's tools returned and
            the current records of those earlier turns showed).
        buyer_texts: What the buyer wrote in this conversation: a number the message says
            is the buyer's ("your 1.5M budget") must be one of theirs.
    """
    reading = _Reading(listings, buyer_texts)
    reading.asked_about(reading.buyer_texts[-ASKED_ABOUT:])
    reading.confirmed(text[:MAX_TEXT])
    if len(text) > MAX_TEXT:
        reading.problems.append(
            Discrepancy(text[:60], f"{len(text)} characters", "too long to check")
        )
        text = text[:MAX_TEXT]
    digits = units_repeated(words_to_digits(tables_as_lines(text.replace("\u2019", "'"))))
    digits = _names_as_names(digits, listings)
    asked = reading.buyer_texts[-1][:MAX_TEXT] if reading.buyer_texts else ""  # answered now
    if asks_bedrooms(asked):
        # "bedrooms?" - "Bedok 2, Tampines 4.": the counts are bedrooms
        digits = bedrooms_written_out(digits, [n for p in listings for n in (p.title, p.location)])
    which_open = asks_which_open(asked)
    for sentence in (s.strip() for s in _SENTENCE.split(digits) if s and s.strip()):
        unnamed = reading.names.unnamed(sentence) if which_open else ""
        if which_open and unnamed != sentence.lower() and names_only(unnamed):
            sentence = f"Available: {sentence}"  # "which can I view?" - "Woodlands and AMK."
        # the answer comes first: a list after "all four are sold" names the sold ones
        which_open = which_open and not _STATE_SAID.search(sentence) and not reading.seen
        if not reading.sentence(sentence):
            break
    else:
        reading.offered_but_sold()
    return reading.problems


def _names_as_names(text: str, listings: list[Property]) -> str:
    """A listing whose name holds a word its record contradicts ("Kim Yam Studio Residences"
    is a 1-bedroom): where that word stands in the name, it is the name, not a claim, and is
    read as a plain word."""
    pattern = _misleading_words(tuple(_naming_words(p) for p in listings))
    if pattern is None or not pattern.search(text):
        return text

    def plain(match: re.Match[str]) -> str:
        before, word, after = (g for g in match.groups() if g is not None)
        return before + "x" * len(word) + after

    return pattern.sub(plain, text)


def _naming_words(listing: Property) -> tuple[str, tuple[str, ...]]:
    """The listing's title, and the words of it that claim a fact its record contradicts
    (read once per title, kind and bedroom count: the same listings are checked turn after
    turn)."""
    key = (listing.title, listing.property_type, listing.bedrooms)
    wrong = _CONTRADICTED.get(key)
    if wrong is None:
        facts = facts_of(listing)
        wrong = tuple(c.text for c in rooms_in(listing.title) if not holds(c, facts))
        if len(_CONTRADICTED) >= 8192:
            _CONTRADICTED.clear()
        _CONTRADICTED[key] = wrong
    return listing.title, wrong


_CONTRADICTED: dict[tuple[str, str, int | None], tuple[str, ...]] = {}


@lru_cache(maxsize=256)
def _misleading_words(named: tuple[tuple[str, tuple[str, ...]], ...]) -> re.Pattern[str] | None:
    """Each contradicted word with the title word beside it ("Yam Studio", "Studio
    Residences"): (before)(word)(after)."""
    alternatives = []
    for title, words in named:
        parts = title.split()
        for word in words:
            if word not in parts:
                continue  # "3-room" written as one title word only
            i = parts.index(word)
            w = re.escape(word)
            if i > 0:
                alternatives.append(rf"(\b{re.escape(parts[i - 1])}\s+)({w})(\b)")
            if i + 1 < len(parts):
                alternatives.append(rf"(\b)({w})(\s+{re.escape(parts[i + 1])}\b)")
    if not alternatives:
        return None
    joined = "|".join(f"(?:{a})" for a in alternatives)
    return re.compile(f"(?i){joined}")


def require_facts_match(
    text: str, listings: list[Property], buyer_texts: Iterable[str] = ()
) -> None:
    """Raise FactCheckFailed with every discrepancy, or return: the send may go ahead."""
    problems = check_facts(text, listings, buyer_texts)
    if problems:
        raise FactCheckFailed(problems)
