"""The invariants of DESIGN.md, checked from the outside: what reached the (fake) Green API and
what the database holds. Every replay ends with these; the property-based tests check them
after every step of every interleaving they try.

1. One reply per user turn: every message that reached Green API is one row of ours, sent once;
   between two buyer messages the assistant says at most one thing (a reply or the handoff).
2. No reply after takeover: after a switch to HUMAN returned (to an operator, or a message typed
   on the phone was accepted), no assistant message for that chat reached Green API until a
   switch back to AI.
3. Order: a conversation's replies answer its turns in arrival order.
4. Nothing accepted is lost: once everything has run, no turn is left pending or running,
   every buyer message that starts a turn is answered (or handed over), and the last escalation
   of each conversation got its handoff message to Green API (a crash between the switch and the
   send must not lose it) unless the agent took over since, or Green API refused it (then the
   incident says so).
5. Mode changes are whole: each one is one `mode_change` event, the version counts them, and no
   follow-up is pending in HUMAN mode.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from execution import send_keys
from execution.store import Store, Tx
from execution.turn_queue import SILENT_TYPES
from replay.fake_greenapi import FakeGreenApi


@dataclass(frozen=True)
class Switch:
    """A mode switch an outsider made, and when (time.monotonic()) its call returned."""

    conversation_id: int
    mode: Literal["AI", "HUMAN"]
    returned_at: float


@dataclass(frozen=True)
class Violation:
    invariant: str
    detail: str

    def __str__(self) -> str:
        return f"{self.invariant}: {self.detail}"


def check_invariants(
    store: Store, fake: FakeGreenApi, switches: list[Switch], *, settled: bool = True
) -> list[Violation]:
    """`settled`: every due turn has run (invariant 4 can only be judged then)."""
    found: list[Violation] = []
    sends = [r for r in fake.sent("sendMessage") if r.id_message]
    with store.read() as tx:
        rows = {
            row["green_message_id"]: row
            for row in tx.fetchall(
                "SELECT message_id, conversation_id, sender_type, idempotency_key, "
                "green_message_id FROM messages WHERE direction = 'out' "
                "AND green_message_id IS NOT NULL"
            )
        }
        buyer = tx.fetchall(
            "SELECT m.message_id, m.conversation_id, m.type_message, m.deleted_at, c.chat_id "
            "FROM messages m JOIN conversations c ON c.conversation_id = m.conversation_id "
            "WHERE m.sender_type = 'USER' ORDER BY m.message_id"
        )
        conversations = tx.fetchall(
            "SELECT conversation_id, chat_id, current_mode, mode_version, answered_through "
            "FROM conversations"
        )
        mode_events = tx.fetchall(
            "SELECT conversation_id, detail FROM events WHERE kind = 'mode_change' "
            "ORDER BY event_id"
        )
        open_turns = tx.fetchall(
            "SELECT turn_id, conversation_id, status FROM turns "
            "WHERE status IN ('pending', 'running')"
        )
        lost_handoffs = _lost_handoffs(tx) if settled else []
        human_followups = tx.fetchall(
            "SELECT f.conversation_id, COUNT(*) AS n FROM followups f JOIN conversations c "
            "ON c.conversation_id = f.conversation_id WHERE f.status = 'pending' "
            "AND c.current_mode = 'HUMAN' GROUP BY f.conversation_id"
        )

    # 1. one reply per turn
    seen_rows: dict[int, int] = {}
    for record in sends:
        row = rows.get(record.id_message)
        if row is None:
            found.append(
                Violation(
                    "1 one reply per turn",
                    f"{record.id_message} reached Green API but no sent message "
                    f"of ours has that id: {record.body.get('message')!r}",
                )
            )
            continue
        seen_rows[row["message_id"]] = seen_rows.get(row["message_id"], 0) + 1
    for message_id, times in seen_rows.items():
        if times > 1:
            found.append(
                Violation(
                    "1 one reply per turn", f"message {message_id} reached Green API {times} times"
                )
            )
    assistant = sorted(
        (
            rows[r.id_message]
            for r in sends
            if r.id_message in rows and rows[r.id_message]["sender_type"] == "AI"
        ),
        key=lambda row: row["message_id"],
    )
    by_conversation: dict[int, list[int]] = {}
    for row in buyer:
        by_conversation.setdefault(row["conversation_id"], []).append(row["message_id"])
    last_said: dict[int, int] = {}
    for row in assistant:
        cid = row["conversation_id"]
        latest = max((m for m in by_conversation.get(cid, []) if m < row["message_id"]), default=0)
        if latest and last_said.get(cid) == latest:
            found.append(
                Violation(
                    "1 one reply per turn",
                    f"conversation {cid}: two assistant messages after buyer "
                    f"message {latest} ({row['idempotency_key']})",
                )
            )
        last_said[cid] = latest

    # 2. no reply after takeover
    for record in sends:
        row = rows.get(record.id_message)
        if row is None or row["sender_type"] != "AI":
            continue
        human_since = _human_at(switches, row["conversation_id"], record.at)
        if human_since is not None:
            found.append(
                Violation(
                    "2 no reply after takeover",
                    f"conversation {row['conversation_id']}: assistant message "
                    f"{record.body.get('message')!r} reached Green API "
                    f"{record.at - human_since:.3f}s after the switch to HUMAN "
                    "returned",
                )
            )

    # 3. order
    stems: dict[int, int] = {}
    for record in sends:
        row = rows.get(record.id_message)
        key = (row or {}).get("idempotency_key") or ""
        if row is None or row["sender_type"] != "AI" or not send_keys.is_turn(key):
            continue
        answered = int(key.split(":")[2])
        cid = row["conversation_id"]
        if answered < stems.get(cid, 0):
            found.append(
                Violation(
                    "3 order",
                    f"conversation {cid}: a reply to message {answered} "
                    f"went out after one to {stems[cid]}",
                )
            )
        stems[cid] = max(stems.get(cid, 0), answered)

    # 4. nothing accepted is lost
    if settled:
        for turn in open_turns:
            found.append(
                Violation(
                    "4 nothing lost",
                    f"turn {turn['turn_id']} of conversation "
                    f"{turn['conversation_id']} is still "
                    f"{turn['status']}",
                )
            )
        through = {c["conversation_id"]: int(c["answered_through"]) for c in conversations}
        for row in buyer:
            if (
                row["type_message"] in SILENT_TYPES
                or row["deleted_at"] is not None
                or str(row["chat_id"]).endswith("@g.us")
            ):
                continue
            if row["message_id"] > through.get(row["conversation_id"], 0):
                found.append(
                    Violation(
                        "4 nothing lost",
                        f"buyer message {row['message_id']} of conversation "
                        f"{row['conversation_id']} was never answered",
                    )
                )

        found += [Violation("4 nothing lost", lost) for lost in lost_handoffs]

    # 5. mode changes are whole
    counted: dict[int, list[str]] = {}
    for event in mode_events:
        counted.setdefault(event["conversation_id"], []).append(_to(event["detail"]))
    for conversation in conversations:
        cid = conversation["conversation_id"]
        changes = counted.get(cid, [])
        if int(conversation["mode_version"]) != len(changes):
            found.append(
                Violation(
                    "5 whole mode changes",
                    f"conversation {cid}: version {conversation['mode_version']} "
                    f"but {len(changes)} mode_change event(s)",
                )
            )
        if changes and changes[-1] != conversation["current_mode"]:
            found.append(
                Violation(
                    "5 whole mode changes",
                    f"conversation {cid} is {conversation['current_mode']} but its "
                    f"last mode_change says {changes[-1]}",
                )
            )
    for row in human_followups:
        found.append(
            Violation(
                "5 whole mode changes",
                f"conversation {row['conversation_id']} is HUMAN with {row['n']} "
                "follow-up(s) still pending",
            )
        )
    return found


def _lost_handoffs(tx: Tx) -> list[str]:
    """The last escalation of each conversation whose handoff message never reached Green API
    (no row, or one left pending) though it was this escalation's to send (it made the switch)
    and the agent has not taken over since (a later mode change or request for HUMAN, or a
    message of theirs)."""
    lost = []
    for escalation in tx.fetchall(
        "SELECT conversation_id AS cid, MAX(event_id) AS event_id FROM events "
        "WHERE kind = 'escalation' GROUP BY conversation_id"
    ):
        cid, event_id = escalation["cid"], escalation["event_id"]
        detail = _detail(
            tx.scalar("SELECT detail FROM events WHERE event_id = :e", {"e": event_id})
        )
        if detail.get("handoff_message") is False:
            continue  # someone else switched first: the handoff was rightly never sent
        key = send_keys.handoff(str(detail.get("turn_id")))
        handoff = tx.fetchone(
            "SELECT message_id, status FROM messages WHERE idempotency_key = :key", {"key": key}
        )
        if handoff is not None and handoff["status"] != "pending":
            continue  # sent, or refused by Green API (an incident tells the agent)
        switched = tx.scalar(  # a switch, or someone asking for HUMAN again
            "SELECT COUNT(*) FROM events WHERE conversation_id = :c "
            "AND kind IN ('mode_change', 'mode_confirmed') AND event_id > :e",
            {"c": cid, "e": event_id},
        )
        wrote = handoff is not None and tx.scalar(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = :c "
            "AND sender_type = 'HUMAN' AND message_id > :m",
            {"c": cid, "m": handoff["message_id"]},
        )
        if not switched and not wrote:
            lost.append(
                f"conversation {cid}: the handoff of its last escalation ({key}) is "
                f"{'missing' if handoff is None else 'pending'}: never sent, and the agent "
                "has not taken over"
            )
    return lost


def _detail(value: object) -> dict[str, Any]:
    data = value if isinstance(value, dict) else json.loads(str(value or "{}"))
    return data if isinstance(data, dict) else {}


def _human_at(switches: list[Switch], conversation_id: int, at: float) -> float | None:
    """When the last switch before `at` made the conversation HUMAN (None: it was AI then)."""
    state: float | None = None
    for switch in switches:
        if switch.conversation_id != conversation_id or switch.returned_at > at:
            continue
        state = switch.returned_at if switch.mode == "HUMAN" else None
    return state


def _to(detail: object) -> str:
    return str(_detail(detail).get("to"))
