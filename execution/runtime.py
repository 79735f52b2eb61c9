"""The shared clients of one process: settings, store, coordinator, Green API client.

Opened once (CLI command, ASGI lifespan, test) and passed to every execution function that needs
more than the database, never created per call.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from execution.coordination import Coordinator, open_coordinator
from execution.greenapi import GreenApiClient, Instance
from execution.settings import Settings, load_settings
from execution.store import Store, open_store
from execution.store.migrate import require_current_schema

if TYPE_CHECKING:
    from execution.agents import Agent


@dataclass
class Runtime:
    settings: Settings
    store: Store
    coordinator: Coordinator
    greenapi: GreenApiClient

    def instance_of(self, agent: Agent) -> Instance:
        """The agent's Green API instance (its own api url, else the configured default)."""
        return Instance(
            api_url=agent.api_url or self.settings.greenapi_url,
            instance_id=agent.instance_id,
            api_token=agent.api_token,
        )


def greenapi_client(settings: Settings) -> GreenApiClient:
    """A Green API client as the settings configure it (one per process)."""
    return GreenApiClient(rate_limit_budget=settings.greenapi_rate_limit_seconds)


@contextmanager
def open_runtime(settings: Settings | None = None, *, pool_size: int = 4) -> Iterator[Runtime]:
    """Open every shared client from settings; close them all on exit.

    The Green API client is async: close it with `await runtime.greenapi.aclose()` in the event
    loop that used it (each command's own coroutine does, in a `finally`).
    """
    settings = settings or load_settings()
    store = open_store(settings.resolved_database_url, pool_size=pool_size)
    try:
        require_current_schema(store)
        coordinator = open_coordinator(settings.redis_url)
        try:
            yield Runtime(settings, store, coordinator, greenapi_client(settings))
        finally:
            coordinator.close()
    finally:
        store.close()
