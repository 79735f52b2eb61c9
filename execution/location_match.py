"""Fuzzy location matching: the one definition both databases compute.

A location matches a query when one of its *word spans* (a run of consecutive words, e.g.
"Tampines", "Tampines Street", "Street 81") is similar to the query. Similarity is pg_trgm's
`similarity()`: the Jaccard index of the two trigram sets, where a text is lower-cased, split into
alphanumeric words, and every word is padded with two spaces in front and one behind
("cat" -> "  c", " ca", "cat", "at "). Typos keep most trigrams ("tampnes" ~ "tampines": 0.55),
partial names hit a span exactly ("bukit" ~ "Bukit Timah Road": 1.0).

The distinct spans of an agent's locations are stored as `location_terms` (execution/
location_index.py). PostgreSQL scores them with pg_trgm (GIN index); SQLite with an inverted
table of the same trigrams. Both must agree with this module (tests check it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

MATCH_THRESHOLD = 0.3
"""Smallest similarity that counts as a match (pg_trgm's own default threshold)."""

MAX_SPAN_WORDS = 6
"""Longest word span indexed; a query longer than this still matches, just less exactly."""

_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def trigrams(text: str) -> set[str]:
    """pg_trgm's trigram set of `text` (`show_trgm`)."""
    grams: set[str] = set()
    for word in words(text):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def similarity(a: str, b: str) -> float:
    """pg_trgm's `similarity(a, b)`: shared trigrams over all trigrams (0 when either is empty)."""
    ta, tb = trigrams(a), trigrams(b)
    if not ta or not tb:
        return 0.0
    shared = len(ta & tb)
    return shared / (len(ta) + len(tb) - shared)


def spans(location: str) -> Iterator[str]:
    """Every run of up to MAX_SPAN_WORDS consecutive words of `location`, lower-cased, unique."""
    ws = words(location)
    seen: set[str] = set()
    for start in range(len(ws)):
        for end in range(start + 1, min(len(ws), start + MAX_SPAN_WORDS) + 1):
            span = " ".join(ws[start:end])
            if span not in seen:
                seen.add(span)
                yield span


def min_shared_trigrams(query_trigram_count: int, threshold: float = MATCH_THRESHOLD) -> int:
    """A span reaching `threshold` shares at least this many trigrams with the query.

    From shared / (q + t - shared) >= threshold and t >= shared: shared >= threshold * q.
    """
    return max(1, math.ceil(threshold * query_trigram_count - 1e-9))


def encode_trigram(trigram: str) -> str:
    """Trigrams as stored by the SQLite index (padding spaces shown as `_`, readable in SQL)."""
    return trigram.replace(" ", "_")
