"""Senders for the takeover race test: AI messages as fast as possible, over a slow network."""

from __future__ import annotations

import asyncio

import httpx

from execution.coordination import RedisCoordinator
from execution.greenapi import GreenApiClient
from execution.runtime import Runtime
from execution.send_whatsapp_message import send_whatsapp_message
from execution.settings import load_settings
from execution.store import open_store


class SlowNetwork(httpx.AsyncBaseTransport):
    """Real HTTP, but each request takes `latency` seconds longer to reach the server, as it
    does over the internet: the gap between a send's mode check and Green API seeing it."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(self.latency)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def slow_client(latency: float) -> GreenApiClient:
    http = httpx.AsyncClient(transport=SlowNetwork(latency), timeout=10)
    return GreenApiClient(http, backoff_initial=0.01, backoff_max=0.05)


async def send_all(rt: Runtime, conversation_id: int, worker: int, count: int) -> list[str]:
    statuses = []
    for n in range(count):
        result = await send_whatsapp_message(
            rt, conversation_id, f"AI reply {worker}-{n}", idempotency_key=f"race:{worker}:{n}"
        )
        statuses.append(result.status)
    return statuses


def send_many(
    database_url: str,
    redis_url: str,
    conversation_id: int,
    worker: int,
    count: int,
    latency: float,
) -> list[str]:
    """One worker process: its own store, Redis coordinator and Green API client."""

    async def go() -> list[str]:
        store = open_store(database_url, pool_size=2)
        coordinator = RedisCoordinator(redis_url)
        try:
            async with slow_client(latency) as client:
                rt = Runtime(load_settings(), store, coordinator, client)
                return await send_all(rt, conversation_id, worker, count)
        finally:
            coordinator.close()
            store.close()

    return asyncio.run(go())
