"""What the fact check reports: a claim that does not match the records, and the error that
refuses a send because of it."""

from __future__ import annotations

from dataclasses import dataclass

from execution.errors import ValidationError


@dataclass(frozen=True)
class Discrepancy:
    sentence: str
    fact: str
    problem: str
    record: str = ""
    """What the record says (for the model's corrective turn and the agent's incident)."""

    def __str__(self) -> str:
        text = f"{self.problem}: {self.fact!r} in {self.sentence!r}"
        return f"{text} (the record: {self.record})" if self.record else text


class FactCheckFailed(ValidationError):
    def __init__(self, discrepancies: list[Discrepancy]) -> None:
        super().__init__("; ".join(str(d) for d in discrepancies))
        self.discrepancies = discrepancies
