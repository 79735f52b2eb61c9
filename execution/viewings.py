"""Viewing requests: a buyer asks to see a listing; the agent confirms the slot.

Until slot booking exists, a request is an event (`viewing_request`) on the conversation's
audit log, for the agent to act on: `wa viewings list` shows them. One open request per
buyer and listing: asking again returns the first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import typer

from execution.agents import find_agent
from execution.audit import record_event
from execution.cli_support import JsonOption, cli_store, make_app, print_json, print_table
from execution.conversations import find_conversation
from execution.errors import NotFoundError, ValidationError
from execution.property_lookup import Property, get_property
from execution.run_inputs import AgentId, ConversationId
from execution.store import Store

EVENT = "viewing_request"
MAX_NOTE_CHARS = 500


@dataclass(frozen=True)
class ViewingRequest:
    conversation_id: int
    property: Property
    preferred_time: str | None
    notes: str | None
    status: str
    """`requested` (new) or `already_requested` (the buyer asked for this listing before)."""


def request_viewing(
    store: Store,
    agent_id: AgentId,
    conversation_id: ConversationId,
    property_id: int,
    preferred_time: str | None = None,
    notes: str | None = None,
) -> ViewingRequest:
    """Record the buyer's request to view a listing, for the agent to confirm a time.

    Args:
        property_id: The listing to view, as search results give it.
        preferred_time: When the buyer would like to come, in their words ("Saturday
            morning"); leave it out when they did not say.
        notes: Anything else the agent should know (who is coming, questions).
    """
    for label, value in (("preferred_time", preferred_time), ("notes", notes)):
        if value is not None and len(value) > MAX_NOTE_CHARS:
            raise ValidationError(f"{label} is longer than {MAX_NOTE_CHARS} characters")
    listing = get_property(store, property_id, agent_id)
    if listing.availability == "sold":
        raise ValidationError(f"property {property_id} ({listing.title}) is sold: no viewings")
    with store.transaction() as tx:
        conversation = find_conversation(tx, conversation_id)
        if conversation.agent_id != agent_id:
            raise NotFoundError(f"no conversation {conversation_id}")
        earlier = tx.fetchall(
            "SELECT detail FROM events WHERE conversation_id = :id AND kind = :kind",
            {"id": conversation_id, "kind": EVENT},
        )
        for row in earlier:
            detail = json.loads(row["detail"])
            if detail.get("property_id") == property_id:
                return ViewingRequest(
                    conversation_id,
                    listing,
                    detail.get("preferred_time"),
                    detail.get("notes"),
                    "already_requested",
                )
        record_event(
            tx,
            EVENT,
            {
                "property_id": property_id,
                "title": listing.title,
                "preferred_time": preferred_time,
                "notes": notes,
            },
            agent_id=agent_id,
            conversation_id=conversation_id,
        )
    return ViewingRequest(conversation_id, listing, preferred_time, notes, "requested")


def list_viewing_requests(
    store: Store, agent_id: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The latest viewing requests, newest first, with the buyer's chat."""
    with store.read() as tx:
        rows = tx.fetchall(
            "SELECT e.event_id, e.agent_id, e.conversation_id, e.detail, e.created_at, "
            "c.chat_id, c.contact_name FROM events e "
            "JOIN conversations c ON c.conversation_id = e.conversation_id "
            "WHERE e.kind = :kind"
            + (" AND e.agent_id = :agent_id" if agent_id is not None else "")
            + " ORDER BY e.event_id DESC LIMIT :limit",
            {"kind": EVENT, "agent_id": agent_id, "limit": limit},
        )
    return [
        {k: v for k, v in row.items() if k != "detail"} | json.loads(row["detail"]) for row in rows
    ]


# --- `wa viewings ...` -----------------------------------------------------------------------

app = make_app("Viewings: what buyers asked to see, for the agent to confirm.")


@app.command("list")
def list_command(
    agent: Annotated[str | None, typer.Option(help="Only this agent's (id or name).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: bool = JsonOption,
) -> None:
    """List viewing requests, newest first."""
    with cli_store() as store:
        agent_id = None
        if agent:
            with store.read() as tx:
                agent_id = find_agent(tx, agent).agent_id
        requests = list_viewing_requests(store, agent_id, limit)
    if as_json:
        print_json(requests)
        return

    def when(value: Any) -> str:
        return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else str(value)

    print_table(
        f"{len(requests)} viewing request(s)",
        ["requested", "agent", "conversation", "buyer", "property", "preferred time", "notes"],
        [
            (
                when(r["created_at"]),
                r["agent_id"],
                r["conversation_id"],
                r["contact_name"] or r["chat_id"],
                f"{r['property_id']} {r['title']}",
                r["preferred_time"],
                r["notes"],
            )
            for r in requests
        ],
    )
