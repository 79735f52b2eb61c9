"""Cassettes: a real model's answers to a scenario, saved so the scenario replays offline.

`wa replay FILE --llm anthropic --record` wraps the provider in a `Recorder`; every answer
(text, tool calls, token counts) is written to `FILE` with `.cassette.json` for `.yaml`, with
every secret the process knows replaced by `<scrubbed>`. `wa replay FILE` then plays it back
(`Cassette`): each model call takes the next answer, and checks that the conversation it is
asked about ends with the same buyer text and tool results as when it was recorded. A call with
no answer left, or answers left over at the end, fail the scenario: the scenario or the code
changed, so the cassette must be recorded again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from execution.errors import ValidationError
from orchestrator.providers.base import (
    Entry,
    ModelTurn,
    Provider,
    ToolCall,
    ToolResult,
    Usage,
    UserText,
)
from orchestrator.tools import Tool

FORMAT = 1
SCRUBBED = "<scrubbed>"
SECRET_ENV = ("ANTHROPIC_API_KEY", "WA_OPENAI_API_KEY", "OPENAI_API_KEY", "WA_ADMIN_TOKEN")


def cassette_path(scenario: Path) -> Path:
    return scenario.with_name(scenario.stem + ".cassette.json")


def _last_input(transcript: list[Entry]) -> str:
    """What the model is answering: the newest buyer text or tool results (a fingerprint)."""
    tail: list[str] = []
    for entry in reversed(transcript):
        if isinstance(entry, ModelTurn):
            break
        if isinstance(entry, UserText):
            tail.append(f"user:{entry.text}")
        elif isinstance(entry, ToolResult):
            tail.append(f"tool:{entry.name}:{entry.content}")
    return "\n".join(reversed(tail))


def fingerprint(transcript: list[Entry]) -> str:
    return hashlib.sha256(_last_input(transcript).encode()).hexdigest()[:16]


def _turn_to_json(turn: ModelTurn) -> dict[str, Any]:
    return {
        "text": turn.text,
        "tool_calls": [asdict(c) for c in turn.tool_calls],
        "usage": asdict(turn.usage),
    }


def _turn_from_json(data: dict[str, Any]) -> ModelTurn:
    return ModelTurn(
        text=str(data.get("text", "")),
        tool_calls=tuple(ToolCall(**call) for call in data.get("tool_calls", [])),
        usage=Usage(**data.get("usage", {})),
    )


def scrub(value: Any, secrets: list[str]) -> Any:
    """`value` (JSON-shaped) with every occurrence of every secret replaced."""
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, SCRUBBED)
        return value
    if isinstance(value, list):
        return [scrub(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: scrub(item, secrets) for key, item in value.items()}
    return value


def known_secrets(extra: list[str] | None = None) -> list[str]:
    found = [os.environ.get(name, "") for name in SECRET_ENV] + list(extra or [])
    return sorted({s for s in found if len(s) >= 8}, key=len, reverse=True)


@dataclass
class Recorder:
    """A provider that records what the real one answers."""

    inner: Provider
    calls: list[dict[str, Any]] = field(default_factory=list)
    name: str = ""
    model: str = ""

    def __post_init__(self) -> None:
        self.name, self.model = self.inner.name, self.inner.model

    async def complete(
        self, *, system: str, transcript: list[Entry], tools: list[Tool]
    ) -> ModelTurn:
        turn = await self.inner.complete(system=system, transcript=transcript, tools=tools)
        self.calls.append(
            {
                "asked": fingerprint(transcript),
                "input": _last_input(transcript),
                "answer": _turn_to_json(turn),
            }
        )
        return turn

    def save(self, path: Path, scenario: str, extra_secrets: list[str] | None = None) -> None:
        data = {
            "format": FORMAT,
            "scenario": scenario,
            "provider": self.inner.name,
            "model": self.inner.model,
            "recorded_at": datetime.now(UTC).isoformat(),
            "calls": self.calls,
        }
        clean = scrub(data, known_secrets(extra_secrets))
        path.write_text(json.dumps(clean, indent=2, ensure_ascii=False) + "\n", "utf-8")


class CassetteError(Exception):
    """The cassette does not fit the run (re-record it)."""


@dataclass
class Cassette:
    """A provider that answers from a recording, in order."""

    path: Path
    provider: str
    model: str
    answers: list[dict[str, Any]]
    used: int = 0
    problems: list[str] = field(default_factory=list)
    name: str = ""

    def __post_init__(self) -> None:
        self.name = f"cassette:{self.provider}"

    @classmethod
    def load(cls, path: Path) -> Cassette:
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise ValidationError(f"cannot read cassette {path}: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValidationError(f"{path} is not a format-{FORMAT} cassette")
        return cls(path, str(data.get("provider")), str(data.get("model")), list(data["calls"]))

    async def complete(
        self, *, system: str, transcript: list[Entry], tools: list[Tool]
    ) -> ModelTurn:
        if self.used >= len(self.answers):
            problem = (
                f"the model was called more often than recorded ({len(self.answers)} "
                "answers): re-record the cassette"
            )
            self.problems.append(problem)
            raise CassetteError(problem)
        call = self.answers[self.used]
        self.used += 1
        if call.get("asked") != fingerprint(transcript):
            problem = (
                f"call {self.used} asks about {_last_input(transcript)[:120]!r}, the "
                f"recording answered {str(call.get('input'))[:120]!r}"
            )
            self.problems.append(problem)
            raise CassetteError(problem)
        return _turn_from_json(call["answer"])

    def leftovers(self) -> str | None:
        unused = len(self.answers) - self.used
        if unused > 0:
            return f"{unused} of {len(self.answers)} recorded answers were not used"
        return None
