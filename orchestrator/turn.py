"""One buyer turn: gate -> escalation -> loop -> fact check -> send. The same code serves
`wa chat`, `wa demo` and the turn worker (`wa serve`, `wa worker`). The handoff is
`handoff.py`, what the turn reads `turn_inputs.py`, the reply's fact check `reply_check.py`.

- Only a conversation in AI mode gets an AI reply; the mode version is taken at the start and
  the send is discarded if it changed meanwhile (a takeover won).
- Escalation triggers are detected in code before any model call; so are three failed searches.
- Any failure of the model or the tools hands the chat to the human, with one handoff message.
- A turn is redone after a crash without a second answer: a reply it already claimed is only
  finished (never generated again), and the handoff message of an escalation whose process
  stopped is sent by the next turn of the conversation, unless the agent has written since.
- The reply's facts are checked against the listings the turn's tools returned; a reply that
  states a fact it cannot back is never sent: the chat goes to the human instead.
- A reply Green API would not take because it rate-limits the instance is kept for a later
  attempt of the turn (`may_defer`), not handed over: the handoff would meet the same limit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from execution import metrics, send_keys
from execution.agents import Agent, find_agent
from execution.conversations import Conversation, get_conversation, save_failed_search_streak
from execution.escalation import FAILED_SEARCHES, FAILED_SEARCHES_LIMIT, detect_escalation
from execution.followups import cancel_pending, schedule_ladder
from execution.incidents import record_incident
from execution.messages import assistant_messages_within
from execution.runtime import Runtime
from execution.send_whatsapp_message import send_whatsapp_message
from execution.store import Tx
from execution.turn_state import claimed_reply, drop_reply_the_buyer_changed, owed_handoff
from orchestrator.directives import cached_directives
from orchestrator.handoff import hand_over, send_handoff
from orchestrator.loop import Run, run
from orchestrator.prompts import canned_reply
from orchestrator.providers.base import Provider, UserText
from orchestrator.registry import REGISTRY
from orchestrator.reply_check import checked_reply, corrective_note
from orchestrator.run_context import RunContext
from orchestrator.turn_inputs import (
    buyer_texts,
    conversation_inputs,
    current_records,
    listings_seen,
)
from orchestrator.turn_result import Status, TurnResult

log = logging.getLogger(__name__)

TURN_DIRECTIVE = "handle_incoming_message"
SEARCH_TOOLS = ("search_properties",)
HOUR = timedelta(hours=1)


async def handle_turn(
    rt: Runtime,
    conversation_id: int,
    message: str,
    *,
    turn_id: str,
    provider: Provider,
    superseded: Callable[[Tx], bool] | None = None,
    may_defer: bool = False,
) -> TurnResult:
    """Answer the buyer's message(s) (already stored) in a conversation, or hand it over.

    `message` is what the buyer wrote this turn (several messages of a burst, one per line;
    empty when they sent nothing readable, e.g. only a sticker). `superseded`, asked in the
    transaction that claims the reply (the conversation row locked), says the buyer wrote
    again meanwhile: the reply is dropped and the caller redoes the turn with everything.
    `may_defer`: the caller will run this turn again later (the worker, attempts left), so a
    reply Green API refused for its rate limit is kept for then ("deferred"), with an
    incident; without it, or on the last attempt, the chat is handed over as for any failure.
    """
    conversation = get_conversation(rt.store, conversation_id)
    with rt.store.read() as tx:
        agent = find_agent(tx, conversation.agent_id)
    if conversation.current_mode != "AI":
        owed = owed_handoff(rt.store, conversation_id)
        if owed is not None:
            # a turn switched to HUMAN, then its process stopped before the handoff message
            # went out: send it now, under that turn's key (never twice)
            return await send_handoff(rt, conversation, agent, owed, "resumed", None)
        return TurnResult(conversation_id, "human_mode")
    version = conversation.mode_version
    claimed = claimed_reply(rt.store, turn_id)
    if claimed is not None and drop_reply_the_buyer_changed(rt.store, turn_id):
        # kept through a rate limit, but the buyer edited or deleted a message since: the
        # turn answers afresh, never with the stale reply
        log.info("turn %s: the buyer changed what its kept reply answered", turn_id)
        claimed = None
    if claimed is not None:  # an earlier attempt of this turn got as far as its send
        return await _finish_reply(
            rt, conversation, agent, claimed, turn_id, version, may_defer=may_defer, retry=True
        )
    with rt.store.transaction() as tx:  # the buyer wrote: the old ladder no longer applies
        cancel_pending(tx, conversation_id, "the buyer wrote again")
    if not message.strip():
        text = canned_reply("unreadable", agent)
        return await _finish_reply(
            rt, conversation, agent, text, turn_id, version, superseded, may_defer=may_defer
        )
    sent = assistant_messages_within(rt.store, conversation_id, HOUR, conversation.mode_changed_at)
    if sent >= rt.settings.assistant_messages_per_hour:  # a loop, or a buyer who never
        # pauses: a person takes it from here (told why), never silence
        evidence = f"{sent} assistant messages in the last hour"
        record_incident(
            rt.store,
            "orchestration",
            evidence,
            agent_id=agent.agent_id,
            context={"conversation_id": conversation_id, "turn_id": turn_id},
        )
        return await hand_over(rt, conversation, agent, "message_cap", evidence, turn_id)
    trigger = detect_escalation(message, conversation.failed_search_streak, agent_name=agent.name)
    if trigger:
        return await hand_over(
            rt, conversation, agent, trigger.trigger, trigger.evidence, turn_id, layer=trigger.layer
        )
    directive = cached_directives()[TURN_DIRECTIVE]
    context = RunContext(
        store=rt.store,
        coordinator=rt.coordinator,
        agent_id=agent.agent_id,
        conversation_id=conversation_id,
        turn_id=turn_id,
        actor="assistant",
    )
    inputs = {
        "message": message,
        "contact_name": conversation.contact_name or "",
        **conversation_inputs(rt.store, conversation_id),
    }
    try:
        done = await run(directive, inputs, provider, REGISTRY, context, agent=agent)
    except Exception as exc:  # any failure of the model or the tools: the human takes over
        log.exception("turn %s failed", turn_id)
        _failed_run(rt, agent, exc, conversation_id, turn_id)
        return await hand_over(rt, conversation, agent, "failure", type(exc).__name__, turn_id)
    if done.stopped == "handoff":
        return await hand_over(
            rt,
            conversation,
            agent,
            "assistant",
            "asked for the agent",
            turn_id,
            already_human=True,
            run_=done,
        )
    if done.stopped != "done" or not done.final_text.strip():
        return await hand_over(rt, conversation, agent, "failure", done.stopped, turn_id, run_=done)
    streak = _failed_search_streak(conversation, done)
    if streak >= FAILED_SEARCHES_LIMIT:
        evidence = f"{streak} searches in a row found nothing"
        return await hand_over(
            rt, conversation, agent, FAILED_SEARCHES, evidence, turn_id, run_=done
        )
    shown = current_records(rt.store, agent.agent_id, inputs["shown_listings"])
    buyer = buyer_texts(rt.store, conversation_id, message)
    discrepancies = checked_reply(done.final_text, listings_seen(done, shown), buyer)
    if discrepancies:  # one corrective turn: the model reads what was wrong and tries again
        note = corrective_note(discrepancies)
        try:
            corrected = await run(
                directive,
                inputs,
                provider,
                REGISTRY,
                context,
                agent=agent,
                resume=[*done.transcript, UserText(note)],
            )
        except Exception as exc:
            log.exception("corrective turn %s failed", turn_id)
            corrected = None
            _failed_run(rt, agent, exc, conversation_id, turn_id)
        if corrected is not None and corrected.stopped == "done" and corrected.final_text.strip():
            corrected.steps = [*done.steps, *corrected.steps]
            seen = listings_seen(corrected, shown)
            if not checked_reply(corrected.final_text, seen, buyer):
                done, discrepancies = corrected, []
    if discrepancies:
        record_incident(
            rt.store,
            "orchestration",
            "reply failed the fact check",
            agent_id=agent.agent_id,
            directive=TURN_DIRECTIVE,
            context={
                "conversation_id": conversation_id,
                "turn_id": turn_id,
                "reply": done.final_text,
                "discrepancies": [str(d) for d in discrepancies],
            },
        )
        return await hand_over(rt, conversation, agent, "failure", "fact check", turn_id, run_=done)
    return await _finish_reply(
        rt,
        conversation,
        agent,
        done.final_text,
        turn_id,
        version,
        superseded,
        streak,
        done,
        may_defer=may_defer,
    )


def _failed_run(
    rt: Runtime, agent: Agent, exc: Exception, conversation_id: int, turn_id: str
) -> None:
    """An incident for a model or tool failure in a turn's run (the turn then hands over)."""
    record_incident(
        rt.store,
        "orchestration",
        f"{type(exc).__name__}: {exc}",
        agent_id=agent.agent_id,
        directive=TURN_DIRECTIVE,
        context={"conversation_id": conversation_id, "turn_id": turn_id},
    )


