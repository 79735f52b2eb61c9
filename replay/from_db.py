"""`wa replay --from-db CONVERSATION_ID`: a stored conversation as a scenario file, for a bug
report or a regression test, with the people in it anonymised.

What it keeps: the agent's persona and listings (business data the replay needs), every buyer
message (text and type) with the time between them, the agent's own messages (typed on the
phone, or sent through the operator API), operator mode switches, and as expectations how many
assistant messages each buyer message got, the escalations and the final mode. What it
replaces: the buyer's and the agent's numbers and names, and any phone number, e-mail address
or name of theirs inside a message. Reply *texts* are not expected verbatim: a replay may use
another model; the counts, modes and escalations are what must not change.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from execution.agents import find_agent
from execution.conversations import find_conversation
from execution.store import Store
from execution.viewings import EVENT as VIEWING_EVENT
from replay.payloads import SHORTHAND_TYPES

BUYER_PHONE = "6590000001"
BUYER_NAME = "Buyer"
AGENT_NAME = "Agent"
AGENT_NUMBER = "+65 9000 0000"
MAX_GAP = timedelta(days=30)
OPERATOR_ACTORS = ("operator", "admin")
SEND_TAKEOVERS = ("operator sent a message", "the agent sent a message")

_PHONE = re.compile(r"(?<![\w])\+?\d[\d\s().-]{6,}\d(?![\w])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def anonymiser(buyer: str, agent: str) -> Any:
    """A function that replaces the buyer's and the agent's names (and each word of them),
    e-mail addresses and phone numbers in a text."""
    names: list[tuple[str, str]] = []
    for full, stand_in in ((buyer, BUYER_NAME), (agent, AGENT_NAME)):
        full = full.strip()
        if len(full) >= 2:
            names.append((full, stand_in))
            names += [(word, stand_in) for word in full.split() if len(word) >= 3]
    names.sort(key=lambda pair: len(pair[0]), reverse=True)

    def clean(text: str) -> str:
        text = _EMAIL.sub("someone@example.com", text)
        text = _PHONE.sub(AGENT_NUMBER, text)
        for name, stand_in in names:
            text = re.sub(rf"\b{re.escape(name)}\b", stand_in, text, flags=re.IGNORECASE)
        return text

    return clean


def _seconds(delta: timedelta) -> str:
    seconds = max(0, int(min(delta, MAX_GAP).total_seconds()))
    return f"{seconds}s"


def _at(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def conversation_scenario(store: Store, conversation_id: int) -> str:
    with store.read() as tx:
        conversation = find_conversation(tx, conversation_id)
        agent = find_agent(tx, conversation.agent_id)
        messages = tx.fetchall(
            "SELECT message_id, sender_type, type_message, text, status, raw_payload, created_at "
            "FROM messages WHERE conversation_id = :id ORDER BY message_id",
            {"id": conversation_id},
        )
        events = tx.fetchall(
            "SELECT event_id, kind, detail, created_at FROM events WHERE conversation_id = :id "
            "AND kind IN ('mode_change', 'escalation', :viewing) ORDER BY event_id",
            {"id": conversation_id, "viewing": VIEWING_EVENT},
        )
        listings = tx.fetchall(
            "SELECT external_ref, title, location, price, property_type, bedrooms, availability, "
            "key_selling_points, floor_area_sqft FROM properties WHERE agent_id = :a "
            "ORDER BY property_id",
            {"a": agent.agent_id},
        )
    clean = anonymiser(conversation.contact_name or "", agent.name)
    timeline = _timeline(messages, events, clean)
    persona = agent.persona.model_dump()
    persona["instruction"] = clean(persona.get("instruction") or "")
    scenario = {
        "name": f"conversation {conversation_id} (exported)",
        "description": (
            f"Exported by `wa replay --from-db {conversation_id}` with names and "
            "numbers anonymised. Expected: the same number of assistant messages "
            "per buyer message, the same escalations and the same final mode."
        ),
        "setup": {
            "agents": [
                {
                    "name": AGENT_NAME,
                    "number": AGENT_NUMBER,
                    "timezone": agent.timezone,
                    "persona": persona,
                    "listings": [_listing(row) for row in listings],
                }
            ],
            "buyer": {"phone": BUYER_PHONE, "name": BUYER_NAME},
        },
        "timeline": timeline or [{"pause": "1s"}],
        "expect": {"mode": conversation.current_mode.lower()},
    }
    header = (
        f"# Exported from conversation {conversation_id} on "
        f"{datetime.now(UTC):%Y-%m-%d}; phone numbers, e-mail addresses and names "
        "anonymised.\n"
    )
    return header + yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True, width=100)


def _listing(row: dict[str, Any]) -> dict[str, Any]:
    points = row["key_selling_points"]
    return {
        "ref": row["external_ref"],
        "title": row["title"],
        "location": row["location"],
        "price": int(row["price"]),
        "type": row["property_type"],
        "bedrooms": row["bedrooms"],
        "availability": row["availability"],
        "key_selling_points": json.loads(points) if isinstance(points, str) else points,
        **({"floor_area_sqft": row["floor_area_sqft"]} if row["floor_area_sqft"] else {}),
    }


def _timeline(
    messages: list[dict[str, Any]], events: list[dict[str, Any]], clean: Any
) -> list[dict[str, Any]]:
    """Buyer messages, the agent's messages and operator switches, in order; the assistant's
    messages and escalations become the expectations of the buyer step before them."""
    merged = sorted(
        [("message", _at(m["created_at"]), m["message_id"], m) for m in messages]
        + [("event", _at(e["created_at"]), e["event_id"], e) for e in events],
        key=lambda item: (item[1], item[0] == "message", item[2]),
    )
    steps: list[dict[str, Any]] = []
    last: datetime | None = None
    judged: dict[str, Any] | None = None  # the step whose window the assistant's output falls in
    viewings = 0

    def add(step: dict[str, Any], at: datetime) -> dict[str, Any]:
        nonlocal last
        if last is not None:
            step["after"] = _seconds(at - last)
        last = at
        steps.append(step)
        return step

    for kind, at, _, row in merged:
        if kind == "message":
            sender, text = row["sender_type"], clean(row["text"] or "")
            if sender == "USER":
                message: dict[str, Any] = {"text": text}
                if row["type_message"] != "textMessage":
                    message["type"] = (
                        row["type_message"]
                        if row["type_message"] in SHORTHAND_TYPES
                        else "stickerMessage"
                    )
                judged = add({"buyer": message, "expect": {"replies": 0}}, at)
            elif sender == "AI" and row["status"] in ("sent", "delivered", "read"):
                if judged is not None:  # the replies a step gets (one a human step had not
                    # counted on: a reply after the agent handed back)
                    judged["expect"]["replies"] = judged["expect"].get("replies", 0) + 1
            elif sender == "HUMAN":
                typed = '"typeWebhook": "outgoingMessageReceived"' in (row["raw_payload"] or "")
                if typed:
                    judged = add({"phone": text}, at)
                elif row["status"] in ("failed", "discarded"):  # never reached the buyer: the
                    # takeover it made stays, the message does not
                    toggle = {"toggle": "human", "reason": "the agent's message could not be sent"}
                    note = f"the agent's message was {row['status']}: {text[:80]}"
                    judged = add({"note": note, "operator": toggle}, at)
                else:
                    judged = add({"operator": {"send": text}}, at)
                judged["expect"] = {"mode": "human"}
            continue
        detail = json.loads(row["detail"]) if isinstance(row["detail"], str) else row["detail"]
        if row["kind"] == "escalation" and judged is not None:
            judged["expect"]["escalation"] = str(detail.get("trigger"))
        elif row["kind"] == VIEWING_EVENT and judged is not None:
            viewings += 1
            judged["expect"]["viewings"] = viewings  # a total so far
        elif (
            row["kind"] == "mode_change"
            and str(detail.get("actor", "")).startswith(OPERATOR_ACTORS)
            and detail.get("reason") not in SEND_TAKEOVERS  # the send step says it already
        ):
            judged = add(
                {
                    "operator": {
                        "toggle": str(detail.get("to")).lower(),
                        "reason": clean(str(detail.get("reason") or "operator")),
                    },
                    "expect": {"mode": str(detail.get("to")).lower()},
                },
                at,
            )
    return steps
