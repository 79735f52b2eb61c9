"""The cheap look before a costly pattern never changes what the pattern finds."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import execution.escalation as escalation
from execution.regex_gate import lower_for_gate, may_match, required_words
from tests.judgement import ESCALATION, _load


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
