"""The model of message shapes (`execution/escalation_model.py`): it scores as scikit-learn
did when it was trained, it was trained on today's tuning corpora and never on the held-out
one, and `detect_escalation` combines it with the rules as documented."""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from execution.errors import ConfigurationError
from execution.escalation import ALONE_ABOVE, VETO_BELOW, detect_escalation
from execution.escalation_model import (
    AGENT_TOKEN,
    MODEL_FILE,
    default_model,
    mask_agent,
    parse_model,
)
from tests.judgement import ESCALATION

DATA = Path(__file__).parent / "data"
CLASSES = ["human_request", "legal", "negotiation", "none", "objection"]


def shipped() -> dict[str, object]:
    raw = (resources.files("execution") / MODEL_FILE).read_bytes()
    data: dict[str, object] = json.loads(gzip.decompress(raw))
    return data


def constant(escalate: float, trigger: str = "negotiation") -> object:
    """A model without features that gives every message the same chance."""
    scores = [0.0] * len(CLASSES)
    scores[CLASSES.index("none")] = math.log((1 - escalate) / escalate)
    scores[CLASSES.index(trigger)] = 0.0
    others = [c for c in CLASSES if c not in ("none", trigger)]
    for name in others:  # all but nothing on the other triggers
        scores[CLASSES.index(name)] = -50.0
    return parse_model({"classes": CLASSES, "intercepts": scores, "parts": []})


def test_the_plain_scorer_gives_scikit_learns_figures() -> None:
    checks = shipped()["meta"]["checks"]  # type: ignore[index]
    assert len(checks) >= 30
    model = default_model()
    for text, expected in checks:
        assert model.judge(text).escalate == pytest.approx(expected, abs=1e-3), text


def test_it_was_trained_on_todays_tuning_corpora_and_never_the_held_out_one() -> None:
    trained = shipped()["meta"]["trained_on"]  # type: ignore[index]
    tuning = {n: p for n, p in ESCALATION.items() if "heldout" not in p.parts}
    for name, path in tuning.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert trained.get(name) == digest, (  # type: ignore[union-attr]
            f"{name} changed or is new: run python scripts/train_escalation_model.py"
        )
    corpora = (DATA / "heldout").glob("*.yaml")
    held_out = {hashlib.sha256(p.read_bytes()).hexdigest() for p in corpora}
    assert not held_out & set(trained.values())  # type: ignore[union-attr]
    assert not any(name.startswith("held-out") for name in trained)  # type: ignore[union-attr]


def test_a_rule_hit_on_a_message_the_model_finds_ordinary_is_dropped() -> None:
    text = "can I speak to a person?"
    assert detect_escalation(text, model=False) is not None
    assert detect_escalation(text, model=constant(VETO_BELOW + 0.05)) is not None  # type: ignore[arg-type]
    assert detect_escalation(text, model=constant(VETO_BELOW - 0.05)) is None  # type: ignore[arg-type]


def test_the_model_alone_hands_over_only_when_confident() -> None:
    text = "would signing by friday get us a little something off"
    assert detect_escalation(text, model=False) is None
    assert detect_escalation(text, model=constant(ALONE_ABOVE - 0.05)) is None  # type: ignore[arg-type]
    found = detect_escalation(text, model=constant(ALONE_ABOVE + 0.05, "negotiation"))  # type: ignore[arg-type]
    assert found is not None
    assert (found.trigger, found.layer, found.evidence) == ("negotiation", "shapes", text)


def test_the_evidence_is_the_sentence_the_model_judges_likeliest() -> None:
    weights = [0.0, 0.0, 10.0, -10.0, 0.0]  # "fridge" reads as negotiation
    model = parse_model({
        "classes": CLASSES, "intercepts": [0.0, 0.0, 0.0, 5.0, 0.0],
        "parts": [{"kind": "word", "ngrams": [1, 1], "features": [["fridge", 1.0, weights]]}],
    })  # fmt: skip
    text = "Thanks for the photos. Is the fridge new? See you Sat."
    assert detect_escalation(text, model=False) is None
    found = detect_escalation(text, model=model)
    assert found is not None and found.layer == "shapes"
    assert (found.trigger, found.evidence) == ("negotiation", "Is the fridge new?")


def test_three_failed_searches_stand_whatever_the_model_says() -> None:
    found = detect_escalation("any condo on Mars?", 3, model=constant(0.01))  # type: ignore[arg-type]
    assert found is not None and found.trigger == "failed_searches"


def test_long_messages_are_left_to_the_rules() -> None:
    text = "lovely place " * 100 + " can I speak to a person?"
    found = detect_escalation(text, model=constant(0.01))  # type: ignore[arg-type]
    assert found is not None and found.layer == "rules"
    assert detect_escalation("lovely place " * 100, model=constant(0.99)) is None  # type: ignore[arg-type]


def test_the_agents_name_is_one_placeholder_for_every_agent() -> None:
    assert mask_agent("Can Sarah call me? Ms Tan, or Sarah Tan herself", "Sarah Tan").split() == [
        "Can", AGENT_TOKEN, "call", "me?", AGENT_TOKEN, ",", "or", AGENT_TOKEN, "herself",
    ]  # fmt: skip
    model = default_model()
    asked = model.judge("can Sarah call me back today", "Sarah Tan")
    other = model.judge("can Wei Ming call me back today", "Wei Ming Lee")
    assert asked.escalate == pytest.approx(other.escalate)
    assert mask_agent("hello", "") == "hello"


def test_huge_and_odd_messages_are_scored_in_bounded_work() -> None:
    model = default_model()
    for text in ("9" * 20_000, "😀" * 20_000, "[bold]x[/] " * 2_000, "\x00\ud800 a", ""):
        judged = model.judge(text)
        assert 0.0 <= judged.escalate <= 1.0 and judged.trigger in CLASSES


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {"classes": ["a"], "intercepts": [0.0], "parts": []},
        {"classes": CLASSES, "intercepts": [0.0], "parts": []},
        {"classes": CLASSES, "intercepts": [0.0] * 5, "parts": [{"kind": "bpe"}]},
        {
            "classes": CLASSES,
            "intercepts": [0.0] * 5,
            "parts": [{"kind": "word", "ngrams": [1, 2], "features": [["a", 1.0, [1.0]]]}],
        },
    ],
)
def test_a_malformed_model_is_a_clear_error(broken: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError, match="escalation model"):
        parse_model(broken)


def test_the_shipped_weights_are_what_the_training_script_makes(tmp_path: Path) -> None:
    """No hand-edited weights: training again from the corpora gives the same model (within
    rounding, whatever the scikit-learn build)."""
    out = tmp_path / "model.json.gz"
    script = Path(__file__).parent.parent / "scripts" / "train_escalation_model.py"
    subprocess.run([sys.executable, str(script), "--out", str(out)], check=True, timeout=300,
                   capture_output=True)  # fmt: skip
    fresh = parse_model(json.loads(gzip.decompress(out.read_bytes())))
    model = default_model()
    assert fresh.classes == model.classes
    assert fresh.intercepts == pytest.approx(model.intercepts, abs=1e-3)
    for ours, theirs in zip(model.parts, fresh.parts, strict=True):
        assert ours.features.keys() == theirs.features.keys()
        for piece, (idf, weights) in ours.features.items():
            assert theirs.features[piece][0] == pytest.approx(idf, abs=1e-3)
            assert theirs.features[piece][1] == pytest.approx(weights, abs=1e-3), piece
