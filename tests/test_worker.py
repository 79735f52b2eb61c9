"""Turns worked from the durable inbox, through the in-process app, on both backends: one reply
per turn, burst coalescing, supersede, takeover during generation, resume after a crash."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from execution import send_keys
from execution.conversations import find_or_create_conversation
from execution.coordination import Coordinator
from execution.greenapi import GreenApiClient
from execution.runtime import Runtime
from execution.send_whatsapp_message import send_whatsapp_message
from execution.settings import load_settings
from execution.store import Store
from execution.turn_queue import due_turns, start_turn
from orchestrator import worker as worker_module
from orchestrator.providers.base import Entry, ModelTurn
from orchestrator.tools import Tool
from replay.fake_greenapi import FakeGreenApi, Scripted
from serve import create_app
from tests.webhooks import OWN_INSTANCE, agent_for, bearer, own

ADMIN = "admin-token-for-tests-0123456789"
REPLY = "Thanks for your message! Let me check that for you."


@dataclass
class SlowModel:
    """A model that takes `delay` seconds and answers without stating any fact."""

    delay: float = 0.0
    name: str = "slow"
    model: str = "slow-1"
    calls: list[str] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)

    async def complete(
        self, *, system: str, transcript: list[Entry], tools: list[Tool]
    ) -> ModelTurn:
        self.calls.append(json.dumps([str(e) for e in transcript]))
        self.started.set()
        await asyncio.sleep(self.delay)
        return ModelTurn(text=REPLY)


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@dataclass
class World:
    store: Store
    coordinator: Coordinator
    fake: FakeGreenApi
    model: SlowModel
    client: TestClient | None = None

    def post(self, payload: dict[str, Any]) -> Any:
        assert self.client is not None
        answer = self.client.post("/webhook/greenapi", json=payload, headers=bearer())
        assert answer.status_code == 200, answer.text
        return answer.json()

    def turns(self) -> list[dict[str, Any]]:
        with self.store.read() as tx:
            return tx.fetchall("SELECT status, outcome, message_count FROM turns ORDER BY turn_id")

    def settled(self) -> bool:
        turns = self.turns()
        return bool(turns) and all(t["status"] in ("done", "superseded", "failed") for t in turns)

    def replies(self) -> list[str]:
        return [r.body["message"] for r in self.fake.sent()]


@pytest.fixture
def world(backend: tuple[Store, Coordinator]) -> Iterator[World]:
    store, coordinator = backend
    with FakeGreenApi({OWN_INSTANCE: "api-token-secret"}) as fake:
        agent_for(store, OWN_INSTANCE, api_url=fake.url)
        yield World(store, coordinator, fake, SlowModel())


def serving(world: World, *, debounce: float = 0.0, **options: Any) -> TestClient:
    settings = load_settings(debounce_seconds=debounce, admin_token=ADMIN, **options)
    app = create_app(settings, store=world.store, coordinator=world.coordinator,
                     provider=world.model)  # fmt: skip
    world.client = TestClient(app)
    return world.client


def test_a_buyer_message_gets_one_reply(world: World) -> None:
    with serving(world):
        world.post(own("incomingMessageReceived-textMessage-enquiry"))
        assert wait_until(world.settled)
    assert world.replies() == [REPLY]
    assert world.turns() == [{"status": "done", "outcome": "replied", "message_count": 1}]
    assert "3 bedroom condo in Tampines" in world.model.calls[0]


def test_a_burst_within_the_debounce_is_one_turn_answered_once(world: World) -> None:
    with serving(world, debounce=0.8):
        for text in ("Hi", "I'm looking for a condo", "in Tampines", "3 bedrooms please"):
            world.post(own("incomingMessageReceived-textMessage-enquiry",
                           idMessage=f"BURST{text.replace(' ', '')}",
                           messageData={"typeMessage": "textMessage",
                                        "textMessageData": {"textMessage": text}}))  # fmt: skip
            time.sleep(0.15)
        assert wait_until(world.settled)
    assert world.replies() == [REPLY]
    assert world.turns() == [{"status": "done", "outcome": "replied", "message_count": 4}]
    assert len(world.model.calls) == 1
    assert all(t in world.model.calls[0] for t in ("Hi", "in Tampines", "3 bedrooms please"))


def test_a_message_during_generation_supersedes_the_stale_reply(world: World) -> None:
    world.model.delay = 1.0
    with serving(world):
        world.post(own("incomingMessageReceived-textMessage-enquiry"))
        assert world.model.started.wait(10)
        world.post(own("incomingMessageReceived-textMessage-followup"))
        assert wait_until(lambda: world.settled() and len(world.turns()) == 2)
    assert world.replies() == [REPLY]  # one reply, to both messages
    assert [t["status"] for t in world.turns()] == ["superseded", "done"], world.turns()
    assert len(world.model.calls) == 2
    redo = world.model.calls[1]
    assert "under 1.5m" in redo and "Near the MRT" in redo


def test_a_message_stored_just_before_the_reply_is_claimed_supersedes_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The narrowest window: the reply is written, the buyer's next message lands before the
    claim commits. The turn's "buyer wrote again" check runs inside the claim, after the
    conversation row is locked, so it sees that message: one reply, to both."""
    from execution import send_whatsapp_message as send_module
    from execution.agents import find_agent_by_instance
    from execution.webhook.intake import accept_notification
    from execution.webhook.notification import parse_notification

    claim = send_module.claim_rows
    landed: list[str] = []

    def buyer_writes_first(*args: Any, **kwargs: Any) -> Any:
        if not landed:
            with world.store.read() as tx:
                agent = find_agent_by_instance(tx, OWN_INSTANCE)
            assert agent is not None
            payload = json.dumps(own("incomingMessageReceived-textMessage-followup")).encode()
            accepted = accept_notification(world.store, world.coordinator, agent,
                                           parse_notification(payload), debounce=0)  # fmt: skip
            landed.append(accepted.outcome)
        return claim(*args, **kwargs)

    monkeypatch.setattr(send_module, "claim_rows", buyer_writes_first)
    with serving(world):
        world.post(own("incomingMessageReceived-textMessage-enquiry"))
        assert wait_until(lambda: world.settled() and len(world.turns()) == 2)
    assert landed == ["turn_scheduled"]
    assert world.replies() == [REPLY]  # one reply, to both messages
    assert [t["status"] for t in world.turns()] == ["superseded", "done"], world.turns()
    assert "Near the MRT" in world.model.calls[1]


