"""Conversations, AI/HUMAN mode and safe sending on both deployments, against a fake Green API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from execution import send_keys
from execution.agents import add_agent
from execution.audit import events
from execution.conversations import (
    find_or_create_conversation,
    get_conversation,
    history,
    list_conversations,
    normalize_chat_id,
)
from execution.coordination import Coordinator
from execution.errors import ValidationError
from execution.greenapi import GreenApiClient
from execution.runtime import Runtime
from execution.send_rows import SendResult
from execution.send_whatsapp_message import send_whatsapp_message, split_message
from execution.set_mode import set_mode_ai, set_mode_human
from execution.settings import load_settings
from execution.store import Store
from execution.stuck_sends import resolve_stuck_sends
from replay.fake_greenapi import FakeGreenApi, Scripted

INSTANCE_ID = "1101000001"
TOKEN = "d75b3a66374942c5b3c019c698abc2067e151558acbd412345"
T = TypeVar("T")


@pytest.fixture(autouse=True)
def no_token_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test here also checks that no log line, at any level, carries the API token."""
    caplog.set_level(logging.DEBUG)
    yield
    assert TOKEN not in caplog.text


@pytest.fixture
def fake() -> Iterator[FakeGreenApi]:
    with FakeGreenApi({INSTANCE_ID: TOKEN}) as server:
        yield server


@pytest.fixture
def world(backend: tuple[Store, Coordinator], fake: FakeGreenApi) -> dict[str, Any]:
    store, coordinator = backend
    agent = add_agent(
        store, name="Sarah Tan", instance_id=INSTANCE_ID, api_token=TOKEN,
        webhook_token="hook-token-123", number="6591234567", api_url=fake.url,
    )  # fmt: skip
    conversation = find_or_create_conversation(store, agent.agent_id, "+65 9000 0001", "Buyer")
    return {"store": store, "coordinator": coordinator, "fake": fake, "agent": agent,
            "conversation_id": conversation.conversation_id}  # fmt: skip


def run_with(world: dict[str, Any], fn: Callable[[Runtime], Awaitable[T]]) -> T:
    async def go() -> T:
        async with GreenApiClient(backoff_initial=0.01, backoff_max=0.05) as client:
            rt = Runtime(load_settings(), world["store"], world["coordinator"], client)
            return await fn(rt)

    return asyncio.run(go())


def send(world: dict[str, Any], text: str = "Hello!", **options: Any) -> SendResult:
    options = {"idempotency_key": f"test:{text[:20]}:{options.get('sender', 'AI')}"} | options
    return run_with(
        world, lambda rt: send_whatsapp_message(rt, world["conversation_id"], text, **options)
    )


def rows(store: Store, conversation_id: int) -> list[dict[str, Any]]:
    with store.read() as tx:
        return tx.fetchall(
            "SELECT sender_type, text, status, green_message_id, attempts, error, idempotency_key "
            "FROM messages WHERE conversation_id = :id ORDER BY message_id",
            {"id": conversation_id},
        )


# --- conversations ---------------------------------------------------------------------------


def test_find_or_create_is_one_conversation_per_chat(world: dict[str, Any]) -> None:
    store, agent = world["store"], world["agent"]
    again = find_or_create_conversation(store, agent.agent_id, "6590000001@c.us")
    assert again.conversation_id == world["conversation_id"]
    group = find_or_create_conversation(store, agent.agent_id, "120363043968066561@g.us")
    assert group.conversation_id != again.conversation_id and group.current_mode == "AI"
    assert {c.chat_id for c in list_conversations(store, agent.agent_id)} == {
        "6590000001@c.us", "120363043968066561@g.us",
    }  # fmt: skip
    assert list_conversations(store, agent.agent_id, mode="HUMAN") == []


@pytest.mark.parametrize(
    ("given", "chat_id"),
    [("+65 9123 4567", "6591234567@c.us"), ("6591234567@c.us", "6591234567@c.us"),
     ("120363043968066561@g.us", "120363043968066561@g.us")],
)  # fmt: skip
def test_chat_ids_are_normalized(given: str, chat_id: str) -> None:
    assert normalize_chat_id(given) == chat_id


