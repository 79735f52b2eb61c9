"""Follow-ups: the ladder of check-ins a quiet buyer gets after an assistant reply.

A turn that replied schedules the ladder (24 h, 72 h, 7 days), replacing whatever was pending;
any buyer message cancels it (the next reply schedules a fresh one), and so does a mode change
(`set_mode`, in its own transaction). Rows carry an idempotency key derived from the turn, so a
redone turn schedules nothing twice. Sending them (`wa followups run-due`, through the
`follow_up` directive) comes with the follow-up feature; this module decides *when*.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import typer

from execution.agents import find_agent
from execution.cli_support import JsonOption, cli_store, console, make_app, print_json, print_table
from execution.clock import utcnow
from execution.store import Store, Tx

LADDER: tuple[tuple[str, timedelta], ...] = (
    ("check_in", timedelta(hours=24)),
    ("second_check_in", timedelta(hours=72)),
    ("last_check_in", timedelta(days=7)),
)
Status = Literal["pending", "sent", "cancelled", "failed"]


def cancel_pending(tx: Tx, conversation_id: int, reason: str) -> int:
    """Cancel the conversation's pending follow-ups; how many were."""
    return tx.execute(
        "UPDATE followups SET status = 'cancelled', cancel_reason = :why, done_at = :now "
        "WHERE conversation_id = :id AND status = 'pending'",
        {"why": reason[:500], "now": utcnow(), "id": conversation_id},
    )


def schedule_ladder(
    store: Store, agent_id: int, conversation_id: int, turn_key: str, now: datetime | None = None
) -> int:
    """After a reply: the ladder from now, replacing what was pending; none once the chat is
    HUMAN (a takeover right after the reply; found by the property tests). Returns rows added."""
    now = now or utcnow()
    added = 0
    with store.transaction() as tx:
        # The conversation row first, locked (a no-op write): a mode change either committed
        # before (the chat is HUMAN now: no ladder) or waits for this one and cancels it.
        still_ai = tx.execute(
            "UPDATE conversations SET mode_version = mode_version "
            "WHERE conversation_id = :id AND current_mode = 'AI'",
            {"id": conversation_id},
        )
        if still_ai != 1:
            return 0
        tx.execute(  # an older ladder goes; this turn's own (a redone turn) stays
            "UPDATE followups SET status = 'cancelled', cancel_reason = :why, done_at = :now "
            "WHERE conversation_id = :id AND status = 'pending' "
            "AND idempotency_key NOT LIKE :mine",
            {
                "why": "a newer reply starts a new ladder",
                "now": now,
                "id": conversation_id,
                "mine": f"{turn_key}:followup:%",
            },
        )
        for kind, after in LADDER:
            inserted = tx.execute(
                "INSERT INTO followups (agent_id, conversation_id, due_at, kind, "
                "idempotency_key) VALUES (:agent_id, :cid, :due, :kind, :key) "
                "ON CONFLICT (idempotency_key) DO NOTHING",
                {
                    "agent_id": agent_id,
                    "cid": conversation_id,
                    "due": now + after,
                    "kind": kind,
                    "key": f"{turn_key}:followup:{kind}",
                },
            )
            added += max(0, inserted)
    return added


def list_followups(
    store: Store, agent_id: int | None = None, status: Status | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Follow-ups, soonest due first."""
    where, params = ["1 = 1"], {"limit": limit}
    if agent_id is not None:
        where.append("agent_id = :agent_id")
        params["agent_id"] = agent_id
    if status is not None:
        where.append("status = :status")
        params["status"] = status  # type: ignore[assignment]
    with store.read() as tx:
        return tx.fetchall(
            "SELECT followup_id, agent_id, conversation_id, kind, due_at, status, cancel_reason "
            f"FROM followups WHERE {' AND '.join(where)} ORDER BY due_at, followup_id "
            "LIMIT :limit",
            params,
        )


app = make_app("Follow-ups: the check-ins a quiet buyer gets (scheduled by each reply).")


@app.command("list")
def list_command(
    agent: Annotated[str | None, typer.Option(help="Only this agent's (id or name).")] = None,
    status: Annotated[
        Literal["pending", "sent", "cancelled", "failed", "all"],
        typer.Option(help="Which ones (default: those still to be sent)."),
    ] = "pending",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: bool = JsonOption,
) -> None:
    """List follow-ups, soonest due first."""
    with cli_store() as store:
        agent_id = None
        if agent is not None:
            with store.read() as tx:
                agent_id = find_agent(tx, agent).agent_id
        found = list_followups(store, agent_id, None if status == "all" else status, limit)
    if as_json:
        print_json(found)
        return
    if not found:
        console.print("No follow-ups.")
        return
    print_table(
        "Follow-ups",
        ["id", "conversation", "kind", "due", "status", "why cancelled"],
        [
            (
                f["followup_id"],
                f["conversation_id"],
                f["kind"],
                f["due_at"],
                f["status"],
                f["cancel_reason"] or "",
            )
            for f in found
        ],
    )


if __name__ == "__main__":
    app()
