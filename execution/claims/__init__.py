"""The factual claims a sentence makes about a listing: price, bedrooms, HDB flat type, size,
availability. Read from text whose numbers are already digits (`execution.numbers`).

Each claim says what it states (a value and how: equal, under, over, about, not) and where
(its position, so the fact check can tie it to the listing named nearest it). A claim the
message attributes to the buyer ("your 1.5M budget", "the 700k you mentioned") is marked so:
it is the buyer's number, allowed only if the buyer wrote it. Words that look like a claim
but state none are left out by the shape around them: a price per month, an option fee, a
distance in metres, a viewing slot, a question about what the buyer wants, a search that
found nothing ("I couldn't find a 3-bedder under 1M").

One module per kind of claim (`prices`, `sizes`, `rooms`, `states`, `order`), how a figure is
said (`said`), the claim itself (`claim`), and the reading of a clause that puts them together
(`reading.claims_in`).
"""
