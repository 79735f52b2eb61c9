"""Handing a chat to the human agent: switch to HUMAN (unless the model's own handoff tool
did), record the escalation and the layer that caught it, and send the one handoff message
past the mode gate; an incident when the buyer could not be told."""

from __future__ import annotations

import json
import logging

from execution import metrics, send_keys
from execution.agents import Agent
from execution.audit import record_event
from execution.conversations import Conversation
from execution.errors import WaError
from execution.incidents import record_incident
from execution.runtime import Runtime
from execution.send_whatsapp_message import send_whatsapp_message
from execution.set_mode import set_mode_human
from orchestrator.loop import Run
from orchestrator.prompts import canned_reply
from orchestrator.turn_result import TurnResult

log = logging.getLogger("orchestrator.turn")  # one log for the whole turn


async def hand_over(
    rt: Runtime,
    conversation: Conversation,
    agent: Agent,
    trigger: str,
    evidence: str,
    turn_id: str,
    *,
    already_human: bool = False,
    run_: Run | None = None,
    layer: str | None = None,
) -> TurnResult:
    """Switch to HUMAN (unless the model's handoff tool already did) and send the one handoff
    message, past the mode gate. Nothing else is sent in this turn."""
    cid = conversation.conversation_id
    if already_human:
        ours = _handoff_tool_switched(run_)
    else:
        ours = set_mode_human(
            rt.store,
            rt.coordinator,
            cid,
            f"{trigger}: {evidence}",
            f"escalation:{trigger}",
            turn_id,
        ).changed
    metrics.ESCALATIONS.labels(trigger).inc()
    with rt.store.transaction() as tx:
        record_event(
            tx,
            "escalation",
            {
                "trigger": trigger,
                "evidence": evidence,
                "layer": layer or escalation_layer(trigger),
                "turn_id": turn_id,
                "handoff_message": ours,
            },
            agent_id=agent.agent_id,
            conversation_id=cid,
        )
    if not ours:  # the agent (or an operator) took the chat first: they speak now, not us
        log.info("conversation %s was taken over meanwhile: no handoff message", cid)
        return TurnResult(cid, "escalated", None, trigger, evidence, run_)
    result = await send_handoff(rt, conversation, agent, turn_id, trigger, evidence)
    result.run = run_
    return result


async def send_handoff(
    rt: Runtime,
    conversation: Conversation,
    agent: Agent,
    turn_id: str,
    trigger: str,
    evidence: str | None,
) -> TurnResult:
    """The one handoff message of a turn that switched the chat to HUMAN, past the mode gate."""
    cid = conversation.conversation_id
    text = canned_reply("handoff", agent)
    try:
        sent = await send_whatsapp_message(
            rt, cid, text, sender="AI", idempotency_key=send_keys.handoff(turn_id), force=True
        )
    except WaError as exc:
        log.error("handoff message for conversation %s not sent: %s", cid, exc)
        _handoff_not_sent(rt, agent, cid, turn_id, trigger, str(exc))
        return TurnResult(cid, "failed", None, trigger, evidence)
    if sent.status == "failed":  # the buyer heard nothing: the agent must know to write first
        _handoff_not_sent(rt, agent, cid, turn_id, trigger, sent.reason or sent.status)
    return TurnResult(cid, "escalated", text, trigger, evidence, send=sent)


def _handoff_not_sent(
    rt: Runtime, agent: Agent, cid: int, turn_id: str, trigger: str, why: str
) -> None:
    record_incident(
        rt.store,
        "execution",
        f"conversation {cid} was handed over ({trigger}) but the buyer was not told: {why}",
        agent_id=agent.agent_id,
        context={"conversation_id": cid, "turn_id": turn_id},
    )


def _handoff_tool_switched(done: Run | None) -> bool:
    """Whether the model's own `hand_off_to_human` call is what switched the chat to HUMAN
    (not a takeover that came first)."""
    for step in done.steps if done else []:
        if step.kind == "tool" and step.tool == "hand_off_to_human" and not step.is_error:
            try:
                return bool(json.loads(step.result or "{}").get("changed"))
            except (ValueError, AttributeError):
                return False
    return False


def escalation_layer(trigger: str) -> str:
    """Which layer caught an escalation: the rules in code (`execution/escalation_rules.yaml`
    and the failed-search count), the model's own `hand_off_to_human`, or a failure. (The
    model of message shapes, "shapes", is named by `detect_escalation` itself.)"""
    if trigger == "assistant":
        return "model"
    if trigger == "message_cap":
        return "limits"
    return "failure" if trigger == "failure" else "rules"
