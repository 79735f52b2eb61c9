"""The second layer of escalation judgement: a linear model of how buyers' messages are shaped.

The rules in `escalation_rules.yaml` say *why* a chat goes to the agent, in words a person can
read and fix; they are precise on the shapes they know and blind to the ones they don't. This
model reads the same message as a bag of character and word pieces (TF-IDF, the scikit-learn
way) and gives the chance that a person would hand it over, with the trigger it looks most
like. `execution.escalation` combines the two: a rule's hit stands unless the model is nearly
sure the message is ordinary, and the model alone hands over only when it is confident.

The weights are data, trained by `scripts/train_escalation_model.py` on the tuning corpora
(`tests/data/escalation_tuning*.yaml`), never on the held-out corpus; this module only scores,
in plain Python, exactly as scikit-learn would (a test holds it to scikit-learn's figures).
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from execution.errors import ConfigurationError

MODEL_FILE = "escalation_model.json.gz"
MAX_CHARS = 4_000
"""The model reads at most this much of a message (its start and end); the rules read all."""
AGENT_TOKEN = "agentname"
"""Stands for the agent's name, so the model learns "can agentname call me" for every agent."""
_WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern
_SPACES = re.compile(r"\s\s+")


@dataclass(frozen=True)
class Judgement:
    escalate: float
    """The chance that a person would hand this message to the agent."""
    trigger: str
    """The trigger it looks most like (negotiation, objection, legal, human_request)."""


@dataclass(frozen=True)
class _Part:
    """One TF-IDF vectorizer's vocabulary: feature -> (idf, weight per class)."""

    kind: str  # "char_wb" or "word"
    ngrams: tuple[int, int]
    features: dict[str, tuple[float, tuple[float, ...]]]


@dataclass(frozen=True)
class Model:
    classes: tuple[str, ...]
    intercepts: tuple[float, ...]
    parts: tuple[_Part, ...]
    meta: dict[str, Any]

    def judge(self, text: str, agent_name: str = "") -> Judgement:
        """Score a buyer's message."""
        text = prepare(text, agent_name).lower()
        scores = list(self.intercepts)
        for part in self.parts:
            counts = Counter(_pieces(text, part))
            weighted = []
            for piece, count in counts.items():
                entry = part.features.get(piece)
                if entry:
                    weighted.append(((1.0 + math.log(count)) * entry[0], entry[1]))
            norm = math.sqrt(sum(value * value for value, _ in weighted)) or 1.0
            for value, weights in weighted:
                share = value / norm
                for i, weight in enumerate(weights):
                    scores[i] += share * weight
        top = max(scores)
        odds = [math.exp(s - top) for s in scores]
        total = sum(odds)
        chances = {name: o / total for name, o in zip(self.classes, odds, strict=True)}
        trigger = max((c for c in self.classes if c != "none"), key=chances.__getitem__)
        return Judgement(1.0 - chances.get("none", 0.0), trigger)


def prepare(text: str, agent_name: str = "") -> str:
    """What the model reads of a message: bounded, the agent's name masked, case folded
    ("di\u017fcount" reads as "discount", as the rules read it); training reads the same."""
    return mask_agent(_bounded(text), agent_name).casefold()


def mask_agent(text: str, agent_name: str) -> str:
    """The agent's name, each part of it, and Ms/Mr with the surname, as one placeholder word."""
    mention = _mention_of(agent_name)
    return text if mention is None else mention.sub(f" {AGENT_TOKEN} ", text)


@lru_cache(maxsize=256)
def _mention_of(agent_name: str) -> re.Pattern[str] | None:
    parts = [p for p in agent_name.split() if len(p) >= 3]
    if not parts:
        return None
    names = [re.escape(agent_name.strip()), *(re.escape(p) for p in parts)]
    honour = rf"(?:ms|mrs|mr|mdm|miss|madam)\.?\s+{re.escape(parts[-1])}"
    mention = rf"(?:{honour}|{'|'.join(names)})"
    return re.compile(rf"(?i)\b{mention}(?:\s+{mention})*\b")


def _bounded(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    return text[: MAX_CHARS // 2] + " " + text[-MAX_CHARS // 2 :]


def _pieces(text: str, part: _Part) -> list[str]:
    low, high = part.ngrams
    out: list[str] = []
    if part.kind == "word":
        words = _WORD.findall(text)
        for n in range(low, high + 1):
            out.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
        return out
    for word in _SPACES.sub(" ", text).split():  # char_wb: pieces inside padded words
        padded = f" {word} "
        for n in range(low, high + 1):
            if len(padded) <= n:  # a short word counts once, whole
                out.append(padded)
                break
            out.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return out


def parse_model(data: Any) -> Model:
    """A model from its JSON form (see `scripts/train_escalation_model.py`)."""
    try:
        classes = tuple(str(c) for c in data["classes"])
        intercepts = tuple(float(x) for x in data["intercepts"])
        parts = []
        for part in data["parts"]:
            kind = str(part["kind"])
            if kind not in ("char_wb", "word"):
                raise ConfigurationError(f"escalation model: unknown part {kind!r}")
            features = {
                str(f): (float(idf), tuple(float(w) for w in weights))
                for f, idf, weights in part["features"]
            }
            if any(len(w) != len(classes) for _, w in features.values()):
                raise ConfigurationError("escalation model: a feature has the wrong width")
            low, high = (int(n) for n in part["ngrams"])
            parts.append(_Part(kind, (low, high), features))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"escalation model: malformed ({exc})") from None
    if "none" not in classes or len(intercepts) != len(classes):
        raise ConfigurationError("escalation model: classes and intercepts do not match")
    return Model(classes, intercepts, tuple(parts), dict(data.get("meta", {})))


@lru_cache(maxsize=1)
def default_model() -> Model:
    """The shipped model (loaded once, about 0.3 s)."""
    raw = (resources.files("execution") / MODEL_FILE).read_bytes()
    return parse_model(json.loads(gzip.decompress(raw)))
