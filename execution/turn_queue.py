"""The turn queue: buyer turns waiting to be answered, durable in the database.

The webhook schedules a turn in the same transaction that stores the buyer's message, so a 200
means the work exists. Any process may take a due turn (`start`: an atomic pending -> running
with a lease); the caller holds the conversation's turn lock while it runs, so turns of one
conversation run one at a time. A conversation has at most one pending turn: messages that
arrive while it waits out the debounce join it (burst coalescing). A turn answers every buyer
message after the conversation's `answered_through` up to its `last_message_id`, so a turn redone
after a crash or a supersede still covers everything the buyer said, in order.

    with store.transaction() as tx:
        schedule_turn(tx, agent_id, conversation_id, message_id, debounce=2.0)
    job = start_turn(store, turn_id, owner="host:pid", lease=30)
    ... answer turn_messages(store, job) ...
    finish_turn(store, job, "done", "replied")
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from execution import send_keys
from execution.clock import utcnow
from execution.store import IntegrityError, Row, Store, Tx

DEBOUNCE_CAP = 4
"""A burst never delays its turn more than this many debounce windows after its first message."""
SILENT_TYPES = ("reactionMessage", "pollUpdateMessage")
"""Stored buyer messages that never start or join a turn."""

FinalStatus = Literal["done", "superseded", "failed"]


@dataclass(frozen=True)
class TurnJob:
    turn_id: int
    agent_id: int
    conversation_id: int
    last_message_id: int
    message_count: int
    attempts: int
    lease_owner: str | None

    @property
    def key(self) -> str:
        """The idempotency stem of this turn's sends: derived from what it answers, never the
        clock, so a turn redone after a crash cannot send twice."""
        return send_keys.turn(self.conversation_id, self.last_message_id)


_JOB_COLUMNS = (
    "turn_id, agent_id, conversation_id, last_message_id, message_count, attempts, lease_owner"
)


def _job(row: Row) -> TurnJob:
    return TurnJob(**{k: row[k] for k in TurnJob.__dataclass_fields__})


def schedule_turn(
    tx: Tx,
    agent_id: int,
    conversation_id: int,
    message_id: int,
    *,
    debounce: float,
    now: datetime | None = None,
) -> None:
    """Make sure a pending turn covers `message_id`: join the conversation's pending turn (and
    push its due time `debounce` seconds out, within the cap) or create one."""
    now = now or utcnow()
    tx.execute(
        "INSERT INTO turns (agent_id, conversation_id, last_message_id, due_at, due_cap) "
        "VALUES (:agent_id, :conversation_id, :message_id, :due, :cap) "
        "ON CONFLICT (conversation_id) WHERE status = 'pending' DO UPDATE SET "
        "last_message_id = CASE WHEN excluded.last_message_id > turns.last_message_id "
        "    THEN excluded.last_message_id ELSE turns.last_message_id END, "
        "message_count = turns.message_count + 1, "
        "due_at = CASE WHEN excluded.due_at < turns.due_cap "
        "    THEN excluded.due_at ELSE turns.due_cap END",
        {
            "agent_id": agent_id,
            "conversation_id": conversation_id,
            "message_id": message_id,
            "due": now + timedelta(seconds=debounce),
            "cap": now + timedelta(seconds=debounce * DEBOUNCE_CAP),
        },
        prepare=True,
    )


def due_turns(store: Store, limit: int, now: datetime | None = None) -> list[TurnJob]:
    """Pending turns whose debounce is over, oldest due first."""
    with store.read() as tx:
        rows = tx.fetchall(
            f"SELECT {_JOB_COLUMNS} FROM turns WHERE status = 'pending' AND due_at <= :now "
            "ORDER BY due_at, turn_id LIMIT :limit",
            {"now": now or utcnow(), "limit": limit},
        )
    return [_job(row) for row in rows]


def next_due(store: Store) -> datetime | None:
    """When the earliest pending turn is due (None: nothing is pending)."""
    with store.read() as tx:
        when = tx.scalar(  # the column itself, not MIN(): SQLite converts it to a datetime
            "SELECT due_at FROM turns WHERE status = 'pending' ORDER BY due_at LIMIT 1"
        )
    assert when is None or isinstance(when, datetime)
    return when


def start_turn(store: Store, turn_id: int, owner: str, lease: float) -> TurnJob | None:
    """Take a pending turn (None: another process took it first)."""
    with store.transaction() as tx:
        row = tx.fetchone(
            "UPDATE turns SET status = 'running', lease_owner = :owner, lease_until = :until, "
            "attempts = attempts + 1 WHERE turn_id = :id AND status = 'pending' "
            f"RETURNING {_JOB_COLUMNS}",
            {"id": turn_id, "owner": owner, "until": utcnow() + timedelta(seconds=lease)},
        )
    return _job(row) if row else None


def renew_lease(store: Store, job: TurnJob, lease: float) -> bool:
    """Extend a running turn's lease; False when it is no longer ours."""
    with store.transaction() as tx:
        changed = tx.execute(
            "UPDATE turns SET lease_until = :until "
            "WHERE turn_id = :id AND status = 'running' AND lease_owner = :owner",
            {
                "id": job.turn_id,
                "owner": job.lease_owner,
                "until": utcnow() + timedelta(seconds=lease),
            },
        )
    return changed == 1


