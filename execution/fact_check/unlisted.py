"""Figures no listing's record holds that are still no wrong fact: shares, arithmetic on backed
figures, prices per square foot in passing, amounts far too small for a home."""

from __future__ import annotations

import math
import re

from execution.claim_holds import near
from execution.claims.claim import Claim
from execution.fact_check.buyers import BuyersNumbers
from execution.fact_check.state import PSF_SAID, Judged
from execution.listing_names import Mention
from execution.listings import SQFT_PER_SQM
from execution.regex_gate import compile_quick
from execution.worked_out import is_worked_out

SMALL_SHARE = 0.25
"""A price under this share of the cheapest listing in play is read as no listing's price
unless it is said to be a price or a listing is named just before or after it."""
NAMED_NEAR = 40
"""How close (in characters) a listing must be named to a small price for the price to be
that listing's."""
FAR = 0.2
"""A figure within this share of a listing's own is an attempt at it, never arithmetic."""
_PERCENT = compile_quick(r"(\d{1,2}(?:\.\d+)?)\s*%")
_PRICE_SAID = compile_quick(
    r"(?i)\b(?:price[ds]?|pricing|asking|costs?|going\s+for|listed\s+(?:at|for)|selling\s+(?:at|for))"
    r"\b[^.;!?\d]{0,14}$"
)
_A_FIGURE = re.compile(
    r"(?i)\$\s?\d|\d[\d,.]*\s*(?:k|m|mil|million|sq\.?\s*(?:ft|feet|foot|m)|sqft|sf|sqm|square)\b"
)
"""An amount or an area (a number with its unit): "St 81" is a name, "980 sq ft" a figure."""


class UnlistedFigures(BuyersNumbers):
    """A figure that fits no listing's record yet claims nothing false: a share of a price, sums
    on backed figures, a price per square foot in passing, an amount too small for a home."""

    def _share_of_a_price(self, claim: Claim, judged: list[Judged]) -> bool:
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
        if not PSF_SAID.search(self.sentence_text, 0, claim.start):
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
