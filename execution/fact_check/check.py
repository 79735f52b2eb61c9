"""The fact check's entry points: `check_facts` (every discrepancy in a message) and
`require_facts_match` (refuse the send)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from execution.answered_units import (
    asks_bedrooms,
    asks_which_open,
    bedrooms_written_out,
    names_only,
)
from execution.claim_holds import holds
from execution.claims.claim import MAX_TEXT
from execution.claims.reading import units_repeated
from execution.claims.rooms import rooms_in
from execution.fact_check.discrepancy import Discrepancy, FactCheckFailed
from execution.fact_check.reading import SENTENCE, Reading
from execution.listing_facts import facts_of
from execution.numbers import words_to_digits
from execution.property_lookup import Property
from execution.regex_gate import compile_quick
from execution.tables import tables_as_lines

ASKED_ABOUT = 3
"""How many of the buyer's last messages may name what a reply speaks of."""
_STATE_SAID = compile_quick(
    r"(?i)\b(?:sold|offer|pending|reserved|taken|gone|available|open|market|view)"
)


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
    reading = Reading(listings, buyer_texts)
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
    for sentence in (s.strip() for s in SENTENCE.split(digits) if s and s.strip()):
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
