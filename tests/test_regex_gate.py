"""The cheap look before a costly pattern never changes what the pattern finds."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import execution.escalation as escalation
import execution.numbers as numbers
from execution.claims import claim, order, prices, reading, rooms, said, sizes, states
from execution.fact_check import buyers, check, comparisons, owners, state, unlisted
from execution.fact_check import reading as reading_a_reply
from execution.regex_gate import lower_for_gate, may_match, quick, required_words
from tests.judgement import ESCALATION, FACT_CHECK, _load


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        (r"\b(?:speak|talk)\w*\s+to\s+(?:a|an)?\s*human", {"human"}),
        (r"\bnego\w*|\bhaggl\w*", {"nego", "haggl"}),
        (r"\b(?:is|are)\s+(?:a\s+)?(?:bot|robot)\b", {"bot", "robot"}),
        (r"x?y", {"y"}),
        (r"Sarah|Ms\s+Tan", {"sarah", "tan"}),
        (r"\d+\s*(?:k|m)?", None),  # a number alone: nothing to look for
        (r"(?:abc)?\d", None),
    ],
)
def test_required_words(pattern: str, words: set[str] | None) -> None:
    found = required_words(re.compile(pattern, re.IGNORECASE))
    assert (None if found is None else set(found)) == words


def _every_message() -> list[str]:
    return [item["text"] for path in ESCALATION.values() for item in _load(path)["messages"]]


def test_the_gate_changes_no_decision_on_any_corpus(monkeypatch: pytest.MonkeyPatch) -> None:
    messages = _every_message()
    gated = [escalation.detect_escalation(m, agent_name="Sarah Tan") for m in messages]
    monkeypatch.setattr(escalation, "may_match", lambda pattern, lowered: True)
    plain = [escalation.detect_escalation(m, agent_name="Sarah Tan") for m in messages]
    assert len(messages) > 1500 and gated == plain


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("abcdeiklmnoprstuvy $.,?!0123456789'\u0131\u0130\u017f\u212a")
        ),
        max_size=80,
    )
)
def test_a_pattern_the_gate_skips_never_matches(text: str) -> None:
    lowered = lower_for_gate(text)
    for trigger in escalation.default_rules("Sarah Tan"):
        for pattern in (
            *trigger.patterns,
            *trigger.unless,
            *trigger.statements,
            *trigger.questions,
        ):
            if not may_match(pattern, lowered):
                assert pattern.search(text) is None, pattern.pattern


def test_letters_ignorecase_folds_are_seen_by_the_gate() -> None:
    # "di\u017fcount" (long s) matches the rules as "discount" does: the gate must not skip them
    plain = escalation.detect_escalation("Any discount for the showflat unit?")
    folded = escalation.detect_escalation("Any di\u017fcount for the \u017fhowflat unit?")
    assert plain is not None and folded is not None and folded.trigger == plain.trigger


# --- quick: the look at the first character --------------------------------------------------

_CLAIMS = (claim, order, prices, reading, rooms, said, sizes, states)
_CHECK = (buyers, check, comparisons, owners, reading_a_reply, state, unlisted)
_READERS = (*_CLAIMS, *_CHECK, numbers)
_QUICKENED = list(
    {
        id(value): (f"{module.__name__}.{name}", value)
        for module in _READERS
        for name, value in vars(module).items()
        if isinstance(value, re.Pattern)
    }.values()
)


def _plain(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The pattern `quick` was given: the look taken off again."""
    source = pattern.pattern
    if source.startswith("(?=["):
        look_end = source.index("])(?:") + 5
        source = source[look_end:-1]
    return re.compile(source, pattern.flags)


def _found(
    pattern: re.Pattern[str], text: str
) -> list[tuple[tuple[int, int], tuple[str | None, ...]]]:
    return [(m.span(), m.groups()) for m in pattern.finditer(text)]


def test_quick_leads_with_the_first_characters() -> None:
    assert quick(re.compile(r"(?i)\bboth\b")).pattern == r"(?=[b])(?:\bboth\b)"
    assert quick(re.compile(r"(?:\$|s\$)?\d")).pattern == r"(?=[$s\d])(?:(?:\$|s\$)?\d)"
    assert quick(re.compile(r"(?<=[.!?])\s+|\n+")).pattern.startswith(r"(?=[\s")
    assert quick(re.compile(r"\b(?=(?:but|while)\s)|;")).pattern.startswith(r"(?=[bw;])")
    for unknown in (r"x*", r"[^a]b", r"(?i:a)b", r".b", r"\W+"):  # left as they were
        assert quick(re.compile(unknown)).pattern == unknown
    assert sum(p.pattern.startswith("(?=[") for _, p in _QUICKENED) >= 100


def test_quick_finds_what_the_pattern_finds_on_the_fact_check_corpora() -> None:
    texts = [str(c["message"]) for p in FACT_CHECK.values() for c in _load(p)["cases"]]
    texts = texts[::3]  # 1,500 of them: enough of every form, in seconds
    chunks = ["\n".join(texts[i : i + 40]) for i in range(0, len(texts), 40)]  # fewer calls
    for name, pattern in _QUICKENED:
        plain = _plain(pattern)
        for text in chunks:
            assert _found(pattern, text) == _found(plain, text), name


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("abeikmnorstvwyABEKMS $.,:;?!-\n0123456789'\u0131\u0130\u017f\u212a\u2014•")
        ),
        max_size=60,
    )
)
def test_quick_finds_what_the_pattern_finds_on_any_text(text: str) -> None:
    for name, pattern in _QUICKENED:
        assert _found(pattern, text) == _found(_plain(pattern), text), name
