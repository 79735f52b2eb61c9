"""The rows a send keeps, one per part, under its idempotency key: claimed in one transaction
(a key used before claims nothing), taken over when their sender died or failed and the
key is tried again, read back for a second call with the key, and marked sent, in doubt,
failed or discarded; and the events a send records."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from execution.agents import Agent, find_agent
from execution.audit import record_event
from execution.clock import utcnow
from execution.conversations import Conversation, find_conversation
from execution.errors import ValidationError
from execution.send_keys import LIKE_ESCAPE, is_from_caller, later_parts_like
from execution.store import Store, Tx

log = logging.getLogger("execution.send_whatsapp_message")  # one log for the whole send

Sender = Literal["AI", "HUMAN"]
DUPLICATE_WAIT_S = 30.0
ABANDONED_AFTER_S = 120.0
"""A pending outbound row this old has lost its sender: longer than any live send can take
(the guard wait, three Green API attempts and their backoff)."""


@dataclass
class SendResult:
    conversation_id: int
    idempotency_key: str
    status: Literal["sent", "discarded", "failed", "pending"]
    parts: int
    message_ids: list[int] = field(default_factory=list)
    green_message_ids: list[str] = field(default_factory=list)
    reason: str | None = None
    duplicate: bool = False
    """True when an earlier call with this key did the work (nothing was sent now)."""
    rate_limited: bool = False
    """It failed because Green API still answered 429 (rate limited) when the retries ran out:
    nothing is wrong with the message, so it is worth trying again later."""


def claim_rows(
    store: Store,
    conversation_id: int,
    parts: list[str],
    keys: list[str],
    sender: Sender,
    expected_mode_version: int | None,
    on_claim: Callable[[Tx], None] | None = None,
) -> tuple[Conversation, Agent, list[int]] | None:
    """Write the outbound rows (status pending) unless this key was used before: then None."""
    with store.transaction() as tx:
        conversation = find_conversation(tx, conversation_id)
        agent = find_agent(tx, conversation.agent_id)
        row_ids: list[int] = []
        for key, part in zip(keys, parts, strict=True):
            row = tx.fetchone(
                "INSERT INTO messages (agent_id, conversation_id, direction, sender_type, text, "
                "idempotency_key, status, mode_version, created_at) VALUES (:agent_id, "
                ":conversation_id, 'out', :sender, :text, :key, 'pending', :mode_version, :now) "
                "ON CONFLICT (idempotency_key) DO NOTHING RETURNING message_id",
                {
                    "agent_id": conversation.agent_id,
                    "conversation_id": conversation_id,
                    "sender": sender,
                    "text": part,
                    "key": key,
                    "now": utcnow(),
                    "mode_version": expected_mode_version
                    if expected_mode_version is not None
                    else conversation.mode_version,
                },
            )
            if row is None:
                if not row_ids:
                    return None  # the key is taken: an earlier (or concurrent) call owns it
                raise ValidationError(f"idempotency key {key!r} is already used by another send")
            row_ids.append(int(row["message_id"]))
        if on_claim is not None:
            on_claim(tx)
    return conversation, agent, row_ids


def take_over_rows(
    store: Store, conversation_id: int, key: str, parts: list[str], retry_failed: bool = False
) -> tuple[Conversation, Agent, list[int], list[str], int | None, bool] | None:
    """The send that owns `key` stopped mid-way (its process died between writing the rows
    and hearing back from Green API) if its rows are still pending after `ABANDONED_AFTER_S`,
    or a caller's send (`wa send`, the operator API) failed and is tried again with the same
    text (`parts`; another text under the same key is refused), or a system send failed and
    `retry_failed` asks for it again (a turn's reply after a rate limit). Then this call
    takes the rows over, atomically, and sends their original text under the mode version
    they were written for, and says whether they are in doubt (abandoned: the earlier process
    may have sent them, so they are looked for before being sent: `send_confirm`; if Green API
    did receive them, their echo may already have marked them sent: see `webhook/handlers.py`).
    A key another conversation owns is not found here (`_result_of_earlier_call` says so)."""
    stale = utcnow() - timedelta(seconds=ABANDONED_AFTER_S)
    with store.transaction() as tx:
        rows = tx.fetchall(  # within the conversation: its index, not a scan for the LIKE
            "SELECT message_id, status, text, mode_version FROM messages "
            "WHERE conversation_id = :cid AND (idempotency_key = :key OR idempotency_key LIKE "
            f":parts {LIKE_ESCAPE}) ORDER BY message_id",
            {"cid": conversation_id, "key": key, "parts": later_parts_like(key)},
        )
        caller = is_from_caller(key)  # the system's own keys keep their first text
        if caller and rows and [r["text"] for r in rows] != parts:
            raise ValidationError(
                f"idempotency key {key!r} was used for a different message: a retry must send "
                "the same text (a new message needs a new key)"
            )
        retried = caller or retry_failed
        failed = retried and bool(rows) and all(r["status"] == "failed" for r in rows)
        if not rows or not (failed or all(r["status"] == "pending" for r in rows)):
            return None
        # a send Green API refused may be tried again under its key; an abandoned one once
        # nobody has worked it for ABANDONED_AFTER_S
        taken = sum(
            tx.execute(
                "UPDATE messages SET send_started_at = :now, status = 'pending', error = NULL "
                "WHERE message_id = :id AND (status = 'failed' OR (status = 'pending' "
                "AND COALESCE(send_started_at, created_at) < :stale))",
                {"now": utcnow(), "id": r["message_id"], "stale": stale},
            )
            for r in rows
        )
        if taken != len(rows):
            return None  # still in flight, or another caller took it over first
        conversation = find_conversation(tx, conversation_id)
        agent = find_agent(tx, conversation.agent_id)
    how = "retrying failed" if failed else "resuming abandoned"
    log.warning("%s send %s (%d part(s))", how, key, len(rows))
    return (
        conversation,
        agent,
        [r["message_id"] for r in rows],
        [r["text"] for r in rows],
        rows[0]["mode_version"],
        not (failed and caller),  # a system send retried after a failure is looked for first:
        # a sweeper marked it failed after one look at a journal that may have lagged
    )


async def result_of_earlier_call(store: Store, conversation_id: int, keys: list[str]) -> SendResult:
    """Wait (bounded) for the call that owns these keys to finish, and report what it did."""
    deadline = asyncio.get_running_loop().time() + DUPLICATE_WAIT_S
    while True:
        with store.read() as tx:
            rows = [
                tx.fetchone(
                    "SELECT message_id, conversation_id, status, green_message_id, error "
                    "FROM messages WHERE idempotency_key = :key",
                    {"key": key},
                )
                for key in keys
            ]
        found = [row for row in rows if row is not None]
        if found and found[0]["conversation_id"] != conversation_id:
            raise ValidationError(f"idempotency key {keys[0]!r} belongs to another conversation")
        statuses = {row["status"] for row in found}
        if "pending" not in statuses or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.02)
    status = (
        "pending"
        if "pending" in statuses
        else "discarded"
        if "discarded" in statuses
        else "failed"
        if "failed" in statuses
        else "sent"
    )
    return SendResult(
        conversation_id,
        keys[0],
        status,  # type: ignore[arg-type]
        len(keys),
        [int(row["message_id"]) for row in found],
        [row["green_message_id"] for row in found if row["green_message_id"]],
        next((row["error"] for row in found if row["error"]), None),
        duplicate=True,
    )


def mark_sent(
    store: Store, row_id: int, green_id: str, attempts: int, conversation_id: int
) -> None:
    with store.transaction() as tx:
        tx.execute(
            "UPDATE messages SET status = 'sent', green_message_id = :green_id, "
            "attempts = :attempts, error = NULL, sent_at = :now WHERE message_id = :id",
            {"green_id": green_id, "attempts": attempts, "id": row_id, "now": utcnow()},
        )
        tx.execute(
            "UPDATE conversations SET last_message_at = :now WHERE conversation_id = :id",
            {"id": conversation_id, "now": utcnow()},
        )


def leave_in_doubt(store: Store, row_ids: list[int], error: str, attempts: int) -> None:
    """Rows that may have reached the buyer stay pending (a retry of the key resolves them),
    with why; the clock of their abandonment starts now."""
    with store.transaction() as tx:
        for n, row_id in enumerate(row_ids):
            tx.execute(
                "UPDATE messages SET error = :error, attempts = :attempts, send_started_at = :now "
                "WHERE message_id = :id AND status = 'pending'",
                {
                    "error": f"in doubt: {error}"
                    if n == 0
                    else "not sent: an earlier part is in doubt",
                    "attempts": attempts if n == 0 else 0,
                    "id": row_id,
                    "now": utcnow(),
                },
            )


def finish_rest(store: Store, row_ids: list[int], status: str, error: str, attempts: int) -> None:
    with store.transaction() as tx:
        for n, row_id in enumerate(row_ids):
            tx.execute(
                "UPDATE messages SET status = :status, error = :error, attempts = :attempts "
                "WHERE message_id = :id",
                {
                    "status": status,
                    "error": error if n == 0 else f"not sent: an earlier part was {status}",
                    "attempts": attempts if n == 0 else 0,
                    "id": row_id,
                },
            )


def record_send(
    store: Store, conversation: Conversation, kind: str, key: str, sender: str, reason: str
) -> None:
    with store.transaction() as tx:
        record_event(
            tx,
            kind,
            {"idempotency_key": key, "sender": sender, "reason": reason},
            agent_id=conversation.agent_id,
            conversation_id=conversation.conversation_id,
        )
