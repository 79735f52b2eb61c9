"""Claims that compare listings: which is cheaper or biggest, what they cost together, the gap
between two figures."""

from __future__ import annotations

import math

from execution.claim_holds import APPROXIMATE, compare, rounding
from execution.claims.claim import Claim
from execution.claims.said import answers_by_how_much, approximate, bound
from execution.fact_check.owners import AGAINST, Owners, distinct
from execution.fact_check.state import PSF_SAID
from execution.listing_names import Mention
from execution.regex_gate import compile_quick

BOUNDED = 1.2
"""How far past its figure a gap said with a bound may be: "over 600 sq ft more" of 614 or
700, "under 50k cheaper" of 45k (not of 10k: a bound that far off misleads)."""
_SHORT_OF_A_BAR = compile_quick(r"^\W*(?:short|shy)\b(?!\s+of\s+(?:the\s+)?[A-Z])")
_OVERALL = compile_quick(r"(?i)^\s*(?:\w+\s+)?(?:overall|in\s+total|in\s+price|all\s+in)\b")
_RANK_VALUE = compile_quick(r"(\w+)([<>])(\d*)")
_OF_THE_REST = compile_quick(
    r"(?i)\b(?:what'?s|those|the\s+ones?|ones?)\s+(?:still\s+)?(?:left|remaining|available|unsold)\b"
    r"|\b(?:available|remaining|unsold)\s+ones\b"
)
_FOIL = compile_quick(r"(?i)\bthan\s+(?:the\s+)?$")
"""What a listing named after it is compared against ("more than Piermont")."""
_VS = compile_quick(r"(?i)\b(?:vs\.?|versus|against|compared\s+(?:to|with))(?!\w)")
_OVER_UNDER = compile_quick(r"(?i)\s*(?:over|under|above|below)\b")
_FOR_GAP = compile_quick(
    r"(?i)\bfor\s+(?:about\s+|around\s+|roughly\s+|~|only\s+|just\s+)?(?:s\$|\$)?$"
)
_SO_GAP = compile_quick(
    r"(?i)(?:[,;:\u2013\u2014]\s*|^)(?:so|that's|thats|i\.e\.|meaning)\s+(?:about\s+|around\s+|roughly\s+"
    r"|~|only\s+|just\s+)?(?:s\$|\$)?$"
)
_NEXT_CLAUSE = compile_quick(r"(?i)[;]|,\s*(?:but|though|although|while|whereas|yet)\b")
GAP_ASKED = compile_quick(
    r"(?i)\bhow\s+much\s+(?:more|less|cheaper|pricier|extra|difference|bigger|larger|smaller)\b|\b(?:price\s+)?(?:difference|diff|gap)\b"
)
_YOUR_AMOUNT = compile_quick(
    r"(?i)(?:^\s*\w+\s+(?:than\s+)?|\b)your\s+(?:budget\s+of\s+|max\s+of\s+)?(?:s\$|\$)?"
    r"(\d[\d,]*(?:\.\d+)?)\s?(k|m|mil|million)?\b"
)
_ELIDED_GAP = compile_quick(r"(?i)^\s*\w+\s*(?:[.,;!]|$)")
_NOT_A_LISTING_AFTER_GAP = compile_quick(
    r"(?i)^\s*\w+\s+(?:than\s+)?(?:it|that|this|your|the\s+budget|budget|you|what)\b"
)


class Comparisons(Owners):
    """Claims that set listings against each other: an order ("the cheaper of the two"), a rank
    ("the biggest"), a total, a gap ("30k cheaper than ...", "222k under your 900k")."""

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
        named = distinct(
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
        named = distinct(m.listings[0] for m in mentions if len(m.listings) == 1)
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
        subjects = [m for m in before if not AGAINST.search(self.sentence_text, 0, m.start)]
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
        asked = not mentions and GAP_ASKED.search(self.asked) is not None
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
        if PSF_SAID.match(after.lstrip()):
            return True
        return PSF_SAID.search(self.sentence_text, max(0, start - 40), start) is not None

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

    def _text_after(self, claim: Claim) -> str:
        return self.sentence_text[claim.start + len(claim.text) :][:40]
