"""Judging what happened against what a scenario expects, with failures people can read: the
step, the check, what was expected, what came, and a diff when a text was to match exactly."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from replay.scenario import Counts, Expect, TextCheck, TurnCounts


@dataclass(frozen=True)
class Failure:
    where: str
    check: str
    expected: str
    actual: str
    diff: str = ""

    @property
    def headline(self) -> str:
        return f"{self.where}: {self.check}: expected {self.expected}, got {self.actual}"

    def __str__(self) -> str:
        return f"{self.headline}\n{self.diff}" if self.diff else self.headline

    def to_json(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "check": self.check,
            "expected": self.expected,
            "actual": self.actual,
            "diff": self.diff,
        }


@dataclass
class Observed:
    """What one step (or the whole scenario) produced for one conversation."""

    replies: list[str] = field(default_factory=list)  # assistant messages that reached the buyer
    human: list[str] = field(default_factory=list)  # the agent's messages sent through the API
    mode: str | None = None
    escalations: list[dict[str, Any]] = field(default_factory=list)
    followups: dict[str, int] = field(default_factory=dict)
    turns: dict[str, int] = field(default_factory=dict)
    viewings: int = 0
    incidents: int = 0
    webhook: list[str] = field(default_factory=list)


def _quote(texts: list[str]) -> str:
    if not texts:
        return "nothing"
    shown = [t if len(t) <= 160 else t[:157] + "..." for t in texts]
    return " | ".join(repr(t) for t in shown)


def check_text(where: str, what: str, check: TextCheck, texts: list[str]) -> list[Failure]:
    joined = "\n".join(texts)
    failures = []
    for needle in check.contains:
        if needle.lower() not in joined.lower():
            failures.append(Failure(where, f"{what} contains", repr(needle), _quote(texts)))
    for needle in check.not_contains:
        if needle.lower() in joined.lower():
            failures.append(Failure(where, f"{what} does not contain", repr(needle), _quote(texts)))
    for pattern in check.matches:
        if not re.search(pattern, joined, re.IGNORECASE | re.DOTALL):
            failures.append(Failure(where, f"{what} matches", f"/{pattern}/", _quote(texts)))
    if check.equals is not None and joined != check.equals:
        diff = "\n".join(
            difflib.unified_diff(
                check.equals.splitlines(),
                joined.splitlines(),
                "expected",
                "received",
                lineterm="",
            )
        )
        failures.append(Failure(where, f"{what} equals", repr(check.equals), _quote(texts), diff))
    return failures


def _counts(
    where: str, what: str, expected: Counts | TurnCounts, seen: dict[str, int]
) -> list[Failure]:
    failures = []
    for status, want in expected.model_dump(exclude_none=True).items():
        got = seen.get(status, 0)
        if got != want:
            failures.append(Failure(where, f"{what} {status}", str(want), f"{got} (all: {seen})"))
    return failures


def evaluate(where: str, expect: Expect, seen: Observed) -> list[Failure]:
    failures: list[Failure] = []

    def count(check: str, want: int | None, got: int, detail: str = "") -> None:
        if want is not None and want != got:
            failures.append(Failure(where, check, str(want), f"{got}{detail}"))

    count("replies", expect.replies, len(seen.replies), f": {_quote(seen.replies)}")
    if expect.reply is not None:
        failures += check_text(where, "reply", expect.reply, seen.replies)
    count("human messages", expect.human_messages, len(seen.human), f": {_quote(seen.human)}")
    if expect.human is not None:
        failures += check_text(where, "human message", expect.human, seen.human)
    if expect.mode is not None and expect.mode != seen.mode:
        failures.append(Failure(where, "mode", expect.mode, str(seen.mode)))
    triggers = [str(e.get("trigger")) for e in seen.escalations]
    if expect.escalation is not None:
        if expect.escalation == "none":
            if triggers:
                failures.append(Failure(where, "escalation", "none", ", ".join(triggers)))
        elif expect.escalation not in triggers:
            failures.append(
                Failure(where, "escalation", expect.escalation, ", ".join(triggers) or "none")
            )
    if expect.evidence is not None:
        evidence = [str(e.get("evidence")) for e in seen.escalations]
        failures += check_text(where, "escalation evidence", expect.evidence, evidence)
    if expect.followups is not None:
        failures += _counts(where, "follow-ups", expect.followups, seen.followups)
    if expect.turns is not None:
        failures += _counts(where, "turns", expect.turns, seen.turns)
    count("viewings", expect.viewings, seen.viewings)
    count("incidents", expect.incidents, seen.incidents)
    if expect.webhook is not None:
        wrong = [answer for answer in seen.webhook if answer != expect.webhook]
        if wrong or not seen.webhook:
            failures.append(
                Failure(
                    where,
                    "webhook",
                    f"every delivery {expect.webhook}",
                    ", ".join(seen.webhook) or "no delivery",
                )
            )
    return failures


def summarize(expect: Expect) -> str:
    """`replies=1, reply contains 'Ava', mode=ai`: what a met expectation checked."""
    parts = []
    for key, value in expect.model_dump(exclude_none=True, exclude={"agent", "buyer"}).items():
        if isinstance(value, dict):
            inner = [
                f"{k} {v!r}" if isinstance(v, str) else f"{k} {v}"
                for k, v in value.items()
                if v not in ([], None)
            ]
            parts.append(f"{key} " + ", ".join(str(i) for i in inner))
        else:
            parts.append(f"{key}={value}")
    return ", ".join(parts)