@pytest.mark.parametrize("bad", ["hello", "123", "6591234567@s.whatsapp.net", "@g.us"])
def test_bad_chat_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError):
        normalize_chat_id(bad)


# --- sending ---------------------------------------------------------------------------------


def test_ai_send_reaches_green_api_exactly_as_documented(world: dict[str, Any]) -> None:
    result = send(world, "Hi! The Tampines condo is S$1,250,000.", idempotency_key="turn:1:reply")
    [request] = world["fake"].requests
    assert (request.instance, request.method, request.token) == (INSTANCE_ID, "sendMessage", TOKEN)
    assert request.body == {
        "chatId": "6590000001@c.us",
        "message": "Hi! The Tampines condo is S$1,250,000.",
    }
    assert result.status == "sent" and result.green_message_ids and not result.duplicate
    [row] = rows(world["store"], world["conversation_id"])
    assert row["status"] == "sent" and row["green_message_id"] == result.green_message_ids[0]
    assert (row["sender_type"], row["attempts"], row["idempotency_key"]) == (
        "AI",
        1,
        "turn:1:reply",
    )
    assert [m.text for m in history(world["store"], world["conversation_id"])] == [row["text"]]


def test_send_to_a_group(world: dict[str, Any]) -> None:
    group = find_or_create_conversation(
        world["store"], world["agent"].agent_id, "120363043968066561@g.us"
    )
    run_with(
        world,
        lambda rt: send_whatsapp_message(
            rt, group.conversation_id, "Open house on Saturday", idempotency_key="group:1"
        ),
    )
    assert world["fake"].requests[0].body == {
        "chatId": "120363043968066561@g.us", "message": "Open house on Saturday",
    }  # fmt: skip


def test_429_then_200_is_one_message_and_one_row(world: dict[str, Any]) -> None:
    world["fake"].script("sendMessage", Scripted(429, "Too Many Requests", {"Retry-After": "0.05"}))
    result = send(world, "once only")
    assert result.status == "sent"
    assert [r.answered for r in world["fake"].requests] == [429, 200]
    [row] = rows(world["store"], world["conversation_id"])
    assert (row["status"], row["attempts"]) == ("sent", 2)


def test_401_is_a_clear_failure_without_retry_or_token(world: dict[str, Any]) -> None:
    world["fake"].script("sendMessage", Scripted(401, "Unauthorized"))
    result = send(world, "nope")
    assert result.status == "failed" and "credentials" in (result.reason or "")
    assert len(world["fake"].requests) == 1
    [row] = rows(world["store"], world["conversation_id"])
    assert row["status"] == "failed" and TOKEN not in (row["error"] or "") and "***" in row["error"]
    kinds = [e["kind"] for e in events(world["store"], world["conversation_id"])]
    assert kinds == ["send_failed"]


def test_100_concurrent_sends_with_one_key_make_one_request(world: dict[str, Any]) -> None:
    world["fake"].script("sendMessage", Scripted(200, {"idMessage": "ONLYONE"}, delay=0.2))

    async def hundred(rt: Runtime) -> list[SendResult]:
        return await asyncio.gather(*[
            send_whatsapp_message(rt, world["conversation_id"], "Viewing confirmed",
                                  idempotency_key="turn:7:reply")
            for _ in range(100)
        ])  # fmt: skip

    results = run_with(world, hundred)
    assert len(world["fake"].requests) == 1
    assert {r.status for r in results} == {"sent"}
    assert {tuple(r.green_message_ids) for r in results} == {("ONLYONE",)}
    assert sum(not r.duplicate for r in results) == 1
    assert len(rows(world["store"], world["conversation_id"])) == 1


