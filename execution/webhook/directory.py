"""Which agent owns a Green API instance, and whether a webhook carries that agent's token."""

from __future__ import annotations

import threading
import time

from execution.agents import Agent, find_agent_by_instance, verify_webhook_token
from execution.secrets_at_rest import current_secrets
from execution.store import Store
from execution.webhook.notification import WebhookRejected

AGENT_CACHE_S = 5.0
_NO_DIGEST = "0" * 64


class AgentDirectory:
    """Which agent owns an instance, cached for a few seconds (one webhook = no agent query)."""

    def __init__(self, store: Store, ttl: float = AGENT_CACHE_S) -> None:
        self._store = store
        self._ttl = ttl
        self._cache: dict[str, tuple[Agent | None, float]] = {}
        self._mutex = threading.Lock()

    def cached(self, instance_id: str) -> tuple[bool, Agent | None]:
        """(True, the agent or None) when the directory knows the instance without a query."""
        with self._mutex:
            hit = self._cache.get(instance_id)
        if hit is not None and hit[1] > time.monotonic():
            return True, hit[0]
        return False, None

    def lookup(self, instance_id: str) -> Agent | None:
        known, agent = self.cached(instance_id)
        if known:
            return agent
        with self._store.read() as tx:
            agent = find_agent_by_instance(tx, instance_id)
        with self._mutex:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[instance_id] = (agent, time.monotonic() + self._ttl)
        return agent

    def authenticate(self, instance_id: str, authorization: str | None) -> Agent:
        """The agent of this instance, if the request carries its webhook token."""
        return check_webhook_token(self.lookup(instance_id), authorization)


def check_webhook_token(agent: Agent | None, authorization: str | None) -> Agent:
    """`agent`, if `authorization` carries its webhook token (as `Bearer <token>` or the bare
    token). Unknown instance (None) and wrong token look the same: 401, in the same time."""
    presented = (authorization or "").strip()
    if presented[:7].lower() == "bearer ":
        presented = presented[7:].strip()
    if agent is None:
        current_secrets().matches(presented, _NO_DIGEST)  # the same work as for a known instance
        raise WebhookRejected(401, "unknown instance or wrong webhook token")
    if not presented or not verify_webhook_token(agent, presented):
        raise WebhookRejected(401, "unknown instance or wrong webhook token")
    return agent
