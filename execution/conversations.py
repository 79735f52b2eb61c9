"""Conversations: one per (agent, WhatsApp chat). Find or create, read, list, history."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape

from execution.agents import find_agent, normalize_number
from execution.audit import events
from execution.cli_support import JsonOption, cli_store, console, make_app, print_json, print_table
from execution.clock import utcnow
from execution.errors import NotFoundError, ValidationError
from execution.store import Row, Store, Tx

Mode = Literal["AI", "HUMAN"]

_CHAT_ID = re.compile(r"^(\d{5,20})@c\.us$|^[\d-]{5,40}@g\.us$")


def normalize_chat_id(to: str) -> str:
    """A Green API chat id: `<digits>@c.us` for a person (from any phone-number spelling),
    a group id `...@g.us` as given."""
    text = to.strip()
    if "@" in text:
        if not _CHAT_ID.match(text):
            raise ValidationError(f"{to!r} is not a chat id like 6591234567@c.us or ...@g.us")
        return text
    return f"{normalize_number(text)}@c.us"


@dataclass(frozen=True)
class Conversation:
    conversation_id: int
    agent_id: int
    chat_id: str
    contact_name: str | None
    """The buyer's own WhatsApp name: the one the assistant may call them."""
    current_mode: Mode
    mode_version: int
    mode_changed_at: datetime | None
    mode_reason: str | None
    failed_search_streak: int
    last_message_at: datetime | None
    contact_label: str | None = None
    """How the agent saved the buyer in the phone ("Tan - lowballer"): the agent's eyes only,
    never written to the buyer."""


@dataclass(frozen=True)
class Message:
    message_id: int
    direction: str
    sender_type: str
    type_message: str
    text: str | None
    status: str
    green_message_id: str | None
    created_at: datetime
    error: str | None
    deleted_by: Literal["buyer", "agent"] | None = None
    """Who deleted it on WhatsApp (its text is gone then: see execution/forget_deleted.py)."""

    def shown_text(self) -> str:
        """The text as a transcript shows it: a deleted message says who deleted it."""
        if self.deleted_by is not None:
            return f"(deleted by the {self.deleted_by})"
        return self.text or f"[{self.type_message}]"


_CONVERSATION_COLUMNS = (
    "conversation_id, agent_id, chat_id, contact_name, current_mode, mode_version, "
    "mode_changed_at, mode_reason, failed_search_streak, last_message_at, contact_label"
)


def _conversation(row: Row) -> Conversation:
    return Conversation(**{k: row[k] for k in Conversation.__dataclass_fields__})


def find_conversation(tx: Tx, conversation_id: int) -> Conversation:
    row = tx.fetchone(
        f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE conversation_id = :id",
        {"id": conversation_id},
    )
    if row is None:
        raise NotFoundError(f"no conversation {conversation_id}: see `wa conversations list`")
    return _conversation(row)


def get_conversation(store: Store, conversation_id: int) -> Conversation:
    with store.read() as tx:
        return find_conversation(tx, conversation_id)


def find_or_create_conversation(
    store: Store, agent_id: int, chat_id: str, contact_name: str | None = None
) -> Conversation:
    """The conversation of this agent with this chat, created (in AI mode) on first contact."""
    chat_id = normalize_chat_id(chat_id)
    params = {"agent_id": agent_id, "chat_id": chat_id, "name": contact_name}
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO conversations (agent_id, chat_id, contact_name) "
            "VALUES (:agent_id, :chat_id, :name) ON CONFLICT (agent_id, chat_id) DO NOTHING",
            params,
        )
        row = tx.fetchone(
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversations "
            "WHERE agent_id = :agent_id AND chat_id = :chat_id",
            params,
        )
    assert row is not None
    return _conversation(row)


def touch_conversation(
    tx: Tx,
    agent_id: int,
    chat_id: str,
    contact_name: str | None = None,
    contact_label: str | None = None,
) -> int:
    """A message arrived in this chat: the conversation's id, created on first contact, its
    `last_message_at` set to now (and the buyer's name and the agent's label refreshed). One
    statement."""
    row = tx.fetchone(
        "INSERT INTO conversations (agent_id, chat_id, contact_name, contact_label, "
        "last_message_at) VALUES (:agent_id, :chat_id, :name, :label, :now) "
        "ON CONFLICT (agent_id, chat_id) DO UPDATE SET last_message_at = excluded.last_message_at, "
        "contact_name = COALESCE(excluded.contact_name, conversations.contact_name), "
        "contact_label = COALESCE(excluded.contact_label, conversations.contact_label) "
        "RETURNING conversation_id",
        {
            "agent_id": agent_id,
            "chat_id": normalize_chat_id(chat_id),
            "name": contact_name,
            "label": contact_label,
            "now": utcnow(),
        },
        prepare=True,
    )
    assert row is not None
    return int(row["conversation_id"])


