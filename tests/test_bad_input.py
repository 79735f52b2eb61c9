"""Issue 15.4: input that used to answer 500 with a traceback, on both backends: JSON nested
too deep, a lone surrogate or a NUL in any string, ids beyond what a database stores. Each gets
a clear status, and a webhook that carries unstorable text is stored once, sanitized, with its
original bytes kept, so Green API stops redelivering it."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from execution.agents import create_operator_token
from execution.conversations import find_or_create_conversation
from execution.coordination import Coordinator
from execution.settings import load_settings
from execution.storable_text import ORIGINAL_KEY, sanitized, storable
from execution.store import Store
from execution.webhook.notification import WebhookRejected, parse_notification
from serve import create_app, state_of
from tests.webhooks import OWN_INSTANCE, agent_for, bearer, own

ENQUIRY = "incomingMessageReceived-textMessage-enquiry"


@pytest.fixture
def client(backend: tuple[Store, Coordinator]) -> Iterator[TestClient]:
    store, coordinator = backend
    app = create_app(load_settings(debounce_seconds=0, admin_token="admin-token-0123456789abcdef"),
                     store=store, coordinator=coordinator, work_turns=False)  # fmt: skip
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _raw_post(client: TestClient, body: bytes) -> Any:
    headers = bearer() | {"content-type": "application/json"}
    return client.post("/webhook/greenapi", content=body, headers=headers)


def _with_text(text_escape: str, id_message: str) -> bytes:
    """The enquiry fixture with `text_escape` (a JSON escape, as written) in its text."""
    payload = own(ENQUIRY, idMessage=id_message)
    payload["messageData"]["textMessageData"]["textMessage"] = "TEXT"
    return json.dumps(payload).replace('"TEXT"', f'"Hi {text_escape} there"').encode()


def test_json_nested_too_deep_is_a_400_not_a_recursion_error() -> None:
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    with pytest.raises(WebhookRejected) as caught:
        parse_notification(deep)
    assert caught.value.status == 400 and "nested too deep" in str(caught.value)


def test_a_deep_body_posted_gets_400_and_no_traceback(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        answer = _raw_post(client, b"[" * 50_000 + b"]" * 50_000)
    assert answer.status_code == 400
    assert not [r for r in caplog.records if r.exc_info]


@pytest.mark.parametrize(
    ("escape", "stored"),
    [
        ("\\ud800", "Hi \ufffd there"),
        ("\\u0000", "Hi \ufffd there"),
        ("\\udfff\\ud83d", "Hi \ufffd\ufffd there"),
    ],
    ids=["lone-high-surrogate", "nul", "reversed-pair"],
)
def test_unstorable_text_in_a_webhook_is_stored_once_sanitized_with_the_original_kept(
    client: TestClient, escape: str, stored: str
) -> None:
    store = state_of(client.app).store
    agent_for(store, OWN_INSTANCE)
    body = _with_text(escape, f"BAD-{len(escape)}-{escape[-2:]}")
    first = _raw_post(client, body)
    again = _raw_post(client, body)  # Green API's redelivery: acknowledged, not stored twice
    assert (first.status_code, again.status_code) == (200, 200), first.text
    assert again.json()["status"] == "duplicate"
    with store.read() as tx:
        texts = [r["text"] for r in tx.fetchall("SELECT text FROM messages")]
        payloads = [r["payload"] for r in tx.fetchall("SELECT payload FROM notifications")]
    assert texts == [stored]
    kept = json.loads(payloads[0])
    assert base64.b64decode(kept[ORIGINAL_KEY]) == body


def test_a_surrogate_written_as_utf8_bytes_not_an_escape_is_sanitized_too(
    client: TestClient,
) -> None:
    """Found by tests/test_fuzz.py: Python's JSON reader passes a surrogate written as bytes
    (not valid UTF-8), and the sanitizer only looked for escapes: a 500 on every delivery."""
    store = state_of(client.app).store
    agent_for(store, OWN_INSTANCE)
    body = _with_text("TEXT", "RAW-SURROGATE-1").replace(b"TEXT", b"\xed\xa0\x80")
    first = _raw_post(client, body)
    assert first.status_code == 200, first.text
    assert _raw_post(client, body).json()["status"] == "duplicate"
    with store.read() as tx:
        assert tx.scalar("SELECT text FROM messages") == "Hi \ufffd there"
        kept = json.loads(tx.scalar("SELECT payload FROM notifications"))
    assert base64.b64decode(kept[ORIGINAL_KEY]) == body


def test_a_valid_pair_of_surrogates_is_one_character_and_needs_no_sanitizing(
    client: TestClient,
) -> None:
    store = state_of(client.app).store
    agent_for(store, OWN_INSTANCE)
    assert _raw_post(client, _with_text("\\ud83d\\ude00", "EMOJI-1")).status_code == 200
    with store.read() as tx:
        assert tx.scalar("SELECT text FROM messages") == "Hi \U0001f600 there"
        assert ORIGINAL_KEY not in tx.scalar("SELECT payload FROM notifications")


def test_sanitizing_walks_keys_lists_and_depth_without_recursion() -> None:
    deep: Any = "\x00"
    for _ in range(5000):
        deep = [deep]
    cleaned, changed = sanitized({"k\ud800": deep, "ok": "fine"}, b"{}")
    assert changed and "k\ufffd" in cleaned and cleaned["ok"] == "fine"
    inner = cleaned["k\ufffd"]
    for _ in range(5000):
        inner = inner[0]
    assert inner == "\ufffd" and storable("a\ud83d\ude00b") == "a\U0001f600b"


@pytest.fixture
def operator(client: TestClient) -> dict[str, Any]:
    store = state_of(client.app).store
    agent = agent_for(store, OWN_INSTANCE)
    cid = find_or_create_conversation(store, agent, "6598765432@c.us").conversation_id
    return {"cid": cid, "auth": {"Authorization": f"Bearer {create_operator_token(store, agent)}"}}


@pytest.mark.parametrize(
    "path",
    [f"/api/conversations/{2**63}/messages", f"/api/conversations?agent_id={2**64}",
     "/api/conversations/0/messages", f"/api/conversations/{10**30}/messages"],
)  # fmt: skip
def test_ids_beyond_a_database_row_id_are_422(
    client: TestClient, operator: dict[str, Any], path: str
) -> None:
    assert client.get(path, headers=operator["auth"]).status_code == 422


@pytest.mark.parametrize("text", ["Hi\x00there", "Hi \ud800 there"], ids=["nul", "surrogate"])
def test_an_operators_unstorable_text_is_422_and_nothing_is_stored(
    client: TestClient, operator: dict[str, Any], text: str
) -> None:
    body = json.dumps({"text": text}).encode()  # json.dumps escapes both: valid JSON
    headers = operator["auth"] | {"content-type": "application/json"}
    url = f"/api/conversations/{operator['cid']}/messages"
    answer = client.post(url, content=body, headers=headers)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "text"]
    toggle = client.post("/api/conversations/toggle-mode", headers=operator["auth"],
                         content=json.dumps({"conversation_id": 2**63, "mode": "HUMAN",
                                             "reason": "x"}))  # fmt: skip
    assert toggle.status_code == 422
    with state_of(client.app).store.read() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM messages") == 0
