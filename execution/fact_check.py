"""The fact guardrail: every price, bedroom count, size and availability in an outgoing AI
message must match the agent's records, checked here, in code, before anything is sent.

A message is read one sentence (or line) at a time. Each sentence is tied to the listing it
names (by the distinctive words of its title and location); the facts it states are then
compared with that listing. A fact that belongs to no listing, or to two listings that
disagree, is a discrepancy too: the model must say it plainly or not at all. Sizes are not in
the records, so any size is a discrepancy. What a buyer wrote never matters here: only what
would go out.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from execution.errors import ValidationError
from execution.listings import parse_price
from execution.property_lookup import Property

_NUMBER_WORDS = {"studio": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8}  # fmt: skip
_PRICE = re.compile(
    r"(?i)(?:\b(?:s\$|sgd|usd|us\$)\s?|\$\s?)\d[\d,]*(?:\.\d+)?(?:\s?(?:k|m|mil|million)\b)?"
    r"|\b\d[\d,]*(?:\.\d+)?\s?(?:k|m|mil|million)\b"
    r"|\b\d{1,3}(?:,\d{3}){2,}\b"
)
_BEDROOMS = re.compile(
    r"(?i)\b(\d{1,2}|one|two|three|four|five|six|seven|eight)\s*[- ]?\s*"
    r"(?:bed(?:room)?s?|br|bdr|bedders?|bed-rooms?)\b|\b(studio)\b"
)
_SIZE = re.compile(
    r"(?i)\b\d[\d,]*(?:\.\d+)?\s*"
    r"(?:sq\.?\s?ft|sqft|square\s+f(?:ee|oo)t|sq\.?\s?m|sqm|square\s+met(?:re|er)s?|m2|m²)"
)
_NOT_AVAILABLE = re.compile(r"(?i)\b(no longer available|not available|off the market)\b")
_SOLD = re.compile(r"(?i)\bsold\b")
_PENDING = re.compile(r"(?i)\b(pending|under offer|reserved|on hold)\b")
_AVAILABLE = re.compile(r"(?i)\b(available|on the market|for sale)\b")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[a-z0-9]+")
_COMMON = {"street", "avenue", "road", "drive", "lane", "walk", "central", "close", "the", "at",
           "condo", "room", "with", "high", "floor", "near", "unit", "flat", "house",
           "residences"}  # fmt: skip


@dataclass(frozen=True)
class Discrepancy:
    sentence: str
    fact: str
    problem: str

    def __str__(self) -> str:
        return f"{self.problem}: {self.fact!r} in {self.sentence!r}"


class FactCheckFailed(ValidationError):
    def __init__(self, discrepancies: list[Discrepancy]) -> None:
        super().__init__("; ".join(str(d) for d in discrepancies))
        self.discrepancies = discrepancies


def _keywords(listing: Property) -> set[str]:
    """The words that name a listing: distinctive words of its title and location, and
    street-and-number pairs ("street 11") that tell two units of one area apart."""
    text = f"{listing.title} {listing.location}".lower()
    words = _WORD.findall(text)
    names = {w for w in words if len(w) >= 4 and w not in _COMMON and not w.isdigit()}
    names |= {f"{a} {b}" for a, b in itertools.pairwise(words) if b.isdigit() and not a.isdigit()}
    return names


def _mentions(sentence: str, listings: list[Property]) -> dict[int, tuple[int, list[int]]]:
    """Which listings (by index) `sentence` names: (how many of their keywords, where)."""
    lowered = sentence.lower()
    found: dict[int, tuple[int, list[int]]] = {}
    for index, listing in enumerate(listings):
        positions: list[int] = []
        named = 0
        for word in _keywords(listing):
            pattern = r"\s+".join(re.escape(part) for part in word.split())
            hits = [m.start() for m in re.finditer(rf"\b{pattern}\b", lowered)]
            named += bool(hits)
            positions += hits
        if positions:
            found[index] = (named, positions)
    return found


def _owners(
    position: int, mentions: dict[int, tuple[int, list[int]]], listings: list[Property]
) -> list[Property]:
    """The listings a fact at `position` speaks of: the most fully named, then the one named
    closest before it (else closest after). A tie keeps all: listings the text cannot tell
    apart, and the fact must be true of one of them."""

    def rank(named: int, positions: list[int]) -> tuple[int, int, int]:
        before = [position - p for p in positions if p <= position]
        after = [p - position for p in positions if p > position]
        return (-named, 0, min(before)) if before else (-named, 1, min(after))

    if not mentions:
        return []
    ranks = {index: rank(*mention) for index, mention in mentions.items()}
    best = min(ranks.values())
    return [listings[index] for index, r in ranks.items() if r == best]


def _availability(sentence: str) -> str | None:
    if _NOT_AVAILABLE.search(sentence):
        return "not available"
    if _SOLD.search(sentence):
        return "sold"
    if _PENDING.search(sentence):
        return "pending"
    if _AVAILABLE.search(sentence):
        return "available"
    return None


def _matches_availability(claim: str, listing: Property) -> bool:
    if claim == "not available":
        return listing.availability in ("sold", "pending")
    return claim == listing.availability


def check_facts(text: str, listings: list[Property]) -> list[Discrepancy]:
    """Discrepancies between `text` and `listings` (the agent's records); empty means safe.

    Args:
        text: The message about to be sent.
        listings: The agent's listings it may speak of (those the turn's tools returned, or
            all of the agent's).
    """
    problems: list[Discrepancy] = []
    context: list[Property] = listings if len(listings) == 1 else []
    for sentence in (s.strip() for s in _SENTENCE.split(text) if s.strip()):
        mentions = _mentions(sentence, listings)
        if mentions:  # a follow-up sentence ("It is available.") speaks of the same
            context = [listings[index] for index in mentions]
        claims: list[tuple[str, object, int]] = []
        for match in _PRICE.finditer(sentence):
            try:
                price = parse_price(match.group(0).replace(" ", ""))
            except ValidationError:
                problems.append(Discrepancy(sentence, match.group(0), "unreadable price"))
                continue
            claims.append(("price", price, match.start()))
        for match in _BEDROOMS.finditer(sentence):
            word = (match.group(1) or match.group(2)).lower()
            beds = int(word) if word.isdigit() else _NUMBER_WORDS[word]
            claims.append(("bedrooms", beds, match.start()))
        for match in _SIZE.finditer(sentence):
            problems.append(Discrepancy(sentence, match.group(0), "size is not in the records"))
        availability = _availability(sentence)
        if availability:
            claims.append(("availability", availability, len(sentence)))
        for kind, value, position in claims:
            owners = _owners(position, mentions, listings) if mentions else context
            fact = str(value)
            if not owners:
                if kind != "availability":  # "Viewings are available on Saturday" is no fact
                    problems.append(Discrepancy(sentence, fact, f"{kind} of no listing named"))
                continue
            if kind == "price":
                ok = [p.price == value for p in owners]
            elif kind == "bedrooms":
                ok = [p.bedrooms == value for p in owners]
            else:
                ok = [_matches_availability(str(value), p) for p in owners]
            if not any(ok):
                names = ", ".join(p.title for p in owners)
                problems.append(Discrepancy(sentence, fact, f"{kind} does not match {names}"))
    return problems


def require_facts_match(text: str, listings: list[Property]) -> None:
    """Raise FactCheckFailed with every discrepancy, or return: the send may go ahead."""
    problems = check_facts(text, listings)
    if problems:
        raise FactCheckFailed(problems)