def save_failed_search_streak(tx: Tx, conversation_id: int, mode_version: int, streak: int) -> None:
    """Searches in a row that found nothing, stored with the turn's reply (and only while the
    mode is still the one the turn read: the statement locks the conversation row)."""
    tx.execute(
        "UPDATE conversations SET failed_search_streak = :streak "
        "WHERE conversation_id = :id AND mode_version = :version",
        {"streak": streak, "id": conversation_id, "version": mode_version},
    )


def list_conversations(
    store: Store, agent_id: int | None = None, mode: Mode | None = None, limit: int = 50
) -> list[Conversation]:
    """Conversations, most recently active first."""
    where: list[str] = ["1 = 1"]
    params: dict[str, Any] = {"limit": limit}
    if agent_id is not None:
        where.append("agent_id = :agent_id")
        params["agent_id"] = agent_id
    if mode is not None:
        where.append("current_mode = :mode")
        params["mode"] = mode
    with store.read() as tx:
        rows = tx.fetchall(
            f"SELECT {_CONVERSATION_COLUMNS} FROM conversations WHERE {' AND '.join(where)} "
            "ORDER BY COALESCE(last_message_at, created_at) DESC, conversation_id DESC "
            "LIMIT :limit",
            params,
        )
    return [_conversation(row) for row in rows]


def history(store: Store, conversation_id: int, limit: int = 20) -> list[Message]:
    """The last `limit` messages of a conversation, oldest first (newest last)."""
    with store.read() as tx:
        rows = tx.fetchall(
            "SELECT message_id, direction, sender_type, type_message, text, status, "
            "green_message_id, created_at, error, CASE WHEN deleted_at IS NULL THEN NULL "
            "WHEN direction = 'in' THEN 'buyer' ELSE 'agent' END AS deleted_by FROM messages "
            "WHERE conversation_id = :id ORDER BY message_id DESC LIMIT :limit",
            {"id": conversation_id, "limit": limit},
        )
    return [Message(**row) for row in reversed(rows)]


# --- `wa conversations ...` ------------------------------------------------------------------

app = make_app("Conversations: one per agent and WhatsApp chat, in AI or HUMAN mode.")


@app.command("list")
def list_command(
    agent: Annotated[str | None, typer.Option(help="Only this agent's (id or name).")] = None,
    mode: Annotated[
        Literal["ai", "human"] | None,
        typer.Option(case_sensitive=False, help="Only this mode (ai or human, any case)."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: bool = JsonOption,
) -> None:
    """List conversations, most recently active first."""
    with cli_store() as store:
        agent_id = None
        if agent is not None:
            with store.read() as tx:
                agent_id = find_agent(tx, agent).agent_id
        found = list_conversations(
            store, agent_id, None if mode is None else "AI" if mode == "ai" else "HUMAN", limit
        )
    if as_json:
        print_json(found)
        return
    if not found:
        console.print("No conversations.")
        return
    print_table(
        "Conversations",
        ["id", "agent", "chat", "name", "your label", "mode", "version", "last message"],
        [
            (
                c.conversation_id,
                c.agent_id,
                c.chat_id,
                c.contact_name or "",
                c.contact_label or "",
                c.current_mode,
                c.mode_version,
                c.last_message_at or "",
            )
            for c in found
        ],
    )


@app.command("show")
def show_command(
    conversation_id: Annotated[int, typer.Argument(help="Conversation id.")],
    messages: Annotated[int, typer.Option(help="How many recent messages.", min=1)] = 20,
    as_json: bool = JsonOption,
) -> None:
    """Show a conversation, its recent messages and its audit events."""
    with cli_store() as store:
        conversation = get_conversation(store, conversation_id)
        recent = history(store, conversation_id, messages)
        audit = events(store, conversation_id)
    if as_json:
        print_json({"conversation": conversation, "messages": recent, "events": audit})
        return
    c = conversation
    console.print(
        f"[bold]Conversation {c.conversation_id}[/bold] agent {c.agent_id}, {escape(c.chat_id)} "
        f"({escape(c.contact_name or 'unknown')}"
        + (f", saved as {escape(c.contact_label)}" if c.contact_label else "")
        + f"): [bold]{c.current_mode}[/bold] v{c.mode_version}"
        + (f", {escape(c.mode_reason)}" if c.mode_reason else "")
    )
    caught = [e["detail"] for e in audit if e["kind"] == "escalation"]
    for detail in caught:
        console.print(
            f"escalated: {escape(str(detail.get('trigger')))} (caught by "
            f"{escape(str(detail.get('layer', 'rules')))}: {escape(str(detail.get('evidence')))})",
            highlight=False,
        )
    print_table(
        "Messages (newest last)",
        ["id", "from", "text", "status", "green id"],
        [
            (
                m.message_id,
                m.sender_type,
                m.shown_text(),
                m.status + (f": {m.error}" if m.error else ""),
                m.green_message_id or "",
            )
            for m in recent
        ],
    )
    if audit:
        print_table(
            "Events",
            ["id", "kind", "detail", "at"],
            [(e["event_id"], e["kind"], json.dumps(e["detail"]), e["created_at"]) for e in audit],
        )


if __name__ == "__main__":
    app()
