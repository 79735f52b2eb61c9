"""`POST /webhook/greenapi` in-process (ASGI), on both backends: every Green API example and
our own fixtures are accepted and stored once; bad requests get the documented status; each
notification type does what DESIGN.md says. (tests/test_server.py drives a real server process.)"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from execution.agents import set_phone_takeover
from execution.conversations import get_conversation
from execution.coordination import Coordinator, RedisCoordinator
from execution.settings import load_settings
from execution.store import Store
from execution.webhook.directory import AgentDirectory
from execution.webhook.notification import parse_notification
from replay.throwaway import free_port
from serve import create_app, state_of
from tests.webhooks import (
    OWN_FIXTURES,
    OWN_INSTANCE,
    SHARED_FIXTURES,
    TOKEN,
    agent_for,
    bearer,
    instance_of,
    notification_of,
    own,
    shared_fixtures,
)

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def client(backend: tuple[Store, Coordinator]) -> Iterator[TestClient]:
    store, coordinator = backend
    settings = load_settings(debounce_seconds=0, metrics_public=True)
    with TestClient(create_app(settings, store=store, coordinator=coordinator,
                               work_turns=False)) as test_client:  # fmt: skip
        yield test_client


def store_of(client: TestClient) -> Store:
    return state_of(client.app).store


def post(client: TestClient, payload: Any, token: str = TOKEN) -> Any:
    return client.post("/webhook/greenapi", json=payload, headers=bearer(token))


def rows(store: Store, sql: str, **params: Any) -> list[dict[str, Any]]:
    with store.read() as tx:
        return tx.fetchall(sql, params)


# --- Green API's own examples ------------------------------------------------------------------


def test_the_shared_fixtures_are_there() -> None:
    """CI always has ../shared beside the project: the conformance test must not pass empty."""
    if not SHARED_FIXTURES.is_dir() and not IN_CI:
        pytest.skip("../shared/fixtures/greenapi is not beside this checkout")
    assert len(shared_fixtures()) >= 60


@pytest.mark.parametrize("path", shared_fixtures(), ids=lambda p: p.stem)
def test_every_green_api_example_is_accepted_and_stored_once(
    client: TestClient, path: Path
) -> None:
    payload = json.loads(path.read_bytes())
    body = notification_of(payload)
    store = store_of(client)
    agent_for(store, instance_of(payload))
    first = client.post("/webhook/greenapi", content=path.read_bytes(), headers=bearer())
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "stored"
    stored = rows(store, "SELECT type_webhook, id_message, payload FROM notifications")
    assert len(stored) == 1
    assert stored[0]["type_webhook"] == body["typeWebhook"]
    assert json.loads(stored[0]["payload"]) == body  # the payload as Green API sent it
    again = client.post("/webhook/greenapi", content=path.read_bytes(), headers=bearer())
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert len(rows(store, "SELECT notification_id FROM notifications")) == 1
    messages = rows(store, "SELECT sender_type, green_message_id, type_message FROM messages")
    kind = body["typeWebhook"]
    type_message = (body.get("messageData") or {}).get("typeMessage")
    if kind == "incomingMessageReceived" and type_message not in (
        "editedMessage",
        "deletedMessage",
    ):
        assert messages == [{"sender_type": "USER", "green_message_id": body["idMessage"],
                             "type_message": type_message}]  # fmt: skip
    elif kind == "outgoingMessageReceived" and type_message not in (
        "editedMessage",
        "deletedMessage",
    ):
        assert [m["sender_type"] for m in messages] == ["HUMAN"]
    else:  # echoes, statuses, edits of unknown messages, instance events: no message row
        assert messages == []


# --- our own fixtures: what each type does ------------------------------------------------------


def test_our_fixtures_are_all_accepted(client: TestClient) -> None:
    agent_for(store_of(client), OWN_INSTANCE)
    for path in sorted(OWN_FIXTURES.glob("*.json")):
        answer = client.post("/webhook/greenapi", content=path.read_bytes(), headers=bearer())
        assert answer.status_code == 200, (path.name, answer.text)


def test_a_buyer_message_is_stored_with_its_turn_and_a_burst_shares_one_turn(
    client: TestClient,
) -> None:
    store = store_of(client)
    agent_for(store, OWN_INSTANCE)
    first = post(client, own("incomingMessageReceived-textMessage-enquiry"))
    assert first.json()["outcome"] == "turn_scheduled"
    post(client, own("incomingMessageReceived-textMessage-followup"))
    messages = rows(store, "SELECT message_id, text, sender_type FROM messages ORDER BY 1")
    assert [m["text"] for m in messages] == [
        "Hi! Any 3 bedroom condo in Tampines under 1.5m?",
        "Near the MRT if possible",
    ]
    turns = rows(store, "SELECT status, last_message_id, message_count FROM turns")
    assert turns == [{"status": "pending", "last_message_id": messages[1]["message_id"],
                      "message_count": 2}]  # fmt: skip
    conversation = get_conversation(store, 1)
    assert conversation.chat_id == "6598765432@c.us"
    assert (conversation.contact_name, conversation.contact_label) == (
        "Mei Ling",
        "Mei Ling (buyer)",
    )


@pytest.mark.parametrize("label", ["Tan - lowballer", "Rich guy Bishan"])
def test_the_agents_private_label_for_a_buyer_is_never_the_name_the_assistant_uses(
    client: TestClient, label: str
) -> None:
    """Issue 16.2: senderContactName is what the agent saved in the phone; senderName is the
    buyer's own WhatsApp name. Only the second may be written to the buyer."""
    store = store_of(client)
    agent_for(store, OWN_INSTANCE)
    payload = own("incomingMessageReceived-textMessage-enquiry")
    payload["senderData"] |= {"senderName": "Mei Ling", "senderContactName": label}
    post(client, payload)
    conversation = get_conversation(store, 1)
    assert (conversation.contact_name, conversation.contact_label) == ("Mei Ling", label)
    no_name = own("incomingMessageReceived-textMessage-followup")
    no_name["senderData"] |= {"senderName": "", "senderContactName": "Tan again"}
    post(client, no_name)  # a later message without the buyer's name keeps the one known
    assert get_conversation(store, 1).contact_name == "Mei Ling"


