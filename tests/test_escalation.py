"""Escalation rules against a labelled corpus of buyer messages written for wa.

The run prints precision and recall per trigger and overall (`pytest -s` shows them; they are
also in the assertion message on failure).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from execution.errors import ConfigurationError
from execution.escalation import FAILED_SEARCHES, detect_escalation, parse_rules
from tests.conftest import SUMMARY_LINES
from tests.judgement import ESCALATION, score_escalation

DATA = Path(__file__).parent / "data"
CORPUS = yaml.safe_load((DATA / "escalation_corpus.yaml").read_text())
HOLDOUT = yaml.safe_load((DATA / "escalation_holdout.yaml").read_text())


def labelled(corpus: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(text, label) for label, texts in corpus.items() for text in texts]


LABELLED = labelled(CORPUS)


def scores(
    examples: list[tuple[str, str]] = LABELLED,
) -> tuple[dict[str, tuple[float, float]], float, float, list[str]]:
    true_pos: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    actual: Counter[str] = Counter()
    misses = []
    for text, label in examples:
        found = detect_escalation(text)
        guess = found.trigger if found else "none"
        if guess != "none":
            predicted[guess] += 1
        if label != "none":
            actual[label] += 1
        if guess == label and label != "none":
            true_pos[label] += 1
        if guess != label:
            misses.append(
                f"{label} -> {guess}: {text!r}" + (f" ({found.evidence!r})" if found else "")
            )
    per = {
        t: (true_pos[t] / predicted[t] if predicted[t] else 1.0, true_pos[t] / actual[t])
        for t in actual
    }
    precision = sum(true_pos.values()) / sum(predicted.values())
    recall = sum(true_pos.values()) / sum(actual.values())
    return per, precision, recall, misses


def test_corpus_is_big_and_varied() -> None:
    assert len(LABELLED) >= 150
    assert set(CORPUS) == {"negotiation", "objection", "legal", "human_request", "none"}
    assert len(CORPUS["none"]) >= 50


def report(name: str, examples: list[tuple[str, str]]) -> tuple[float, float, str]:
    per, precision, recall, misses = scores(examples)
    text = "\n".join(
        [f"{name}: {len(examples)} messages; precision {precision:.3f}, recall {recall:.3f}"]
        + [f"  {t:14} precision {p:.3f} recall {r:.3f}" for t, (p, r) in sorted(per.items())]
        + ["  misses:"] + [f"    {m}" for m in misses]
    )  # fmt: skip
    print("\n" + text)
    SUMMARY_LINES.extend(text.split("\n  misses:")[0].splitlines())
    return precision, recall, text


def test_precision_and_recall_on_the_corpus() -> None:
    precision, recall, text = report("escalation corpus", LABELLED)
    assert precision >= 0.9 and recall >= 0.9, text


def test_precision_and_recall_on_the_holdout() -> None:
    """A second corpus (see its header: once held out, no longer): a lower floor."""
    precision, recall, text = report(
        "escalation second corpus (no longer held out)", labelled(HOLDOUT)
    )
    assert precision >= 0.75 and recall >= 0.6, text


@pytest.mark.parametrize(
    ("text", "trigger"),
    [
        ("no concerns, it's perfect", None),
        ("is the price negotiable? no worries if not", "negotiation"),
        ("Do you have anything cheaper in Tampines?", None),
        ("CAN I SPEAK TO A PERSON", "human_request"),
        ("can u lowr the prise pls", "negotiation"),
        ("Is this a bot? Also can you lower the price?", "human_request"),  # priority order
    ],
)
def test_deliberate_decisions(text: str, trigger: str | None) -> None:
    found = detect_escalation(text)
    assert (found.trigger if found else None) == trigger


def test_evidence_is_the_matched_words() -> None:
    found = detect_escalation("Hi! Would the owner accept 1.1M for it?")
    assert found is not None and found.trigger == "negotiation"
    assert "accept 1.1M" in found.evidence


def test_three_failed_searches_in_a_row() -> None:
    assert detect_escalation("any condo in Mars?", failed_search_streak=2) is None
    found = detect_escalation("any condo in Mars?", failed_search_streak=3)
    assert found is not None and found.trigger == FAILED_SEARCHES
    # a message that is itself a trigger reports that trigger first
    assert detect_escalation("can I talk to a human", 5).trigger == "human_request"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("yaml_text", "fragment"),
    [
        ("[]", "mapping"),
        ("negotiation: {}", "needs a list of patterns"),
        ("negotiation: {patterns: ['(']}", "bad pattern"),
        ("negotiation: {patterns: ['x'], when: 1}", "unknown keys"),
    ],
)
def test_bad_rules_are_refused_clearly(yaml_text: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        parse_rules(yaml_text)


def test_huge_messages_are_judged_quickly_and_safely() -> None:
    text = "lovely place " * 50_000 + " can I speak to a person?"
    found = detect_escalation(text)
    assert found is not None and found.trigger == "human_request"


# --- the corpora of issue 13 (tests/judgement.py): tuning and held-out, figures printed ------


@pytest.mark.parametrize(
    ("name", "precision", "recall"),
    [
        *((name, 0.98, 0.98) for name in ("tuning", "tuning-2", "tuning-3", "tuning-4")),
        *((name, 0.98, 0.98) for name in ("tuning-5", "tuning-6", "tuning-7")),
        ("tuning-8", 0.96, 0.98),
        ("tuning-9", 0.98, 0.96),
        ("tuning-10", 0.98, 0.98),
        ("tuning-11", 0.98, 0.98),
        ("tuning-12", 0.98, 0.98),
        ("tuning-13", 0.96, 0.98),
        ("tuning-14", 0.95, 0.98),
        ("tuning-15", 0.98, 0.98),
        ("tuning-16", 0.98, 0.98),  # first look (model of sets 1-15): P 0.921, R 0.959
        ("tuning-17", 0.98, 0.98),  # first look (model of sets 1-16): P 0.928, R 0.906
    ],
)
def test_the_tuning_corpora(name: str, precision: float, recall: float) -> None:
    """Tuning sets by other authors; the rules may be shaped by their misses and the model of
    message shapes is trained on them, so these figures say little about unseen messages.
    Each set after the first was measured once before any rule read it (docs/judgement.md)."""
    score = score_escalation(name, ESCALATION[name])
    SUMMARY_LINES.extend(score.lines()[:1])
    assert score.size >= 300
    assert score.precision >= precision and score.recall >= recall, "\n".join(score.misses)


@pytest.mark.parametrize(
    ("name", "precision", "recall"),
    # held-out recall 0.948 -> 0.938 when the model was retrained with tuning set 14 (the
    # process retrains on every tuning set; nothing was chosen by this figure)
    # set 3 was measured once as committed: P 0.957, R 0.935; after the rules read sets 14 and
    # 15 again: P 0.958, R 0.944 (the model unchanged; set 1: R 0.943)
    # retrained with tuning set 16 (458 messages): set 3 P 0.958 -> 0.971, R 0.944 -> 0.935;
    # sets 1 and 2 unchanged (the set is registered because the process trains on every one)
    # retrained with tuning set 17 (459 short, messy messages): set 1 R 0.943 -> 0.948, sets 2
    # and 3 unchanged
    [("held-out", 0.97, 0.94), ("held-out-2", 0.97, 0.97), ("held-out-3", 0.95, 0.93)],
)
def test_the_held_out_corpora(name: str, precision: float, recall: float) -> None:
    """Each written by an author who never read the rules, committed before it was measured,
    never tuned against (no misses are printed, the model never trained on it). The goal is
    >= 0.95 precision and recall; the floor here guards what was measured (see docs/judgement.md,
    'Judgement, measured')."""
    score = score_escalation(name, ESCALATION[name])
    SUMMARY_LINES.extend(score.lines())
    assert score.size >= 400 and score.ordinary >= 200
    found, figures = (score.precision, score.recall), score.lines()[0]
    assert found[0] >= precision and found[1] >= recall, figures


@pytest.mark.parametrize(
    ("text", "trigger"),
    [
        ("I can do 10am tomorrow for the viewing", None),
        ("Is the estate quiet at night?", None),
        ("I'm a real estate investor", None),
        ("Call me Alex by the way", None),
        ("The lift was a bit noisy but not a big deal for us", None),
        ("The area is a bit far but that's fine, we drive", None),
        ("The lift is noisy and the area too far", "objection"),
        ("can a human reply", "human_request"),
        ("I'd rather deal with Sarah herself", "human_request"),
        ("Can the owner leave the aircons and the fridge?", "negotiation"),
        ("Only 55 years left on the lease, that's a bit short for us", "objection"),
        ("Is the booking fee refundable if my loan is rejected?", "legal"),
    ],
)
def test_shapes_not_phrases(text: str, trigger: str | None) -> None:
    found = detect_escalation(text, agent_name="Sarah Tan")
    assert (found.trigger if found else None) == trigger, found


def test_the_agents_name_is_asking_for_a_person() -> None:
    assert detect_escalation("is Mei there?") is None
    found = detect_escalation("is Mei there?", agent_name="Mei Lin Ong")
    assert found is not None and found.trigger == "human_request"
    assert detect_escalation("Could Ms Ong call me back?", agent_name="Mei Lin Ong") is not None


@pytest.mark.parametrize("agent", ["Sarah Tan", "Priya Nair", "Mohamed Rizal"])
def test_a_question_addressed_to_the_agent_by_name_is_still_a_question(agent: str) -> None:
    first = agent.split()[0]
    asked = detect_escalation(
        f"{first} do I need a lawyer for the OTP", agent_name=agent, model=False
    )
    assert asked is not None and asked.trigger == "legal"
    refund = detect_escalation(
        f"{first}, is the deposit refundable if my loan fails", agent_name=agent, model=False
    )
    assert refund is not None and refund.trigger == "legal"


def test_word_lists_must_exist() -> None:
    with pytest.raises(ConfigurationError, match="unknown words"):
        parse_rules("x:\n  patterns: ['{nowhere}']\n")


def test_a_huge_message_is_judged_in_bounded_work() -> None:
    found = detect_escalation("hello " * 50_000 + "can the seller reduce the price?")
    assert found is not None and found.trigger == "negotiation"


@pytest.mark.parametrize(
    ("text", "trigger"),
    [
        # words of a trigger in an everyday sense: movement, skills, a place, payment means
        ("Raining now, so we go down tomorrow instead?", None),
        ("lol I want your negotiating skills for my pay rise", None),
        ("Can we meet in the middle at Bishan MRT?", None),
        ("I am flexible on price actually, the school matters more", None),
        ("Any discount for the season parking?", None),
        ("Will the owner accept 2 cheques for the option?", None),
        ("my mop and pail can stay in the storeroom right?", None),
        ("Can I pay the option fee by cheque?", None),
        ("Is the MOP 5 years for resale?", "legal"),
        # concessions asked without the usual words
        ("Would 745 be something they would look at?", "negotiation"),
        ("Could the owner revise the price a little?", "negotiation"),
        ("If the seller won't budge we will look elsewhere", "negotiation"),
        ("What is a fair number to open with?", "negotiation"),
    ],
)
def test_the_rules_alone_read_shapes_of_set_14(text: str, trigger: str | None) -> None:
    found = detect_escalation(text, agent_name="Sarah Tan", model=False)
    assert (found.trigger if found else None) == trigger, found


@pytest.mark.parametrize(
    ("text", "trigger"),
    [
        # what other buyers offered, a figure to pass on, flexible pricing, the fee
        ("has anyone else put in a bid? what was the best offer so far", "negotiation"),
        ("1.08 is our ceiling, please relay to the owner", "negotiation"),
        ("is the asking price flexible at all", "negotiation"),
        ("any chance we pay less commission since we found it ourselves", "negotiation"),
        ("any wiggle room on this one?", "negotiation"),
        ("what would make the owner say yes quickly", "negotiation"),
        # the assistant's or an agent's service, overcharging, photos, defects
        ("honestly the assistant keeps repeating the same wrong answer", "objection"),
        ("I feel we're being overcharged compared to the block next door", "objection"),
        ("the listing photos made it look brighter than it really is", "objection"),
        ("their agent was really pushy, it put us off", "objection"),
        # estates, forced sales, tenants who won't leave, a way around a rule
        ("my grandmother passed away and the flat is in her name, can we sell it now?", "legal"),
        ("can my co-owner brother force a sale if I refuse?", "legal"),
        ("what if the tenant refuses to move out after completion?", "legal"),
        ("is there any way around the 15 month wait?", "legal"),
        # is a person there at all; fetch one; call me at a time
        ("hello, is anybody real on this chat", "human_request"),
        ("who is minding this number? need an answer fast", "human_request"),
        ("pls call me back this evening, easier to talk", "human_request"),
        ("get me your manager", "human_request"),
        # the same words in an everyday sense
        ("the bank's best offer so far is 2.6% fixed", None),
        ("is the Bishan one off the market already?", None),
        ("the asking is way above market value", "objection"),
        ("call me Jen, everyone does", None),
        ("I'm flexible on price actually, the school matters more", None),
    ],
)
def test_the_rules_alone_read_shapes_of_sets_14_and_15(text: str, trigger: str | None) -> None:
    found = detect_escalation(text, agent_name="Sarah Tan", model=False)
    assert (found.trigger if found else None) == trigger, found