def test_one_key_from_8_threads_at_once_makes_one_request(world: dict[str, Any]) -> None:
    """Concurrent callers in separate threads (separate event loops, separate connections)."""
    import threading

    world["fake"].script("sendMessage", Scripted(200, {"idMessage": "FIRST"}, delay=0.1))
    results: list[SendResult] = []
    start = threading.Barrier(8)

    def caller() -> None:
        start.wait()
        results.append(send(world, "Your viewing is at 3pm", idempotency_key="turn:8:reply"))

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(world["fake"].requests) == 1
    assert len(results) == 8 and {r.status for r in results} == {"sent"}
    assert {tuple(r.green_message_ids) for r in results} == {("FIRST",)}
    assert sum(not r.duplicate for r in results) == 1


def test_a_repeated_key_returns_the_first_result(world: dict[str, Any]) -> None:
    first = send(world, "Hello", idempotency_key="k1")
    again = send(world, "Hello", idempotency_key="k1")
    assert again.duplicate and again.green_message_ids == first.green_message_ids
    assert len(world["fake"].requests) == 1


def test_on_claim_runs_once_per_key_and_can_call_the_send_off(world: dict[str, Any]) -> None:
    store, cid = world["store"], world["conversation_id"]
    calls: list[int] = []

    def count(tx: Any) -> None:
        calls.append(tx.scalar("SELECT COUNT(*) FROM messages WHERE idempotency_key = 'k1'"))

    send(world, "Hello", idempotency_key="k1", on_claim=count)
    send(world, "Hello", idempotency_key="k1", on_claim=count)  # a repeat claims nothing
    assert calls == [1]  # once, after the row was written, in the same transaction

    class CalledOff(Exception):
        pass

    def call_off(tx: Any) -> None:
        raise CalledOff

    with pytest.raises(CalledOff):
        send(world, "Stale", idempotency_key="k2", on_claim=call_off)
    assert [r["idempotency_key"] for r in rows(store, cid)] == ["k1"]  # k2 rolled back
    assert len(world["fake"].requests) == 1
    assert send(world, "Fresh", idempotency_key="k2").status == "sent"  # the key is free


def test_a_key_of_another_conversation_is_refused(world: dict[str, Any]) -> None:
    store, agent = world["store"], world["agent"]
    send(world, "Hello", idempotency_key="k-shared")
    other = find_or_create_conversation(store, agent.agent_id, "+65 9000 0002", "Other")
    with pytest.raises(ValidationError, match="belongs to another conversation"):
        run_with(world, lambda rt: send_whatsapp_message(
            rt, other.conversation_id, "Hello", idempotency_key="k-shared"))  # fmt: skip
    assert len(world["fake"].requests) == 1


def test_ai_messages_are_discarded_in_human_mode(world: dict[str, Any]) -> None:
    store, coordinator, cid = world["store"], world["coordinator"], world["conversation_id"]
    set_mode_human(store, coordinator, cid, "agent took over", "operator")
    result = send(world, "Let me find more condos", idempotency_key="turn:2:reply")
    assert result.status == "discarded" and "HUMAN" in (result.reason or "")
    assert world["fake"].requests == []
    human = send(world, "Hi, Sarah here", sender="HUMAN", idempotency_key="human:1")
    handoff = send(world, "Connecting you to Sarah", force=True, idempotency_key="turn:3:handoff")
    assert (human.status, handoff.status) == ("sent", "sent")
    assert [r.body["message"] for r in world["fake"].requests] == [
        "Hi, Sarah here", "Connecting you to Sarah",
    ]  # fmt: skip
    kinds = [e["kind"] for e in events(store, cid)]
    assert kinds == ["mode_change", "send_discarded", "forced_send"]
    assert [r["status"] for r in rows(store, cid)] == ["discarded", "sent", "sent"]


def test_a_mode_change_during_the_turn_discards_its_reply(world: dict[str, Any]) -> None:
    store, coordinator, cid = world["store"], world["coordinator"], world["conversation_id"]
    version_at_turn_start = get_conversation(store, cid).mode_version
    set_mode_human(store, coordinator, cid, "agent took over", "operator")
    set_mode_ai(store, coordinator, cid, "agent handed back", "operator")  # AI again, new version
    result = send(world, "stale reply", expected_mode_version=version_at_turn_start)
    assert result.status == "discarded" and "version 0 -> 2" in (result.reason or "")
    assert world["fake"].requests == []