def test_edits_and_deletions_change_the_stored_message(client: TestClient) -> None:
    store = store_of(client)
    agent_for(store, OWN_INSTANCE)
    post(client, own("incomingMessageReceived-textMessage-enquiry"))
    post(client, own("incomingMessageReceived-textMessage-followup"))
    edit = post(client, own("incomingMessageReceived-editedMessage-enquiry"))
    delete = post(client, own("incomingMessageReceived-deletedMessage-followup"))
    assert (edit.json()["outcome"], delete.json()["outcome"]) == (
        "message_edited",
        "message_deleted",
    )
    messages = rows(store, "SELECT text, edited_at, deleted_at FROM messages ORDER BY message_id")
    assert messages[0]["text"] == "Hi! Any 3 bedroom condo in Tampines under 1.4m?"
    assert messages[0]["edited_at"] is not None and messages[1]["deleted_at"] is not None
    assert messages[1]["text"] is None  # a deleted message keeps no text (test_privacy.py)
    assert len(messages) == 2  # an edit or deletion is not a new message
    assert len(rows(store, "SELECT turn_id FROM turns")) == 1


def test_stickers_get_a_turn_reactions_and_group_messages_do_not(client: TestClient) -> None:
    store = store_of(client)
    agent_for(store, OWN_INSTANCE)
    outcomes = [
        post(client, own(name)).json()["outcome"]
        for name in ("incomingMessageReceived-reactionMessage-thumbs-up",
                     "incomingMessageReceived-textMessage-group",
                     "incomingMessageReceived-stickerMessage-no-caption")
    ]  # fmt: skip
    assert outcomes == ["stored", "stored", "turn_scheduled"]
    sticker = rows(store, "SELECT text FROM messages WHERE type_message = 'stickerMessage'")
    assert sticker == [{"text": None}]


def test_a_message_typed_on_the_agents_phone_hands_the_chat_to_the_human(
    client: TestClient,
) -> None:
    store = store_of(client)
    agent_for(store, OWN_INSTANCE)
    post(client, own("incomingMessageReceived-textMessage-enquiry"))
    answer = post(client, own("outgoingMessageReceived-textMessage-agent-phone"))
    assert answer.json()["outcome"] == "human_message_stored"
    conversation = get_conversation(store, 1)
    assert conversation.current_mode == "HUMAN" and conversation.mode_version == 1
    assert rows(store, "SELECT sender_type, text FROM messages WHERE direction = 'out'") == [
        {"sender_type": "HUMAN", "text": "Hi Mei Ling, Sarah here. Let me call you in 5 minutes."}
    ]
    events = rows(store, "SELECT kind, detail FROM events WHERE kind = 'mode_change'")
    assert json.loads(events[0]["detail"])["actor"] == "agent:phone"


