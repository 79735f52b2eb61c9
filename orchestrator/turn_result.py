"""What a turn did: replied, escalated, left to the human, discarded, failed, superseded by a
newer message, or deferred (Green API rate-limited the reply), with the reply and the run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from execution.send_rows import SendResult
from orchestrator.loop import Run

Status = Literal[
    "replied", "escalated", "human_mode", "discarded", "failed", "superseded", "deferred"
]


@dataclass
class TurnResult:
    conversation_id: int
    status: Status
    reply: str | None = None
    trigger: str | None = None
    evidence: str | None = None
    run: Run | None = None
    send: SendResult | None = None
