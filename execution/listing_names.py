"""Which listing a phrase of a message names: the words of each listing's title and location,
weighted by how few listings share them, its kind ("the condo", "the 4-room"), and the places
a message gives them ("option 2", "the first")."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from execution.listing_facts import facts_of
from execution.numbers import words_to_digits
from execution.property_lookup import Property
from execution.regex_gate import compile_quick

_WORD = compile_quick(r"[a-z0-9]+")

_STATED_FLAT = compile_quick(r"(?i)\b[1-5]\s*-?\s*(?:room|rm)\b|\bexecutive\b|\bmaisonette\b")

_GENERIC_KINDS = {
    "HDB": {"flat"},
    "apartment": {"flat"},
    "landed": {"house"},
    "terrace": {"house"},
    "semi-detached": {"house"},
    "detached": {"house"},
}

_EXECUTIVE_WORDS = {"executive", "exec", "ea", "em", "maisonette"}

_SHORT = {
    "avenue": "ave",
    "street": "st",
    "road": "rd",
    "drive": "dr",
    "crescent": "cres",
    "lorong": "lor",
    "jalan": "jln",
    "bukit": "bt",
    "upper": "upp",
    "central": "ctrl",
    "block": "blk",
    "north": "nth",
    "close": "cl",
    "place": "pl",
    "terrace": "ter",
}
"""How addresses are shortened ("Ave 3" for "Avenue 3")."""

_HYPHENS = compile_quick(r"(?<=\w)-(?=\w)")

_UNITS = {"room", "rm", "bedroom", "bedrooms", "br", "bed", "storey", "sqft", "sqm", "k", "m"}

_CAPITALISED_RUN = compile_quick(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+\b")

_CAMEL = compile_quick(r"(?<=[a-z])(?=[A-Z])")

_COMMON = {
    "street",
    "avenue",
    "road",
    "drive",
    "lane",
    "walk",
    "central",
    "close",
    "the",
    "at",
    "condo",
    "room",
    "with",
    "high",
    "floor",
    "near",
    "unit",
    "flat",
    "house",
    "residences",
    "residence",
    "view",
    "park",
    "green",
    "garden",
    "gardens",
    "hill",
    "estate",
    "executive",
    "apartment",
    "bedroom",
    "bedrooms",
    "studio",
    "penthouse",
    "terrace",
    "landed",
    "corner",
    "new",
    "city",
    "point",
    "block",
    "town",
    "east",
    "west",
    "north",
    "south",
    "upper",
    "lower",
    "sqft",
    "sqm",
    "renovated",
    "freehold",
    "leasehold",
}

_TYPE_WORDS = {
    "condo": ("condo", "condominium"),
    "executive condo": ("ec", "executive condo"),
    "HDB": ("hdb",),
    "penthouse": ("penthouse",),
    "terrace": ("terrace",),
    "landed": ("landed",),
    "semi-detached": ("semi d", "semi detached"),
    "detached": ("bungalow",),
    "townhouse": ("townhouse",),
}

_ORDINAL = compile_quick(
    r"(?i)\b(?:the\s+)?(1st|first|2nd|second|3rd|third|4th|fourth|5th|fifth)\s+(?:1|one|unit"
    r"|listing|option|flat|condo|property|place|home)\b"
    r"|\bthe\s+(1st|first|2nd|second|3rd|third|4th|fourth|5th|fifth)(?=\s+(?:is|was|has|had|costs?)\b"
    r"|'s\b|\s*[,;:)])|\boption\s+([1-5])\b"
)
"""The listing shown that many places in: "the 2nd one", "the first is sold", "option 2"."""

_ORDINAL_HINT = compile_quick(r"1st|2nd|3rd|4th|5th|first|second|third|fourth|fifth|option")

_ORDINALS = {
    "1st": 0,
    "first": 0,
    "2nd": 1,
    "second": 1,
    "3rd": 2,
    "third": 2,
    "4th": 3,
    "fourth": 3,
    "5th": 4,
    "fifth": 4,
}

_APART = compile_quick(
    r"[,;:()!?\n\u2013\u2014+=$]|\s-\s"
    r"|\b(?:is|are|was|and|or|but|than|vs|versus|over|against|with|from|plus|nor|then)\b"
)


def _kind_words(listing: Property) -> set[str]:
    """Words that name a listing by its kind: "the condo", "the EC", "the 4-room"."""
    words = set(_TYPE_WORDS.get(listing.property_type, ()))
    title = f" {_HYPHENS.sub(' ', listing.title.lower())} "
    words |= {w for kind in _TYPE_WORDS.values() for w in kind if f" {w} " in title}
    if "semi detached" in words:
        words.add("semi d")
    for flat in facts_of(listing).flat_types if _STATED_FLAT.search(listing.title) else ():
        number = flat.split("-")[0]
        words |= {f"{number} room", f"{number}rm"} if number.isdigit() else _EXECUTIVE_WORDS
    if listing.bedrooms == 0:
        words.add("studio")
    words |= _GENERIC_KINDS.get(listing.property_type, set())
    return words


@lru_cache(maxsize=8192)
def _word_pattern(words: str) -> re.Pattern[str]:
    """`words` (spaces optional) up to a word's end; `Names._hits` finds where it may start."""
    spaced = r"\s*".join(map(re.escape, words.split()))
    return re.compile(rf"{spaced}\b")