def test_phone_takeover_can_be_turned_off_per_agent(client: TestClient) -> None:
    store = store_of(client)
    agent_id = agent_for(store, OWN_INSTANCE)
    set_phone_takeover(store, agent_id, False)
    post(client, own("incomingMessageReceived-textMessage-enquiry"))
    post(client, own("outgoingMessageReceived-textMessage-agent-phone"))
    assert get_conversation(store, 1).current_mode == "AI"


def _our_reply(store: Store) -> int:
    """An AI reply we sent, known to Green API as BAE5000000000001."""
    with store.transaction() as tx:
        row = tx.fetchone(
            "INSERT INTO messages (agent_id, conversation_id, direction, sender_type, text, "
            "green_message_id, idempotency_key, status) VALUES (1, 1, 'out', 'AI', 'Hi!', "
            "'BAE5000000000001', 'turn:1:1:reply', 'sent') RETURNING message_id"
        )
    assert row is not None
    return int(row["message_id"])


def test_the_echo_of_our_send_is_matched_never_a_new_message(client: TestClient) -> None:
    store = store_of(client)
    agent_for(store, OWN_INSTANCE)
    post(client, own("incomingMessageReceived-textMessage-enquiry"))
    _our_reply(store)
    answer = post(client, own("outgoingAPIMessageReceived-textMessage-our-reply"))
    assert answer.json()["outcome"] == "echo_matched"
    assert len(rows(store, "SELECT message_id FROM messages")) == 2
    assert rows(store, "SELECT echoed_at FROM messages WHERE sender_type = 'AI'")[0]["echoed_at"]
    assert get_conversation(store, 1).current_mode == "AI"  # our own send is no takeover


def test_delivery_statuses_only_move_forward_and_failures_become_incidents(
    client: TestClient,
) -> None:
    store = store_of(client)
    agent_for(store, OWN_INSTANCE)
    post(client, own("incomingMessageReceived-textMessage-enquiry"))
    reply = _our_reply(store)

    def status() -> str:
        return str(rows(store, "SELECT status FROM messages WHERE message_id = :id",
                        id=reply)[0]["status"])  # fmt: skip

    post(client, own("outgoingMessageStatus-read-our-reply"))
    assert status() == "read"
    late = post(client, own("outgoingMessageStatus-delivered-our-reply"))  # arrives late
    # issue 16.12: a late status of a known message is superseded, not "unmatched"
    assert late.json()["outcome"] == "status_superseded" and status() == "read"
    post(client, own("outgoingMessageStatus-failed-our-reply"))
    assert status() == "failed"
    incidents = rows(store, "SELECT layer, error FROM incidents")
    assert incidents == [{"layer": "execution", "error": "delivery failed: SWE004: the number "
                          "of participants in the group has been exceeded - 300"}]  # fmt: skip


def test_instance_notifications_become_events_and_unknown_types_are_kept(
    client: TestClient,
) -> None:
    store = store_of(client)
    agent_for(store, OWN_INSTANCE)
    state = post(client, own("stateInstanceChanged-notAuthorized"))
    future = post(client, own("someFutureWebhook-unknown-type"))
    assert (state.json()["outcome"], future.json()["outcome"]) == (
        "instance_warning",
        "unknown_type",
    )
    kinds = [e["kind"] for e in rows(store, "SELECT kind FROM events ORDER BY event_id")]
    assert kinds == ["greenapi:stateInstanceChanged", "greenapi:someFutureWebhook"]
    assert "wa_instance_warnings_total" in client.get("/metrics").text