def test_long_text_goes_out_in_ordered_parts(world: dict[str, Any]) -> None:
    paragraphs = [f"Paragraph {i}. " + ("Lovely view. " * 700) for i in range(5)]
    text = "\n\n".join(paragraphs)
    assert len(text) > 40_000
    result = send(world, text, idempotency_key="turn:9:reply")
    sent = [r.body["message"] for r in world["fake"].requests]
    assert result.status == "sent" and result.parts == len(sent) >= 3
    assert all(len(part) <= 20_000 for part in sent)
    assert " ".join(" ".join(sent).split()) == " ".join(text.split())
    assert [r["idempotency_key"] for r in rows(world["store"], world["conversation_id"])] == [
        "turn:9:reply", *[f"turn:9:reply#{i}" for i in range(2, len(sent) + 1)],
    ]  # fmt: skip


def test_split_message_prefers_boundaries() -> None:
    text = "First sentence here. Second one follows! Third? " * 3
    parts = split_message(text, limit=60)
    assert all(len(p) <= 60 for p in parts)
    assert all(p.endswith((".", "!", "?")) for p in parts[:-1])
    assert split_message("x" * 130, limit=50) == ["x" * 50, "x" * 50, "x" * 30]


# --- mode changes ----------------------------------------------------------------------------


def add_followups(store: Store, agent_id: int, conversation_id: int, n: int) -> None:
    with store.transaction() as tx:
        for i in range(n):
            tx.execute(
                "INSERT INTO followups (agent_id, conversation_id, due_at) VALUES (:a, :c, :due)",
                {"a": agent_id, "c": conversation_id,
                 "due": datetime.now(UTC) + timedelta(hours=2 + i)},
            )  # fmt: skip


def followup_statuses(store: Store, conversation_id: int) -> list[str]:
    with store.read() as tx:
        return [r["status"] for r in tx.fetchall(
            "SELECT status FROM followups WHERE conversation_id = :c ORDER BY followup_id",
            {"c": conversation_id})]  # fmt: skip


def test_set_mode_changes_mode_version_followups_and_event_together(world: dict[str, Any]) -> None:
    store, coordinator, cid = world["store"], world["coordinator"], world["conversation_id"]
    add_followups(store, world["agent"].agent_id, cid, 3)
    change = set_mode_human(store, coordinator, cid, "buyer asked for a person", "escalation")
    assert (change.changed, change.mode, change.mode_version, change.cancelled_followups) == (
        True, "HUMAN", 1, 3,
    )  # fmt: skip
    assert followup_statuses(store, cid) == ["cancelled"] * 3
    conversation = get_conversation(store, cid)
    assert (conversation.current_mode, conversation.mode_version) == ("HUMAN", 1)
    [event] = events(store, cid)
    assert event["kind"] == "mode_change"
    assert event["detail"] | {} == event["detail"] and event["detail"]["to"] == "HUMAN"
    again = set_mode_human(store, coordinator, cid, "again", "operator")
    assert not again.changed and again.mode_version == 1
    assert [e["kind"] for e in events(store, cid)] == ["mode_change", "mode_confirmed"]
    assert events(store, cid)[1]["detail"] == {"mode": "HUMAN", "reason": "again",
                                               "actor": "operator"}  # fmt: skip
    set_mode_human(store, coordinator, cid, "escalated again", "escalation:legal", "turn:1:9")
    set_mode_ai(store, coordinator, cid, "back", "operator")
    set_mode_ai(store, coordinator, cid, "back again", "operator")
    kinds = [e["kind"] for e in events(store, cid)]
    assert kinds == ["mode_change", "mode_confirmed", "mode_change"]  # only a person's HUMAN
    assert get_conversation(store, cid).mode_version == 2


