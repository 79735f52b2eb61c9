"""Score the language checkers on their labelled corpora: escalation (precision and recall,
overall and per trigger) and the fact check (stop rate on wrong messages, false-stop rate on
true ones, per form and per field).

Each corpus has a tuning part (`tests/data/*_tuning.yaml`: the rules may be shaped by reading
its misses) and a held-out part (`tests/data/heldout/`: written first by authors who never read
the rules, committed before the rules were changed, never edited, never tuned against). For
the held-out part only figures are printed, never the messages missed.

    python -m tests.judgement              # figures for both parts, misses of the tuning part
    python -m tests.judgement --no-misses  # figures only
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from execution.escalation import detect_escalation
from execution.fact_check import check_facts
from execution.listings import parse_property_type
from execution.property_lookup import Property

DATA = Path(__file__).parent / "data"
ESCALATION = {
    "tuning": DATA / "escalation_tuning.yaml",
    "tuning-2": DATA / "escalation_tuning_2.yaml",
    "tuning-3": DATA / "escalation_tuning_3.yaml",
    "tuning-4": DATA / "escalation_tuning_4.yaml",
    "tuning-5": DATA / "escalation_tuning_5.yaml",
    "tuning-6": DATA / "escalation_tuning_6.yaml",
    "tuning-7": DATA / "escalation_tuning_7.yaml",
    "tuning-8": DATA / "escalation_tuning_8.yaml",
    "tuning-9": DATA / "escalation_tuning_9.yaml",
    "tuning-10": DATA / "escalation_tuning_10.yaml",
    "tuning-11": DATA / "escalation_tuning_11.yaml",
    "tuning-12": DATA / "escalation_tuning_12.yaml",
    "tuning-13": DATA / "escalation_tuning_13.yaml",
    "tuning-14": DATA / "escalation_tuning_14.yaml",
    "tuning-15": DATA / "escalation_tuning_15.yaml",
    "tuning-16": DATA / "escalation_tuning_16.yaml",
    "tuning-17": DATA / "escalation_tuning_17.yaml",
    "held-out": DATA / "heldout" / "escalation_heldout.yaml",
    "held-out-2": DATA / "heldout" / "escalation_heldout_2.yaml",
    "held-out-3": DATA / "heldout" / "escalation_heldout_3.yaml",
}
FACT_CHECK = {
    "tuning": DATA / "fact_check_tuning.yaml",
    "tuning-2": DATA / "fact_check_tuning_2.yaml",
    "tuning-3": DATA / "fact_check_tuning_3.yaml",
    "tuning-4": DATA / "fact_check_tuning_4.yaml",
    "tuning-5": DATA / "fact_check_tuning_5.yaml",
    "tuning-6": DATA / "fact_check_tuning_6.yaml",
    "tuning-7": DATA / "fact_check_tuning_7.yaml",
    "tuning-8": DATA / "fact_check_tuning_8.yaml",
    "tuning-9": DATA / "fact_check_tuning_9.yaml",
    "tuning-10": DATA / "fact_check_tuning_10.yaml",
    "tuning-11": DATA / "fact_check_tuning_11.yaml",
    "tuning-12": DATA / "fact_check_tuning_12.yaml",
    "tuning-13": DATA / "fact_check_tuning_13.yaml",
    "tuning-14": DATA / "fact_check_tuning_14.yaml",
    "tuning-15": DATA / "fact_check_tuning_15.yaml",
    "tuning-16": DATA / "fact_check_tuning_16.yaml",
    "tuning-17": DATA / "fact_check_tuning_17.yaml",
    "tuning-18": DATA / "fact_check_tuning_18.yaml",
    "held-out": DATA / "heldout" / "fact_check_heldout.yaml",
    "held-out-2": DATA / "heldout" / "fact_check_heldout_2.yaml",
    "held-out-3": DATA / "heldout" / "fact_check_heldout_3.yaml",
    "held-out-4": DATA / "heldout" / "fact_check_heldout_4.yaml",
}
AGENT = "Sarah Tan"
"""The agent the corpora's buyers write to."""
TRIGGERS = ("negotiation", "objection", "legal", "human_request")


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text("utf-8"))


# --- escalation ------------------------------------------------------------------------------


@dataclass
class EscalationScore:
    name: str
    size: int = 0
    ordinary: int = 0
    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0
    per_trigger: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    layers: Counter[str] = field(default_factory=Counter)
    """Escalations rightly handed over, by the layer that caught them."""
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        flagged = self.true_pos + self.false_pos
        return self.true_pos / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        actual = self.true_pos + self.false_neg
        return self.true_pos / actual if actual else 1.0

    def lines(self) -> list[str]:
        head = (
            f"escalation {self.name}: {self.size} messages ({self.ordinary} ordinary): "
            f"precision {self.precision:.3f}, recall {self.recall:.3f} "
            f"(handed over for nothing: {self.false_pos}, missed: {self.false_neg})"
        )
        caught = ", ".join(f"{layer} {n}" for layer, n in sorted(self.layers.items()))
        rows = [head + (f"; caught by {caught}" if caught else "")]
        for trigger in TRIGGERS:
            c = self.per_trigger[trigger]
            p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
            r = c["found"] / c["actual"] if c["actual"] else 1.0
            rows.append(f"  {trigger:14} precision {p:.3f} recall {r:.3f} ({c['actual']} messages)")
        return rows


