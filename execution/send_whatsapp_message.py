"""Send a WhatsApp message into a conversation, safely (the rows it keeps: `send_rows`).

1. An AI message goes out only while the conversation is in AI mode and, when the caller says
   which, at the `mode_version` its turn started with; otherwise it is discarded and the event
   says why. `force` lets the handoff message through, and nothing else should use it.
2. The idempotency key is unique in the database: a second call with the same key sends nothing
   and returns the first call's result, even when both run at once.
3. Text over Green API's 20,000 characters goes out as ordered parts, cut at paragraph, then
   sentence, then word boundaries.
4. Each Green API attempt runs under the conversation's send guard, the one `set_mode` takes,
   and re-reads the mode inside it: once a switch to HUMAN has returned, no AI message reaches
   Green API.
5. Every attempt is logged (never the token); each outbound row keeps idMessage, status, attempts
   and the last error.
6. A send whose request may have reached Green API without an answer is never simply sent
   again: `send_confirm` looks for it first (the echo, Green API's queue and journal). One that
   stays in doubt leaves its rows pending (the `send_in_doubt` event) for a retry of its key.
7. `on_claim` runs the caller's own bookkeeping in the transaction that claims the key: it
   happens exactly once per key (a retry or a redone turn does not repeat it), and it can still
   call the send off (the turn's "the buyer wrote again" check, exact only there).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Literal

import typer

from execution import metrics
from execution.agents import find_agent
from execution.backoff import pauses
from execution.cli_support import JsonOption, console, make_app, print_json
from execution.conversations import find_conversation, find_or_create_conversation
from execution.coordination import Coordinator
from execution.errors import ValidationError, WaError
from execution.greenapi import MAX_MESSAGE_CHARS
from execution.greenapi_errors import GreenApiError, GreenApiInDoubt, GreenApiUnavailable
from execution.runtime import Runtime, open_runtime
from execution.send_confirm import confirmer
from execution.send_keys import MAX_KEY_LENGTH, from_caller
from execution.send_keys import parts as part_keys
from execution.send_rows import (
    Sender,
    SendResult,
    claim_rows,
    finish_rest,
    leave_in_doubt,
    mark_sent,
    record_send,
    result_of_earlier_call,
    take_over_rows,
)
from execution.set_mode import (
    GUARD_TTL_S,
    GUARD_WAIT_S,
    send_guard_name,
    set_mode_human,
    takeover_name,
)
from execution.store import Store, Tx

log = logging.getLogger(__name__)
RESUMED_LOOKBACK_S = 86_400.0
"""How far back Green API's journal is searched for an abandoned send (its default window)."""


class SendDiscarded(WaError):
    """The mode gate refused an AI message (not an error of the send itself)."""