async def _finish_reply(
    rt: Runtime,
    conversation: Conversation,
    agent: Agent,
    text: str,
    turn_id: str,
    version: int,
    superseded: Callable[[Tx], bool] | None = None,
    streak: int | None = None,
    done: Run | None = None,
    *,
    may_defer: bool = False,
    retry: bool = False,
) -> TurnResult:
    """Send the turn's reply (`retry`: the one an earlier attempt claimed, even if it failed
    then); a send that failed hands the chat over, unless it was rate limited and may wait."""
    result = await _reply(rt, conversation, text, turn_id, version, superseded, streak, retry)
    result.run = done
    sent = result.send
    if sent is None or sent.status != "failed":
        return result
    if sent.rate_limited and may_defer:
        record_incident(
            rt.store,
            "execution",
            f"Green API rate limit: the reply to conversation {conversation.conversation_id} "
            "waits for the turn's next attempt",
            agent_id=agent.agent_id,
            context={"conversation_id": conversation.conversation_id, "turn_id": turn_id},
        )
        metrics.REPLIES_DEFERRED.inc()
        result.status = "deferred"
        return result
    return await hand_over(rt, conversation, agent, "failure", "send failed", turn_id, run_=done)


class _Superseded(Exception):
    """The buyer wrote again before the reply was claimed."""