def test_a_call_or_a_quota_warning_logs_its_state_never_the_callers_number(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    agent_for(store_of(client), OWN_INSTANCE)
    call = own("stateInstanceChanged-notAuthorized") | {
        "typeWebhook": "incomingCall", "from": "6591234567@c.us", "status": "offer",
        "idMessage": "CALL-1",
    }  # fmt: skip
    call.pop("stateInstance", None)
    with caplog.at_level("WARNING"):
        assert post(client, call).json()["outcome"] == "instance_warning"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "incomingCall" in logged and "offer" in logged
    assert "6591234567" not in logged
    events = rows(store_of(client), "SELECT detail FROM events")
    assert "6591234567" in events[0]["detail"]  # the event keeps it (erase reaches it)


# --- bad requests ------------------------------------------------------------------------------


def test_tokens_bearer_or_bare_and_wrong_or_missing_is_401(client: TestClient) -> None:
    agent_for(store_of(client), OWN_INSTANCE)
    payload = own("incomingMessageReceived-textMessage-enquiry")
    url = "/webhook/greenapi"
    assert client.post(url, json=payload, headers={"Authorization": "wrong"}).status_code == 401
    assert client.post(url, json=payload).status_code == 401
    assert client.post(url, json=payload, headers=bearer("hook-token-secret-2")).status_code == 401
    unknown = payload | {"instanceData": {"idInstance": 7700000099}}
    assert client.post(url, json=unknown, headers=bearer()).status_code == 401
    assert client.post(url, json=payload, headers={"Authorization": TOKEN}).status_code == 200
    assert rows(store_of(client), "SELECT COUNT(*) AS n FROM notifications") == [{"n": 1}]


def test_malformed_and_oversized_bodies(client: TestClient) -> None:
    agent_for(store_of(client), OWN_INSTANCE)
    url = "/webhook/greenapi"
    cases = [
        (b"{not json", 400), (b"[1, 2]", 400), (b'{"typeWebhook": "x"}', 400),
        (b'{"instanceData": {"idInstance": "abc"}, "typeWebhook": "x"}', 400),
        (b'{"instanceData": {"idInstance": 7700000001}}', 400),
        (b"\xff\xfe", 400),
    ]  # fmt: skip
    for body, expected in cases:
        assert client.post(url, content=body, headers=bearer()).status_code == expected, body
    huge = json.dumps(own("incomingMessageReceived-textMessage-enquiry")
                      | {"padding": "x" * (1024 * 1024)})  # fmt: skip
    assert client.post(url, content=huge, headers=bearer()).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        for _ in range(20):
            yield b" " * 65536

    assert client.post(url, content=chunks(), headers=bearer()).status_code == 413
    assert rows(store_of(client), "SELECT COUNT(*) AS n FROM notifications") == [{"n": 0}]


def test_a_database_that_is_down_gets_503_and_nothing_is_claimed(
    backend: tuple[Store, Coordinator],
) -> None:
    store, coordinator = backend
    agent_for(store, OWN_INSTANCE)
    payload = own("incomingMessageReceived-textMessage-enquiry")
    app = create_app(load_settings(debounce_seconds=0), store=store, coordinator=coordinator,
                     work_turns=False)  # fmt: skip
    with TestClient(app) as client:
        post(client, own("stateInstanceChanged-notAuthorized"))  # agent now cached
        store.close()
        assert post(client, payload).status_code == 503
    # the failed delivery did not leave a claim behind: the redelivery is stored
    with open_same(store) as reopened:
        app = create_app(load_settings(debounce_seconds=0), store=reopened,
                         coordinator=coordinator, work_turns=False)  # fmt: skip
        with TestClient(app) as client:
            again = post(client, payload)
            assert again.status_code == 200 and again.json()["status"] == "stored"


def open_same(store: Store) -> Store:
    from execution.store import open_store

    return open_store(store.url)


def test_redis_down_the_database_still_stores_and_dedups(
    backend: tuple[Store, Coordinator],
) -> None:
    store, _ = backend
    agent_for(store, OWN_INSTANCE)
    down = RedisCoordinator(f"redis://127.0.0.1:{free_port()}/0")
    settings = load_settings(debounce_seconds=0, metrics_public=True)
    app = create_app(settings, store=store, coordinator=down, work_turns=False)
    payload = own("incomingMessageReceived-textMessage-enquiry")
    with TestClient(app) as client:
        answers = [post(client, payload) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert [a.json()["status"] for a in answers] == ["stored", "duplicate", "duplicate"]
        assert (
            'wa_coordination_unavailable_total{op="webhook_claim"}' in client.get("/metrics").text
        )
    assert len(rows(store, "SELECT message_id FROM messages")) == 1
    assert len(rows(store, "SELECT turn_id FROM turns")) == 1


def test_50_concurrent_deliveries_store_one_message_and_one_turn(client: TestClient) -> None:
    store = store_of(client)
    agent_for(store, OWN_INSTANCE)
    payload = own("incomingMessageReceived-textMessage-enquiry")
    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: post(client, payload), range(50)))
    assert [a.status_code for a in answers] == [200] * 50
    assert sorted(a.json()["status"] for a in answers).count("stored") == 1
    assert len(rows(store, "SELECT message_id FROM messages")) == 1
    assert rows(store, "SELECT message_count FROM turns") == [{"message_count": 1}]


