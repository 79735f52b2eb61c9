"""The buyer's own numbers in a reply ("your 1.5M budget", "the 700k you mentioned"): allowed
only when the buyer wrote that amount."""

from __future__ import annotations

from execution.buyer_numbers import buyer_amounts, buyer_sizes
from execution.claim_holds import near
from execution.claims.claim import MAX_TEXT, Claim
from execution.claims.rooms import rooms_asked
from execution.fact_check.discrepancy import Discrepancy
from execution.fact_check.state import ReadingState
from execution.listings import SQFT_PER_SQM
from execution.numbers import message_in_digits
from execution.regex_gate import compile_quick

_POSSESSED = compile_quick(
    r"(?i)(?:\b(?:has|have|having|had|with|gives?|offers?|comes?\s+with|got|gets?|provides?"
    r"|includes?|is|are|it's|its|all|exactly|just|only|indeed)|[,(:\u2013\u2014-])"
    r"(?:\s+(?:all|exactly|just|only|the|your|indeed))*\s*#"
)
"""Before a number of rooms the buyer gave, words that give the listing those rooms ("has the
3 bedrooms you asked for"); without them the number is held up against the buyer's need."""
_COUNT = compile_quick(r"(?<![\d.,])\d{1,2}(?![\d.,]\d)")


class BuyersNumbers(ReadingState):
    """The buyer's own numbers: a figure the message attributes to the buyer passes only when
    the buyer wrote it (in any written form) in this conversation."""

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

    def _around(self, claim: Claim) -> str:
        start, end = claim.start, claim.start + len(claim.text)
        return f"{self.sentence_text[max(0, start - 40) : start]}#{self.sentence_text[end:][:24]}"
