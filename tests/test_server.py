"""The real server: `wa serve` as a separate process on loopback, a loopback fake Green API and
a slow fake of the Anthropic Messages API (driven by the real SDK), on both backends.

Each test says which invariant of DESIGN.md it holds the server to under real concurrency:
duplicates, bursts, takeovers during generation, two processes, kill -9, Redis or the
database going away.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from execution.store import Store, open_store
from execution.store.migrate import migrate
from execution.webhook.notification import parse_notification
from replay.fake_greenapi import FakeGreenApi
from replay.loopback import Answer, LoopbackServer
from replay.throwaway import ThrowawayPostgres, ThrowawayRedis, free_port
from tests.conftest import fresh_postgres_database
from tests.fake_anthropic import message, text_block
from tests.webhooks import (
    OWN_FIXTURES,
    OWN_INSTANCE,
    TOKEN,
    agent_for,
    bearer,
    instance_of,
    notification_of,
    own,
    shared_fixtures,
)

ADMIN = "admin-token-for-tests-0123456789"
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot")
START_TIMEOUT_S = 40.0


class SlowModel(LoopbackServer):
    """`POST /v1/messages`: after `delay` seconds, "Noted, <word>." for the newest code word the
    request mentions (so a reply says which message it answered). Records each call."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.calls: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def answer(self, path: str, headers: dict[str, str], body: Any) -> Answer:
        text = json.dumps(body.get("messages", []))
        newest = max((w for w in WORDS if w in text), key=WORDS.index, default="that")
        with self._lock:
            self.calls.append((time.monotonic(), newest))
        return Answer(200, message(text_block(f"Noted, {newest}.")).body, delay=self.delay)


@dataclass
class Deployment:
    name: str
    database_url: str
    redis_url: str
    store: Store
    fake: FakeGreenApi
    model: SlowModel
    tmp: Path
    servers: list[ServeProcess] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WA_", "ANTHROPIC_"))}
        env |= {
            "WA_DATABASE_URL": self.database_url, "WA_REDIS_URL": self.redis_url,
            "WA_LLM": "anthropic", "ANTHROPIC_API_KEY": "sk-ant-test-key",
            "ANTHROPIC_BASE_URL": self.model.url, "WA_ADMIN_TOKEN": ADMIN,
            "WA_DEBOUNCE_SECONDS": "0", "WA_TURN_LEASE_SECONDS": "2",
        }  # fmt: skip
        return env | extra

    def serve(self, workers: int = 1, **extra: str) -> ServeProcess:
        server = ServeProcess(self.env(**extra), self.tmp, workers)
        self.servers.append(server)
        return server.start()

    def replies(self) -> list[str]:
        return [r.body["message"] for r in self.fake.sent()]

    def turns(self) -> list[dict[str, Any]]:
        with self.store.read() as tx:
            return tx.fetchall(
                "SELECT turn_id, conversation_id, status, outcome FROM turns ORDER BY turn_id"
            )

    def settled(self, expected_turns: int = 1) -> bool:
        turns = self.turns()
        return len(turns) >= expected_turns and all(
            t["status"] in ("done", "superseded", "failed") for t in turns
        )


class ServeProcess:
    def __init__(self, env: dict[str, str], tmp: Path, workers: int) -> None:
        self.env, self.tmp, self.workers = env, tmp, workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"serve-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServeProcess:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli", "serve", "--port", str(self.port),
                 "--workers", str(self.workers), "--log-level", "warning"],
                env=self.env, cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"wa serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"wa serve did not start: {self.log.read_text()[-2000:]}")

    def post(self, payload: Any, token: str = TOKEN) -> httpx.Response:
        return httpx.post(f"{self.url}/webhook/greenapi", json=payload, headers=bearer(token),
                          timeout=30)  # fmt: skip

    def stop(self) -> None:
        """SIGTERM: stop intake, finish or release in-flight turns."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """kill -9, every process of the server."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _deployment(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    if kind == "sqlite+inprocess":
        database_url, redis_url = f"sqlite:///{tmp_path / 'wa.db'}", ""
        with open_store(database_url) as fresh:
            migrate(fresh)
    else:
        database_url = fresh_postgres_database(request.getfixturevalue("postgres_server"))
        redis: ThrowawayRedis = request.getfixturevalue("redis_server")
        redis_url = redis.url
        import redis as redis_client

        redis_client.Redis.from_url(redis_url).flushdb()
    with FakeGreenApi({OWN_INSTANCE: "api-token-secret"}) as fake, SlowModel(0.0) as model:
        store = open_store(database_url)
        agent_for(store, OWN_INSTANCE, api_url=fake.url)
        world = Deployment(kind, database_url, redis_url, store, fake, model, tmp_path)
        try:
            yield world
        finally:
            for server in world.servers:
                server.kill()
            store.close()


