"""AI/HUMAN mode: who answers a conversation.

A mode change, the cancellation of pending follow-ups and its audit event commit together or not
at all (one transaction), and `mode_version` goes up by one. It takes the conversation's send
guard first, so it waits (briefly) for a Green API send already in flight, and once it returns
no AI message that checked the mode before the change can still reach Green API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

import typer

from execution import metrics
from execution.audit import record_event
from execution.cli_support import JsonOption, cli_store, console, make_app, print_json
from execution.clock import utcnow
from execution.conversations import Mode, find_conversation
from execution.coordination import Coordinator, Lock, open_coordinator
from execution.errors import ValidationError
from execution.followups import cancel_pending
from execution.greenapi import ATTEMPT_TIMEOUT_S
from execution.run_inputs import Actor, ConversationId, TurnId
from execution.settings import load_settings
from execution.store import Store

GUARD_TTL_S = ATTEMPT_TIMEOUT_S + 10.0
"""How long a send guard lives without renewal: longer than any one guarded Green API attempt."""
GUARD_WAIT_S = 25.0
"""How long a mode change waits for an in-flight send to finish."""


def send_guard_name(conversation_id: int) -> str:
    """The per-conversation guard that a mode change and every send attempt take."""
    return f"conversation:{conversation_id}:send"


def takeover_name(conversation_id: int) -> str:
    """Held while a mode change waits for the send guard: AI sends step aside meanwhile, so a
    stream of sends cannot starve a takeover."""
    return f"conversation:{conversation_id}:mode-change-waiting"


def take_send_guard(coordinator: Coordinator, conversation_id: int) -> Lock:
    """The send guard, for a mode change: announced first, so sends let it in at the next gap."""
    waiting = coordinator.try_acquire(takeover_name(conversation_id), GUARD_WAIT_S)
    try:
        return coordinator.acquire(send_guard_name(conversation_id), GUARD_TTL_S, GUARD_WAIT_S)
    finally:
        if waiting is not None:
            waiting.release()


@dataclass(frozen=True)
class ModeChange:
    conversation_id: int
    mode: Mode
    mode_version: int
    changed: bool
    cancelled_followups: int


def set_mode(
    store: Store,
    coordinator: Coordinator,
    conversation_id: int,
    mode: Mode,
    reason: str,
    actor: str,
    turn_id: str | None = None,
) -> ModeChange:
    """Switch a conversation to `mode`. Idempotent: already in that mode changes nothing.

    Args:
        conversation_id: The conversation.
        mode: "AI" (the assistant answers) or "HUMAN" (the agent answers; the assistant is silent).
        reason: Why, for the audit log and the inbox.
        actor: Who: "operator", "agent:<id>", "escalation:<trigger>", ...
        turn_id: The buyer turn that decided it (an escalation), kept in the audit event.

    Any change also restarts the count of failed searches in a row (a human came in between).
    A request for HUMAN in a chat that is HUMAN already changes nothing; it is kept in the audit
    log (`mode_confirmed`) unless an escalation made it.
    """
    if mode not in ("AI", "HUMAN"):
        raise ValidationError(f"mode must be AI or HUMAN, not {mode!r}")
    reason = reason.strip()
    if not reason:
        raise ValidationError("give a reason for the mode change")
    with take_send_guard(coordinator, conversation_id), store.transaction() as tx:
        before = find_conversation(tx, conversation_id)
        if before.current_mode == mode:
            if mode == "HUMAN" and turn_id is None:  # someone took the chat, though it was
                # theirs already: kept, since a handoff message owed by a stopped escalation
                # must not follow it (orchestrator/turn.py)
                record_event(
                    tx,
                    "mode_confirmed",
                    {"mode": mode, "reason": reason, "actor": actor},
                    agent_id=before.agent_id,
                    conversation_id=conversation_id,
                )
            return ModeChange(conversation_id, mode, before.mode_version, False, 0)
        tx.execute(  # a human in between: the assistant's failed searches count anew after
            "UPDATE conversations SET current_mode = :mode, mode_version = mode_version + 1, "
            "mode_changed_at = :now, mode_reason = :reason, "
            "failed_search_streak = 0 WHERE conversation_id = :id",
            {"mode": mode, "reason": reason[:500], "id": conversation_id, "now": utcnow()},
        )
        cancelled = cancel_pending(tx, conversation_id, f"mode changed to {mode}: {reason}")
        version = before.mode_version + 1
        decided_by: dict[str, Any] = {}
        if turn_id:  # and how far the chat had got: a message of the agent's after this point
            # means they have spoken since, and the turn's handoff message is no longer owed
            last = tx.scalar(
                "SELECT MAX(message_id) FROM messages WHERE conversation_id = :id",
                {"id": conversation_id},
            )
            decided_by = {"turn_id": turn_id, "last_message_id": int(last or 0)}
        record_event(
            tx,
            "mode_change",
            {
                "from": before.current_mode,
                "to": mode,
                "mode_version": version,
                "reason": reason,
                "actor": actor,
                "cancelled_followups": cancelled,
                **decided_by,
            },
            agent_id=before.agent_id,
            conversation_id=conversation_id,
        )
    metrics.MODE_SWITCHES.labels(mode).inc()
    return ModeChange(conversation_id, mode, version, True, cancelled)


def set_mode_human(
    store: Store,
    coordinator: Coordinator,
    conversation_id: ConversationId,
    reason: str,
    actor: Actor,
    turn_id: TurnId | None = None,
) -> ModeChange:
    """Hand the conversation to the human agent: the assistant stops answering at once.

    Args:
        conversation_id: The conversation.
        reason: Why the human should take over (negotiation, legal question, ...), for the agent.
        actor: Who decided: "operator", "escalation:<trigger>", ...
        turn_id: The buyer turn that decided it, if one did.
    """
    return set_mode(store, coordinator, conversation_id, "HUMAN", reason, actor, turn_id)


def set_mode_ai(
    store: Store, coordinator: Coordinator, conversation_id: int, reason: str, actor: str
) -> ModeChange:
    """Hand the conversation back to the assistant."""
    return set_mode(store, coordinator, conversation_id, "AI", reason, actor)


# --- `wa set-mode` ---------------------------------------------------------------------------


def set_mode_command(
    conversation_id: Annotated[int, typer.Argument(help="Conversation id.")],
    mode: Annotated[
        Literal["human", "ai"], typer.Argument(case_sensitive=False, help="human or ai (any case)")
    ],
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")],
    as_json: bool = JsonOption,
) -> None:
    """Switch a conversation between the assistant (ai) and the human agent (human)."""
    settings = load_settings()
    coordinator = open_coordinator(settings.redis_url)
    try:
        with cli_store() as store:
            change = set_mode(
                store,
                coordinator,
                conversation_id,
                "HUMAN" if mode == "human" else "AI",
                reason,
                "operator",
            )
    finally:
        coordinator.close()
    if as_json:
        print_json(change)
    elif change.changed:
        console.print(
            f"Conversation {conversation_id} is now {change.mode} (version {change.mode_version}); "
            f"{change.cancelled_followups} pending follow-up(s) cancelled."
        )
    else:
        console.print(f"Conversation {conversation_id} was already {change.mode}.")


app = make_app("Switch a conversation between AI and HUMAN.")
app.command("set-mode")(set_mode_command)

if __name__ == "__main__":
    app()
