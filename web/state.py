"""What the server opened at startup, typed, for every request to use."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from execution.coordination import Coordinator
from execution.rate_limits import RateLimits
from execution.runtime import Runtime
from execution.store import Store
from execution.webhook.directory import AgentDirectory
from execution.webhook.intake import BatchWriter
from orchestrator.worker import WorkerThread


@dataclass(frozen=True)
class ServerState:
    """What the server opened at startup and every request uses (`state_of(app)`), typed:
    `app.state` holds this one object and nothing else."""

    store: Store
    coordinator: Coordinator
    agents: AgentDirectory
    writer: BatchWriter
    runtime: Runtime
    worker: WorkerThread | None
    limits: RateLimits


def state_of(app: FastAPI) -> ServerState:
    """The running server's state (a RuntimeError before startup or after shutdown)."""
    state = getattr(app.state, "wa", None)
    if not isinstance(state, ServerState):
        raise RuntimeError("the server is not running (no state before startup)")
    return state