def score_escalation(name: str, path: Path, model: bool = True) -> EscalationScore:
    """Escalate-or-not decides precision and recall; the trigger named is scored per trigger
    (right when it is the label or one of the message's `also` labels). `model=False`: the
    rules alone, without the model of message shapes."""
    score = EscalationScore(name)
    keep = not name.startswith("held-out")  # a held-out part's misses are never kept
    for item in _load(path)["messages"]:
        text, label = item["text"], item["label"]
        also = item.get("also") or []
        labels = {label, *([also] if isinstance(also, str) else also)}
        found = detect_escalation(text, agent_name=AGENT, model=model)
        guess = found.trigger if found else "none"
        score.size += 1
        score.ordinary += label == "none"
        if label != "none":  # recall per trigger: its messages handed over under one of its labels
            score.per_trigger[label]["actual"] += 1
            score.per_trigger[label]["found"] += guess in labels
        if guess != "none":
            hit = guess in labels
            score.per_trigger[guess]["tp" if hit else "fp"] += 1
        if label != "none" and guess != "none":
            score.true_pos += 1
            score.layers[found.layer] += 1  # type: ignore[union-attr]
        elif label == "none" and guess != "none":
            score.false_pos += 1
            if keep:
                score.misses.append(f"none -> {guess} ({found.evidence!r}): {text!r}")  # type: ignore[union-attr]
        elif label != "none" and guess == "none":
            score.false_neg += 1
            if keep:
                score.misses.append(f"{label} -> none: {text!r}")
    return score


# --- fact check ------------------------------------------------------------------------------


def corpus_listing(index: int, ref: str, row: dict[str, Any]) -> Property:
    return Property(
        property_id=index,
        agent_id=1,
        external_ref=ref,
        title=str(row["title"]),
        location=str(row["location"]),
        price=int(row["price"]),
        property_type=parse_property_type(row["type"]),
        bedrooms=None if row.get("bedrooms") is None else int(row["bedrooms"]),
        availability=str(row["availability"]),
        key_selling_points=[str(p) for p in row.get("key_selling_points") or []],
        floor_area_sqft=row.get("floor_area_sqft"),
    )


@dataclass
class FactScore:
    name: str
    wrong: int = 0
    stopped: int = 0
    true: int = 0
    false_stops: int = 0
    by_field: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_form: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    misses: list[str] = field(default_factory=list)

    @property
    def stop_rate(self) -> float:
        return self.stopped / self.wrong if self.wrong else 1.0

    @property
    def false_stop_rate(self) -> float:
        return self.false_stops / self.true if self.true else 0.0

    def lines(self) -> list[str]:
        rows = [
            f"fact check {self.name}: {self.wrong + self.true} messages: wrong facts stopped "
            f"{self.stopped}/{self.wrong} ({self.stop_rate:.1%}), true messages stopped "
            f"{self.false_stops}/{self.true} ({self.false_stop_rate:.1%})"
        ]
        for name, c in sorted(self.by_field.items()):
            rows.append(f"  wrong {name:14} stopped {c['stopped']}/{c['all']}")
        for name, c in sorted(self.by_form.items(), key=lambda kv: -kv[1]["all"]):
            if c["all"] >= 3:
                rows.append(
                    f"  form {name:24} wrong stopped {c['stopped']}/{c['wrong']}, "
                    f"true stopped {c['false']}/{c['true']}"
                )
        return rows


def score_fact_check(name: str, path: Path) -> FactScore:
    corpus = _load(path)
    listings = {
        ref: corpus_listing(i, ref, row)
        for i, (ref, row) in enumerate(corpus["listings"].items(), 1)
    }
    score = FactScore(name)
    keep = not name.startswith("held-out")  # a held-out part's misses are never kept
    for case in corpus["cases"]:
        shown = [listings[ref] for ref in case.get("shown") or []]
        problems = check_facts(str(case["message"]), shown, case.get("buyer") or [])
        stopped = bool(problems)
        forms = [str(f) for f in case.get("forms") or []]
        if case["verdict"] is True or case["verdict"] == "true":
            score.true += 1
            score.false_stops += stopped
            for form in forms:
                score.by_form[form].update({"all": 1, "true": 1, "false": int(stopped)})
            if stopped and keep:
                score.misses.append(
                    f"true stopped [{case['id']}]: {case['message']!r} -> "
                    f"{'; '.join(str(p) for p in problems)}"
                )
        else:
            wrong_field = str((case.get("wrong") or {}).get("field", "?"))
            score.wrong += 1
            score.stopped += stopped
            score.by_field[wrong_field].update({"all": 1, "stopped": int(stopped)})
            for form in forms:
                score.by_form[form].update({"all": 1, "wrong": 1, "stopped": int(stopped)})
            if not stopped and keep:
                score.misses.append(
                    f"wrong missed [{case['id']}] {case.get('wrong')}: {case['message']!r}"
                )
    return score


def main(argv: list[str]) -> int:
    show_misses = "--no-misses" not in argv
    for name, path in ESCALATION.items():
        esc = score_escalation(name, path)
        print("\n".join(esc.lines()))
        if show_misses and name.startswith("tuning"):
            print("\n".join(f"    {m}" for m in esc.misses))
        if not name.startswith("tuning"):  # the tuning corpora trained the model: rules alone
            print(score_escalation(f"{name}, rules alone", path, model=False).lines()[0])
    for name, path in FACT_CHECK.items():
        if not path.exists():
            print(f"fact check {name}: {path} missing")
            continue
        facts = score_fact_check(name, path)
        print("\n".join(facts.lines()))
        if show_misses and name.startswith("tuning"):
            print("\n".join(f"    {m}" for m in facts.misses))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
