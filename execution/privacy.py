"""What is stored about one buyer: all of it exported, or all of its content erased (a
message the buyer deleted is forgotten as it happens: execution/forget_deleted.py).

Content is what a person wrote or what identifies them: message texts, Green API payloads,
names, the chat id (the phone number), what the model read and wrote, notes. Erasing keeps
the shape of the record (which messages, when, which mode, which audit events) so the agent's
history and the statistics stay whole; nothing left says what was written or by whom.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from execution.agents import find_agent
from execution.audit import record_event
from execution.cli_support import JsonOption, cli_store, console, make_app, print_json
from execution.clock import utcnow
from execution.content_free import (
    content_free_detail,
    content_free_payload,
    json_object,
    like_escaped,
)
from execution.conversations import normalize_chat_id
from execution.store import Row, Store, Tx

ERASED_CHAT = "erased-{id}@erased"
"""What an erased conversation's chat id becomes (unique, never a WhatsApp chat again: the
buyer writing later starts a new conversation)."""


def _conversation_ids(tx: Tx, chat_id: str, agent_id: int | None) -> list[int]:
    rows = tx.fetchall(
        "SELECT conversation_id FROM conversations WHERE chat_id = :chat "
        + ("AND agent_id = :agent_id " if agent_id is not None else "")
        + "ORDER BY conversation_id",
        {"chat": chat_id, "agent_id": agent_id},
    )
    return [int(row["conversation_id"]) for row in rows]


def _rows(tx: Tx, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(row) for row in tx.fetchall(sql, params)]


def _parsed(row: Row, *columns: str) -> dict[str, Any]:
    """The row with its JSON columns decoded (a column that is not JSON is kept as text)."""
    out = dict(row)
    for column in columns:
        with contextlib.suppress(ValueError):
            out[column] = json.loads(out[column]) if out[column] is not None else None
    return out


def _incidents_of(tx: Tx, agent_id: int, conversation_id: int) -> list[Row]:
    """The incidents whose context names this conversation (contexts are JSON text)."""
    rows = tx.fetchall(
        "SELECT incident_id, layer, directive, tool, error, context, status, created_at "
        "FROM incidents WHERE agent_id = :agent_id AND context LIKE :mention",
        {"agent_id": agent_id, "mention": f'%"conversation_id": {conversation_id}%'},
    )
    return [row for row in rows if _names(row, conversation_id)]


def _names(incident: Row, conversation_id: int) -> bool:
    return (json_object(str(incident["context"])) or {}).get("conversation_id") == conversation_id


def export_contact(store: Store, contact: str, agent_id: int | None = None) -> dict[str, Any]:
    """Everything stored about the buyer of this chat (one agent's, or every agent's):
    conversations, messages, the Green API notifications, turns, follow-ups, viewings, audit
    events, incidents and the orchestrator's runs with their steps; and, under `elsewhere`,
    the incidents, events and notifications that name the number outside those."""
    chat_id = normalize_chat_id(contact)
    with store.read() as tx:
        found = [_export_conversation(tx, cid) for cid in _conversation_ids(tx, chat_id, agent_id)]
        agents = sorted({int(c["conversation"]["agent_id"]) for c in found})
        elsewhere = [_mentions(tx, agent, chat_id) for agent in agents]
    return {
        "chat_id": chat_id,
        "exported_at": utcnow(),
        "conversations": found,
        "elsewhere": elsewhere,
    }


def _mentions(tx: Tx, agent_id: int, chat_id: str) -> dict[str, Any]:
    """The rows of one agent that name the number and belong to no conversation of it."""
    number = chat_id.split("@", 1)[0]
    mention = {"agent_id": agent_id, "mention": f"%{like_escaped(number)}%"}
    return {
        "agent_id": agent_id,
        "incidents": [
            _parsed(row, "context")
            for row in tx.fetchall(
                "SELECT * FROM incidents WHERE agent_id = :agent_id AND (context LIKE :mention "
                "OR error LIKE :mention) ORDER BY incident_id",
                mention,
            )
            if "conversation_id" not in (json_object(str(row["context"])) or {})
        ],
        "events": [
            _parsed(row, "detail")
            for row in tx.fetchall(
                "SELECT * FROM events WHERE agent_id = :agent_id AND conversation_id IS NULL "
                "AND detail LIKE :mention ORDER BY event_id",
                mention,
            )
        ],
        "notifications": [
            _parsed(row, "payload")
            for row in tx.fetchall(
                "SELECT * FROM notifications WHERE agent_id = :agent_id AND chat_id IS NULL "
                "AND payload LIKE :mention ORDER BY notification_id",
                mention,
            )
        ],
    }


def _export_conversation(tx: Tx, cid: int) -> dict[str, Any]:
    by_id = {"cid": cid}
    conversation = _rows(tx, "SELECT * FROM conversations WHERE conversation_id = :cid", by_id)[0]
    agent_id = int(conversation["agent_id"])
    runs = _rows(tx, "SELECT * FROM runs WHERE conversation_id = :cid ORDER BY run_id", by_id)
    for run in runs:
        run["steps"] = _rows(
            tx, "SELECT * FROM run_steps WHERE run_id = :id ORDER BY step", {"id": run["run_id"]}
        )
    by_chat = {"agent_id": agent_id, "chat": conversation["chat_id"]}
    return {
        "conversation": conversation,
        "messages": _rows(
            tx, "SELECT * FROM messages WHERE conversation_id = :cid ORDER BY message_id", by_id
        ),
        "notifications": [
            _parsed(row, "payload")
            for row in tx.fetchall(
                "SELECT * FROM notifications WHERE agent_id = :agent_id AND chat_id = :chat "
                "ORDER BY notification_id",
                by_chat,
            )
        ],
        "turns": _rows(
            tx, "SELECT * FROM turns WHERE conversation_id = :cid ORDER BY turn_id", by_id
        ),
        "followups": _rows(
            tx, "SELECT * FROM followups WHERE conversation_id = :cid ORDER BY followup_id", by_id
        ),
        "viewings": _rows(
            tx, "SELECT * FROM viewings WHERE conversation_id = :cid ORDER BY viewing_id", by_id
        ),
        "events": [
            _parsed(row, "detail")
            for row in tx.fetchall(
                "SELECT * FROM events WHERE conversation_id = :cid ORDER BY event_id", by_id
            )
        ],
        "incidents": [_parsed(row, "context") for row in _incidents_of(tx, agent_id, cid)],
        "runs": runs,
    }


@dataclass(frozen=True)
class Erasure:
    """What `erase_contact` changed, by table (rows whose content was removed)."""

    conversations: int = 0
    messages: int = 0
    notifications: int = 0
    runs: int = 0
    events: int = 0
    incidents: int = 0
    viewings: int = 0


def erase_contact(store: Store, contact: str, agent_id: int) -> Erasure:
    """Remove the content of everything one agent stores about the buyer of this chat, in one
    transaction. The records stay (ids, times, modes, statuses, kinds of events) with nothing
    that says what was written or who wrote it; an `erased` event says when and what."""
    chat_id = normalize_chat_id(contact)
    totals: dict[str, int] = dict.fromkeys(Erasure.__dataclass_fields__, 0)
    with store.transaction() as tx:
        for cid in _conversation_ids(tx, chat_id, agent_id):
            for table, count in _erase_conversation(tx, agent_id, cid, chat_id).items():
                totals[table] += count
            totals["conversations"] += 1
        if totals["conversations"]:
            for table, count in _erase_mentions(tx, agent_id, chat_id).items():
                totals[table] += count
    return Erasure(**totals)


def _erase_mentions(tx: Tx, agent_id: int, chat_id: str) -> dict[str, int]:
    """What names the buyer's number outside their conversations' rows: incidents and events
    recorded without a conversation (a delivery report, a Green API event), notifications with
    no chat id (an incoming call)."""
    number = chat_id.split("@", 1)[0]
    mention = {"agent_id": agent_id, "mention": f"%{like_escaped(number)}%"}
    incidents = tx.fetchall(
        "SELECT incident_id, context FROM incidents WHERE agent_id = :agent_id "
        "AND (context LIKE :mention OR error LIKE :mention)",
        mention,
    )
    for row in incidents:
        tx.execute(
            "UPDATE incidents SET error = :error, context = :context WHERE incident_id = :id",
            {
                "error": "(erased)",
                "context": content_free_detail(str(row["context"])),
                "id": row["incident_id"],
            },
        )
    events = tx.fetchall(
        "SELECT event_id, detail FROM events WHERE agent_id = :agent_id AND detail LIKE :mention",
        mention,
    )
    for row in events:
        tx.execute(
            "UPDATE events SET detail = :detail WHERE event_id = :id",
            {"detail": content_free_detail(str(row["detail"])), "id": row["event_id"]},
        )
    notifications = tx.fetchall(
        "SELECT notification_id, payload FROM notifications WHERE agent_id = :agent_id "
        "AND payload LIKE :mention",
        mention,
    )
    for row in notifications:
        tx.execute(
            "UPDATE notifications SET payload = :payload WHERE notification_id = :id",
            {
                "payload": content_free_payload(str(row["payload"]), "erased"),
                "id": row["notification_id"],
            },
        )
    return {"incidents": len(incidents), "events": len(events), "notifications": len(notifications)}


def _erase_conversation(tx: Tx, agent_id: int, cid: int, chat_id: str) -> dict[str, int]:
    by_id = {"cid": cid}
    counts = {
        "messages": tx.execute(
            "UPDATE messages SET text = NULL, raw_payload = NULL, error = NULL "
            "WHERE conversation_id = :cid",
            by_id,
        ),
        "runs": tx.execute(
            "UPDATE run_steps SET arguments = NULL, result = NULL, text = NULL "
            "WHERE run_id IN (SELECT run_id FROM runs WHERE conversation_id = :cid)",
            by_id,
        ),
        "viewings": tx.execute(
            "UPDATE viewings SET notes = NULL WHERE conversation_id = :cid", by_id
        ),
    }
    # nothing is to be said to an erased chat: its open turns and follow-ups end here
    tx.execute(
        "UPDATE turns SET status = 'superseded', outcome = 'erased', lease_owner = NULL, "
        "lease_until = NULL WHERE conversation_id = :cid AND status IN ('pending', 'running')",
        by_id,
    )
    tx.execute(
        "UPDATE followups SET status = 'cancelled', cancel_reason = 'erased' "
        "WHERE conversation_id = :cid AND status = 'pending'",
        by_id,
    )
    notifications = tx.fetchall(
        "SELECT notification_id, payload FROM notifications "
        "WHERE agent_id = :agent_id AND chat_id = :chat",
        {"agent_id": agent_id, "chat": chat_id},
    )
    erased_chat = ERASED_CHAT.format(id=cid)
    for row in notifications:
        tx.execute(
            "UPDATE notifications SET payload = :payload, chat_id = :chat "
            "WHERE notification_id = :id",
            {
                "payload": content_free_payload(str(row["payload"]), "erased"),
                "chat": erased_chat,
                "id": row["notification_id"],
            },
        )
    counts["notifications"] = len(notifications)
    events = tx.fetchall("SELECT event_id, detail FROM events WHERE conversation_id = :cid", by_id)
    for row in events:
        tx.execute(
            "UPDATE events SET detail = :detail WHERE event_id = :id",
            {"detail": content_free_detail(str(row["detail"])), "id": row["event_id"]},
        )
    counts["events"] = len(events)
    incidents = _incidents_of(tx, agent_id, cid)
    for row in incidents:
        tx.execute(
            "UPDATE incidents SET error = :error, context = :context WHERE incident_id = :id",
            {
                "error": "(erased)",
                "context": content_free_detail(str(row["context"])),
                "id": row["incident_id"],
            },
        )
    counts["incidents"] = len(incidents)
    tx.execute(
        "UPDATE conversations SET chat_id = :chat, contact_name = NULL, contact_label = NULL, "
        "mode_reason = NULL WHERE conversation_id = :cid",
        {"chat": erased_chat, "cid": cid},
    )
    record_event(
        tx, "erased", {"at_request_of": "operator"} | counts, agent_id=agent_id, conversation_id=cid
    )
    return counts


# --- `wa conversations export|erase` -------------------------------------------------------

app = make_app("A buyer's data: export all of it, or erase its content.")

ContactArgument = Annotated[
    str, typer.Argument(help="The buyer's phone number (any spelling) or chat id.")
]


@app.command("export")
def export_command(
    contact: ContactArgument,
    agent: Annotated[str | None, typer.Option(help="Only this agent's (id or name).")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSON here (default: stdout).")
    ] = None,
) -> None:
    """Export everything stored about one buyer, as JSON.

    Conversations, messages, notifications, turns, follow-ups, viewings, audit events,
    incidents and orchestrator runs (with their steps)."""
    with cli_store() as store:
        agent_id = _agent_id(store, agent)
        exported = export_contact(store, contact, agent_id)
    text = json.dumps(exported, default=str, ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(text)
        return
    output.write_text(text + "\n", "utf-8")
    output.chmod(0o600)
    count = len(exported["conversations"])
    console.print(f"Wrote {count} conversation(s) of {exported['chat_id']} to {output}.")


@app.command("erase")
def erase_command(
    contact: ContactArgument,
    agent: Annotated[str, typer.Option(help="The agent whose records to erase (id or name).")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: bool = JsonOption,
) -> None:
    """Erase the content of everything one agent stores about a buyer.

    Texts, payloads, names, the number, what the model read and wrote go; the records and
    audit events stay, without content. Cannot be undone: export first if the buyer asked
    for a copy."""
    with cli_store() as store:
        with store.read() as tx:
            agent_id = find_agent(tx, agent).agent_id
        if not yes and not typer.confirm(
            f"Erase everything agent {agent_id} stores about {normalize_chat_id(contact)}?"
        ):
            raise typer.Exit(1)
        erased = erase_contact(store, contact, agent_id)
    if as_json:
        print_json(erased)
        return
    if erased.conversations == 0:
        console.print("Nothing stored about that contact for this agent.")
        return
    console.print(
        f"Erased {erased.conversations} conversation(s): {erased.messages} messages, "
        f"{erased.notifications} notifications, {erased.runs} model/tool steps, "
        f"{erased.events} events, {erased.incidents} incidents, {erased.viewings} viewings."
    )


def _agent_id(store: Store, agent: str | None) -> int | None:
    if agent is None:
        return None
    with store.read() as tx:
        return find_agent(tx, agent).agent_id


if __name__ == "__main__":
    app()