def already_answered(store: Store, job: TurnJob) -> bool:
    """Whether a later turn already answered everything this one covers."""
    with store.read() as tx:
        through = tx.scalar(
            "SELECT answered_through FROM conversations WHERE conversation_id = :id",
            {"id": job.conversation_id},
        )
    return int(through or 0) >= job.last_message_id


def finish_turn(store: Store, job: TurnJob, status: FinalStatus, outcome: str) -> None:
    """Close a running turn. `done` and `failed` mark its messages answered (a failed turn has
    handed the chat to the human); `superseded` leaves them for the newer turn."""
    with store.transaction() as tx:
        tx.execute(  # only while still ours: a turn resumed elsewhere is left alone
            "UPDATE turns SET status = :status, outcome = :outcome, finished_at = :now, "
            "lease_until = NULL WHERE turn_id = :id AND status = 'running' "
            "AND lease_owner = :owner",
            {
                "status": status,
                "outcome": outcome[:500],
                "now": utcnow(),
                "id": job.turn_id,
                "owner": job.lease_owner,
            },
        )
        if status != "superseded":
            tx.execute(
                "UPDATE conversations SET answered_through = :through "
                "WHERE conversation_id = :id AND answered_through < :through",
                {"through": job.last_message_id, "id": job.conversation_id},
            )


def release_turn(store: Store, job: TurnJob, why: str, retry_in: float = 0.0) -> None:
    """Give a running turn back: pending again (due in `retry_in` s), or superseded when the
    conversation already has a pending turn (which covers these messages too)."""
    try:
        with store.transaction() as tx:
            if has_pending_turn(tx, job.conversation_id):
                raise _Merge
            tx.execute(
                "UPDATE turns SET status = 'pending', lease_owner = NULL, lease_until = NULL, "
                "due_at = :due, due_cap = :due, outcome = :why "
                "WHERE turn_id = :id AND status = 'running' AND lease_owner = :owner",
                {
                    "due": utcnow() + timedelta(seconds=retry_in),
                    "why": why[:500],
                    "id": job.turn_id,
                    "owner": job.lease_owner,
                },
            )
    except (_Merge, IntegrityError):  # IntegrityError: a webhook made one meanwhile
        finish_turn(store, job, "superseded", f"merged into the pending turn: {why}")


class _Merge(Exception):
    """The conversation has a pending turn already: merge into it instead."""


def has_pending_turn(tx: Tx, conversation_id: int) -> bool:
    """Whether a turn waits: for a running turn, the buyer wrote again (its reply is stale)."""
    count = tx.scalar(
        "SELECT COUNT(*) FROM turns WHERE conversation_id = :id AND status = 'pending'",
        {"id": conversation_id},
    )
    return int(count) > 0


def recover_abandoned(store: Store, *, everything: bool = False) -> int:
    """Running turns whose lease expired (their process died) go back to pending. With
    `everything`, all running turns do: at the start of the only process of an embedded store."""
    with store.read() as tx:
        rows = tx.fetchall(
            f"SELECT {_JOB_COLUMNS} FROM turns WHERE status = 'running' "
            "AND (lease_until IS NULL OR lease_until < :now OR :everything)",
            {"now": utcnow(), "everything": everything},
        )
    for row in rows:
        release_turn(store, _job(row), "resumed after its worker stopped")
    return len(rows)


@dataclass(frozen=True)
class TurnMessage:
    message_id: int
    type_message: str
    text: str | None


def turn_messages(store: Store, job: TurnJob) -> list[TurnMessage]:
    """The buyer messages this turn answers, oldest first (deleted and silent ones left out)."""
    silent = ", ".join(f"'{t}'" for t in SILENT_TYPES)
    with store.read() as tx:
        rows = tx.fetchall(
            "SELECT m.message_id, m.type_message, m.text FROM messages m "
            "JOIN conversations c ON c.conversation_id = m.conversation_id "
            "WHERE m.conversation_id = :id AND m.direction = 'in' "
            "AND m.message_id > c.answered_through AND m.message_id <= :last "
            f"AND m.deleted_at IS NULL AND m.type_message NOT IN ({silent}) "
            "ORDER BY m.message_id",
            {"id": job.conversation_id, "last": job.last_message_id},
        )
    return [TurnMessage(**row) for row in rows]
