"""The fact guardrail: every price, bedroom count, flat type, size and availability an outgoing
AI message states must match the agent's records, checked here, in code, before it is sent.

The message is read in its numbers-as-digits form (`execution.numbers`), one sentence at a
time, each sentence cut into clauses ("the Bishan one is 1.2M, while the Tampines one is
598k" is two). Every claim (`execution.claims`) is tied to the listing named nearest before it
in its clause (`execution.listing_names`; else after it, else the one the sentence or the
message spoke of last: "It is still available."), and compared with that listing's record
(`execution.listing_facts`, `execution.claim_holds`). A
claim no listing can own, or one true of none of the listings it may speak of, is a
discrepancy. A number the message attributes to the buyer is allowed only when the buyer
wrote that amount in this conversation (`execution.buyer_numbers`). What a buyer wrote is never
itself checked.

The parts: `check` (the entry points), `reading` (a message, sentence by sentence), `owners`
(which listing a claim is about), `comparisons` (claims that set listings against each
other), `buyers` (the buyer's own numbers), `unlisted` (figures no record holds that are no
wrong fact), `state` (what a reading holds) and `discrepancy` (what the check reports).
"""

from execution.fact_check.check import check_facts, require_facts_match
from execution.fact_check.discrepancy import Discrepancy, FactCheckFailed
from execution.fact_check.reading import MAX_CLAIMS

__all__ = ["MAX_CLAIMS", "Discrepancy", "FactCheckFailed", "check_facts", "require_facts_match"]