async def _reply(
    rt: Runtime,
    conversation: Conversation,
    text: str,
    turn_id: str,
    version: int,
    superseded: Callable[[Tx], bool] | None,
    streak: int | None,
    retry: bool = False,
) -> TurnResult:
    """Send the turn's reply through the mode gate, unless the buyer has written again. The
    check and the failed-search count are written with the reply's claim: once per turn, and
    a buyer message either came before the claim (the turn is redone) or after it."""
    cid = conversation.conversation_id

    def on_claim(tx: Tx) -> None:
        # also locks the row, which a webhook storing a buyer message updates (a changed mode
        # version locks nothing, but then the mode gate discards the reply)
        known = conversation.failed_search_streak if streak is None else streak
        save_failed_search_streak(tx, cid, version, known)
        if superseded is not None and superseded(tx):
            raise _Superseded

    try:
        sent = await send_whatsapp_message(
            rt,
            cid,
            text,
            sender="AI",
            idempotency_key=send_keys.reply(turn_id),
            expected_mode_version=version,
            on_claim=on_claim,
            retry_failed=retry,
        )
    except _Superseded:
        return TurnResult(cid, "superseded", text)
    status: Status = "replied" if sent.status == "sent" else "discarded"
    if status == "replied":
        schedule_ladder(rt.store, conversation.agent_id, cid, turn_id)
    return TurnResult(cid, status, text, send=sent)


def _failed_search_streak(conversation: Conversation, done: Run) -> int:
    """Searches in a row that found nothing, this turn's included (stored with its reply)."""
    searches = [s for s in done.steps if s.kind == "tool" and s.tool in SEARCH_TOOLS]
    if not searches:
        return conversation.failed_search_streak
    found = any(not s.is_error and s.result not in (None, "[]") for s in searches)
    return 0 if found else conversation.failed_search_streak + 1