def test_a_failure_mid_mode_change_leaves_everything_unchanged(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, coordinator, cid = world["store"], world["coordinator"], world["conversation_id"]
    add_followups(store, world["agent"].agent_id, cid, 2)

    def broken_audit(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit log write failed")

    monkeypatch.setattr("execution.set_mode.record_event", broken_audit)
    with pytest.raises(RuntimeError, match="audit log"):
        set_mode_human(store, coordinator, cid, "take over", "operator")
    conversation = get_conversation(store, cid)
    assert (conversation.current_mode, conversation.mode_version) == ("AI", 0)
    assert followup_statuses(store, cid) == ["pending", "pending"]
    assert events(store, cid) == []
    # and the guard was released: a later change goes through
    monkeypatch.undo()
    assert set_mode_human(store, coordinator, cid, "take over", "operator").changed


def test_reason_is_required(world: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="reason"):
        set_mode_human(world["store"], world["coordinator"], world["conversation_id"], " ", "x")


# --- the takeover race -----------------------------------------------------------------------

LATENCY = 0.03  # seconds between a send's mode check and Green API seeing the request


@pytest.mark.parametrize("switch_after", [1, 10, 40])
def test_no_ai_message_reaches_green_api_after_a_takeover_returns(
    world: dict[str, Any], request: pytest.FixtureRequest, switch_after: int
) -> None:
    """200 AI sends race one switch to HUMAN: by threads in one process on the embedded
    backends, by 4 processes on PostgreSQL + Redis."""
    import multiprocessing
    import threading
    import time

    from tests import race_worker

    store, coordinator, fake = world["store"], world["coordinator"], world["fake"]
    cid = world["conversation_id"]
    fake.script(
        "sendMessage", *[Scripted(200, {"idMessage": f"M{i}"}, delay=0.002) for i in range(200)]
    )
    workers, per_worker = 4, 50
    distributed = "postgres" in request.node.callspec.id
    if distributed:
        ctx = multiprocessing.get_context("spawn")
        pool = ctx.Pool(workers)
        pending = [
            pool.apply_async(
                race_worker.send_many,
                (store.url, world_redis_url(coordinator), cid, w, per_worker, LATENCY),
            )
            for w in range(workers)
        ]
    else:
        outcomes: list[list[str]] = []

        def thread_worker(w: int) -> None:
            async def go() -> list[str]:
                async with race_worker.slow_client(LATENCY) as client:
                    rt = Runtime(load_settings(), store, coordinator, client)
                    return await race_worker.send_all(rt, cid, w, per_worker)

            try:
                outcomes.append(asyncio.run(go()))
            except BaseException as exc:  # surfaced by the length assertion below
                outcomes.append([f"error: {exc!r}"])

        threads = [threading.Thread(target=thread_worker, args=(w,)) for w in range(workers)]
        for thread in threads:
            thread.start()

    deadline = time.monotonic() + 30
    while len(fake.requests) < switch_after and time.monotonic() < deadline:
        time.sleep(0.001)
    time.sleep(LATENCY / 2)  # most likely mid-flight: the next send checked, not yet arrived
    set_mode_human(store, coordinator, cid, "agent took over", "operator")
    returned_at = time.monotonic()

    if distributed:
        statuses = [s for p in pending for s in p.get(timeout=120)]
        pool.close()
        pool.join()
    else:
        for thread in threads:
            thread.join(timeout=120)
        statuses = [s for outcome in outcomes for s in outcome]

    late = [r for r in fake.requests if r.at > returned_at]
    assert late == [], f"{len(late)} AI message(s) reached Green API after the takeover returned"
    assert len(statuses) == workers * per_worker
    assert set(statuses) <= {"sent", "discarded"}
    assert statuses.count("sent") == len(fake.sent()) >= min(switch_after, 1)
    assert statuses.count("discarded") >= 1  # the switch happened mid-stream
    sent_rows = [r for r in rows(store, cid) if r["status"] == "sent"]
    assert len(sent_rows) == statuses.count("sent")


def world_redis_url(coordinator: Coordinator) -> str:
    kwargs = coordinator.client.connection_pool.connection_kwargs  # type: ignore[attr-defined]
    return f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs.get('db', 0)}"


def test_a_callers_failed_send_is_tried_again_under_its_key(world: dict[str, Any]) -> None:
    """Issue 16.1: `wa send ... --idempotency-key conf-1` fails (Green API down); the same
    command once Green API is back sends the message, once, on the same row."""
    key = send_keys.from_caller(world["conversation_id"], "conf-1")
    world["fake"].script("sendMessage", Scripted(401, "Unauthorized"))
    first = send(world, "Viewing confirmed for Sat 10am", sender="HUMAN", idempotency_key=key)
    assert first.status == "failed"
    again = send(world, "Viewing confirmed for Sat 10am", sender="HUMAN", idempotency_key=key)
    assert again.status == "sent" and not again.duplicate
    assert [r.body["message"] for r in world["fake"].sent()] == ["Viewing confirmed for Sat 10am"]
    [row] = rows(world["store"], world["conversation_id"])
    assert (row["status"], row["error"]) == ("sent", None)
    third = send(world, "Viewing confirmed for Sat 10am", sender="HUMAN", idempotency_key=key)
    assert third.duplicate and len(world["fake"].sent()) == 1  # sent once: now a duplicate


def test_a_callers_key_reused_for_another_text_is_refused(world: dict[str, Any]) -> None:
    key = send_keys.from_caller(world["conversation_id"], "conf-2")
    assert send(world, "Viewing at 10am", sender="HUMAN", idempotency_key=key).status == "sent"
    with pytest.raises(ValidationError, match="used for a different message"):
        send(world, "Viewing at 11am", sender="HUMAN", idempotency_key=key)
    assert len(world["fake"].sent()) == 1


def test_the_systems_failed_send_is_not_retried_under_its_key(world: dict[str, Any]) -> None:
    """A turn's reply that failed was handed over; a redone turn must not send it after all."""
    world["fake"].script("sendMessage", Scripted(401, "Unauthorized"))
    assert send(world, "Hi", idempotency_key="turn:9:99:reply").status == "failed"
    again = send(world, "Hi", idempotency_key="turn:9:99:reply")
    assert again.duplicate and again.status == "failed" and world["fake"].sent() == []


def test_a_callers_key_with_like_wildcards_matches_only_itself(world: dict[str, Any]) -> None:
    """'a_1' must not take the parts of 'a21' for its own (_ and % are LIKE wildcards)."""
    long_a, long_b = "A" * 25_000, "B" * 25_000  # two parts each
    key = send_keys.from_caller
    assert send(world, long_a, sender="HUMAN", idempotency_key=key(1, "a21")).status == "sent"
    assert send(world, long_b, sender="HUMAN", idempotency_key=key(1, "a_1")).status == "sent"
    again = send(world, long_b, sender="HUMAN", idempotency_key=key(1, "a_1"))
    assert again.duplicate and again.status == "sent"
    assert len(world["fake"].sent()) == 4


# --- sends in doubt (issue 15.2): confirmed from Green API's journal, never sent twice --------


def _abandon(store: Store, conversation_id: int) -> None:
    """As if the process died after Green API took the send, before it heard the answer."""
    long_ago = datetime.now(UTC) - timedelta(seconds=600)
    with store.transaction() as tx:
        tx.execute(
            "UPDATE messages SET status = 'pending', green_message_id = NULL, sent_at = NULL, "
            "send_started_at = :t, created_at = :t WHERE conversation_id = :id",
            {"t": long_ago, "id": conversation_id},
        )


def test_an_abandoned_send_green_api_took_is_found_not_sent_again(world: dict[str, Any]) -> None:
    first = send(world, "Viewing confirmed for Sat 10am")
    assert first.status == "sent"
    _abandon(world["store"], world["conversation_id"])
    again = send(world, "Viewing confirmed for Sat 10am")
    assert again.status == "sent" and again.green_message_ids == first.green_message_ids
    assert len(world["fake"].sent()) == 1  # the buyer has it once
    [row] = rows(world["store"], world["conversation_id"])
    assert (row["status"], row["green_message_id"]) == ("sent", first.green_message_ids[0])


def test_an_abandoned_send_green_api_never_got_is_sent_once(world: dict[str, Any]) -> None:
    send(world, "Viewing confirmed for Sat 10am")
    _abandon(world["store"], world["conversation_id"])
    world["fake"].requests.clear()  # Green API never had it
    again = send(world, "Viewing confirmed for Sat 10am")
    assert again.status == "sent" and len(world["fake"].sent()) == 1
    assert [r["status"] for r in rows(world["store"], world["conversation_id"])] == ["sent"]


def test_a_send_that_cannot_be_confirmed_stays_pending_in_doubt(world: dict[str, Any]) -> None:
    fake: FakeGreenApi = world["fake"]
    fake.script("sendMessage", Scripted(200, {"idMessage": "LATE1"}, delay=1.0))
    for method in ("showMessagesQueue", "lastOutgoingMessages"):
        fake.script(method, *[Scripted(500, {"message": "down"})] * 50)

    async def go(rt: Runtime) -> SendResult:
        return await send_whatsapp_message(
            rt, world["conversation_id"], "Hello!", idempotency_key="test:doubt"
        )

    async def with_short_timeout() -> SendResult:
        async with httpx.AsyncClient(timeout=0.3) as http:
            client = GreenApiClient(http, backoff_initial=0.01, backoff_max=0.05)
            rt = Runtime(load_settings(), world["store"], world["coordinator"], client)
            return await go(rt)

    result = asyncio.run(with_short_timeout())
    assert result.status == "pending" and "journal could not be read" in (result.reason or "")
    [row] = rows(world["store"], world["conversation_id"])
    assert row["status"] == "pending" and row["error"].startswith("in doubt:")
    assert len(fake.sent()) == 1  # not sent a second time while in doubt
    kinds = [e["kind"] for e in events(world["store"], conversation_id=world["conversation_id"])]
    assert "send_in_doubt" in kinds


def test_the_sweeper_settles_rows_left_pending_from_the_journal(world: dict[str, Any]) -> None:
    store, cid, fake = world["store"], world["conversation_id"], world["fake"]
    taken = send(world, "Taken by Green API")
    lost = send(world, "Never reached Green API")
    fresh = send(world, "Still being sent")
    _abandon(store, cid)  # all three pending, as a dead process left them
    # Green API has only the first: the others never reached it
    fake.requests[:] = [r for r in fake.requests if r.body.get("message") == "Taken by Green API"]
    with store.transaction() as tx:  # the third is a live send's: it began just now
        tx.execute("UPDATE messages SET send_started_at = :now WHERE message_id = :id",
                   {"now": datetime.now(UTC), "id": fresh.message_ids[0]})  # fmt: skip
    done = run_with(world, lambda rt: resolve_stuck_sends(rt, older_than=300))
    outcome = {r.message_id: (r.outcome, r.green_message_id) for r in done}
    assert outcome == {
        taken.message_ids[0]: ("sent", taken.green_message_ids[0]),
        lost.message_ids[0]: ("failed", None),
    }
    statuses = [r["status"] for r in rows(store, cid)]
    assert statuses == ["sent", "failed", "pending"]
    kinds = [e["kind"] for e in events(store, conversation_id=cid)]
    assert "send_confirmed" in kinds and "send_failed" in kinds
    assert len(fake.sent()) == 1  # the sweeper sends nothing


def test_the_sweeper_leaves_a_row_in_doubt_while_the_journal_is_unreadable(
    world: dict[str, Any],
) -> None:
    store, cid, fake = world["store"], world["conversation_id"], world["fake"]
    send(world, "Taken by Green API")
    _abandon(store, cid)
    fake.script("showMessagesQueue", Scripted(503, {"message": "down"}))
    [done] = run_with(world, lambda rt: resolve_stuck_sends(rt, older_than=300))
    assert done.outcome == "unknown" and [r["status"] for r in rows(store, cid)] == ["pending"]
    [again] = run_with(world, lambda rt: resolve_stuck_sends(rt, older_than=300))
    assert again.outcome == "sent"