def split_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Cut `text` into ordered parts of at most `limit` characters, preferring paragraph, then
    sentence, then word boundaries; a single overlong word is cut where it must be."""
    text = text.strip()
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for pattern in (r"\n\s*\n", r"(?<=[.!?])\s+|\n", r"\s+"):
            ends = [m.start() for m in re.finditer(pattern, window) if 0 < m.start() <= limit]
            if ends:
                cut = ends[-1]
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


async def send_whatsapp_message(
    rt: Runtime,
    conversation_id: int,
    text: str,
    *,
    sender: Sender = "AI",
    idempotency_key: str,
    expected_mode_version: int | None = None,
    force: bool = False,
    on_claim: Callable[[Tx], None] | None = None,
    retry_failed: bool = False,
) -> SendResult:
    """Send `text` to the conversation's chat through the agent's Green API instance.

    Args:
        conversation_id: The conversation to write to.
        text: The message; longer than 20,000 characters goes out in parts.
        sender: "AI" (the assistant; subject to the mode gate) or "HUMAN" (the agent).
        idempotency_key: Names this send for good: derive it from the turn, never the clock.
        expected_mode_version: For AI sends, the conversation's `mode_version` when the turn
            began; a different version now means someone switched modes meanwhile: discarded.
        force: Let an AI message through the mode gate. For the handoff message only.
        on_claim: Called inside the transaction that writes the outbound rows, after them
            (so once per key: not when this key was claimed before). Whatever it raises rolls
            the claim back and reaches the caller: nothing is sent.
        retry_failed: A send that failed earlier under this key is tried again, on its rows
            and with their text (a caller's key always is: `send_keys.is_from_caller`).
    """
    if sender not in ("AI", "HUMAN"):
        raise ValidationError(f"sender must be AI or HUMAN, not {sender!r}")
    if not text or not text.strip():
        raise ValidationError("the message is empty")
    if not idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH:
        raise ValidationError(f"the idempotency key must be 1-{MAX_KEY_LENGTH} characters")
    parts = split_message(text)
    keys = part_keys(idempotency_key, len(parts))
    claimed = claim_rows(
        rt.store, conversation_id, parts, keys, sender, expected_mode_version, on_claim
    )
    in_doubt = False  # rows an earlier process may have sent before it died
    if claimed is None:
        resumed = take_over_rows(rt.store, conversation_id, idempotency_key, parts, retry_failed)
        if resumed is None:
            return await result_of_earlier_call(rt.store, conversation_id, keys)
        claimed, parts, in_doubt = resumed[:3], resumed[3], resumed[5]
        if expected_mode_version is not None and resumed[4] is not None:
            expected_mode_version = resumed[4]  # the gate of the call that wrote the rows
        keys = part_keys(idempotency_key, len(parts))
    conversation, agent, row_ids = claimed
    instance = rt.instance_of(agent)
    result = SendResult(conversation_id, idempotency_key, "pending", len(parts), list(row_ids))
    for index, (row_id, part) in enumerate(zip(row_ids, parts, strict=True)):
        attempts = 0
        since = time.time() - (RESUMED_LOOKBACK_S if in_doubt else 0.0)
        confirm = confirmer(
            rt, instance, conversation_id, conversation.chat_id, row_id, part, since
        )

        @asynccontextmanager
        async def guarded_attempt(
            row_id: int = row_id, part_no: int = index + 1
        ) -> AsyncIterator[None]:
            nonlocal attempts
            attempts += 1
            async with _send_guard(rt.coordinator, conversation_id):
                if sender == "AI" and not force:
                    _check_mode_gate(rt.store, conversation_id, expected_mode_version)
                log.info(
                    "send attempt %d: conversation %s message %s (%s, part %d/%d)",
                    attempts,
                    conversation_id,
                    row_id,
                    sender,
                    part_no,
                    len(parts),
                )
                yield

        try:
            green_id = await rt.greenapi.send_message(
                instance,
                conversation.chat_id,
                part,
                guard=guarded_attempt,
                confirm=confirm,
                in_doubt=in_doubt,
            )
        except GreenApiInDoubt as exc:  # maybe with the buyer: pending until a retry knows
            leave_in_doubt(rt.store, row_ids[index:], str(exc), attempts)
            record_send(rt.store, conversation, "send_in_doubt", idempotency_key, sender, str(exc))
            log.warning("send in doubt: conversation %s: %s", conversation_id, exc)
            result.status, result.reason = "pending", str(exc)
            metrics.SENDS.labels(sender, "in_doubt").inc()
            return result
        except (SendDiscarded, GreenApiError) as exc:
            status: Literal["discarded", "failed"] = (
                "discarded" if isinstance(exc, SendDiscarded) else "failed"
            )
            finish_rest(rt.store, row_ids[index:], status, str(exc), attempts)
            record_send(rt.store, conversation, f"send_{status}", idempotency_key, sender, str(exc))
            log.log(
                logging.INFO if status == "discarded" else logging.WARNING,
                "send %s: conversation %s: %s",
                status,
                conversation_id,
                exc,
            )
            result.status, result.reason = status, str(exc)
            result.rate_limited = isinstance(exc, GreenApiUnavailable) and exc.status == 429
            metrics.SENDS.labels(sender, status).inc()
            return result
        mark_sent(rt.store, row_id, green_id, attempts, conversation_id)
        result.green_message_ids.append(green_id)
    result.status = "sent"
    metrics.SENDS.labels(sender, "sent").inc()
    if force and sender == "AI":
        record_send(
            rt.store, conversation, "forced_send", idempotency_key, sender, "handoff message"
        )
    return result


@asynccontextmanager
async def _send_guard(coordinator: Coordinator, conversation_id: int) -> AsyncIterator[None]:
    """The conversation's send guard, waited for without blocking the event loop."""
    name = send_guard_name(conversation_id)
    deadline = asyncio.get_running_loop().time() + GUARD_WAIT_S
    wait = pauses()
    waiting = takeover_name(conversation_id)
    while (
        coordinator.is_held(waiting) or (lock := coordinator.try_acquire(name, GUARD_TTL_S)) is None
    ):
        if asyncio.get_running_loop().time() > deadline:
            raise SendDiscarded(f"the conversation stayed busy for {GUARD_WAIT_S:g}s")
        await asyncio.sleep(next(wait))
    try:
        yield
    finally:
        if not lock.release():
            log.error("send guard of conversation %s expired during a send", conversation_id)


def _check_mode_gate(store: Store, conversation_id: int, expected: int | None) -> None:
    with store.read() as tx:
        now = find_conversation(tx, conversation_id)
    if now.current_mode != "AI":
        raise SendDiscarded(f"conversation is in {now.current_mode} mode")
    if expected is not None and now.mode_version != expected:
        raise SendDiscarded(
            f"mode changed during the turn (version {expected} -> {now.mode_version})"
        )


# --- `wa send` -------------------------------------------------------------------------------


def send_command(
    args: Annotated[
        list[str], typer.Argument(help="CONVERSATION TEXT, or just TEXT with --agent and --to.")
    ],
    agent: Annotated[str | None, typer.Option(help="Agent id or name (with --to).")] = None,
    to: Annotated[
        str | None, typer.Option(help="Phone number (any spelling) or chat id ...@c.us/@g.us.")
    ] = None,
    sender: Annotated[
        Literal["human", "ai"], typer.Option("--as", help="Send as the human agent or the AI.")
    ] = "human",
    force: Annotated[bool, typer.Option(help="AI only: pass the mode gate (handoff).")] = False,
    takeover: Annotated[
        bool, typer.Option(help="A human send first switches the conversation to HUMAN.")
    ] = True,
    idempotency_key: Annotated[
        str | None, typer.Option(help="Repeat a key to make a retry safe (default: new key).")
    ] = None,
    as_json: bool = JsonOption,
) -> None:
    """Send a WhatsApp message: `wa send 12 "Hi"` or `wa send --agent A --to 6591234567 "Hi"`.

    It goes through the agent's Green API instance: its api url, else WA_GREENAPI_URL (`wa chat
    --live` sends the same way)."""
    if (agent is None) != (to is None):
        raise ValidationError("give --agent and --to together")
    expected = 1 if agent else 2
    if len(args) != expected:
        raise ValidationError(
            "usage: wa send CONVERSATION TEXT, or wa send --agent AGENT --to NUMBER TEXT"
        )
    text = args[-1]
    as_sender: Sender = "HUMAN" if sender == "human" else "AI"

    async def go(rt: Runtime) -> SendResult:
        try:
            if agent is not None and to is not None:
                with rt.store.read() as tx:
                    owner = find_agent(tx, agent)
                conversation_id = find_or_create_conversation(
                    rt.store, owner.agent_id, to
                ).conversation_id
            else:
                if not args[0].isdigit():
                    raise ValidationError(f"conversation {args[0]!r} is not an id")
                conversation_id = int(args[0])
            if as_sender == "HUMAN" and takeover:
                set_mode_human(
                    rt.store, rt.coordinator, conversation_id, "operator sent a message", "operator"
                )
            key = from_caller(conversation_id, idempotency_key or f"cli:{uuid.uuid4()}")
            return await send_whatsapp_message(
                rt, conversation_id, text, sender=as_sender, idempotency_key=key, force=force
            )
        finally:
            await rt.greenapi.aclose()

    with open_runtime() as rt:
        result = asyncio.run(go(rt))
    if as_json:
        print_json(result)
    if result.status in ("failed", "discarded"):
        raise WaError(f"message {result.status}: {result.reason}")
    if result.status == "pending":
        raise WaError(
            f"message in doubt: {result.reason} (retry with the same --idempotency-key, or "
            "`wa sends resolve` in a few minutes, to settle it)"
        )
    if not as_json:
        console.print(
            f"Sent to conversation {result.conversation_id}"
            + (f" in {result.parts} parts" if result.parts > 1 else "")
            + f": {', '.join(result.green_message_ids)}"
            + (" (already sent earlier with this key)" if result.duplicate else "")
        )


app = make_app("Send WhatsApp messages.")
app.command("send")(send_command)

if __name__ == "__main__":
    app()