def _is_word(char: str) -> bool:
    """Whether `re` counts `char` as a word character (`\\w`)."""
    return char.isalnum() or char == "_"


@lru_cache(maxsize=8192)
def _name_words(title: str, location: str) -> frozenset[str]:
    """Distinctive words of a listing's title and location, "GreenRidges" also as "green
    ridges", and street-and-number pairs ("street 81") that tell two units of one area apart."""
    text = f"{title} {location}"
    spaced = _CAMEL.sub(" ", text).lower()
    words = _WORD.findall(text.lower())
    names = {w for w in words if len(w) >= 4 and w not in _COMMON and not w.isdigit()}
    pairs = {f"{a} {b}" for a, b in itertools.pairwise(words) if b.isdigit() and a.isalpha()}
    names |= pairs | {f"{_SHORT[a]} {b}" for a, b in (p.split() for p in pairs) if a in _SHORT}
    # two words of a name together ("Geylang East", "Clementi Peaks") say more than either
    names |= {
        f"{a} {b}"
        for a, b in itertools.pairwise(words)
        if a.isalpha() and b.isalpha() and (a in names or b in names)
    }
    # as the message will read once its numbers are digits: "One-North" is "1 North"
    digits = _WORD.findall(words_to_digits(_HYPHENS.sub(" ", title)).lower())
    names |= {
        f"{a} {b}"
        for a, b in itertools.pairwise(digits)
        if a.isdigit() and b.isalpha() and b not in _UNITS
    }
    parts = _WORD.findall(spaced)
    names |= {f"{a} {b}" for a, b in itertools.pairwise(parts) if f"{a}{b}" in names}
    for run in _CAPITALISED_RUN.findall(text):  # "Ang Mo Kio": as written, and as "AMK"
        words = run.split()
        if any(len(w) < 4 for w in words):
            names.add(" ".join(words).lower())
            # "Kim Yam" of "Kim Yam Studio Residences": two short words are a name together
            names |= {
                f"{a} {b}".lower()
                for a, b in itertools.pairwise(words)
                if min(len(a), len(b)) < 4 and not {a.lower(), b.lower()} & _COMMON
            }
        # the initials of its first three words or more: "AMK" of "Ang Mo Kio Avenue"
        initials = "".join(w[0] for w in words).lower()
        names |= {initials[:n] for n in range(3, len(words) + 1)}
    return frozenset(names)


@dataclass(frozen=True)
class Mention:
    start: int
    listings: tuple[int, ...]
    """Indexes of the listings this phrase may name (several: the text cannot tell apart)."""
    ordinal: int | None = None
    """ "Option 2", "the first": the place said (0-based), read in the message's own order."""
    by_kind: bool = False
    """Named only by words of its kind ("the 3-room", "the EC"), none of its own name."""


def names_of(listings: list[Property]) -> Names:
    """The names of these listings: built once for the same listings (a turn checks its reply
    against the listings the conversation has shown, the same ones turn after turn)."""
    return _cached_names(tuple(listings), tuple(_naming(p) for p in listings))


def _naming(listing: Property) -> tuple[object, ...]:
    """What a listing's names are made of."""
    return (listing.title, listing.location, listing.property_type, listing.bedrooms)


_NAMES: dict[tuple[tuple[object, ...], ...], Names] = {}

_NAMES_LIMIT = 512
"""Sets of listings whose names are kept (then all are dropped and built anew)."""

_BUYER_MESSAGES_KEPT = 64
"""Buyer messages whose mentions each set of names keeps."""


def _cached_names(listings: tuple[Property, ...], key: tuple[tuple[object, ...], ...]) -> Names:
    names = _NAMES.get(key)
    if names is None:
        if len(_NAMES) >= _NAMES_LIMIT:
            _NAMES.clear()
        names = _NAMES[key] = Names(list(listings))
    return names


