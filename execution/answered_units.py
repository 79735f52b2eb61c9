"""A short answer means what the buyer's question asked: "bedrooms?" - "Bedok 2, Tampines 4."
says 2 and 4 bedrooms ("6 vs 5 at Serangoon Garden" too); "which can I view?" - "Woodlands and
AMK." says both are available. The fact check reads them with that written out, so a wrong
count or a sold home offered is caught like any other.

A number that is part of a listing's name ("Ang Mo Kio Avenue 3", "Tower 2"), a place in a list
("Option 2:", "1."), a time or an amount keeps its meaning: only a lone digit after a word or in
a run of lone digits ("0, 1 and 3"), standing before punctuation, "vs" or "and", is read so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_ASKS_BEDROOMS = re.compile(
    r"(?i)\b(?:bed(?:room)?s?|br|bedders?|bdr|bedrm)\b|\bhow\s+many\s+rooms\b"
)
_ENDS = r"(?=[ \t]*(?:[,;:!?)\n]|\.(?!\d)|$)|\s+(?:vs\.?|versus|and|&)\s)"
_AFTER_A_WORD = re.compile(rf"(?<![\w#])([A-Za-z][\w-]*) (\d)(?![\d:.,]\d){_ENDS}")
_RUN = re.compile(
    r"(?<![\w$#.,:/+-])\d(?:\s*(?:,|vs\.?|versus|and|&)\s*\d)+(?![\w.,:/]?\d)"
    r"(?!\s*(?:am|pm|k|m|mil|%|sq|sqm|sqft|bed|beds|bedrooms?|br|rooms?|x|st|nd|rd|th|mins?"
    r"|minutes?|hrs?|hours?|days?|weeks?|months?|years?|yrs?|storeys?|floors?|blocks?|units?)\b)"
)
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\W*$")
_DIGIT = re.compile(r"\d")
_PLACES = frozenset(
    # a place in a list or a building
    "option no number unit blk block tower level floor storey top step stage phase item choice "
    "lot plot sector zone room type grade blocks units towers levels floors options items "
    # an address: "Toa Payoh Lor 1", "AMK Ave 3"
    "ave avenue st street rd road dr drive lor lorong jln jalan cres crescent ring link way "
    "close central "
    # a count of something else, a time, or no count at all
    "and or vs versus the all these those that this which each every per of only found "
    "shortlisted about just over under than after before till until by at around from to "
    "family pax kids children people on both "
    # a date: "from June 3"
    "jan january feb february mar march apr april may jun june jul july aug august sep sept "
    "september oct october nov november dec december".split()
)
"""Words after which a lone digit is a place, an address, a count of something else or a time."""
_SPEAKER_HAS = re.compile(r"(?i)\b(?:i|we|you|they)(?:'ve|\s+have|\s+got)(?:\s+got)?\s*$")
""""I have 3": what the speaker has, not a listing's bedrooms."""


_ASKS_WHICH_OPEN = re.compile(
    r"(?i)\b(?:which|what|any)\b[^.?!]{0,40}?\b(?:available|open|on\s+the\s+market"
    r"|view|see|visit|buy|still\s+(?:on|can))\b"
)
_CONNECTORS = frozenset("and or both all the ones one of them these those yes yep yup only".split())
_UNIT_NUMBER = re.compile(r"#\s?[\d-]+")


_ASKS_WHICH_GONE = re.compile(
    r"(?i)\b(?:no\s+longer|not|n't|sold|gone|taken|off\s+the\s+market|under\s+offer|pending"
    r"|reserved)\b"
)


def asks_which_open(text: str) -> bool:
    """ "which ones open", "which 2 can view", "which can still buy": the buyer asks which of
    the listings are on the market (not "which are no longer available?")."""
    return _ASKS_WHICH_OPEN.search(text) is not None and _ASKS_WHICH_GONE.search(text) is None


def names_only(unnamed: str) -> bool:
    """Whether a sentence with its listing names blanked out (`Names.unnamed`) says nothing
    else: "Woodlands and AMK.", "Sengkang Grand and Tre Ver #14-05 👍"."""
    words = re.sub(r"[^\w\s]", " ", _UNIT_NUMBER.sub(" ", unnamed)).split()
    return all(w in _CONNECTORS for w in words)


def asks_bedrooms(text: str) -> bool:
    return _ASKS_BEDROOMS.search(text) is not None


def bedrooms_written_out(reply: str, names: Iterable[str]) -> str:
    """`reply` with the bedrooms its bare counts answer written out ("Bedok 2 bedrooms")."""
    named = {m.group(0).lower() for name in names for m in re.finditer(r"[\w-]+ \d+", name)}

    def run(match: re.Match[str]) -> str:
        before = _WORD_BEFORE.search(text, max(0, match.start() - 24), match.start())
        if before and before.group(1).lower() in _PLACES:  # "Blocks 5 and 6"
            return match.group(0)
        return _DIGIT.sub(lambda d: f"{d.group(0)} bedrooms", match.group(0))

    def after_a_word(match: re.Match[str]) -> str:
        word, count = match.group(1), match.group(2)
        if word.lower() in _PLACES or f"{word} {count}".lower() in named:
            return match.group(0)
        if _SPEAKER_HAS.search(ran, max(0, match.start(2) - 24), match.start(2)):
            return match.group(0)
        return f"{word} {count} bedrooms"

    text = reply
    ran = _RUN.sub(run, reply)
    return _AFTER_A_WORD.sub(after_a_word, ran)