@pytest.mark.parametrize("how", ["operator API", "agent's phone"])
def test_a_takeover_during_generation_means_no_ai_message_afterwards(
    world: World, how: str
) -> None:
    world.model.delay = 1.5
    with serving(world) as client:
        world.post(own("incomingMessageReceived-textMessage-enquiry"))
        assert world.model.started.wait(10)
        if how == "operator API":
            answer = client.post("/api/conversations/toggle-mode", headers=bearer(ADMIN),
                                 json={"conversation_id": 1, "mode": "HUMAN",
                                       "reason": "I'll take this one"})  # fmt: skip
            assert answer.status_code == 200 and answer.json()["changed"] is True
        else:
            world.post(own("outgoingMessageReceived-textMessage-agent-phone"))
        switched_at = time.monotonic()
        assert wait_until(world.settled)
    assert [r for r in world.fake.sent() if r.at > switched_at] == []
    assert world.replies() == []
    assert world.turns()[0]["outcome"] == "discarded"


def test_a_sticker_gets_a_polite_text_only_reply_without_the_model(world: World) -> None:
    with serving(world):
        world.post(own("incomingMessageReceived-stickerMessage-no-caption"))
        assert wait_until(world.settled)
    assert len(world.replies()) == 1 and "only read text" in world.replies()[0]
    assert world.model.calls == []


def test_an_escalation_trigger_hands_over_with_one_message(world: World) -> None:
    with serving(world):
        world.post(own("incomingMessageReceived-textMessage-enquiry",
                       messageData={"typeMessage": "textMessage", "textMessageData": {
                           "textMessage": "Can I speak to a real person please?"}}))  # fmt: skip
        assert wait_until(world.settled)
    assert len(world.replies()) == 1 and "take it from here" in world.replies()[0]
    assert world.turns()[0]["outcome"] == "escalated"
    assert world.model.calls == []


def _left_running(world: World, lease: float = 0.2) -> Any:
    """The enquiry, stored by a server that works no turns, and its turn taken by a worker
    that then died (its lease runs out)."""
    intake = create_app(load_settings(debounce_seconds=0), store=world.store,
                        coordinator=world.coordinator, work_turns=False)  # fmt: skip
    with TestClient(intake) as client:
        world.client = client
        world.post(own("incomingMessageReceived-textMessage-enquiry"))
    job = start_turn(world.store, due_turns(world.store, 1)[0].turn_id, "dead-worker", lease)
    assert job is not None
    time.sleep(lease + 0.05)
    return job


