"""Rate limits on both backends (issue 15.6): past its allowance an address or an agent gets 429
with `Retry-After`, on the webhook and on the operator API; one tenant never spends another's;
a limit store that is down lets requests through; limits are settings ('off' turns one off)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from execution.agents import create_operator_token
from execution.conversations import find_or_create_conversation
from execution.coordination import Coordinator, InProcessCoordinator, RedisCoordinator
from execution.rate_limits import RateLimits, parse_limit
from execution.settings import load_settings
from execution.store import Store
from serve import create_app
from tests.webhooks import OWN_FIXTURES, TOKEN, agent_for, bearer

A, B = "7700000001", "7700000002"
ENQUIRY = "incomingMessageReceived-textMessage-enquiry"


def payload(instance: str, n: int) -> dict[str, Any]:
    body = json.loads((OWN_FIXTURES / f"{ENQUIRY}.json").read_text())
    body["instanceData"]["idInstance"] = int(instance)
    body["idMessage"] = f"RATE{instance}{n:06d}"
    return body


def post(client: TestClient, body: dict[str, Any] | bytes, token: str = TOKEN) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/webhook/greenapi", content=content, headers=bearer(token))


def serving(backend: tuple[Store, Coordinator], **limits: str) -> TestClient:
    store, coordinator = backend
    settings = load_settings(debounce_seconds=0, **limits)
    return TestClient(create_app(settings, store=store, coordinator=coordinator, work_turns=False))


def test_an_agent_past_its_webhook_allowance_gets_429_and_another_agent_does_not(
    backend: tuple[Store, Coordinator],
) -> None:
    store, _ = backend
    agent_for(store, A)
    agent_for(store, B)
    with serving(backend, rate_limit_webhook_per_agent="3/minute") as client:
        answers = [post(client, payload(A, n)) for n in range(5)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
        assert 1 <= int(answers[3].headers["Retry-After"]) <= 60
        assert "too many requests" in answers[3].json()["detail"]
        other = post(client, payload(B, 0))
        assert other.status_code == 200  # B's allowance is its own
    with store.read() as tx:
        stored = tx.scalar("SELECT COUNT(*) FROM notifications")
    assert stored == 4  # the refused ones were not half-stored: Green API delivers them again


def test_a_bad_token_spends_no_agents_allowance(backend: tuple[Store, Coordinator]) -> None:
    store, _ = backend
    agent_for(store, A)
    with serving(backend, rate_limit_webhook_per_agent="2/minute") as client:
        for n in range(5):
            wrong = post(client, payload(A, n), token="nope")
            assert wrong.status_code == 401
        good = [post(client, payload(A, 10 + n)) for n in range(2)]
        assert [g.status_code for g in good] == [200, 200]


def test_one_address_past_its_webhook_allowance_gets_429_before_its_body_is_read(
    backend: tuple[Store, Coordinator],
) -> None:
    store, _ = backend
    agent_for(store, A)
    with serving(backend, rate_limit_webhook_per_address="2/minute") as client:
        codes = [post(client, b"{not json").status_code for _ in range(4)]
    assert codes == [400, 400, 429, 429]


def test_the_operator_api_limits_each_address_and_each_agents_token(
    backend: tuple[Store, Coordinator],
) -> None:
    store, _ = backend
    a, b = agent_for(store, A), agent_for(store, B)
    find_or_create_conversation(store, a, "6598765432@c.us")
    tokens = {"a": create_operator_token(store, a), "b": create_operator_token(store, b)}
    with serving(backend, rate_limit_api_per_agent="2/minute") as client:
        mine = [client.get("/api/conversations", headers=bearer(tokens["a"])) for _ in range(3)]
        assert [r.status_code for r in mine] == [200, 200, 429]
        assert int(mine[2].headers["Retry-After"]) >= 1
        assert client.get("/api/conversations", headers=bearer(tokens["b"])).status_code == 200
    with serving(backend, rate_limit_api_per_address="3/minute") as client:
        guesses = [client.get("/api/conversations", headers=bearer(f"guess-{n}")) for n in range(4)]
        assert [r.status_code for r in guesses] == [401, 401, 401, 429]  # guessing is slowed too


def test_off_turns_a_limit_off_and_a_bad_limit_is_a_clear_error(
    backend: tuple[Store, Coordinator],
) -> None:
    assert parse_limit("off") is None and parse_limit("20/second") is not None
    with pytest.raises(ValueError, match="not a rate limit: 'lots'"):
        load_settings(rate_limit_api_per_agent="lots")
    store, _ = backend
    agent_for(store, A)
    off = {"rate_limit_webhook_per_agent": "off", "rate_limit_webhook_per_address": "off"}
    with serving(backend, **off) as client:
        codes = {post(client, payload(A, n)).status_code for n in range(30)}
    assert codes == {200}


def test_a_limit_store_that_is_down_lets_requests_through() -> None:
    down = RedisCoordinator("redis://127.0.0.1:9/0")  # nothing listens on port 9
    limits = RateLimits.from_settings(load_settings(rate_limit_api_per_agent="1/minute"), down)

    async def twice() -> list[object]:
        return [await limits.refused("api_agent", "1"), await limits.refused("api_agent", "1")]

    assert asyncio.run(twice()) == [None, None]
    down.close()


@pytest.fixture
def redis_limits(request: pytest.FixtureRequest) -> Iterator[RedisCoordinator]:
    coordinator = RedisCoordinator(request.getfixturevalue("redis_server").url, namespace="t1")
    coordinator.client.flushdb()
    yield coordinator
    coordinator.close()


@pytest.mark.redis
def test_processes_sharing_redis_share_one_allowance(redis_limits: RedisCoordinator) -> None:
    """Two servers (two RateLimits on one Redis) count the same agent's requests together."""
    settings = load_settings(rate_limit_webhook_per_agent="3/minute")
    one = RateLimits.from_settings(settings, redis_limits)
    two = RateLimits.from_settings(settings, redis_limits)

    async def spend() -> list[bool]:
        said = []
        for limits in (one, two, one, two):
            said.append(await limits.refused("webhook_agent", "7") is None)
        return said

    assert asyncio.run(spend()) == [True, True, True, False]


@pytest.mark.redis
def test_closing_the_limits_closes_their_redis_connections(redis_limits: RedisCoordinator) -> None:
    settings = load_settings(rate_limit_webhook_per_agent="3/minute")
    own = RedisCoordinator(redis_limits.url, namespace="closing")  # named apart from the rest
    limits = RateLimits.from_settings(settings, own)

    def clients() -> int:  # the limits' connections only: other tests' servers may share Redis
        listed = redis_limits.client.client_list()
        return sum(1 for c in listed if c.get("name") == "wa:limits:closing")

    async def use_then_close() -> tuple[int, int]:
        before = clients()
        await limits.refused("webhook_agent", "7")
        opened = clients()
        await limits.aclose()
        return opened - before, clients() - before

    opened, left = asyncio.run(use_then_close())
    own.close()
    assert opened >= 1 and left == 0
    asyncio.run(RateLimits.from_settings(load_settings(), InProcessCoordinator()).aclose())
