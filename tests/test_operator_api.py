"""The operator API on both backends: tokens from `wa agents token` (stored hashed) and
WA_ADMIN_TOKEN; one agent's token never reaches another agent's conversations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cli import app as wa
from execution import send_keys
from execution.agents import create_operator_token
from execution.conversations import find_or_create_conversation, get_conversation
from execution.coordination import Coordinator
from execution.settings import load_settings
from execution.store import Store
from replay.fake_greenapi import FakeGreenApi
from serve import create_app
from tests.webhooks import agent_for

ADMIN = "admin-token-for-tests-0123456789"


@pytest.fixture
def setup(backend: tuple[Store, Coordinator]) -> Iterator[dict[str, Any]]:
    store, coordinator = backend
    with FakeGreenApi({"7700000001": "api-token-secret", "7700000002": "api-token-secret"}) as fake:
        a = agent_for(store, "7700000001", api_url=fake.url)
        b = agent_for(store, "7700000002", api_url=fake.url)
        conversations = {
            "a": find_or_create_conversation(store, a, "6598765432@c.us").conversation_id,
            "b": find_or_create_conversation(store, b, "6598765433@c.us").conversation_id,
        }
        app = create_app(load_settings(admin_token=ADMIN), store=store, coordinator=coordinator,
                         work_turns=False)  # fmt: skip
        with TestClient(app) as client:
            yield {"client": client, "store": store, "fake": fake, "conversations": conversations,
                   "tokens": {"a": create_operator_token(store, a, "inbox"),
                              "b": create_operator_token(store, b)}}  # fmt: skip


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_are_stored_hashed_and_unknown_ones_get_401(setup: dict[str, Any]) -> None:
    client, store = setup["client"], setup["store"]
    with store.read() as tx:
        stored = [r["token_hash"] for r in tx.fetchall("SELECT token_hash FROM operator_tokens")]
    assert len(stored) == 2 and all(t not in stored for t in setup["tokens"].values())
    assert client.get("/api/conversations").status_code == 401
    assert client.get("/api/conversations", headers=auth("wa_op_nope")).status_code == 401
    assert client.get("/api/conversations", headers={"Authorization": ADMIN}).status_code == 401


def test_an_agents_token_sees_only_its_own_conversations(setup: dict[str, Any]) -> None:
    client, tokens, ids = setup["client"], setup["tokens"], setup["conversations"]
    mine = client.get("/api/conversations", headers=auth(tokens["a"])).json()
    assert [c["conversation_id"] for c in mine] == [ids["a"]]
    everyone = client.get("/api/conversations", headers=auth(ADMIN)).json()
    assert sorted(c["conversation_id"] for c in everyone) == sorted(ids.values())
    other_agent = client.get("/api/conversations?agent_id=2", headers=auth(tokens["a"]))
    assert other_agent.status_code == 403
    theirs = f"/api/conversations/{ids['b']}/messages"
    assert client.get(theirs, headers=auth(tokens["a"])).status_code == 404
    assert client.get(theirs, headers=auth(tokens["b"])).status_code == 200
    toggle = client.post(
        "/api/conversations/toggle-mode",
        headers=auth(tokens["a"]),
        json={"conversation_id": ids["b"], "mode": "HUMAN", "reason": "x"},
    )
    assert toggle.status_code == 404
    send = client.post(theirs, headers=auth(tokens["a"]), json={"text": "Hello"})
    assert send.status_code == 404
    assert get_conversation(setup["store"], ids["b"]).current_mode == "AI"
    assert setup["fake"].sent() == []


def test_toggle_mode_and_back(setup: dict[str, Any]) -> None:
    client, token, cid = setup["client"], setup["tokens"]["a"], setup["conversations"]["a"]
    url = "/api/conversations/toggle-mode"
    human = client.post(
        url,
        headers=auth(token),
        json={"conversation_id": cid, "mode": "HUMAN", "reason": "call booked"},
    )
    assert human.json() == {"conversation_id": cid, "mode": "HUMAN", "mode_version": 1,
                                 "changed": True, "cancelled_followups": 0}  # fmt: skip
    back = client.post(
        url, headers=auth(token), json={"conversation_id": cid, "mode": "AI", "reason": "done"}
    )
    assert back.json()["mode_version"] == 2
    bad = client.post(url, headers=auth(token), json={"conversation_id": cid, "mode": "ROBOT",
                                                      "reason": "x"})  # fmt: skip
    assert bad.status_code == 422
    assert 'wa_mode_switches_total{to="HUMAN"}' in client.get("/metrics", headers=auth(ADMIN)).text


def test_send_as_the_human_takes_over_and_reaches_green_api_once(setup: dict[str, Any]) -> None:
    client, token, cid = setup["client"], setup["tokens"]["a"], setup["conversations"]["a"]
    url = f"/api/conversations/{cid}/messages"
    body = {"text": "Hi, Sarah here. When can you view?", "idempotency_key": "inbox-1"}
    first = client.post(url, headers=auth(token), json=body)
    again = client.post(url, headers=auth(token), json=body)  # a double click
    assert first.status_code == 200 and first.json()["status"] == "sent"
    assert again.json()["duplicate"] is True
    assert [r.body["message"] for r in setup["fake"].sent()] == [body["text"]]
    assert get_conversation(setup["store"], cid).current_mode == "HUMAN"
    messages = client.get(url, headers=auth(token)).json()["messages"]
    assert [(m["sender_type"], m["status"]) for m in messages] == [("HUMAN", "sent")]


def test_wa_agents_token_prints_a_working_token_once(
    setup: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WA_DATABASE_URL", setup["store"].url)
    result = CliRunner().invoke(wa, ["agents", "token", "1", "--label", "laptop", "--json"])
    assert result.exit_code == 0, result.output
    token = json.loads(result.output)["token"]
    answer = setup["client"].get("/api/conversations", headers=auth(token))
    assert [c["agent_id"] for c in answer.json()] == [1]


def test_a_callers_key_cannot_take_the_keys_of_another_conversations_turns(
    setup: dict[str, Any],
) -> None:
    """Issue 15.1: B's operator posts into B's own chat under the keys A's next turns will use
    (`turn:<A's conversation>:<message>:reply`, both global sequences). The keys land in B's
    own namespace: A's turns find their keys free, and B learns nothing of A's keys."""
    client, store, ids = setup["client"], setup["store"], setup["conversations"]
    url = f"/api/conversations/{ids['b']}/messages"
    squatted = [send_keys.reply(send_keys.turn(ids["a"], n)) for n in range(1, 6)]
    for key in squatted:
        answer = client.post(url, headers=auth(setup["tokens"]["b"]),
                             json={"text": "Hello", "idempotency_key": key})  # fmt: skip
        assert answer.status_code == 200 and answer.json()["idempotency_key"] == key
    again = client.post(url, headers=auth(setup["tokens"]["b"]),
                        json={"text": "Hello", "idempotency_key": squatted[0]})  # fmt: skip
    assert again.status_code == 200 and again.json()["duplicate"] is True  # B's own retry
    with store.read() as tx:
        taken = tx.fetchall(
            "SELECT conversation_id, idempotency_key FROM messages ORDER BY message_id"
        )
    assert {row["conversation_id"] for row in taken} == {ids["b"]}
    assert not {row["idempotency_key"] for row in taken} & set(squatted)  # A's keys are free