def test_a_turn_left_running_by_a_dead_worker_is_answered_once_after_restart(
    world: World,
) -> None:
    _left_running(world)
    with serving(world):
        assert wait_until(world.settled)
    assert world.replies() == [REPLY]
    assert world.turns()[0]["status"] == "done"


def test_a_worker_that_died_after_sending_never_sends_twice(world: World) -> None:
    settings = load_settings(debounce_seconds=0)
    job = _left_running(world)

    async def the_dead_workers_send() -> None:
        async with GreenApiClient() as greenapi:
            rt = Runtime(settings, world.store, world.coordinator, greenapi)
            await send_whatsapp_message(rt, job.conversation_id, "The first answer.",
                                        idempotency_key=send_keys.reply(job.key))  # fmt: skip

    asyncio.run(the_dead_workers_send())
    with serving(world):
        assert wait_until(world.settled)
    assert world.replies() == ["The first answer."]  # the redone turn's send was a duplicate


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    found = {}
    for family in text_string_to_metric_families(
        client.get("/metrics", headers={"Authorization": f"Bearer {ADMIN}"}).text
    ):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_count_turns_sends_escalations_and_model_calls(world: World) -> None:
    with serving(world) as client:
        before = _samples(client)
        world.post(own("incomingMessageReceived-textMessage-enquiry"))
        assert wait_until(world.settled)
        haggle = {"textMessage": "Is the price negotiable? Can you do 1.2m?"}
        world.post(own("incomingMessageReceived-textMessage-followup",
                       messageData={"typeMessage": "textMessage",
                                    "textMessageData": haggle}))  # fmt: skip
        assert wait_until(lambda: world.settled() and len(world.turns()) == 2)
        after = _samples(client)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("wa_turns_total", outcome="replied") == 1
    assert grew("wa_turns_total", outcome="escalated") == 1
    assert grew("wa_escalations_total", reason="negotiation") == 1
    assert grew("wa_sends_total", sender="AI", status="sent") == 2  # the reply, the handoff
    assert grew("wa_mode_switches_total", to="HUMAN") == 1
    assert grew("wa_model_latency_seconds_count", provider="slow") == 1
    assert grew("wa_webhooks_total", type="incomingMessageReceived", outcome="stored") == 2


def test_a_send_abandoned_mid_way_is_taken_over_and_sent_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("execution.send_rows.ABANDONED_AFTER_S", 0.5)
    job = _left_running(world)
    with world.store.transaction() as tx:  # the dead worker wrote its reply, then died
        tx.execute(
            "INSERT INTO messages (agent_id, conversation_id, direction, sender_type, text, "
            "idempotency_key, status) VALUES (:a, :c, 'out', 'AI', 'The first answer.', :k, "
            "'pending')",
            {"a": job.agent_id, "c": job.conversation_id, "k": f"{job.key}:reply"},
        )
    time.sleep(0.6)  # no echo came: Green API never got it
    with serving(world):
        assert wait_until(world.settled)
    assert world.replies() == ["The first answer."]  # its own words, once
    assert world.model.calls == []  # finished, not generated again
    assert world.turns()[0]["status"] == "done"


