"""Which listing a claim is about, read from the names, labels and references around it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from execution.claim_holds import holds
from execution.claims.claim import Claim
from execution.fact_check.state import Judged, ReadingState
from execution.listing_names import Mention
from execution.regex_gate import compile_quick, may_match

_THE = compile_quick(r"(?i)\bthe\s+$")
_LABEL = compile_quick(
    r"(?i)\W*(?:option|opt|choice|no\.?|number)?\s*#?\w{1,6}\s*[:.)\-\u2013\u2014]\W{0,4}"
)
"""Between a place and a name that make one label: "Option 1: ", "2) ", "first - "."""
_REFERENCE = compile_quick(
    r"(?i)\bthe\s+(former|latter|other)(?:\s+(?:1|one|unit|flat|condo|listing|place|option))?\b"
)
_BY_BEDROOMS = compile_quick(
    r"\b[Tt][Hh][Ee]\s+(?:[A-Z][\w'-]*\s+){0,3}(\d)\s*-?\s*"
    r"(?:[Bb]edrooms?|BEDROOMS?|[Bb]eds?|BEDS?|[Bb][Rr]|[Bb]edders?)\b"
)
"""A unit named by its bedrooms ("the 2-bedroom", "the Parc Lumina 4-bed")."""
AGAINST = compile_quick(r"(?i)\b(?:than|above|below|over|under|versus|vs\.?)\s+(?:the\s+)?$")
_PREDICATE = compile_quick(
    r"(?i)\b(?:is|are|'s|was|were)\s+(?:also\s+|still\s+|actually\s+|both\s+)?(?:an?\s+)?$"
)
_FOR_LISTING = compile_quick(r"(?i)\s*(?:k|m|mil)?\s*for\s+(?:the\s+)?")
"""Between a figure and the listing it is for: "5.2M for the semi-D"."""
_RANKED_REFERENCE = compile_quick(
    r"(?i)\bthe\s+(cheaper|cheapest|pricier|priciest|more\s+expensive|most\s+expensive|bigger|biggest"
    r"|larger|largest|smaller|smallest)\b(?:\s+(?:one|1|unit|flat|of\s+the\s+(?:two|2)))?"
)
_STRETCH = compile_quick(r"[,;:(]|\s[\u2013\u2014-]\s")
_IT = compile_quick(r"(?i)\W*(?:but|and|though|although|yet|so)?\s*(?:it|it's|its|it is)\b")
_LISTED = compile_quick(r"[:(]|\s[\u2013\u2014-]\s")
_PLURAL = compile_quick(r"(?i)\b(?:are|have|both|all|each)\b")
BOTH = compile_quick(
    r"(?i)\b(?:both|each\s+of\s+them|all\s+of\s+them|all\s+(\d)|all\s+(?:are|have|come|can))\b"
)


def distinct(items: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(items))


class Owners(ReadingState):
    """Which listings a claim is about: the one named nearest it in its clause, a label
    ("Option 2: ..."), "the former", "the 2-bedroom", "the cheaper one", "both"."""

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
        return tuple(distinct(after))

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
            named = distinct([*self.introduced, *before])
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

    def _owned(
        self, claim: Claim, clause: tuple[int, int], piece: str, mentions: list[Mention]
    ) -> Judged | None:
        paired = self._versus(claim, mentions)
        if paired is not None:
            return Judged(claim, paired)
        together = self._collective(claim, clause, piece, mentions)
        if together:
            return Judged(claim, together, together=True)
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
        after = [m for m in after if not AGAINST.search(self.sentence_text, 0, m.start)]
        earlier = [m for m in mentions if m.start < clause[0]]
        end = claim.start + len(claim.text)
        owner_after = [m for m in after if _FOR_LISTING.fullmatch(self.sentence_text, end, m.start)]
        if owner_after:  # "from 3.88M for the terrace to 5.2M for the semi-D"
            return Judged(claim, owner_after[0].listings)
        if before:
            return Judged(claim, before[-1].listings)
        if earlier and _IT.match(piece):  # "..., but it's reserved": "it" is what the
            # words before spoke of: the first listing named in the last stretch that names one
            cuts = [0, *(m.end() for m in _STRETCH.finditer(self.sentence_text, 0, clause[0]))]
            for cut in reversed(cuts):
                since = [m for m in earlier if m.start >= cut]
                if since:
                    return Judged(claim, since[0].listings)
        if after:
            return Judged(claim, after[0].listings)
        if earlier:
            return Judged(claim, earlier[-1].listings)
        if self.context:
            return Judged(claim, self.context, guessed=True)
        if not self.listings or (claim.kind == "availability" and len(self.listings) > 1):
            return None
        # nothing named yet ("It's a 3-room, 721 sq ft"): one of the listings in play
        return Judged(claim, tuple(range(len(self.listings))), guessed=True)

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
            named = distinct(
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
        if not may_match(BOTH, self.lowered):
            return ()
        end = clause[1] if claim.kind == "availability" else claim.start + len(claim.text)
        words = list(BOTH.finditer(self.sentence_text, 0, end))
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
        later = distinct(
            m.listings[0] for m in mentions if m.start > claim.start and len(m.listings) == 1
        )
        wanted = many or len(later)
        if wanted >= 2 and len(later) >= wanted:
            return tuple(sorted(later[:wanted]))
        if len(self.listings) >= 2 and many in (0, len(self.listings)):
            return tuple(range(len(self.listings)))  # "Both are below 1.48M" of the two shown
        return ()

    def _most_consistent(self, judged: list[Judged]) -> list[Judged]:
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
