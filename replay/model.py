"""The model a scenario talks to: the chosen provider, with the scenario's model failures and
scripted answers in front of it, and a hook that runs `while_generating` steps in the middle of
a generation (the buyer writing again, the agent taking over) exactly where they would race."""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from orchestrator.providers.base import Entry, ModelTurn, ModelUnavailable, Provider
from orchestrator.tools import Tool

Hook = Callable[[], Awaitable[None]]


@dataclass
class ScenarioModel:
    inner: Provider
    faults: deque[tuple[str, str]] = field(default_factory=deque)  # (kind, text)
    during_generation: Hook | None = None
    calls: int = 0
    name: str = ""
    model: str = ""

    def __post_init__(self) -> None:
        self.name, self.model = self.inner.name, self.inner.model

    def fail(self, kind: str, times: int) -> None:
        self.faults.extend((kind, "") for _ in range(times))

    def say(self, text: str, times: int) -> None:
        self.faults.extend(("says", text) for _ in range(times))

    async def complete(
        self, *, system: str, transcript: list[Entry], tools: list[Tool]
    ) -> ModelTurn:
        self.calls += 1
        if self.during_generation is not None:
            await self.during_generation()
        if self.faults:
            kind, text = self.faults.popleft()
            if kind == "says":
                return ModelTurn(text=text)
            if kind == "timeout":
                raise ModelUnavailable("the model did not answer in time (scenario)")
            raise ModelUnavailable(
                "the model refused the request (HTTP 529): overloaded (scenario)"
            )
        return await self.inner.complete(system=system, transcript=transcript, tools=tools)