def test_an_abandoned_reply_is_discarded_if_the_mode_changed_since_it_was_written(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from execution.set_mode import set_mode_ai, set_mode_human

    monkeypatch.setattr("execution.send_rows.ABANDONED_AFTER_S", 0.5)
    job = _left_running(world)
    with world.store.transaction() as tx:  # written at mode version 0, then the worker died
        tx.execute(
            "INSERT INTO messages (agent_id, conversation_id, direction, sender_type, text, "
            "idempotency_key, status, mode_version) VALUES (:a, :c, 'out', 'AI', "
            "'The first answer.', :k, 'pending', 0)",
            {"a": job.agent_id, "c": job.conversation_id, "k": f"{job.key}:reply"},
        )
    set_mode_human(world.store, world.coordinator, job.conversation_id, "mine", "operator")
    set_mode_ai(world.store, world.coordinator, job.conversation_id, "yours again", "operator")
    time.sleep(0.6)
    with serving(world):
        assert wait_until(world.settled)
    assert world.replies() == []  # the agent had the chat in between: that answer is stale
    with world.store.read() as tx:
        assert tx.scalar("SELECT status FROM messages WHERE idempotency_key = :k",
                         {"k": f"{job.key}:reply"}) == "discarded"  # fmt: skip


def _followups(world: World) -> list[dict[str, Any]]:
    with world.store.read() as tx:
        return tx.fetchall("SELECT kind, status, due_at, cancel_reason FROM followups "
                           "ORDER BY followup_id")  # fmt: skip


def test_a_reply_schedules_the_follow_up_ladder_and_a_buyer_message_or_takeover_cancels_it(
    world: World,
) -> None:
    from datetime import UTC, datetime, timedelta

    with serving(world) as client:
        world.post(own("incomingMessageReceived-textMessage-enquiry"))
        assert wait_until(world.settled)
        first = _followups(world)
        assert [(f["kind"], f["status"]) for f in first] == [
            ("check_in", "pending"),
            ("second_check_in", "pending"),
            ("last_check_in", "pending"),
        ]
        due = first[0]["due_at"]
        due = due if isinstance(due, datetime) else datetime.fromisoformat(due)
        assert abs(due - (datetime.now(UTC) + timedelta(hours=24))) < timedelta(minutes=1)
        world.post(own("incomingMessageReceived-textMessage-followup"))
        assert wait_until(lambda: world.settled() and len(world.turns()) == 2)
        second = _followups(world)
        assert [f["status"] for f in second] == ["cancelled"] * 3 + ["pending"] * 3
        assert second[0]["cancel_reason"] == "the buyer wrote again"
        answer = client.post(
            "/api/conversations/toggle-mode",
            headers=bearer(ADMIN),
            json={"conversation_id": 1, "mode": "HUMAN", "reason": "mine"},
        )
        assert answer.json()["cancelled_followups"] == 3
    assert [f["status"] for f in _followups(world)] == ["cancelled"] * 6


def test_wa_followups_list(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from cli import app as wa

    with serving(world):
        world.post(own("incomingMessageReceived-textMessage-enquiry"))
        assert wait_until(world.settled)
    monkeypatch.setenv("WA_DATABASE_URL", world.store.url)
    result = CliRunner().invoke(wa, ["followups", "list", "--status", "pending", "--json"])
    assert result.exit_code == 0, result.output
    assert [f["kind"] for f in json.loads(result.output)] == [
        "check_in",
        "second_check_in",
        "last_check_in",
    ]


def test_a_redone_turn_keeps_its_own_follow_up_ladder(world: World) -> None:
    from execution.followups import schedule_ladder

    schedule_ladder(world.store, 1, _conversation(world), "turn:1:5")
    schedule_ladder(world.store, 1, _conversation(world), "turn:1:5")  # the same turn, redone
    assert [f["status"] for f in _followups(world)] == ["pending"] * 3
    schedule_ladder(world.store, 1, _conversation(world), "turn:1:9")  # a newer reply
    assert [f["status"] for f in _followups(world)] == ["cancelled"] * 3 + ["pending"] * 3


def _conversation(world: World) -> int:
    from execution.conversations import find_or_create_conversation

    return find_or_create_conversation(world.store, 1, "6598765432@c.us").conversation_id


def test_no_ladder_for_a_chat_the_agent_took_meanwhile(world: World) -> None:
    """Found by the property tests: a takeover landing between a reply and its ladder left
    follow-ups pending in HUMAN mode."""
    from execution.conversations import find_or_create_conversation
    from execution.followups import schedule_ladder
    from execution.set_mode import set_mode_human

    agent_id = agent_for(world.store, OWN_INSTANCE)
    cid = find_or_create_conversation(world.store, agent_id, "6590000009@c.us").conversation_id
    assert schedule_ladder(world.store, agent_id, cid, "turn:x:1") == 3
    set_mode_human(world.store, world.coordinator, cid, "agent", "operator")
    assert schedule_ladder(world.store, agent_id, cid, "turn:x:2") == 0
    with world.store.read() as tx:
        pending = tx.scalar("SELECT COUNT(*) FROM followups WHERE status = 'pending'")
    assert pending == 0


def test_the_server_sweeps_sends_left_pending_for_good(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row a dead process left pending an hour ago, which Green API never got: the server's
    worker settles it as failed without sending anything (issue 15.2c)."""
    monkeypatch.setattr(worker_module, "SWEEP_EVERY_S", 0.1)
    agent_id = agent_for(world.store, OWN_INSTANCE)
    conversation = find_or_create_conversation(world.store, agent_id, "6590000042@c.us", "B")
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    with world.store.transaction() as tx:
        tx.execute(
            "INSERT INTO messages (agent_id, conversation_id, direction, sender_type, text, "
            "idempotency_key, status, created_at, send_started_at) VALUES (:agent, :cid, 'out', "
            "'AI', 'Hello from a dead process', 'dead:1', 'pending', :t, :t)",
            {"agent": agent_id, "cid": conversation.conversation_id, "t": long_ago},
        )

    def settled() -> bool:
        with world.store.read() as tx:
            row = tx.fetchone("SELECT status FROM messages WHERE idempotency_key = 'dead:1'")
        return row is not None and row["status"] == "failed"

    with serving(world):
        assert wait_until(settled)
    assert world.fake.sent() == []


RATE_LIMITED = Scripted(429, "Too Many Requests", {"Retry-After": "0.05"})


def _conversation_state(world: World) -> tuple[str, list[str]]:
    with world.store.read() as tx:
        mode = tx.scalar("SELECT current_mode FROM conversations")
        incidents = [r["error"] for r in tx.fetchall("SELECT error FROM incidents")]
    return str(mode), incidents


def test_a_reply_green_api_rate_limits_waits_for_the_next_attempt_not_a_handoff(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15.3: Green API answers 429 past the client's retry budget: the turn keeps its
    reply and is tried again later (an incident says so); when the limit lifts the buyer gets
    the reply once, the chat stays AI, and the model was asked once."""
    monkeypatch.setattr(worker_module, "RATE_LIMITED_RETRY_S", 0.2)
    world.fake.script("sendMessage", *[RATE_LIMITED] * 10_000)
    with serving(world, greenapi_rate_limit_seconds=0.3):
        world.post(own("incomingMessageReceived-textMessage-enquiry"))
        assert wait_until(lambda: "deferred" in str(world.turns()[0]["outcome"]))
        assert world.turns()[0]["status"] == "pending"  # waiting for its next attempt
        world.fake.clear_script("sendMessage")  # the limit lifts
        assert wait_until(world.settled)
    assert world.replies() == [REPLY]
    assert world.turns()[0]["status"] == "done"
    assert len(world.model.calls) == 1  # the kept reply was sent, not generated again
    mode, incidents = _conversation_state(world)
    assert mode == "AI"
    assert [i for i in incidents if "rate limit" in i], incidents
    with world.store.read() as tx:
        rows = tx.fetchall("SELECT status FROM messages WHERE direction = 'out'")
    assert [r["status"] for r in rows] == ["sent"]  # one row, now sent


def test_a_rate_limit_that_outlasts_every_attempt_hands_over_and_says_so(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker_module, "RATE_LIMITED_RETRY_S", 0.05)
    monkeypatch.setattr(worker_module, "MAX_ATTEMPTS", 2)
    world.fake.script("sendMessage", *[RATE_LIMITED] * 10_000)
    with serving(world, greenapi_rate_limit_seconds=0.2):
        world.post(own("incomingMessageReceived-textMessage-enquiry"))
        assert wait_until(world.settled)
    assert world.replies() == []
    mode, incidents = _conversation_state(world)
    assert mode == "HUMAN"  # the agent takes it; the incidents say the buyer was not told
    assert sum("rate limit" in i for i in incidents) == 1, incidents
    assert [i for i in incidents if "the buyer was not told" in i], incidents


def test_a_kept_reply_is_not_sent_once_the_buyer_edited_what_it_answers(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reply kept through a rate limit, then the buyer edits the message it answers: the
    turn answers the edited text afresh; the stale reply never reaches the buyer."""
    monkeypatch.setattr(worker_module, "RATE_LIMITED_RETRY_S", 0.3)
    world.fake.script("sendMessage", *[RATE_LIMITED] * 10_000)
    with serving(world, greenapi_rate_limit_seconds=0.3):
        world.post(own("incomingMessageReceived-textMessage-enquiry"))
        assert wait_until(lambda: "deferred" in str(world.turns()[0]["outcome"]))
        world.post(own("incomingMessageReceived-editedMessage-enquiry"))
        world.fake.clear_script("sendMessage")
        assert wait_until(world.settled)
    assert world.replies() == [REPLY]  # once
    assert len(world.model.calls) == 2  # answered again, with the edited text
    edited = own("incomingMessageReceived-editedMessage-enquiry")["messageData"]
    assert edited["editedMessageData"]["textMessage"] in world.model.calls[1]
    with world.store.read() as tx:
        rows = tx.fetchall(
            "SELECT status, error FROM messages WHERE direction = 'out' ORDER BY message_id"
        )
    assert [r["status"] for r in rows] == ["discarded", "sent"], rows
    assert rows[0]["error"] == "the buyer changed what it answered"
