"""What a reading of one message holds, shared by the parts that judge it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from execution.claims.claim import Claim
from execution.fact_check.discrepancy import Discrepancy
from execution.listing_facts import facts_of
from execution.listing_names import names_of
from execution.property_lookup import Property
from execution.regex_gate import compile_quick

PSF_SAID = compile_quick(
    r"(?i)(?<![\w$])(?:psf|per\s+sq(?:uare)?\.?\s*f(?:ee|oo)?t|/\s*sq\.?\s?ft)(?!\w)"
)
_TITLE_ROOMS = compile_quick(r"(?i)\b(\d)\s*-?\s*(?:bedrooms?|beds?|br|bedders?)\b")


def rooms_in_title(title: str) -> int | None:
    """The bedrooms a title names its listing by ("Casa Meyer 2-bedroom": 2)."""
    found = _TITLE_ROOMS.search(title)
    return int(found.group(1)) if found else None


@dataclass
class Judged:
    claim: Claim
    owners: tuple[int, ...]
    together: bool = False
    """It must hold for every owner ("both are 4-room"), not for one of them."""
    guessed: bool = False
    """No listing named near it: the owners are those spoken of before, or all in play."""


class ReadingState:
    """What a reading of one message holds: the listings and their facts, the buyer's words,
    the listings named so far, the sentence being read, the problems found."""

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
        self.titled_rooms = [rooms_in_title(p.title) for p in listings]  # "Casa Meyer 2-bedroom"
        self.by_bedrooms = sum(n is not None for n in self.titled_rooms) >= 2
