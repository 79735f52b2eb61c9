"""Helpers for webhook tests: Green API's published examples, our own fixtures, agents for them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from execution.agents import add_agent
from execution.store import Store

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures" / "greenapi"
OWN_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "greenapi"
OWN_INSTANCE = "7700000001"
TOKEN = "hook-token-secret-1"


def shared_fixtures() -> list[Path]:
    """Green API's own examples (../shared/fixtures/greenapi), when that folder is present."""
    return sorted(SHARED_FIXTURES.glob("*.json")) if SHARED_FIXTURES.is_dir() else []


def own(name: str, **changes: Any) -> dict[str, Any]:
    """One of our fixtures, with top-level fields changed."""
    payload = json.loads((OWN_FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return payload | changes


def notification_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The notification inside `receiveNotification`'s envelope, or the payload itself."""
    return payload["body"] if "receiptId" in payload and "body" in payload else payload


def instance_of(payload: dict[str, Any]) -> str:
    return str(notification_of(payload)["instanceData"]["idInstance"])


def agent_for(store: Store, instance: str, token: str = TOKEN, api_url: str | None = None) -> int:
    """An agent owning `instance` (created once per instance)."""
    with store.read() as tx:
        found = tx.scalar("SELECT agent_id FROM agents WHERE instance_id = :i", {"i": instance})
    if found is not None:
        return int(found)
    return add_agent(
        store, name=f"Agent of {instance}", instance_id=instance, api_token="api-token-secret",
        webhook_token=token, number="6590001111", api_url=api_url,
    ).agent_id  # fmt: skip


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
