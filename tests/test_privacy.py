"""A buyer's data: a deleted message keeps no content and shows as deleted; `wa conversations
export` gives everything stored about a buyer; `erase` leaves nothing that says what was
written or who wrote it. On both databases, through the webhook and the `wa` command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cli import app as wa_app
from execution.agents import create_operator_token
from execution.coordination import InProcessCoordinator
from execution.settings import load_settings
from execution.store import Store
from orchestrator.turn_inputs import conversation_inputs
from serve import create_app
from tests.webhooks import OWN_INSTANCE, agent_for, bearer, own

BUYER = "6598765432"
NAME, LABEL = "Mei Ling", "Mei Ling (buyer)"
ENQUIRY = "Hi! Any 3 bedroom condo in Tampines under 1.5m?"
FOLLOWUP = "Near the MRT if possible"
runner = CliRunner()


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    settings = load_settings(debounce_seconds=0)
    app = create_app(settings, store=store, coordinator=InProcessCoordinator(), work_turns=False)
    with TestClient(app) as test_client:
        yield test_client


def post(client: TestClient, name: str, **changes: Any) -> str:
    answer = client.post("/webhook/greenapi", json=own(name, **changes), headers=bearer())
    assert answer.status_code == 200, answer.text
    return str(answer.json()["outcome"])


def everything_stored(store: Store) -> str:
    """Every text column of every table, as one string to search."""
    with store.read() as tx:
        if store.dialect == "sqlite":
            tables = [
                r["name"]
                for r in tx.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
        else:
            tables = [
                r["tablename"]
                for r in tx.fetchall(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                )
            ]
        return "\n".join(
            json.dumps(row, default=str, ensure_ascii=False)
            for table in tables
            for row in tx.fetchall(f"SELECT * FROM {table}")
        )


def a_conversation(client: TestClient, store: Store) -> int:
    agent_for(store, OWN_INSTANCE)
    assert post(client, "incomingMessageReceived-textMessage-enquiry") == "turn_scheduled"
    post(client, "incomingMessageReceived-textMessage-followup")
    with store.read() as tx:
        return int(tx.scalar("SELECT conversation_id FROM conversations"))


def test_a_deleted_message_keeps_no_content_anywhere_and_shows_as_deleted(
    client: TestClient, store: Store
) -> None:
    cid = a_conversation(client, store)
    assert FOLLOWUP in everything_stored(store)
    assert post(client, "incomingMessageReceived-deletedMessage-followup") == "message_deleted"
    assert FOLLOWUP not in everything_stored(store)  # message, raw payload, notification
    assert ENQUIRY in everything_stored(store)  # the other message is untouched
    # An edit arriving after the deletion does not bring a text back.
    edit = own("incomingMessageReceived-editedMessage-enquiry", idMessage="3EB0A1B2C3D4E5F6EE01")
    edit["messageData"]["editedMessageData"] |= {
        "stanzaId": "3EB0A1B2C3D4E5F60002",
        "textMessage": "Near the MRT please",
    }
    answer = client.post("/webhook/greenapi", json=edit, headers=bearer())
    assert answer.json()["outcome"] == "edit_of_unknown_message"
    with store.read() as tx:
        deleted = tx.fetchone(
            "SELECT text, raw_payload, deleted_at FROM messages WHERE green_message_id = :g",
            {"g": "3EB0A1B2C3D4E5F60002"},
        )
    assert deleted is not None and deleted["text"] is None and deleted["raw_payload"] is None
    assert deleted["deleted_at"] is not None
    # The agent's view (operator API) says who deleted it and shows no text.
    token = create_operator_token(store, agent_for(store, OWN_INSTANCE))
    api = client.get(f"/api/conversations/{cid}/messages", headers=bearer(token)).json()
    shown = [(m["text"], m["deleted_by"]) for m in api["messages"]]
    assert shown == [(ENQUIRY, None), (None, "buyer")]


def test_an_edited_then_deleted_message_leaves_neither_text(
    client: TestClient, store: Store
) -> None:
    a_conversation(client, store)
    post(client, "incomingMessageReceived-editedMessage-enquiry")  # the enquiry, edited
    edited = "under 1.4m"
    assert edited in everything_stored(store)
    deletion = own("incomingMessageReceived-deletedMessage-followup", idMessage="3EB0DE1E7E000001")
    deletion["messageData"]["deletedMessageData"]["stanzaId"] = "3EB0A1B2C3D4E5F60001"
    assert client.post("/webhook/greenapi", json=deletion, headers=bearer()).status_code == 200
    stored = everything_stored(store)
    assert edited not in stored and ENQUIRY not in stored  # the edit's notification too
    assert FOLLOWUP in stored


def test_the_model_never_reads_a_deleted_message(client: TestClient, store: Store) -> None:
    cid = a_conversation(client, store)
    with store.transaction() as tx:  # both answered already: they are history now
        tx.execute("UPDATE conversations SET answered_through = 1000")
        tx.execute(
            "INSERT INTO messages (agent_id, conversation_id, direction, sender_type, text, "
            "idempotency_key, status) SELECT agent_id, conversation_id, 'out', 'AI', "
            "'We have two in Tampines.', 'k1', 'sent' FROM conversations"
        )
    assert FOLLOWUP in conversation_inputs(store, cid)["history"]
    post(client, "incomingMessageReceived-deletedMessage-followup")
    history = conversation_inputs(store, cid)["history"]
    assert FOLLOWUP not in history and ENQUIRY in history


def wa(*args: str) -> tuple[int, str]:
    result = runner.invoke(wa_app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


def test_export_gives_everything_stored_about_the_buyer_and_only_them(
    client: TestClient, store: Store, cli_env: str
) -> None:
    a_conversation(client, store)
    other = own("incomingMessageReceived-textMessage-enquiry", idMessage="3EB0FFFF00000001")
    other["senderData"] |= {"chatId": "6511112222@c.us", "sender": "6511112222@c.us"}
    client.post("/webhook/greenapi", json=other, headers=bearer())
    code, out = wa("conversations", "export", "+65 9876 5432", "--agent", "1")
    assert code == 0, out
    exported = json.loads(out)
    assert exported["chat_id"] == f"{BUYER}@c.us"
    [conversation] = exported["conversations"]
    assert conversation["conversation"]["contact_label"] == LABEL
    assert [m["text"] for m in conversation["messages"]] == [ENQUIRY, FOLLOWUP]
    payloads = [n["payload"] for n in conversation["notifications"]]
    assert [p["senderData"]["chatId"] for p in payloads] == [f"{BUYER}@c.us"] * 2
    assert len(conversation["turns"]) == 1
    assert "6511112222" not in out  # the other buyer's chat is not in this export
    code, out = wa("conversations", "export", "6500000000")
    assert code == 0 and json.loads(out)["conversations"] == []


def test_erase_leaves_nothing_that_says_what_was_written_or_who_wrote_it(
    client: TestClient, store: Store, cli_env: str
) -> None:
    cid = a_conversation(client, store)
    with store.transaction() as tx:  # what a turn would have left: a run, an event, an incident
        tx.execute(
            "INSERT INTO runs (agent_id, conversation_id, directive, provider, stopped, "
            "step_count, latency_ms) VALUES (1, :cid, 'reply', 'offline', 'done', 1, 1.0)",
            {"cid": cid},
        )
        tx.execute(
            "INSERT INTO run_steps (run_id, step, kind, text, latency_ms) SELECT run_id, 0, "
            "'model', :text, 1.0 FROM runs",
            {"text": f"{NAME} asked: {ENQUIRY}"},
        )
        tx.execute(
            "INSERT INTO events (agent_id, conversation_id, kind, detail) VALUES "
            "(1, :cid, 'escalation', :detail)",
            {
                "cid": cid,
                "detail": json.dumps({"trigger": "negotiation", "evidence": FOLLOWUP, "step": 3}),
            },
        )
        tx.execute(
            "INSERT INTO incidents (agent_id, layer, error, context) VALUES "
            "(1, 'execution', :error, :context)",
            {
                "error": f"send to {BUYER}@c.us failed",
                "context": json.dumps({"conversation_id": cid, "text": ENQUIRY}),
            },
        )
    before = everything_stored(store)
    assert all(secret in before for secret in (BUYER, NAME, ENQUIRY, FOLLOWUP))
    code, out = wa("conversations", "erase", BUYER, "--agent", "1", "--yes", "--json")
    assert code == 0, out
    counts = json.loads(out)
    assert counts | {"runs": 1} == {
        "conversations": 1,
        "messages": 2,
        "notifications": 2,
        "runs": 1,
        "events": 1,
        "incidents": 1,
        "viewings": 0,
    }
    after = everything_stored(store)
    for secret in (BUYER, NAME, LABEL, ENQUIRY, FOLLOWUP, "Tampines", "MRT"):
        assert secret not in after, secret
    with store.read() as tx:
        kinds = [r["kind"] for r in tx.fetchall("SELECT kind FROM events ORDER BY event_id")]
        kept = json.loads(tx.scalar("SELECT detail FROM events WHERE kind = 'escalation'"))
        messages = tx.scalar("SELECT COUNT(*) FROM messages WHERE conversation_id = :c", {"c": cid})
    assert kinds == ["escalation", "erased"]  # audit events stay, without content
    assert kept == {"trigger": "negotiation", "step": 3, "erased": True}
    assert messages == 2  # the record of what happened stays
    # The buyer writing again starts a new conversation; the erased one stays erased.
    assert (
        post(
            client, "incomingMessageReceived-textMessage-enquiry", idMessage="3EB0A1B2C3D4E5F6AAAA"
        )
        == "turn_scheduled"
    )
    with store.read() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM conversations") == 2


def test_erase_reaches_what_names_the_number_outside_the_conversation_and_ends_its_turns(
    client: TestClient, store: Store, cli_env: str
) -> None:
    cid = a_conversation(client, store)
    call = {"typeWebhook": "incomingCall", "from": f"{BUYER}@c.us", "status": "offer"}
    with store.transaction() as tx:  # a call, a delivery report, an open turn and follow-up
        tx.execute(
            "INSERT INTO notifications (agent_id, dedup_key, type_webhook, outcome, payload) "
            "VALUES (1, 'call-1', 'incomingCall', 'recorded', :payload)",
            {"payload": json.dumps(call)},
        )
        tx.execute(
            "INSERT INTO events (agent_id, kind, detail) VALUES (1, 'greenapi:incomingCall', "
            ":detail)",
            {"detail": json.dumps(call)},
        )
        tx.execute(
            "INSERT INTO incidents (agent_id, layer, error, context) VALUES (1, 'execution', "
            "'delivery failed', :context)",
            {"context": json.dumps({"chatId": f"{BUYER}@c.us", "status": "failed"})},
        )
        tx.execute(
            "INSERT INTO followups (agent_id, conversation_id, due_at, idempotency_key) "
            "VALUES (1, :cid, CURRENT_TIMESTAMP, 'f-1')",
            {"cid": cid},
        )
    code, out = wa("conversations", "export", BUYER, "--agent", "1")
    assert code == 0, out
    elsewhere = json.loads(out)["elsewhere"][0]
    assert [len(elsewhere[k]) for k in ("incidents", "events", "notifications")] == [1, 1, 1]
    code, out = wa("conversations", "erase", BUYER, "--agent", "1", "--yes", "--json")
    assert code == 0, out
    assert BUYER not in everything_stored(store)
    with store.read() as tx:
        turns = {r["status"] for r in tx.fetchall("SELECT status FROM turns")}
        followups = {r["status"] for r in tx.fetchall("SELECT status FROM followups")}
    assert turns <= {"superseded", "done"} and followups == {"cancelled"}


def test_erase_asks_first_and_touches_only_that_agents_records(
    client: TestClient, store: Store, cli_env: str
) -> None:
    a_conversation(client, store)
    code, _ = wa("conversations", "erase", BUYER, "--agent", "1")
    assert code == 1  # no confirmation (CliRunner answers nothing): nothing erased
    assert FOLLOWUP in everything_stored(store)
    agent_for(store, "7700000002", token="hook-token-secret-2")
    code, out = wa("conversations", "erase", BUYER, "--agent", "2", "--yes")
    assert code == 0 and "Nothing stored" in out
    assert FOLLOWUP in everything_stored(store)
    code, out = wa("conversations", "erase", BUYER, "--agent", "nobody", "--yes")
    assert code != 0