def test_dedup_survives_a_redis_flush(store: Store, redis_server: Any) -> None:
    coordinator = RedisCoordinator(redis_server.url)
    coordinator.client.flushdb()
    agent_for(store, OWN_INSTANCE)
    payload = own("incomingMessageReceived-textMessage-enquiry")
    app = create_app(load_settings(debounce_seconds=0), store=store, coordinator=coordinator,
                     work_turns=False)  # fmt: skip
    with TestClient(app) as client:
        assert post(client, payload).json()["status"] == "stored"
        coordinator.client.flushdb()
        assert post(client, payload).json()["status"] == "duplicate"
    coordinator.close()
    assert len(rows(store, "SELECT message_id FROM messages")) == 1


def test_the_envelope_of_receive_notification_is_unwrapped() -> None:
    body = {"receiptId": 1, "body": own("incomingMessageReceived-textMessage-enquiry")}
    parsed = parse_notification(json.dumps(body).encode())
    assert parsed.type_webhook == "incomingMessageReceived"
    assert parsed.instance_id == OWN_INSTANCE and parsed.chat_id == "6598765432@c.us"


def test_an_echo_confirms_a_send_whose_sender_died_before_hearing_back(client: TestClient) -> None:
    store = store_of(client)
    agent_for(store, OWN_INSTANCE)
    post(client, own("incomingMessageReceived-textMessage-enquiry"))
    with store.transaction() as tx:  # written, sent to Green API, then the process died
        tx.execute(
            "INSERT INTO messages (agent_id, conversation_id, direction, sender_type, text, "
            "idempotency_key, status) VALUES (1, 1, 'out', 'AI', "
            "'Hi Mei Ling! I found one listing that fits.', 'turn:1:1:reply', 'pending')"
        )
    answer = post(client, own("outgoingAPIMessageReceived-textMessage-our-reply"))
    assert answer.json()["outcome"] == "echo_confirmed_pending"
    assert rows(store, "SELECT status, green_message_id FROM messages WHERE direction = 'out'") == [
        {"status": "sent", "green_message_id": "BAE5000000000001"}
    ]


def test_the_batch_writer_stores_a_queue_in_one_batch_and_isolates_a_bad_notification(
    backend: tuple[Store, Coordinator], monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from execution.webhook import handlers
    from execution.webhook.intake import BatchWriter

    store, coordinator = backend
    agent_for(store, OWN_INSTANCE)
    agent = AgentDirectory(store).lookup(OWN_INSTANCE)
    assert agent is not None
    writer = BatchWriter(store, coordinator, debounce=0, threads=1)
    gate, sizes = threading.Event(), []
    original = writer._write

    def held(batch: list[Any]) -> None:
        sizes.append(len(batch))
        gate.wait(10)
        original(batch)

    writer._write = held  # type: ignore[method-assign]
    real_text = handlers.message_text

    def text_or_bug(data: Any) -> str | None:
        if "poison" in json.dumps(data):
            raise RuntimeError("a bug this notification triggers")
        return real_text(data)

    monkeypatch.setattr(handlers, "message_text", text_or_bug)

    def incoming(n: int, text: str) -> Any:
        payload = own("incomingMessageReceived-textMessage-enquiry", idMessage=f"BATCH{n}",
                      senderData={"chatId": f"659876540{n}@c.us", "sender": "x", "senderName": "B"},
                      messageData={"typeMessage": "textMessage",
                                   "textMessageData": {"textMessage": text}})  # fmt: skip
        return parse_notification(json.dumps(payload).encode())

    first = writer.submit(agent, incoming(0, "first"))
    while not sizes:
        time.sleep(0.01)
    queued = [writer.submit(agent, incoming(n, "poison" if n == 3 else f"hello {n}"))
              for n in range(1, 6)] + [writer.submit(agent, incoming(1, "hello 1"))]  # fmt: skip
    gate.set()
    assert first.result(10).outcome == "turn_scheduled"
    outcomes = []
    for future in queued:
        try:
            outcomes.append(future.result(10).outcome)
        except RuntimeError as exc:
            outcomes.append(str(exc))
    writer.close()
    assert sizes == [1, 6]  # the five and a copy queued behind the first: one batch
    assert outcomes == ["turn_scheduled", "turn_scheduled", "a bug this notification triggers",
                        "turn_scheduled", "turn_scheduled", "duplicate"]  # fmt: skip
    texts = rows(store, "SELECT text FROM messages ORDER BY message_id")
    assert [t["text"] for t in texts] == ["first", "hello 1", "hello 2", "hello 4", "hello 5"]
