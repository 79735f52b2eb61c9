"""Resolve outbound messages left pending for good: the stored history must match the chat.

A row stays pending when its sender stopped between writing it and hearing from Green API (a
kill -9, the database down between Green API's 200 and the row's update, a send left in doubt
by an unreadable journal) and nothing retries its key: a one-off `wa send`, an operator API
call, a turn that gave up. Once such a row is older than any live send can be (the abandoned
window plus the journal's lag), the sweeper asks Green API's journal once: the text is there
-> the row is `sent` under that idMessage (`send_confirmed`); it is not -> it never reached
Green API, the row is `failed` (`send_failed`), and a retry of a caller's key may send it.
Green API unreadable -> left for the next sweep. `wa serve` and `wa worker` sweep every
minute; `wa sends resolve` sweeps once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from execution.agents import find_agent
from execution.audit import record_event
from execution.cli_support import JsonOption, console, make_app, print_json
from execution.clock import utcnow
from execution.errors import WaError
from execution.greenapi_errors import GreenApiError
from execution.runtime import Runtime, open_runtime
from execution.send_confirm import known_message_ids
from execution.send_rows import ABANDONED_AFTER_S
from execution.send_whatsapp_message import RESUMED_LOOKBACK_S

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 60.0
MARGIN_S = 60.0
BATCH = 50


@dataclass
class Resolution:
    message_id: int
    conversation_id: int
    outcome: Literal["sent", "failed", "unknown"]
    green_message_id: str | None = None
    reason: str | None = None


def stuck_after(rt: Runtime) -> float:
    """Seconds after which a pending row can no longer belong to a live send."""
    return ABANDONED_AFTER_S + rt.settings.greenapi_journal_lag_seconds + MARGIN_S


async def resolve_stuck_sends(rt: Runtime, *, older_than: float | None = None) -> list[Resolution]:
    """Resolve up to `BATCH` pending outbound rows older than `older_than` seconds (default:
    `stuck_after`), oldest first."""
    stale = utcnow() - timedelta(seconds=stuck_after(rt) if older_than is None else older_than)
    with rt.store.read() as tx:
        rows = tx.fetchall(
            "SELECT m.message_id, m.conversation_id, m.agent_id, m.text, c.chat_id "
            "FROM messages m JOIN conversations c ON c.conversation_id = m.conversation_id "
            "WHERE m.direction = 'out' AND m.status = 'pending' "
            "AND COALESCE(m.send_started_at, m.created_at) < :stale "
            "ORDER BY m.message_id LIMIT :limit",
            {"stale": stale, "limit": BATCH},
        )
    done = []
    for row in rows:
        done.append(await _resolve(rt, row, stale))
    return done


async def _resolve(rt: Runtime, row: dict[str, object], stale: object) -> Resolution:
    message_id, cid = int(str(row["message_id"])), int(str(row["conversation_id"]))
    with rt.store.read() as tx:
        agent = find_agent(tx, int(str(row["agent_id"])))
    known = known_message_ids(rt.store, cid)
    instance = rt.instance_of(agent)
    try:
        found = await rt.greenapi.find_sent(
            instance, str(row["chat_id"]), str(row["text"]), time.time() - RESUMED_LOOKBACK_S, known
        )
    except GreenApiError as exc:
        log.warning("message %s is still in doubt: %s", message_id, exc)
        return Resolution(message_id, cid, "unknown", reason=str(exc))
    outcome: Literal["sent", "failed"] = "sent" if found else "failed"
    reason = None if found else "never reached Green API (found neither queued nor sent)"
    with rt.store.transaction() as tx:
        changed = tx.execute(  # unless someone took the row over meanwhile (it is fresh then)
            "UPDATE messages SET status = :status, green_message_id = :green_id, error = :error, "
            "sent_at = :sent_at WHERE message_id = :id AND status = 'pending' "
            "AND COALESCE(send_started_at, created_at) < :stale",
            {
                "status": outcome,
                "green_id": found,
                "error": reason,
                "sent_at": utcnow() if found else None,
                "id": message_id,
                "stale": stale,
            },
        )
        if changed:
            record_event(
                tx,
                "send_confirmed" if found else "send_failed",
                {
                    "message_id": message_id,
                    "green_message_id": found,
                    "reason": reason,
                    "by": "sweeper",
                },
                agent_id=agent.agent_id,
                conversation_id=cid,
            )
    if not changed:
        return Resolution(message_id, cid, "unknown", reason="taken over meanwhile")
    log.warning("stuck message %s resolved: %s", message_id, found or reason)
    return Resolution(message_id, cid, outcome, found, reason)


# --- `wa sends resolve` ----------------------------------------------------------------------

app = make_app("Outbound messages: resolve the ones left pending.")


@app.command("resolve")
def resolve_command(as_json: bool = JsonOption) -> None:
    """Resolve pending outbound messages no live send can own, from Green API's journal."""

    async def go(rt: Runtime) -> list[Resolution]:
        try:
            return await resolve_stuck_sends(rt)
        finally:
            await rt.greenapi.aclose()

    with open_runtime() as rt:
        done = asyncio.run(go(rt))
    if as_json:
        print_json(done)
        return
    if not done:
        console.print("No stuck messages.")
    for r in done:
        console.print(
            f"message {r.message_id} (conversation {r.conversation_id}): {r.outcome}"
            + (f" as {r.green_message_id}" if r.green_message_id else "")
            + (f" ({r.reason})" if r.reason else "")
        )
    if any(r.outcome == "unknown" for r in done):
        raise WaError("some messages are still in doubt: Green API's journal was unreadable")


if __name__ == "__main__":
    app()