@pytest.fixture(params=["sqlite+inprocess", "postgres+redis"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    """Each deployment: embedded (SQLite, in-process locks) and distributed (PostgreSQL, Redis)."""
    yield from _deployment(request.param, request, tmp_path)


@pytest.fixture
def embedded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    yield from _deployment("sqlite+inprocess", request, tmp_path)


@pytest.fixture
def distributed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    """PostgreSQL + Redis only: what several processes need."""
    yield from _deployment("postgres+redis", request, tmp_path)


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def said(word: str, idMessage: str | None = None, chat: str = "6598765432") -> dict[str, Any]:
    """A buyer's text message mentioning one code word."""
    return own(
        "incomingMessageReceived-textMessage-enquiry",
        idMessage=idMessage or f"SAID{word.upper()}{chat}",
        senderData={"chatId": f"{chat}@c.us", "sender": f"{chat}@c.us", "senderName": "Buyer"},
        messageData={"typeMessage": "textMessage",
                     "textMessageData": {"textMessage": f"About the {word} listing please"}},
    )  # fmt: skip


# --- every fixture ------------------------------------------------------------------------------


def test_every_fixture_gets_200_and_is_stored(deployment: Deployment) -> None:
    paths = shared_fixtures() + sorted(OWN_FIXTURES.glob("*.json"))
    for path in paths:
        agent_for(deployment.store, instance_of(json.loads(path.read_bytes())))
    server = deployment.serve(WA_LLM="scripted")
    for path in paths:
        answer = httpx.post(f"{server.url}/webhook/greenapi", content=path.read_bytes(),
                            headers=bearer(), timeout=30)  # fmt: skip
        assert answer.status_code == 200, (path.name, answer.text)
    with deployment.store.read() as tx:
        keys = {r["dedup_key"] for r in tx.fetchall("SELECT dedup_key FROM notifications")}
    for path in paths:  # (two Green API examples share one key: the same status of one message)
        payload = notification_of(json.loads(path.read_bytes()))
        assert parse_notification(json.dumps(payload).encode()).dedup_key in keys, path.name


# --- invariant 1: one reply per turn -----------------------------------------------------------


def test_50_concurrent_deliveries_and_a_late_one_get_exactly_one_reply(
    deployment: Deployment,
) -> None:
    deployment.model.delay = 0.3
    server = deployment.serve()
    payload = said("alpha")

    async def storm() -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            answers = await asyncio.gather(*(
                client.post(f"{server.url}/webhook/greenapi", json=payload, headers=bearer())
                for _ in range(50)
            ))  # fmt: skip
        return [a.status_code for a in answers]

    assert asyncio.run(storm()) == [200] * 50
    assert wait_until(deployment.settled)
    assert deployment.replies() == ["Noted, alpha."]
    # "10 minutes later": Green API redelivers after the fast dedup window is gone (Redis
    # flushed / the process restarted); the database still knows the notification
    server.stop()
    if deployment.redis_url:
        import redis as redis_client

        redis_client.Redis.from_url(deployment.redis_url).flushdb()
    server = deployment.serve()
    late = server.post(payload)
    assert late.status_code == 200 and late.json()["status"] == "duplicate"
    time.sleep(1.0)
    assert deployment.replies() == ["Noted, alpha."]
    assert len(deployment.model.calls) == 1


def test_a_burst_of_4_messages_in_1_second_gets_one_reply(deployment: Deployment) -> None:
    server = deployment.serve(WA_DEBOUNCE_SECONDS="1.0")
    for word in WORDS[:4]:
        assert server.post(said(word)).status_code == 200
        time.sleep(0.25)
    assert wait_until(deployment.settled)
    assert deployment.replies() == ["Noted, delta."]  # one turn that read all four
    assert len(deployment.model.calls) == 1


# --- invariant 2: no reply after takeover -------------------------------------------------------


@pytest.mark.parametrize("how", ["operator API", "agent's phone"])
def test_a_human_switch_during_a_2_second_generation_means_no_ai_message_after(
    deployment: Deployment, how: str
) -> None:
    deployment.model.delay = 2.0
    server = deployment.serve()
    server.post(said("alpha"))
    assert wait_until(lambda: len(deployment.model.calls) == 1)
    time.sleep(0.5)  # mid-generation
    if how == "operator API":
        switched = httpx.post(
            f"{server.url}/api/conversations/toggle-mode",
            headers=bearer(ADMIN),
            timeout=30,
            json={"conversation_id": 1, "mode": "HUMAN", "reason": "mine"},
        )
    else:
        switched = server.post(own("outgoingMessageReceived-textMessage-agent-phone"))
    assert switched.status_code == 200
    returned_at = time.monotonic()
    assert wait_until(deployment.settled)
    time.sleep(0.3)
    assert [r for r in deployment.fake.sent() if r.at >= returned_at] == []
    assert deployment.replies() == []
    assert deployment.turns()[0]["outcome"] == "discarded"


# --- invariant 3: order across processes --------------------------------------------------------


def test_several_processes_are_refused_on_the_embedded_backends(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WA_")}
    env["WA_DATABASE_URL"] = f"sqlite:///{tmp_path / 'wa.db'}"
    for command in (["serve", "--workers", "2"], ["worker"]):
        refused = subprocess.run([sys.executable, "-m", "cli", *command], env=env, cwd=tmp_path,
                                 capture_output=True, text=True, timeout=60)  # fmt: skip
        assert refused.returncode == 1, command
        assert "needs PostgreSQL and Redis" in refused.stdout + refused.stderr


def test_a_second_wa_serve_on_the_same_sqlite_file_is_refused(embedded: Deployment) -> None:
    deployment = embedded
    deployment.serve()
    second = ServeProcess(deployment.env(), deployment.tmp, 1)
    with pytest.raises(AssertionError, match="another process already serves") as refused:
        second.start()
    assert "Traceback" not in str(refused.value)  # issue 16.7: one line, not a traceback
    assert second.process is not None and second.process.returncode == 1


def test_two_processes_never_run_two_turns_of_a_conversation_at_once_and_keep_order(
    distributed: Deployment,
) -> None:
    deployment = distributed
    deployment.model.delay = 0.4
    first, second = deployment.serve(), deployment.serve()
    chats = ("6598765401", "6598765402", "6598765403")
    for word in WORDS[:4]:  # each message its own turn: the previous one has finished
        for n, chat in enumerate(chats):
            server = (first, second)[n % 2]
            assert server.post(said(word, chat=chat)).status_code == 200
        assert wait_until(lambda w=word: deployment.replies().count(f"Noted, {w}.") == 3)
    per_chat: dict[str, list[str]] = {}
    for record in deployment.fake.sent():
        per_chat.setdefault(record.body["chatId"], []).append(record.body["message"])
    assert per_chat == {f"{c}@c.us": [f"Noted, {w}." for w in WORDS[:4]] for c in chats}


def test_a_burst_split_across_two_processes_is_answered_in_order_without_overlap(
    distributed: Deployment,
) -> None:
    deployment = distributed
    deployment.model.delay = 0.5
    first, second = deployment.serve(), deployment.serve()
    for n, word in enumerate(WORDS):  # faster than the model: turns queue up and supersede
        assert (first, second)[n % 2].post(said(word)).status_code == 200
        time.sleep(0.2)
    assert wait_until(lambda: deployment.settled(1) and not _pending(deployment))
    starts = sorted(t for t, _ in deployment.model.calls)
    assert all(b - a >= 0.45 for a, b in itertools.pairwise(starts))  # never overlap
    assert deployment.replies()[-1] == "Noted, foxtrot."  # the last word was answered last
    assert len(deployment.replies()) == len(set(deployment.replies()))  # nothing twice


def _pending(deployment: Deployment) -> bool:
    return any(t["status"] in ("pending", "running") for t in deployment.turns())


# --- invariant 4: nothing accepted is lost ------------------------------------------------------


def test_kill_9_mid_turn_then_restart_gives_exactly_one_reply(deployment: Deployment) -> None:
    deployment.model.delay = 2.0
    server = deployment.serve()
    assert server.post(said("alpha")).status_code == 200
    assert wait_until(lambda: len(deployment.model.calls) == 1)
    server.kill()
    assert deployment.turns()[0]["status"] == "running"
    deployment.model.delay = 0.2
    deployment.serve()
    assert wait_until(deployment.settled)
    time.sleep(0.5)
    assert deployment.replies() == ["Noted, alpha."]
    assert len(deployment.model.calls) == 2  # the turn was redone, its reply sent once


def test_sigterm_finishes_the_turn_in_flight(deployment: Deployment) -> None:
    deployment.model.delay = 1.0
    server = deployment.serve()
    assert server.post(said("alpha")).status_code == 200
    assert wait_until(lambda: len(deployment.model.calls) == 1)
    server.stop()  # uvicorn shuts down gracefully, then exits by the signal it caught
    assert server.process is not None and server.process.returncode in (0, -signal.SIGTERM)
    assert deployment.replies() == ["Noted, alpha."]
    assert deployment.turns()[0]["status"] == "done"


def test_redis_stopped_webhooks_are_still_stored_and_deduplicated(
    distributed: Deployment,
) -> None:
    deployment = distributed
    redis = ThrowawayRedis().start()
    server = deployment.serve(WA_REDIS_URL=redis.url)
    redis.stop()
    answers = [server.post(said("alpha")) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["status"] for a in answers] == ["stored", "duplicate", "duplicate"]
    time.sleep(1.0)
    assert deployment.replies() == []  # no turn runs without its conversation lock
    restarted = ThrowawayRedis()
    restarted.port = redis.port
    restarted.start()
    try:
        assert wait_until(deployment.settled)
        assert deployment.replies() == ["Noted, alpha."]
    finally:
        restarted.stop()


def test_database_stopped_webhooks_get_503_and_nothing_is_lost(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    postgres = ThrowawayPostgres().start()
    try:
        url = postgres.create_database("wa")
        with open_store(url) as store:
            migrate(store)
        with FakeGreenApi({OWN_INSTANCE: "api-token-secret"}) as fake, SlowModel(0.0) as model:
            with open_store(url) as store:
                agent_for(store, OWN_INSTANCE, api_url=fake.url)
            world = Deployment("postgres", url, "", open_store(url), fake, model, tmp_path)
            server = world.serve()
            world.store.close()
            postgres.stop_server()
            assert server.post(said("alpha")).status_code == 503
            ready = httpx.get(f"{server.url}/readyz", timeout=30)
            assert ready.status_code == 503
            postgres.start_server()
            assert wait_until(lambda: server.post(said("alpha")).status_code == 200, 30)
            world.store = open_store(url)
            assert wait_until(world.settled)
            assert world.replies() == ["Noted, alpha."]
            server.kill()
            world.store.close()
    finally:
        postgres.stop()


def test_wa_worker_logs_its_turns_and_serves_its_metrics(distributed: Deployment) -> None:
    server = distributed.serve(WA_WORK_TURNS="false")  # intake only: the worker works the turn
    port, log = free_port(), distributed.tmp / "worker.log"
    with open(log, "ab") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "cli", "worker", "--metrics-port", str(port)],
            env=distributed.env(), cwd=distributed.tmp, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        assert server.post(said("echo", idMessage="WORKERMETRICS")).status_code == 200
        assert wait_until(distributed.settled) and distributed.replies() == ["Noted, echo."]

        def scraped() -> str:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.HTTPError:
                return ""

        assert wait_until(lambda: 'wa_turns_total{outcome="replied"} 1.0' in scraped())
    finally:
        worker.terminate()
        worker.wait(30)
    logged = log.read_text()
    assert "working turns" in logged and "): replied" in logged and "metrics at http" in logged


def test_metrics_add_up_over_all_workers_of_wa_serve(distributed: Deployment) -> None:
    server = distributed.serve(workers=2, WA_WORK_TURNS="false", WA_METRICS_PUBLIC="true")
    for n in range(20):
        assert server.post(said(WORDS[n % 6], idMessage=f"METRICS{n}")).status_code == 200
    seen = set()
    for _ in range(6):  # new connections land on either worker
        text = httpx.get(f"{server.url}/metrics", headers={"Connection": "close"}).text
        seen |= {line for line in text.splitlines()
                 if line.startswith("wa_webhooks_total{") and "stored" in line}  # fmt: skip
    assert seen == {'wa_webhooks_total{outcome="stored",type="incomingMessageReceived"} 20.0'}
