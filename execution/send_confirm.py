"""Resolve a send that is in doubt: did Green API take it, although no answer came back?

A send is in doubt when its request may have reached Green API and the answer was lost (a
timeout, a connection broken after the request went out), and when a process died between
writing its rows and hearing back. Sending it again could give the buyer two copies; giving up
could leave the stored history saying "not sent" about a message the buyer has. So before any
retry the send is looked for, until Green API's journal can be trusted to show it
(`greenapi_journal_lag_seconds`):

1. the row itself: the echo webhook (`outgoingAPIMessageReceived`) of a pending row's text marks
   it sent (`execution/webhook/handlers.py`);
2. Green API's send queue (`showMessagesQueue`): accepted, not yet out;
3. Green API's outgoing journal (`lastOutgoingMessages`): the same text to the same chat since
   the send began, under an idMessage no stored message has.

Found: the send is done, under that idMessage. Not found once the lag has passed: it never
reached Green API, and may be sent. Green API unreadable all that time: still in doubt
(`GreenApiInDoubt`), and the rows stay pending for a later retry of the same key.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from execution.backoff import pauses
from execution.greenapi import Confirm, Instance
from execution.greenapi_errors import GreenApiError, GreenApiInDoubt
from execution.runtime import Runtime
from execution.store import Store

log = logging.getLogger(__name__)

FIRST_PAUSE_S = 0.25
LONGEST_PAUSE_S = 10.0


def confirmer(
    rt: Runtime,
    instance: Instance,
    conversation_id: int,
    chat_id: str,
    row_id: int,
    text: str,
    since: float,
) -> Confirm:
    """A `Confirm` for one outbound row: Green API's answer when the text went out, None when
    it did not. `since`: epoch seconds (Green API's clock, not the simulated one) when the
    send may first have reached Green API."""

    async def confirm() -> dict[str, Any] | None:
        lag = rt.settings.greenapi_journal_lag_seconds
        deadline = time.monotonic() + lag
        wait = pauses(FIRST_PAUSE_S, LONGEST_PAUSE_S)
        while True:
            echoed = _echoed(rt, row_id)
            if echoed:
                return {"idMessage": echoed}
            error: GreenApiError | None = None
            try:
                known = known_message_ids(rt.store, conversation_id)
                found = await rt.greenapi.find_sent(instance, chat_id, text, since, known)
            except GreenApiError as exc:
                found, error = None, exc
            if found:
                log.warning("message %s was sent after all (Green API has it as %s)", row_id, found)
                return {"idMessage": found}
            left = deadline - time.monotonic()
            if left <= 0:
                if error is not None:
                    raise GreenApiInDoubt(
                        f"message {row_id} may have been sent and Green API's journal could "
                        f"not be read to tell: {error}"
                    )
                log.info("message %s did not reach Green API: sending it again", row_id)
                return None
            await asyncio.sleep(min(next(wait), left))

    return confirm


def _echoed(rt: Runtime, row_id: int) -> str | None:
    """The idMessage an echo webhook gave the row meanwhile, if any."""
    with rt.store.transaction() as tx:
        row = tx.fetchone(
            "SELECT green_message_id FROM messages WHERE message_id = :id AND status = 'sent'",
            {"id": row_id},
        )
    return str(row["green_message_id"]) if row and row["green_message_id"] else None


def known_message_ids(store: Store, conversation_id: int) -> set[str]:
    """The idMessages the conversation's stored messages already carry: never this send."""
    with store.read() as tx:
        rows = tx.fetchall(
            "SELECT green_message_id FROM messages WHERE conversation_id = :cid "
            "AND green_message_id IS NOT NULL",
            {"cid": conversation_id},
        )
    return {str(r["green_message_id"]) for r in rows}
