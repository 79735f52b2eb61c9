"""The fact check of a reply (a checker that fails never passes a reply) and the note the
model's corrective turn reads: each claim that failed and what the record says."""

from __future__ import annotations

import logging

from execution.fact_check import Discrepancy, check_facts
from execution.property_lookup import Property

log = logging.getLogger("orchestrator.turn")  # one log for the whole turn


def checked_reply(text: str, listings: list[Property], buyer: list[str]) -> list[Discrepancy]:
    """The fact check; should it fail, the reply is not sent (a failure is never a pass)."""
    try:
        return check_facts(text, listings, buyer)
    except Exception as exc:  # a bug in the checker: hand over rather than send unchecked
        log.exception("fact check failed")
        return [Discrepancy(text[:60], type(exc).__name__, "the reply could not be checked")]


def corrective_note(discrepancies: list[Discrepancy]) -> str:
    """What the model reads when its reply failed the fact check: each claim that failed, why,
    and what the record says."""
    lines = [
        f"- {d.fact!r} in {d.sentence!r}: {d.problem}"
        + (f". The record: {d.record}" if d.record else "")
        for d in discrepancies[:10]
    ]
    return (
        "Your reply was not sent: these claims do not match the agent's records.\n"
        + "\n".join(lines)
        + "\nRewrite the reply quoting each listing's `facts` exactly as the tool results give "
        "them, with the listing named in the same clause; leave out what no record says."
    )
