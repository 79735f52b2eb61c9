"""What a turn reads before and after the model runs: the conversation so far (earlier
messages, the listings recent turns showed), the buyer's own words, and the listings a
reply may state facts about (this turn's tool results, the current records of earlier ones)."""

from __future__ import annotations

import json
from typing import Any

from execution.conversations import history
from execution.property_lookup import Property, properties_by_id
from execution.run_log import tool_results
from execution.store import Store
from orchestrator.loop import Run

LISTING_TOOLS = ("search_properties", "get_property", "request_viewing")
HISTORY_MESSAGES = 10
BUYER_HISTORY = 200
"""How far back the buyer's own numbers are looked for (their budget, said once, early on)."""
HISTORY_CHARS = 500
SHOWN_LISTINGS = 10
_SPEAKERS = {"USER": "buyer", "AI": "assistant", "HUMAN": "agent", "SYSTEM": "system"}


def listings_in(result: str) -> list[Property]:
    """The listings a tool result carries: a search's list, one listing, or a record holding
    one under `property` (a viewing request)."""
    try:
        value = json.loads(result)
    except ValueError:
        return []
    found = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and isinstance(item.get("property"), dict):
            item = item["property"]
        if isinstance(item, dict) and "property_id" in item:
            try:
                found.append(Property(**item))
            except TypeError:
                continue
    return found


def buyer_texts(store: Store, conversation_id: int, message: str) -> list[str]:
    """What the buyer wrote in this conversation (a number the reply says is theirs must be)."""
    earlier = history(store, conversation_id, BUYER_HISTORY)
    return [m.text for m in earlier if m.direction == "in" and m.text] + [message]


def current_records(store: Store, agent_id: int, shown: list[dict[str, Any]]) -> list[Property]:
    """The agent's current records of the listings earlier turns showed (sold or changed since:
    the record as it is now; gone: left out)."""
    return properties_by_id(store, agent_id, [int(item["property_id"]) for item in shown])


def listings_seen(done: Run, shown: list[Property]) -> list[Property]:
    """What a reply may state facts about: the listings this turn's tools returned, and the
    current records of those earlier turns showed (a price restated from the last turn is
    still checked against the records, not against memory)."""
    seen: dict[int, Property] = {p.property_id: p for p in shown}
    for step in done.steps:
        if step.kind == "tool" and not step.is_error and step.result:
            seen |= {p.property_id: p for p in listings_in(step.result)}
    return list(seen.values())


def conversation_inputs(store: Store, conversation_id: int) -> dict[str, Any]:
    """What the model should know of the conversation so far: the earlier messages (the ones
    this turn answers excluded) and the listings recent turns showed (newest first)."""
    past = history(store, conversation_id, HISTORY_MESSAGES + 5)
    while past and past[-1].direction == "in":
        past.pop()
    lines = [
        f"{_SPEAKERS.get(m.sender_type, m.sender_type)}: {' '.join(m.text.split())[:HISTORY_CHARS]}"
        for m in past[-HISTORY_MESSAGES:]
        if m.text and m.status not in ("pending", "failed", "discarded")
    ]
    shown: dict[int, dict[str, Any]] = {}
    for result in reversed(tool_results(store, conversation_id, LISTING_TOOLS)):
        for listing in listings_in(result):
            shown.setdefault(
                listing.property_id, {"property_id": listing.property_id, "title": listing.title}
            )
    return {"history": "\n".join(lines), "shown_listings": list(shown.values())[:SHOWN_LISTINGS]}
