"""What the system did, read from the outside: the fake Green API's wire and the database.

The transcript's lines (tool calls, sends and refused attempts, mode changes, escalations,
discarded replies), what one step produced for one conversation (`Observed`, for the
expectations), and a scenario's totals.
"""

from __future__ import annotations

import json
from typing import Any

from execution.store import Store
from execution.viewings import EVENT as VIEWING_EVENT
from replay.expectations import Observed
from replay.fake_greenapi import FakeGreenApi, Recorded

LATE_PREFIX = "LATE"
"""idMessage prefix of a send the fake took but answered too late (`timeout_after_send`)."""


class Observer:
    def __init__(self, store: Store, fake: FakeGreenApi) -> None:
        self.store = store
        self.fake = fake
        self.seen_fake = 0
        self.seen_event = 0
        self.seen_run = 0

    def last_event(self) -> int:
        with self.store.read() as tx:
            return int(tx.scalar("SELECT COALESCE(MAX(event_id), 0) FROM events"))

    def harvest(self) -> list[tuple[str, str, str]]:
        """What the system did since the last look, as transcript lines (who, text, chat): tool
        calls, refused send attempts, mode changes and escalations, then the sends."""
        lines: list[tuple[str, str, str]] = []
        with self.store.read() as tx:
            tools = tx.fetchall(
                "SELECT r.run_id, s.tool, s.arguments, s.is_error, s.result FROM runs r "
                "JOIN run_steps s ON s.run_id = r.run_id WHERE r.run_id > :after "
                "AND s.kind = 'tool' ORDER BY r.run_id, s.step",
                {"after": self.seen_run},
            )
            self.seen_run = int(tx.scalar("SELECT COALESCE(MAX(run_id), 0) FROM runs"))
            events = tx.fetchall(
                "SELECT event_id, conversation_id, kind, detail FROM events "
                "WHERE event_id > :after ORDER BY event_id",
                {"after": self.seen_event},
            )
            requests = self.fake.requests[self.seen_fake :]
            ids = [r.id_message for r in requests if r.id_message]
            rows = {
                row["green_message_id"]: row
                for row in (
                    tx.fetchall(
                        "SELECT green_message_id, sender_type, idempotency_key FROM messages "
                        f"WHERE green_message_id IN ({_placeholders(len(ids))})",
                        {f"i{n}": value for n, value in enumerate(ids)},
                    )
                    if ids
                    else []
                )
            }
        self.seen_fake += len(requests)
        if events:
            self.seen_event = int(events[-1]["event_id"])
        for run_id in dict.fromkeys(t["run_id"] for t in tools):
            calls = [_tool_summary(t) for t in tools if t["run_id"] == run_id]
            lines.append(("tool", "; ".join(calls), ""))
        sends = [r for r in requests if r.method == "sendMessage"]
        for record in sends:  # refused attempts first: they are what a failure handoff follows
            if record.answered != 200 or not _in_time(record):
                what = record.answered if _in_time(record) else f"{record.answered}, too late"
                chat = str(record.body.get("chatId", ""))
                lines.append(("system", f"(Green API answered {what or 'nothing'})", chat))
        for event in events:  # before the sends: a handoff follows its escalation
            text = _event_text(event["kind"], _json(event["detail"]))
            if text:
                lines.append(("system", text, ""))
        for record in sends:
            if record.answered != 200:
                continue
            chat = str(record.body.get("chatId", ""))
            row = rows.get(record.id_message)
            who = "assistant" if row is None or row["sender_type"] == "AI" else "human"
            lines.append((who, str(record.body.get("message", "")), chat))
        return lines

    def observe(
        self,
        agent_id: int,
        instance: str,
        conversation: int | None,
        chat: str,
        fake_start: int,
        event_start: int,
        answers: list[str],
    ) -> Observed:
        """What happened to one conversation since `fake_start` (sends) and `event_start`
        (escalations), and its totals so far."""
        requests = self.fake.requests[fake_start:]
        sends = [
            r
            for r in requests
            if r.method == "sendMessage"
            and r.answered == 200
            and r.instance == instance
            and r.body.get("chatId") == chat
        ]
        with self.store.read() as tx:
            ours = tx.fetchall(
                "SELECT green_message_id, text, sender_type FROM messages "
                "WHERE conversation_id = :c AND direction = 'out'",
                {"c": conversation or 0},
            )
            mode = tx.scalar(
                "SELECT current_mode FROM conversations WHERE conversation_id = :c",
                {"c": conversation or 0},
            )
            escalations = [
                _json(row["detail"])
                for row in tx.fetchall(
                    "SELECT detail FROM events WHERE kind = 'escalation' AND conversation_id = :c "
                    "AND event_id > :after ORDER BY event_id",
                    {"c": conversation or 0, "after": event_start},
                )
            ]
            followups = _counts(
                tx.fetchall(
                    "SELECT status, COUNT(*) AS n FROM followups WHERE conversation_id = :c "
                    "GROUP BY status",
                    {"c": conversation or 0},
                )
            )
            turns = _counts(
                tx.fetchall(
                    "SELECT status, COUNT(*) AS n FROM turns WHERE conversation_id = :c "
                    "GROUP BY status",
                    {"c": conversation or 0},
                )
            )
            viewings = int(
                tx.scalar(  # viewing requests, for the agent to confirm
                    "SELECT COUNT(*) FROM events WHERE conversation_id = :c AND kind = :kind",
                    {"c": conversation or 0, "kind": VIEWING_EVENT},
                )
            )
            incidents = int(
                tx.scalar("SELECT COUNT(*) FROM incidents WHERE agent_id = :a", {"a": agent_id})
            )
        return Observed(
            replies=[str(r.body.get("message", "")) for r in sends if _sender(r, ours) == "AI"],
            human=[str(r.body.get("message", "")) for r in sends if _sender(r, ours) != "AI"],
            mode=str(mode).lower() if mode else None,
            escalations=escalations,
            followups=followups,
            turns=turns,
            viewings=viewings,
            incidents=incidents,
            webhook=answers,
        )

    def stats(self, answers: dict[str, int]) -> dict[str, int]:
        """A scenario's totals: the webhook's answers, sends, turns, escalations..."""
        with self.store.read() as tx:
            events = _counts(
                tx.fetchall("SELECT kind AS status, COUNT(*) AS n FROM events GROUP BY kind")
            )
            turns = _counts(tx.fetchall("SELECT status, COUNT(*) AS n FROM turns GROUP BY status"))
        sends = [r for r in self.fake.sent("sendMessage") if r.id_message]
        return {
            "webhooks_stored": answers.get("stored", 0),
            "webhooks_duplicate": answers.get("duplicate", 0),
            "webhooks_rejected": answers.get("rejected", 0),
            "messages_sent": len(sends),
            "turns_done": turns.get("done", 0),
            "turns_superseded": turns.get("superseded", 0),
            "turns_failed": turns.get("failed", 0),
            "escalations": events.get("escalation", 0),
            "mode_changes": events.get("mode_change", 0),
            "sends_discarded": events.get("send_discarded", 0),
            "greenapi_refusals": sum(
                1 for r in self.fake.requests if r.method == "sendMessage" and r.answered != 200
            ),
        }


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        loaded = json.loads(value or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _placeholders(count: int) -> str:
    return ", ".join(f":i{n}" for n in range(count))


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {str(row["status"]): int(row["n"]) for row in rows}


def _tool_summary(step: dict[str, Any]) -> str:
    args = _json(step["arguments"])
    shown = ", ".join(f"{k}={v!r}" for k, v in args.items() if k not in ("limit",))
    if step["is_error"]:
        return f"{step['tool']}({shown}) -> error"
    try:
        result = json.loads(step["result"] or "null")
    except ValueError:
        result = None
    found = f"{len(result)} result(s)" if isinstance(result, list) else "ok"
    return f"{step['tool']}({shown}) -> {found}"


def _event_text(kind: str, detail: dict[str, Any]) -> str | None:
    if kind == "mode_change":
        return f"mode -> {detail.get('to')} ({detail.get('reason')})"
    if kind == "escalation":
        return f"escalated: {detail.get('trigger')} ({detail.get('evidence')})"
    if kind == "send_discarded":
        return f"reply discarded: {detail.get('reason')}"
    if kind == VIEWING_EVENT:
        return f"viewing requested: {detail.get('title')}"
    if kind == "delivery_failed":
        return f"delivery failed: {detail.get('description') or detail.get('status')}"
    return None


def _sender(record: Recorded, ours: list[dict[str, Any]]) -> str:
    """Who sent what reached Green API: the stored message with its idMessage, else (a send
    whose answer never came back, then retried) the stored message with its text."""
    by_id = next((m for m in ours if m["green_message_id"] == record.id_message), None)
    text = record.body.get("message")
    row = by_id or next((m for m in ours if m["text"] == text), None)
    return str(row["sender_type"]) if row else "AI"


def _in_time(record: Recorded) -> bool:
    """Whether the sender heard the fake's answer (a `timeout_after_send` one came too late)."""
    return not (record.id_message or "").startswith(LATE_PREFIX)
