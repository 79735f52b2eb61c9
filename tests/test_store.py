"""The store on both databases: migrations, transactions, and the constraints invariants rely on."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from execution.agents import add_agent
from execution.store import IntegrityError, SchemaNotReady, Store, StoreUnavailable, open_store
from execution.store.base import redact_url, split_statements, to_pyformat
from execution.store.migrate import (
    all_migrations,
    applied_migrations,
    migrate,
    require_current_schema,
)


def make_agent(store: Store, n: int = 1) -> int:
    agent = add_agent(
        store,
        name=f"Agent {n}",
        instance_id=f"110100000{n}",
        api_token=f"api-token-{n}-secret",
        webhook_token=f"hook-token-{n}-secret",
        number=f"6591234{n:03d}",
    )
    return agent.agent_id


def make_conversation(store: Store, agent_id: int, chat: str = "6590000001@c.us") -> int:
    with store.transaction() as tx:
        row = tx.fetchone(
            "INSERT INTO conversations (agent_id, chat_id) VALUES (:a, :c) "
            "RETURNING conversation_id",
            {"a": agent_id, "c": chat},
        )
    assert row is not None
    return int(row["conversation_id"])


def test_migrations_are_idempotent_and_recorded(store: Store) -> None:
    names = [m.name for m in all_migrations()]
    assert names == sorted(names) and names[0].startswith("0001_")
    assert applied_migrations(store) == names
    assert migrate(store) == []  # nothing left to do
    require_current_schema(store)


def test_fresh_database_reports_pending_then_migrates(empty_database_url: str) -> None:
    with open_store(empty_database_url) as fresh:
        with pytest.raises(SchemaNotReady, match="wa db init"):
            require_current_schema(fresh)
        assert migrate(fresh) == [m.name for m in all_migrations()]
        assert migrate(fresh) == []
        require_current_schema(fresh)


def test_transaction_rolls_back_on_error(store: Store) -> None:
    agent_id = make_agent(store)
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.execute(
            "INSERT INTO conversations (agent_id, chat_id) VALUES (:a, 'x@c.us')", {"a": agent_id}
        )
        raise RuntimeError("boom")
    with store.read() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM conversations") == 0


def test_timestamps_come_back_timezone_aware(store: Store) -> None:
    agent_id = make_agent(store)
    conversation = make_conversation(store, agent_id)
    due = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO followups (agent_id, conversation_id, due_at) VALUES (:a, :c, :due)",
            {"a": agent_id, "c": conversation, "due": due},
        )
        row = tx.fetchone("SELECT due_at, created_at FROM followups")
    assert row is not None
    assert row["due_at"] == due
    assert row["created_at"].tzinfo is not None


def test_one_conversation_per_agent_and_chat(store: Store) -> None:
    agent_id = make_agent(store)
    make_conversation(store, agent_id, "6590000001@c.us")
    with pytest.raises(IntegrityError):
        make_conversation(store, agent_id, "6590000001@c.us")
    other = make_agent(store, 2)
    make_conversation(store, other, "6590000001@c.us")  # the same buyer may write to two agents


def test_mode_is_ai_or_human_only(store: Store) -> None:
    conversation = make_conversation(store, make_agent(store))
    with pytest.raises(IntegrityError), store.transaction() as tx:
        tx.execute(
            "UPDATE conversations SET current_mode = 'ROBOT' WHERE conversation_id = :c",
            {"c": conversation},
        )
    with store.read() as tx:
        row = tx.fetchone("SELECT current_mode, mode_version FROM conversations")
    assert row == {"current_mode": "AI", "mode_version": 0}


def insert_message(store: Store, agent_id: int, conversation: int, **values: object) -> None:
    row = {
        "direction": "in",
        "sender_type": "USER",
        "text": "hi",
        "green_message_id": None,
        "idempotency_key": None,
        "status": "received",
    } | values
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO messages (agent_id, conversation_id, direction, sender_type, text, "
            "green_message_id, idempotency_key, status) VALUES (:agent_id, :conversation_id, "
            ":direction, :sender_type, :text, :green_message_id, :idempotency_key, :status)",
            {"agent_id": agent_id, "conversation_id": conversation} | row,
        )


def test_green_message_id_is_unique_per_agent(store: Store) -> None:
    a, b = make_agent(store, 1), make_agent(store, 2)
    ca, cb = make_conversation(store, a), make_conversation(store, b)
    insert_message(store, a, ca, green_message_id="BAE5F4886F6F2D05")
    with pytest.raises(IntegrityError):
        insert_message(store, a, ca, green_message_id="BAE5F4886F6F2D05")
    insert_message(store, b, cb, green_message_id="BAE5F4886F6F2D05")  # another instance's id space


def test_idempotency_key_is_unique(store: Store) -> None:
    agent_id = make_agent(store)
    conversation = make_conversation(store, agent_id)
    reply = {
        "direction": "out",
        "sender_type": "AI",
        "status": "pending",
        "idempotency_key": "turn:1:reply",
    }
    insert_message(store, agent_id, conversation, **reply)
    with pytest.raises(IntegrityError):
        insert_message(store, agent_id, conversation, **reply)


def test_ai_messages_need_an_idempotency_key_and_direction_matches_sender(store: Store) -> None:
    agent_id = make_agent(store)
    conversation = make_conversation(store, agent_id)
    with pytest.raises(IntegrityError):
        insert_message(
            store, agent_id, conversation, direction="out", sender_type="AI", status="pending"
        )
    with pytest.raises(IntegrityError):
        insert_message(
            store, agent_id, conversation, direction="in", sender_type="AI", idempotency_key="k"
        )
    insert_message(
        store, agent_id, conversation, direction="out", sender_type="HUMAN", status="sent"
    )


def test_a_message_cannot_point_at_another_agents_conversation(store: Store) -> None:
    a, b = make_agent(store, 1), make_agent(store, 2)
    conversation_of_b = make_conversation(store, b)
    with pytest.raises(IntegrityError):
        insert_message(store, a, conversation_of_b)


def test_cancelled_followup_needs_a_reason(store: Store) -> None:
    agent_id = make_agent(store)
    conversation = make_conversation(store, agent_id)
    due = datetime.now(UTC) + timedelta(hours=2)
    with pytest.raises(IntegrityError), store.transaction() as tx:
        tx.execute(
            "INSERT INTO followups (agent_id, conversation_id, due_at, status) "
            "VALUES (:a, :c, :due, 'cancelled')",
            {"a": agent_id, "c": conversation, "due": due},
        )


def test_an_agent_cannot_be_double_booked(store: Store) -> None:
    agent_id = make_agent(store)
    conversation = make_conversation(store, agent_id)
    with store.transaction() as tx:
        row = tx.fetchone(
            "INSERT INTO properties (agent_id, title, location, price, property_type) "
            "VALUES (:a, 'T', 'Tampines', 1, 'condo') RETURNING property_id",
            {"a": agent_id},
        )
    assert row is not None
    slot = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    params = {
        "a": agent_id,
        "c": conversation,
        "p": row["property_id"],
        "s": slot,
        "e": slot + timedelta(minutes=30),
    }
    book = (
        "INSERT INTO viewings (agent_id, conversation_id, property_id, slot_start, slot_end, "
        "status) "
        "VALUES (:a, :c, :p, :s, :e, :status)"
    )
    with store.transaction() as tx:
        tx.execute(book, params | {"status": "confirmed"})
    with pytest.raises(IntegrityError), store.transaction() as tx:
        tx.execute(book, params | {"status": "requested"})
    with store.transaction() as tx:  # a cancelled viewing does not hold the slot
        tx.execute("UPDATE viewings SET status = 'cancelled'")
        tx.execute(book, params | {"status": "requested"})


def test_unreachable_postgres_is_a_clear_error() -> None:
    from replay.throwaway import free_port

    with pytest.raises(StoreUnavailable, match="is the server running"):
        open_store(f"postgresql://wa:hunter2@127.0.0.1:{free_port()}/wa")


def test_unsupported_url_is_refused_without_leaking_password() -> None:
    from execution.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as caught:
        open_store("mysql://root:hunter2@db/wa")
    assert "hunter2" not in str(caught.value)


def test_placeholders_translate_for_psycopg() -> None:
    sql = "SELECT x::text FROM t WHERE a = :a AND b LIKE 'x%' AND c = :c_2"
    assert (
        to_pyformat(sql) == "SELECT x::text FROM t WHERE a = %(a)s AND b LIKE 'x%%' AND c = %(c_2)s"
    )


def test_redact_url_hides_only_the_password() -> None:
    assert redact_url("postgresql://wa:s3cret@db:5432/wa") == "postgresql://wa:***@db:5432/wa"
    assert redact_url("sqlite:////tmp/wa.db") == "sqlite:////tmp/wa.db"


def test_split_statements_keeps_trigger_bodies_whole() -> None:
    script = """
    -- comment
    CREATE TABLE a (x INT);
    CREATE TRIGGER t AFTER INSERT ON a BEGIN
        INSERT INTO a VALUES (1);
    END;

    CREATE INDEX i ON a (x);
    """
    statements = list(split_statements(script))
    assert len(statements) == 3
    assert "INSERT INTO a VALUES (1);" in statements[1]


def test_concurrent_db_init_applies_each_migration_once(empty_database_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    url = empty_database_url
    stores = [open_store(url) for _ in range(4)]
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            applied = list(pool.map(migrate, stores))
    finally:
        for s in stores:
            s.close()
    names = [m.name for m in all_migrations()]
    assert sorted(n for run in applied for n in run) == sorted(names)  # each once, in total
    with open_store(url) as fresh:
        assert applied_migrations(fresh) == names


def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """Issue 15.7: the database holds every buyer's messages; its folder and file are created
    0700 and 0600 (SQLite's -wal and -shm follow the file), whatever the umask."""
    old = os.umask(0o022)
    try:
        path = tmp_path / "fresh" / "wa.db"
        with open_store(f"sqlite:///{path}") as store:
            migrate(store)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for file in path.parent.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name
