"""`wa agents update` and `wa agents remove` (issue 16.3), on both backends."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli import app as wa
from execution.agents import (
    create_operator_token,
    get_agent,
    remove_agent,
    update_agent,
    verify_webhook_token,
)
from execution.conversations import find_or_create_conversation
from execution.errors import NotFoundError, ValidationError
from execution.store import Store
from tests.webhooks import TOKEN, agent_for


def test_update_changes_only_what_is_given(store: Store) -> None:
    agent_id = agent_for(store, "7700000001")
    before = get_agent(store, agent_id)
    after = update_agent(store, agent_id, api_url="http://127.0.0.1:9/", api_token="new-api-tok")
    assert (after.api_url, after.api_token) == ("http://127.0.0.1:9", "new-api-tok")
    assert (after.name, after.whatsapp_number, after.timezone) == (
        before.name, before.whatsapp_number, before.timezone,
    )  # fmt: skip
    assert verify_webhook_token(after, TOKEN)  # untouched
    again = update_agent(store, agent_id, webhook_token="new-hook-token", api_url="")
    assert again.api_url is None  # back to WA_GREENAPI_URL
    assert verify_webhook_token(again, "new-hook-token") and not verify_webhook_token(again, TOKEN)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"name": "Agent of 7700000002"}, "already has this name"),
        ({"instance_id": "7700000002"}, "already has this instance id"),
        ({"timezone": "Mars/Olympus"}, "unknown timezone"),
        ({"api_url": "ftp://x"}, r"an http\(s\) URL"),
        ({"number": "12"}, "not a phone number"),
        ({"api_token": "short"}, "api token"),
    ],
)
def test_update_refuses_what_add_refuses(
    store: Store, change: dict[str, str], fragment: str
) -> None:
    agent_id = agent_for(store, "7700000001")
    agent_for(store, "7700000002")
    with pytest.raises(ValidationError, match=fragment):
        update_agent(store, agent_id, **change)  # type: ignore[arg-type]


def _rows_of(store: Store, agent_id: int) -> dict[str, int]:
    tables = ("conversations", "messages", "operator_tokens", "properties", "events")
    with store.read() as tx:
        return {
            t: int(tx.scalar(f"SELECT COUNT(*) FROM {t} WHERE agent_id = :a", {"a": agent_id}))
            for t in tables
        }


def test_remove_is_refused_while_conversations_exist_and_force_removes_everything(
    store: Store,
) -> None:
    gone, kept = agent_for(store, "7700000001"), agent_for(store, "7700000002")
    for agent_id in (gone, kept):
        find_or_create_conversation(store, agent_id, "6598765432@c.us")
        create_operator_token(store, agent_id)
    with pytest.raises(ValidationError, match="has 1 conversation"):
        remove_agent(store, gone)
    assert remove_agent(store, gone, force=True) == {"agent_id": gone, "conversations_removed": 1}
    with pytest.raises(NotFoundError):
        get_agent(store, gone)
    assert set(_rows_of(store, gone).values()) == {0}
    assert _rows_of(store, kept)["conversations"] == 1 and _rows_of(store, kept)["operator_tokens"]
    with store.read() as tx:
        kinds = [
            r["detail"]
            for r in tx.fetchall("SELECT detail FROM events WHERE kind = 'agent_removed'")
        ]
    assert len(kinds) == 1 and json.loads(kinds[0])["conversations"] == 1


def test_the_commands(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WA_DATABASE_URL", store.url)
    agent_id = agent_for(store, "7700000001")
    runner = CliRunner()
    done = runner.invoke(wa, ["agents", "update", str(agent_id), "--timezone", "Asia/Tokyo",
                              "--json"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["timezone"] == "Asia/Tokyo"
    removed = runner.invoke(wa, ["agents", "remove", str(agent_id), "--json"])
    assert removed.exit_code == 0 and json.loads(removed.output)["conversations_removed"] == 0
