"""One message read sentence by sentence and clause by clause: each claim tied to its listing
and judged against that listing's record."""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import replace

from execution.claim_holds import holds
from execution.claims.claim import MAX_TEXT, Claim
from execution.claims.prices import money_label, summed_before
from execution.claims.reading import claims_in
from execution.claims.rooms import rooms_spoken_of
from execution.claims.said import gap_ahead
from execution.claims.sizes import built_label, gap_label, land_label, per_area_label, size_in_sqft
from execution.fact_check.comparisons import GAP_ASKED, Comparisons
from execution.fact_check.discrepancy import Discrepancy
from execution.fact_check.owners import BOTH
from execution.fact_check.state import Judged
from execution.fact_check.unlisted import UnlistedFigures
from execution.listing_facts import facts_line
from execution.listing_names import Mention
from execution.numbers import message_in_digits
from execution.regex_gate import compile_quick, lower_for_gate, may_match
from execution.worked_out import figures

MAX_CLAIMS = 400
"""Claims read in one message before it is refused as too dense to check."""

SENTENCE = compile_quick(
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
_DENIED_KIND = compile_quick(
    r"(?i)(?:\bnot|n't|\brather\s+than|\binstead\s+of)\s+(?:an?\s+|the\s+)?$"
)
_RESPECTIVELY = compile_quick(r"(?i)\brespectively\b")
_BARE_FIGURE = compile_quick(
    r"(?<![\d.,$#/-])(\d{1,2},\d{3}|\d{3,5})(?![\d,.]*\d)(?!\s*(?:k|m|mil|%|am|pm|years?|yrs?)\b)"
)
_EXTREMES = compile_quick(
    r"(?i)\btop\s+to\s+bottom\b|\b(?:biggest|largest|smallest|cheapest|priciest|dearest|highest"
    r"|lowest)\s+(?:one\s+)?(?:and|to|vs)\s+(?:the\s+)?(?:biggest|largest|smallest|cheapest|priciest"
    r"|dearest|highest|lowest|most\s+expensive)\b"
)
_TOGETHER = compile_quick(r"(?i)\b(?:together|combined)\b[^.;:]{0,60}$")
_BETWEEN = compile_quick(r"(?i)\bbetween\s[^,;:$\d]{0,30}$")
_ACKNOWLEDGED = compile_quick(
    r"(?i)\W*(?:noted|got\s+it|understood|sure|ok|okay|alright|roger|haha\w*|thanks|thank\s+you)\b"
)
"""A sentence that starts by taking note of what the buyer said, then restates it."""
_OPTIONS_INTRO = compile_quick(
    r"(?i)\b(?:here\s+are|here's|i\s+have|i've\s+got|we\s+have|sharing|check\s+out)\s+(?:the\s+)?"
    r"(?:\d+|some|a\s+few|several)?\s*(?:great\s+|good\s+|nice\s+|more\s+)?(?:options?|listings?"
    r"|units?|homes?|choices|matches|properties|picks)\b"
)
_SET_AGAINST = compile_quick(
    r"(?i)\s*(?:vs\.?|versus|against)(?!\w)\s*(?:~|\u2248|about\s+|around\s+)?"
)
"""A clause that sets its first figure against the last one ("... ~$1,487 vs ~$1,630", "land
7,500 sq ft vs Kembangan's 1,650"): the same kind of figure."""
_ANSWER_OPENS = compile_quick(
    r"(?i)\W*(?:(?:yes|ya|yah|yup|yep|yeah|no|nope|correct|right|sure)\b\W*"
    r"|(?:(?:yes|ya|yup|no)\W+)?(?:it|that|this)(?:\s+one)?(?:'s|\s+is)\s+(?:also\s+|actually\s+)?)"
    r"(?:an?\s+)?"
)
"""The opening of a short answer before a kind: "Ya ", "Yes, ", "It's a ", "That one is a "."""
_COMPARES = compile_quick(
    r"(?i)\b(?:vs\.?|versus|compare[ds]?|difference|diff|between|than|more|cheaper|bigger|and)\b"
)
_AFFIRMED = compile_quick(
    r"(?i)\W*(?:yes|yup|yep|ya|yah|yeah|correct|right|that's\s+right|exactly|indeed|confirmed"
    r"|can)\b(?:\s+(?:it\s+is|lah|lor|ah|sir|madam|ma'am|po))?\W*"
)
_YES = compile_quick(r"(?i)\W*(?:yes|yup|yep|correct|that's\s+right|indeed)\b")
_VERSUS = compile_quick(
    r"(?i)(?<![\d,.$])(\$?\d[\d,.]{0,15}+\s?(?:k|m|mil|million)?(?:\s*(?:sq\.?\s?ft|sqft|sqm))?)"
    r"\s*(?:vs\.?|versus|against)"
    r"\s*(?:~|\u2248|about\s+|around\s+)?(\$?\d[\d,.]{0,15}+\s?(?:k|m|mil|million)?(?:\s*(?:sq\.?\s?ft|sqft|sqm))?)"
)
_TERM_BEFORE = re.compile(r"\d\s*[kKmM]?\s*\+\s*(?:s?\$)?$")
_TERM_AFTER = re.compile(r"\s*\+\s*(?:s?\$)?\d")
"""A "+" joining two figures ("$585k + $688k"), not the "and above" of "$1.2M+"."""


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


_FOR_THEM = compile_quick(r"(?i)^[\s\w]{0,12}?\b(?:for|at)\s+(?:the\s+)?$")
"""Between a list of figures and the list of listings they are of: "... for", "... at the"."""


def _in_parallel(
    found: Claim,
    found_here: list[Claim],
    clause: tuple[int, int],
    mentions: list[Mention],
    sentence: str,
) -> int | None:
    """The listing a figure is of when a clause gives a list of figures, then "for" and as many
    listings, one each ("$255k, $398k and $638k for Woodlands, Bedok and AMK"): the one in the
    same place of its list. None for any other shape."""
    alike = [f.start for f in found_here if f.kind == found.kind]
    named = [m for m in mentions if clause[0] <= m.start < clause[1]]
    if len(alike) < 2 or len(named) != len(alike) or found.start not in alike:
        return None
    last = next(f for f in found_here if f.kind == found.kind and f.start == alike[-1]).text
    last_figure = clause[0] + alike[-1] + len(last)
    first_name = min(m.start for m in named)
    if first_name < last_figure or any(len(m.listings) != 1 for m in named):
        return None
    if len({m.listings[0] for m in named}) != len(named):
        return None
    if not _FOR_THEM.match(sentence[last_figure:first_name]):
        return None
    return named[alike.index(found.start)].listings[0]


class Reading(Comparisons, UnlistedFigures):
    """One message read against the records, sentence by sentence."""

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

    def confirmed(self, reply: str) -> None:
        """ "Toa Payoh one 720k right?" - "Correct 👍": a reply that only says yes makes the
        buyer's claims its own (checked against what the buyer asked about)."""
        if not self.asked or _AFFIRMED.match(reply.lstrip()) is None:  # the quick look first
            return
        first = SENTENCE.split(reply.strip(), maxsplit=1)[0]
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
        judged: list[Judged] = []
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
                if gap_asked and GAP_ASKED.search(self.asked):  # "how much more?" - "About
                    # 100k.": the gap between the two asked about
                    claim = dataclasses.replace(claim, kind="price_gap", relation="~")
                elif self._too_small_for_a_home(claim, clause, mentions):
                    continue  # "~$13.4k", "$7,440": fees and duties, not what a home costs
                heading = sentence[clause[1] : clause[1] + 1] == ":"
                if (restating or heading) and not claim.buyers and not BOTH.search(piece):
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
                        owned = Judged(claim, (first_named[nth],))
                in_list = _in_parallel(found, found_here, clause, mentions, sentence)
                if owned is not None and in_list is not None:
                    # "$255k, $398k and $638k for Woodlands, Bedok and AMK": in the order named
                    owned = Judged(claim, (in_list,))
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
                    owned = Judged(claim, listed, together=True) if listed else owned
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

    def _answered(self, sentence: str, mention: Mention) -> bool:
        """Whether a kind said at `mention` answers the buyer's question ("Ya 5-room lor",
        "It's a 3-room") rather than naming a listing."""
        return _ANSWER_OPENS.fullmatch(sentence[: mention.start]) is not None