class Names:
    """The words that name each listing, weighted by how few listings share them."""

    def __init__(self, listings: list[Property]) -> None:
        self.words: list[frozenset[str]] = [_name_words(p.title, p.location) for p in listings]
        self.kinds: list[set[str]] = [_kind_words(p) for p in listings]
        counts = Counter(w for words in self.words for w in words)
        self.weight = {w: 1 / n for w, n in counts.items()}
        every = {w for words in [*self.words, *self.kinds] for w in words}
        # each word under its first part; one pattern finds where any first part stands
        self.by_first: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        for word in sorted(every):
            first = word.split(maxsplit=1)[0]
            self.by_first.setdefault(first, []).append((word, _word_pattern(word)))
        assert all(map(_is_word, "".join(self.by_first))), "name words are letters and digits"
        firsts = sorted(self.by_first, key=len, reverse=True)
        self.starts = re.compile("|".join(map(re.escape, firsts)) or "(?!)")
        self.by_letter: dict[str, list[str]] = {}
        for first in firsts:
            self.by_letter.setdefault(first[0], []).append(first)
        self.in_buyer_messages: dict[str, list[Mention]] = {}

    def buyer_mentions(self, message: str, count: int) -> list[Mention]:
        """`mentions` of a buyer's message (in digits), kept: the same messages are read
        every turn."""
        found = self.in_buyer_messages.get(message)
        if found is None:
            if len(self.in_buyer_messages) >= _BUYER_MESSAGES_KEPT:
                self.in_buyer_messages.clear()
            found = self.in_buyer_messages[message] = self.mentions(message, count)
        return found

    def _hits(self, lowered: str) -> list[tuple[int, int, str]]:
        """(start, end, word) of every name word in `lowered`, as `\\b<word>\\b` finds them:
        at the start of a word of the text, never overlapping an earlier hit of itself."""
        hits = []
        ends: dict[str, int] = {}
        for found in self.starts.finditer(lowered):  # a first part found inside a word uses
            # up letters of that word only: no word of the text begins among them
            start = found.start()
            if start and _is_word(lowered[start - 1]):
                continue
            for first in self.by_letter[lowered[start]]:
                if not lowered.startswith(first, start):
                    continue
                for word, pattern in self.by_first[first]:
                    match = pattern.match(lowered, start) if ends.get(word, 0) <= start else None
                    if match:
                        hits.append((start, match.end(), word))
                        ends[word] = match.end()
        return hits

    def unnamed(self, sentence: str) -> str:
        """`sentence`, lower-cased, with every name word blanked out: what it says besides
        naming listings ("woodlands and amk." -> "  and  .")."""
        lowered = sentence.lower()
        kept = list(lowered)
        for start, end, _ in self._hits(lowered):
            kept[start:end] = " " * (end - start)
        return "".join(kept)

    def mentions(self, sentence: str, count: int) -> list[Mention]:
        lowered = sentence.lower()
        hits = self._hits(lowered)
        ordinals = _ORDINAL.finditer(lowered) if _ORDINAL_HINT.search(lowered) else ()
        for match in ordinals:
            said = match.group(1) or match.group(2)
            index = _ORDINALS[said] if said else int(match.group(3)) - 1
            if index < count:
                hits.append((match.start(), match.end(), f"#{index}"))
        hits.sort()
        mentions: list[Mention] = []
        group: list[tuple[int, int, str]] = []
        for hit in hits:  # words close together name one listing ("Treasure at Tampines")
            between = lowered[group[-1][1] : hit[0]] if group else ""
            if group and (len(between) > 12 or _APART.search(between)):
                mentions.append(self._resolve(group))
                group = []
            group.append(hit)
        if group:
            mentions.append(self._resolve(group))
        return [m for m in mentions if m.listings]

    def _resolve(self, group: list[tuple[int, int, str]]) -> Mention:
        words = {word for _, _, word in group}
        ordinal = [w for w in words if w.startswith("#")]
        scores = [
            sum(self.weight[w] for w in words & names) + 0.3 * len(words & kinds)
            for names, kinds in zip(self.words, self.kinds, strict=True)
        ]
        best = max(scores, default=0.0)
        if ordinal and (best <= 0 or scores.count(best) > 1):  # "Option 2: Canberra Breeze
            # EC" is Canberra Breeze EC, whatever place the search gave it
            place = int(ordinal[0][1:])
            return Mention(group[0][0], (place,), ordinal=place)
        if best <= 0:
            return Mention(group[0][0], ())
        chosen = tuple(i for i, s in enumerate(scores) if s == best)
        by_kind = not any(words & self.words[i] for i in chosen)
        return Mention(group[0][0], chosen, by_kind=by_kind)
