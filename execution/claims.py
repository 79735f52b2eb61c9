"""The factual claims a sentence makes about a listing: price, bedrooms, HDB flat type, size,
availability. Read from text whose numbers are already digits (`execution.numbers`).

Each claim says what it states (a value and how: equal, under, over, about, not) and where
(its position, so the fact check can tie it to the listing named nearest it). A claim the
message attributes to the buyer ("your 1.5M budget", "the 700k you mentioned") is marked so:
it is the buyer's number, allowed only if the buyer wrote it. Words that look like a claim
but state none are left out by the shape around them: a price per month, an option fee, a
distance in metres, a viewing slot, a question about what the buyer wants, a search that
found nothing ("I couldn't find a 3-bedder under 1M").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from execution.listing_facts import flat_type_of
from execution.listings import SQFT_PER_SQM
from execution.numbers import message_in_digits
from execution.regex_gate import compile_quick, lower_for_gate, may_match, source_may_match

MAX_TEXT = 25_000
"""Longer than Green API's 20,000-character message: beyond this a text is not read."""
Kind = Literal[
    "price",
    "price_gap",
    "price_total",
    "price_spread",
    "psf",
    "bedrooms",
    "flat_type",
    "size",
    "land_size",
    "size_gap",
    "size_spread",
    "household",
    "availability",
    "order",
    "rank",
]
Relation = Literal["=", "~", "<", "<=", ">", ">=", "!="]


@dataclass(frozen=True)
class Claim:
    kind: Kind
    value: float | str
    relation: Relation
    start: int
    text: str
    buyers: bool = False
    """The message attributes this number to the buyer."""

    def __str__(self) -> str:
        return self.text


_NUMBER = r"(?<![\d,.])\d[\d,]{0,15}+(?:\.\d{1,6})?"
"""A number as written (at most 16 digits and commas: no price or size is longer, and a bounded
run cannot make the patterns below backtrack over a hostile string of digits)."""
_PRICE = compile_quick(
    rf"(?i)(?:\b(?:s\$|sgd|usd|us\$)\s?|\$\s?)({_NUMBER})(?:\s?(k|m|mil|mio|mn|million)\b)?"
    rf"|\b({_NUMBER})\s?(k|m|mil|mio|mn|million)\b"
    rf"|(?<![\d.,#+/-])\b(\d{{1,3}}(?:,\d{{3}}){{1,4}}|\d{{5,9}})\b(?![.,]?\d)"
)
_SCALE = {
    "k": 1_000,
    "m": 1_000_000,
    "mil": 1_000_000,
    "mio": 1_000_000,
    "mn": 1_000_000,
    "million": 1_000_000,
}
_PER_AREA = compile_quick(
    r"(?i)^\s*(?:psf|per\s+sq(?:uare)?\.?\s*f(?:ee|oo)?t|/\s*sq\.?\s*ft|/sqft)"
)
_PER_SQM = compile_quick(
    r"(?i)^\s*(?:psm|per\s+sq(?:uare)?\.?\s*m(?:etres?|eters?)?\b|/\s*sq\.?\s*m\b|/sqm|per\s+m²)"
)
_PERIOD = (
    r"/\s*(?:month|mth|mo|year|yr|annum)\b|per\s+(?:month|mth|year|yr|annum)\b"
    r"|an?\s+(?:month|year|yr|annum)|monthly|annually|p\.?m\.?(?!\w)|p\.?a\.?(?!\w)"
)
"""A figure's period ("/month", "a year", "p.a."): rent, fees, a yield; no price."""
_PER_PERIOD = compile_quick(rf"(?i)^\s*(?:{_PERIOD})")
_NOT_A_PRICE_AFTER = compile_quick(
    rf"(?i)^\s*(?:{_PERIOD}|/|per\b|sq|square|ft|sf\b|m²|m2\b|mth|month|yr|year|%|percent"
    r"|(?:option|booking|deposit|admin|agent|legal|stamp|maintenance|service|conservancy)"
    r"|(?:m|metres?|meters?|km)\s+(?:away|from|to|walk)|m\b(?=\s*(?:away|from|to)))"
)
_MONEY_AFTER = compile_quick(
    r"(?i)^\s*(?:aside\s+)?(?:(?:for|in|of|on)\s+(?:the\s+|(?P<your>your)\s+)?)?(?:(?:hdb|bank|housing)\s+)?"
    r"(?:loans?\b|mortgage|down\s*payment|downpayment|cash\b|cpf\b|bsd\b|absd\b|ssd\b"
    r"|stamp\s+dut(?:y|ies)|legal\s+fees?|fees\b|taxes\b|grants?\b|savings\b|income\b|salary\b|renovation|reno\b"
    r"|all[\s-]in\b|(?:is|would\s+be)\s+(?:about\s+|around\s+|roughly\s+|~)?[\d.]+\s*%\s+"
    r"(?:below|under|above|over|off)\s+(?:the\s+)?(?:(?:s\$|\$)?[\d.,]+\s?[km]?\s+)?(?:asking|valuation"
    r"|list(?:ing)?\s+price))"
)
"""Money named by the words after it ("a $1.0M loan", "~$13.4k BSD", "$34k for stamp duty",
"150k in your CPF", "$628k-$658k all-in", "750k is about 3.8% below asking"): no listing's
price; the buyer's own when the message says so."""
_YOUR = compile_quick(r"(?i)\byour\s+(?:\w+\s+)?(?:~|about\s+|around\s+)?(?:s\$|\$)?$")
_OFFER_AFTER = compile_quick(r"(?i)^\s*(?:offer|bid|counter-?offer)\b")
_OFFERS_AROUND = compile_quick(
    r"(?i)(?:\boffers?\s+(?:around|at|near|above|below|from|close\s+to)"
    r"|\b(?:could|can|might|may)\s+(?:try|start\s+at|go\s+in\s+at|open\s+at|offer))"
    r"\s+(?:about\s+|~)?(?:s\$|\$)?$"
)
"""An offer spoken of or suggested ("offers around $1.2M", "you could try $650k"): a number for
a negotiation, no listing's price."""
_OFFER_PUT = compile_quick(
    r"(?i)\b(?:put\s+(?:forward|in|up)|submit(?:ting)?|pass(?:ing)?\s+on|convey(?:ing)?)"
    r"\s+(?:(?:an?|your)\s+offer\s+(?:of\s+)?)?(?:about\s+|around\s+|~)?(?:s\$|\$)?$"
)
"""An offer ("your $1.1M offer", "I can put forward $400k"): the buyer's number, never a
listing's price."""
_NOT_A_PRICE_BEFORE = compile_quick(
    r"(?i)(?:singapore|s\(|postal(?:\s+code)?|blk|block|unit|#|tel|phone|call|whatsapp|\+65"
    r"|(?:option\s+fee|deposit|fee|commission|stamp\s+duty|down\s*payment)(?:[\s,]+(?:so|of|is|about"
    r"|around|approx\.?|roughly|will\s+be|comes\s+to|works\s+out\s+to|that's|which\s+is|would\s+be"
    r"|just|only)){0,3}|grants?"
    r"|(?:monthly|maintenance|conservancy)\s+(?:fees?\s+)?(?:of|is|are)?"
    r"|\brent(?:s|ing|al)?(?:\s+(?:out|of|is|at|for|about|around|roughly))*\s*~?"
    r"|\b(?:could\s+|would\s+|can\s+|should\s+)?fetch(?:es)?(?:\s+(?:about|around|roughly))?\s*~?"
    r"|(?:rented|tenanted|leased|let)(?:\s+out)?\s+(?:at|for)"
    r"|cpf|loan|income|salary|savings?"
    r"|per\s+(?:sqm|sq\.?\s?m|square\s+met\w+)(?:\s+(?:is|of|at|about|around|roughly))*)\s*:?\s*$"
)
_PSF_GAP = compile_quick(
    r"(?i)^\s*(?:psf|per\s+sq(?:uare)?\.?\s*f(?:ee|oo)?t)\s+(?:cheaper|more|less|higher|lower|apart"
    r"|difference)\b"
)
_SHARE_OF = compile_quick(
    r"(?i)\d\s*%[^.;!?%]{0,30}?(?:=|\bis\b|\bcomes\s+to\b|\bworks\s+out\s+to\b|\bwould\s+be\b|\("
    r"|\bof\s+which\b)\s*(?:about\s+|around\s+|roughly\s+|~)?(?:s\$|\$)?\s*$"
    r"|\d\s*%\s+(?:on\s+)?(?:the\s+)?(?:1st|first|next|remaining|balance|rest)(?:\s+of)?\s*(?:s\$|\$)?\s*$"
)
"""An amount worked out from a percentage: a fee, a down payment, a tax band, not a price."""
_MONEY_WORDS = frozenset(
    "loan loans ltv down downpayment cash duty bsd absd ssd legal fee fees tdsr msr income debt "
    "mortgage instalment instalments repayment repayments valuation commission deposit cpf "
    "grant grants ehg phg ahg tax monthly conveyancing renovation reno".split()
)
_MONEY_BEFORE = compile_quick(
    r"(?i)\b(?:(?:bank\s+)?loans?|ltv|down(?:\s*payment)?|cash|stamp\s+duty|bsd|absd|ssd|legal(?:\s+fees?)?"
    r"|fees?|tdsr|msr|income|debt|mortgage|instal+ments?|repayments?|valuation|commission|deposit"
    r"|cpf|grants?|ehg|phg|ahg|tax|monthly|conveyancing|renovation|reno)\b(?:[^.;!?$]|(?<=\d)\.(?=\d)){0,45}(?:\$[\d,.]+k?\s*(?:-|to|\u2013)\s*)?"
    r"(?:s\$|\$)?\s*$"
    r"|\b(?:stamp\s+duty|bsd|absd|(?:legal\s+)?fees|down\s*payment|loan)(?:\s*\([^()]{0,12}\))?\s+(?:on|at|for)"
    r"\s+(?:an?\s+|the\s+)?~?(?:s\$|\$)?\d[\d,.]*\s?(?:k|m|mil)?\s+(?:[a-z-]+\s+){0,2}?(?:is|would\s+be"
    r"|comes\s+to|works\s+out\s+to|=|:)\s*(?:about\s+|around\s+|roughly\s+|approx\.?\s+|~)?(?:s\$|\$)?\s*$"
)
"""Money that is not a listing's price: a loan, a down payment, stamp duty, fees, income."""
_HUNDREDS = compile_quick(r"(?i)\b(low|lower|mid|middle|high|upper)[\s-]*([1-9])00s\b")
_THIRDS = {"low": (0, 0.34), "mid": (0.3, 0.7), "hig": (0.66, 1.0), "upp": (0.66, 1.0)}
_TOTAL_BEFORE = compile_quick(
    r"(?i)\b(?:together|altogether|combined|in\s+total|total(?:ling|s)?|sum|add(?:s|ing)?\s+up\s+to"
    r"|for\s+(?:both|all\s+\w+))\b[^.!?\d(]{0,18}$"
)
_TOTAL_LATER = compile_quick(
    r"(?i)(?:\b(?:together|combined|both)\b[^.!?]{0,60}\b(?:would\s+(?:be|come\s+to|cost)"
    r"|comes?\s+to|adds?\s+up\s+to)|(?:\+|\band\b)[^=.!?]{0,80}(?<![=<>!])=)"
    r"\s*(?:about\s+|around\s+|~)?(?:s\$|\$)?\s*$"
)
"""A sum worked out further back ("together the 4-room ($585k) and 5-room ($688k) would be
$1,273,000", "$585k + $650k = $1,235,000")."""
_AVERAGE_BEFORE = compile_quick(
    r"(?i)\b(?:average|avg|mean|median)\b[^.!?\d$]{0,24}(?:s\$|\$)?\s*$"
)
_TOTAL_AFTER = compile_quick(
    r"(?i)^\s*(?:k|m|mil|million)?\s*(?:in\s+total|total|together|altogether|combined|for\s+both"
    r"|all\s+in(?:clusive)?\s+for\s+both)\b"
)
_RANGE_JOINT = compile_quick(r"(?i)\s*(?:-|\u2013|\u2014|to|and)\s*")
_BETWEEN = compile_quick(r"(?i)\b(?:between|from|range\s+of|in\s+the)\s*(?:s\$|\$)?\s*$")
_DELTA_AFTER = compile_quick(
    r"(?i)^\s*(?:\([^()]{0,30}\)\s*)?(?:(cheaper|less|lower|below|under|smaller|off)|(more|higher|above|pricier|dearer|over|extra|bigger|larger)"
    r"|(apart|difference|diff|in\s+between|between|gap))\b"
    r"|^\s*[\u2013\u2014:-]\s*(?:[A-Za-z][\w-]*\s+){0,3}?(?:s?\$)?\d[\d,.]*\s*(?:k|m|mil)?\s*(?:vs\.?|versus)\s"
)
_BY_GAP = compile_quick(
    r"(?i)(?:\b(cheaper|pricier|dearer|more\s+expensive|less\s+expensive|costlier|lower|higher)\b"
    r"|^\W*than\b)[^.;:!?]{0,45}\bby\s*(?:about\s+|around\s+|roughly\s+|~|\u2248)?(?:s\$|\$)?\s*$"
)
_BY_ALONE = compile_quick(
    r"(?i)\W*(?:[a-z#][\w'#-]*,?\s+|\d+\s+){1,5}by\s*(?:about\s+|around\s+|roughly\s+|~)?(?:s\$|\$)?$"
)
_LESS = {"cheaper", "less expensive", "lower"}
_GAP_BEFORE = compile_quick(
    r"(?i)\bsav(?:e|es|ing)\s+(?:you\s+)?(?:about\s+|around\s+|roughly\s+|~)?(?:s\$|\$)?\s*$"
    r"|\b(?:(?:difference|gap|spread)(?:\s+(?:between|from)\s+(?:[^.;:!?$\d]|\b1\b){0,40}?)?"
    r"(?:\s+(?:of|is|was|would\s+be|comes\s+to)(?:\s+now)?|\s*:)|differ\s+by"
    r"|apart\s+by)\s*(?:only|just|about|around|roughly|~)?\s*(?:s\$|\$)?\s*$"
)
_SPREAD_BEFORE = compile_quick(
    r"(?i)\bspread(?:\s+(?:between|from)\s+(?:[^.;:!?$\d]|\b1\b){0,40}?)?\s+(?:is|of|was)\s*"
    r"(?:only|just|about|around|roughly|~)?\s*(?:s\$|\$)?\s*$"
)
_SPREAD_AFTER = compile_quick(
    r"(?i)^\s*(?:k|m|mil)?\s*(?:(?:\w+\s+){0,2}?(?:from|between)\s+(?:the\s+)?cheapest\s+(?:to|and)"
    r"\s+(?:the\s+)?(?:priciest|dearest|most\s+expensive)\b|(?:price\s+)?spread\b)"
)
"""The spread of the prices spoken of: "spread is $120k", "$120k from cheapest to priciest"."""
_SIZES_COMPARED = compile_quick(
    r"(?i)(?:sq\.?\s?ft|sqft|sqm|square\s+feet)\s+(?:\w+\s+){0,3}?(?:bigger|larger|smaller|more|less)"
    r"(?:\s+[\w-]+)?\s*[(,:]?\s*(?:\d[\d,]*\s*(?:vs\.?|versus)\s*)?$"
)
"""A size gap said just before bare figures: the figures are the two sizes."""
_PER_SQM_BEFORE = compile_quick(
    r"(?i)\b(?:price\s+)?(?:per\s+sq(?:uare)?\.?\s*m(?:etres?|eters?)?|psm)\b[^.$\d]{0,20}"
    r"(?:s\$|\$)?\s*$"
)
_SIZE_UNIT = compile_quick(r"(?i)sq\.?\s?ft|sqft|\bsf\b|square\s+f(?:ee|oo)t|sqm|sq\.?\s?m\b|m²")
_REMAINDER_AFTER = compile_quick(
    r"(?i)^\s*(?:of\s+)?(?:buffer|headroom|cushion|to\s+spare|spare|left(?:\s+over)?|leftover"
    r"|short)\b"
)
_PER_AREA_BEFORE = compile_quick(
    r"(?i)(?<!\d\s)(?<![\d,])\b(?:psf|per\s+sq(?:uare)?\.?\s*f(?:ee|oo)?t)\b(?:[^.$\d]{0,24}"
    r"|[^.]{0,30}?\d\s*(?:psf\s*)?(?:vs\.?|versus)\s*(?:~|\u2248|about\s+|around\s+)?)"
    r"(?:s\$|\$)?\s*$"
)
"""A price per square foot said before its figure: "psf: ~$527", "psf works out to ~$1,487
vs ~$1,630" (the second figure of a "vs" too)."""
_RANGE_REST = compile_quick(
    r"(?i)^\s*(?:-|\u2013|\u2014|to)\s*(?:s\$|\$)?\s*\d[\d,]*(?:\.\d+)?\s?(?:k|m|mil)?\b"
)
"""The rest of a range after its first figure ("$350-450/month": the second figure's period is
the first's too)."""
_SCALED = compile_quick(r"(?i)\d\s?(k|m|mil|mio|mn|million)$")
_BARE_LOW = compile_quick(
    r"(?<![\d.,])(\d{1,3}(?:\.\d{1,3})?)\s*(?:-|\u2013|\u2014|to|(?P<and>and))\s*(?:s\$|\$)?$"
)
"""A range's first figure written without the scale the second has ("1.4 to 1.5M")."""
_FORMER_BEFORE = compile_quick(
    r"(?i)(?:\b(?:was|were|had\s+been|used\s+to\s+be)\s+(?:listed\s+|priced\s+|asking\s+)?"
    r"(?:at\s+)?(?P<needs_time>)|\b(?:previously|originally|formerly|(?:down|up|reduced|lowered|cut"
    r"|dropped|raised|increased)\s+from|(?:lowered|dropped|reduced|cut|raised|increased|revised)\b"
    r"[^.;!?\d$]{0,30}\bfrom)\s+(?:listed\s+at\s+|at\s+)?)(?:s\$|\$)?\s*$"
)
_FORMER_AFTER = compile_quick(
    r"(?i)^[\s,]*(?:previously|before|originally|earlier|at\s+first|last\s+(?:week|month|year)"
    r"|when\s+(?:it\s+was\s+)?(?:first|1st)\s+listed|(?:\w+\s+){1,2}ago"
    r"|(?:in|back\s+in|until|till|up\s+to)\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
    r"|(?:in|until|till)\s+(?:the\s+)?(?:spring|summer|autumn|winter)"
    r"|(?:this|last)\s+(?:morning|weekend|quarter))\b"
)
"""A price the listing had before ("it was $590k last month", "previously $1.48M", "down
from 1.3M"): the records hold the current price only, so a former one is not checked. "Was"
alone is no sign of the past ("the Bishan one was $688k" recaps it): only with a time."""


_REMAINDER_BEFORE = compile_quick(
    r"(?i)\bleav(?:es|ing)\s+(?:you\s+|u\s+)?(?:about\s+|around\s+|~)?(?:s\$|\$)?$"
)
_AFTER_A_SIZE = compile_quick(
    r"(?i)(?:sq\.?\s?ft\.?|sqft|square\s+feet|sqm|sq\.?\s?m)\s*(?:vs\.?|versus|against|and)\s*$"
)
_SIZE_GAP = compile_quick(
    r"(?i)^\s*(?:\([^()]{0,30}\)\s*|[,/]\s*(?:about\s+|around\s+|~|\u2248)?\s*(?P<same>[\d,.]+)\s*"
    r"(?P<unit>sq\.?\s?ft|sqft|sqm|sq\.?\s?m|square\s+(?:feet|met\w+))\s*,?\s*)?"
    r"(?:(?P<more>bigger|larger|more|roomier|extra)|(?P<less>smaller|less|tinier|short|shy)"
    r"|diff(?:erence)?|apart)\b"
)
"""After a size, a gap between two sizes: "118 sq ft bigger", "52 sqm (~560 sqft) bigger",
"17 sqm, ~183 sqft more", "86 sqft extra", "(1 sqm diff)"."""
_SIZE_GAP_BEFORE = compile_quick(
    r"(?i)(?:\b(?:(?P<more>bigger|larger|roomier|clears?|beats?|exceeds?|tops?)|(?P<less>smaller|tinier"
    r"|miss(?:es)?))\b|^\W*than\b)[^.;:!?]{0,40}?\bby\s*(?:about\s+|around\s+|roughly"
    r"\s+|~|\u2248)?\s*$"
)
_EXTRA_BEFORE = compile_quick(
    r"(?i)(?:\b(?:(?:an?\s+)?(?:extra|additional)|give\s+up|giving\s+up|lose|losing|gain|gaining"
    r"|sacrifice|sacrificing|(?:more|extra|less)\s+(?:for|and\s+get)(?:\s+an?)?(?:\s+extra)?"
    r"|more,?\s+you\s+(?:get|gain)(?:\s+an?)?(?:\s+extra)?|(?:gap|difference|diff)\s+(?:is|of)\s+\S+\s+for)"
    r"|(?:^|[\s(])[+\u00b1])\s*(?:only\s+|just\s+)?(?:about\s+|around\s+|roughly\s+|~|\u2248)?$"
)
"""Before a size, what one home has over another: "for an extra 183 sq ft", "you only give up
10 sq ft"."""
_ELIDED_AGAIN = compile_quick(r"(?i)^[^.;:\d]{0,48}?\b\w+['\u2019]s\s*\(?\s*$")
"""Between a land size and a size after a possessive that leaves the noun out: "Cluny Brook's
land (8,200 sq ft) is more than double Siglap's (3,400 sq ft)": Siglap's land."""
_OF_LAND = compile_quick(r"(?i)\b(?:land|plot)\b")
_OF_LAND_AFTER = compile_quick(r"(?i)\s*(?:of\s+)?(?:land|plot)\b")
_GAP_AGAIN = compile_quick(
    r"(?i)^\s*(?:bigger|larger|more|extra|smaller|less)?\s*[(,]\s*(?:about\s+|around\s+|~|\u2248)?\s*$"
)
"""Between a size gap and the same gap in the other unit: "97 sqft more (9 sqm)"."""
_BEDROOMS = compile_quick(
    r"(?i)\b(\d{1,2})\s*(?:(?:\+\s*(?:1|study)\s*)?"
    r"(?:(?:proper|full|big|large|good[\s-]sized|decent|real|actual|separate|spacious|cosy|small)\s+)?"
    r"(?:bed(?:room)?s?|br|bdr|bdrm|bedrm|bedrms|bedders?|b/r|bhk|bedroom\s+unit)(?![a-z])"
    r"|\+\s*(?:1|study)\b(?!\d|[.,]\d|\s*(?:year|yr|month|day|%)))"
)
"""A bedroom count: "3 bedrooms", "3BR", "2+study" and "2+1" (two bedrooms and a study)."""
_ROOMS_SPOKEN_OF = compile_quick(r"(?i)bed|room|\bbr\b")
rooms_spoken_of = _ROOMS_SPOKEN_OF.search
_THE_ONES_YOU = compile_quick(
    r"(?i)\bthe\s+(\d{1,2})\s+(?:rooms\s+)?(?:that\s+|which\s+)?you(?:'ve|\s+have|\s+had)?\s+(?:asked\s+for"
    r"|need(?:ed)?|wanted|want|mentioned|said|specified|requested|were\s+after)\b"
)
_GENERIC_BEFORE = compile_quick(
    r"(?i)\b(?:(?:than|like|versus|vs\.?|compared\s+(?:to|with))\s+(?:(?:a|an|the|your|most)\s+)?"
    r"|(?:more|other|similar)\s+)"
    r"(?:(?:typical|average|normal|standard|regular|usual|ordinary|older|newer|new|old)\s+)?$"
)
_COUNTS_SET_AGAINST = compile_quick(r"(?i)\b(?:vs\.?|versus)\s*$")
_STUDIO = compile_quick(
    r"(?i)(?<!yoga\s)(?<!dance\s)(?<!art\s)(?<!music\s)\bstudio\b"
    r"(?!\s+(?:room|space|pool|gym|for\b|at\b|in\s+the\s+club))"
)
_FLAT_TYPE = compile_quick(
    r"(?i)\b([1-5])\s*(?:room|rm)\b(?!s)"
    r"|\b(executive|exec)\b(?!\s*condo)(?:\s*(?:flat|apartment|maisonette|hdb|unit|mansionette)\b)?"
    r"|\b(maisonette|jumbo\s+flat)\b|\b(EA|EM)\b"
)
_SIZE = compile_quick(
    rf"(?i)\b({_NUMBER})\s*(?:(sq\.?\s?f(?:ee)?t\.?|sqft|square\s+f(?:ee|oo)t|ft²|ft2|sf\b)"
    r"|(sq\.?\s?m(?:etres?|eters?)?\.?|sqm|square\s+met(?:re|er)s?|m²|m2\b))(?![a-z])"
)
_LAND_BEFORE = compile_quick(
    r"(?i)\b(?:land|plot|site|lot)(?:\s+(?:area|size))?\s*(?:of|is|at|:|[\u2013\u2014(\u2248=-])?\s*"
    r"(?:about|approx\.?|around|~|\u2248)?\s*$"
)
_LAND_AFTER = compile_quick(
    r"(?i)^\s*(?:\(\s*(?:about\s+|~|\u2248)?\d[\d,]*\s*sq\.?\s?m\)\s*)?(?:of\s+)?(?:(?:freehold|leasehold|corner|prime|flat"
    r"|regular|rectangular|squarish|good)\s+)?(?:land|plot|site|lot)\b"
)
_LAND_HEADING = compile_quick(
    r"(?i)^\W*(?:land|plot|site)(?:\s+(?:area|size))?\s*[:\u2014-]|^\W*(?:land|plot)[\s-]?wise\b"
)
"""A line or bullet headed "Land:" or "Land-wise": every size in it is of the land."""
_PER_AREA_HEADING = compile_quick(
    r"(?i)(?<![\w$])(?:psf|per\s+sq(?:uare)?\.?\s*f(?:ee|oo)?t|price\s+per\s+sq\.?\s*ft)\s*$"
)
_GAP_HEADING = compile_quick(r"(?i)\b(?:difference|gap|diff)\b[^:.!?$\d]{0,50}$")
_BUILT_HEADING = compile_quick(
    r"(?i)\b(?:built[\s-]?up|floor\s+area|strata(?:\s+area)?|internal\s+area|house)"
    r"(?:\s+(?:area|size))?\s*$"
)
_SAME_SIZE_AGAIN = compile_quick(
    r"(?i)^[^.;,\d()]{0,30}[(/\u2248=~]\s*(?:about|approx\.?|around|roughly|~|\u2248|or)?\s*$"
)
"""Between a size and the same size in the other unit: "1,650 sq ft (about 153 sqm)", "1,650
sq ft of land (153 sqm)"."""
_APPROX = compile_quick(
    r"(?i)(?:about|around|approx(?:imately|\.)?|roughly|~|close\s+to|nearly|almost|some|circa"
    r"|ard|abt|or\s+so|give\s+or\s+take)\s*(?:s\$|\$)?\s*$"
)
_UNDER = compile_quick(
    r"(?i)(?:under|below|less\s+than|within|(?<!add\s)(?<!adds\s)(?<!added\s)(?<!comes\s)"
    r"(?<!come\s)up\s+to|at\s+most|max(?:imum)?|no\s+more\s+than"
    r"|not\s+more\s+than|cheaper\s+than|lower\s+than|below|<|sub|beneath|short\s+of"
    r"|fits?(?:\s+(?:in|into|within))?|affordable\s+(?:on|with(?:in)?))"
    r"\s*(?:the\s+|a\s+|your\s+)?(?:s\$|\$)?\s*$"
)
_OVER = compile_quick(
    r"(?i)(?:over|above|more(?:\s+(?:space|room))?\s+than|at\s+least|from|starting(?:\s+from|\s+at)?|upwards\s+of"
    r"|north\s+of|>|min(?:imum)?|bigger\s+than|larger\s+than)"
    r"\s*(?:the\s+|a\s+|your\s+)?(?:s\$|\$)?\s*$"
)
_A_GAP_BEFORE = compile_quick(
    r"(?i)(?:\$\s?\d[\d,.]*\s?(?:k|m|mil|million)?|\d[\d,.]*\s?(?:k|m|mil|million|%))\s*"
    r"(?:\([^()]{0,30}\)\s*)?$"
)
_GAP_WORD = compile_quick(
    r"(?i)(?:below|under|above|over|from|(?:more|less|cheaper|lower|higher)\s+than)\b"
)
"""A figure just before "below"/"above": "$80k below the $1.18M asking" says how far below;
the figure after the word is stated as it is."""
_INCLUSIVE = compile_quick(
    r"(?i)\s*(?:within|up\s+to|at\s+most|max|no\s+more|not\s+more|at\s+least|from|starting|min"
    r"|fit|afford)"
)
_NOT = compile_quick(
    r"(?i)\b(?:not|isn'?t|aren'?t|wasn'?t|no\s+longer|never|nor|rather\s+than)\s+(?:a\s+|an\s+|the\s+)?$"
)

# The buyer's own numbers: "your 1.5M budget", "your budget of 1.5M", "you mentioned 700k",
# "the 700k you mentioned", "within budget".
_BUYERS_BEFORE = compile_quick(
    r"(?i)(?:\byour\b(?:\s+[\w'\u2019-]+){0,3}|\byou(?:'ve|'d|'re)?\s+(?:\w+\s+){0,2}"
    r"(?:mentioned|said|wanted|want|gave|told|shared|set|specified|indicated|asked|prefer"
    r"|need|looking|considering|can\s+afford|budgeted|capped|stated|noted|wrote)"
    r"(?:\s+(?:for|at|of|about|around|is|was|under|below|up\s+to|within|a|an|the|me|us|max"
    r"|maximum|min|minimum|roughly|approx\.?))*"
    r"(?:\s+[\w-]+(?:\s+[\w-]+)?\s+(?:under|below|within|up\s+to|around|about|of))?"
    r"|\bbudget(?:\s+(?:of|is|was|at|around|about|cap|max|limit|under|below|within|up\s+to))*\b"
    r"|\bas\s+you\s+\w+,?|^\W*with(?:\s+(?:a|your)\s+budget\s+of)?)\s*(?:of|is|was|at|:|around|about)?"
    r"\s*~?\s*(?:s\$|\$)?\s*$"
)
_BUYERS_AFTER = compile_quick(
    r"(?i)^\s*(?:k|m|mil|million)?\s*(?!(?:is\s+|are\s+|and\s+|so\s+|still\s+|well\s+)*"
    r"(?:above|over|under|below|within|outside|beyond|out\s+of|than)\b)"
    r"(?:[\w-]+\s+){0,2}?(?:budget|range|limit|cap|ceiling|max"
    r"|(?:that\s+|which\s+)?(?:you|your\s+[\w'\u2019-]+)(?:'ve|'d|'re|\u2019re|\s+have|\s+had)?"
    r"\s+(?:\w+\s+)?(?:mentioned"
    r"|said|wanted|saw|seen|heard|read|looking\s+for|after"
    r"|asked|need|gave|specified|told|prefer|set|shared|stated|indicated|wrote|budgeted"
    r"|can\s+(?:stretch|afford|go|do|spend|manage)|are\s+(?:ok|okay|comfortable|looking)"
    r"|have\s+in\s+mind|set\s+aside))"
)

_SOLD = compile_quick(
    r"(?i)\b(?:sold|snapped\s+(?:it\s+|them\s+)?up|been\s+bought|found\s+a\s+buyer|off\s+the\s+market|transacted"
    r"|(?:a|the|another)\s+new\s+(?:buyer|owner)|\bnew\s+owners?\b|handed\s+over\s+the\s+keys"
    r"|keys\s+(?:have\s+been\s+|were\s+)?handed\s+over|collected\s+the\s+keys"
    r"|(?:sale|deal|transaction)(?:'s|\s+is|\s+was|\s+has\s+been)?\s+"
    r"(?:done|completed|closed|sealed|through)|completed\s+(?:the|its)\s+sale"
    r"|(?:someone|somebody)\s+else\s+(?:has|owns|got)\s+(?:the\s+keys|it)"
    r"|(?:is|was|'s|has\s+been|have\s+been|already|just|got|been|now|kena)\s+(?:taken|gone)\b"
    r"(?!\s+(?:care|over|into|up|down|through|for|by\s+surprise)))"
)
_PENDING = compile_quick(
    r"(?i)\b(?:reserved|under\s+offer|on\s+hold|pending\b(?!\s+(?:your|you|confirmation|approval"
    r"|the\s+agent|her|his|\w+'s\s+(?:confirmation|approval|reply|ok|go-ahead)))|(?:an?\s+)?offer\s+(?:pending|accepted|in\s+progress)"
    r"|(?:has|got|received)\s+an?\s+(?:\w+\s+)?offer"
    r"|(?:someone|somebody|another\s+(?:buyer|party|family|agent'?s\s+buyer)|an?\s+buyer|they)\s+"
    r"(?:has\s+|have\s+|had\s+)?(?:already\s+|just\s+)?(?:put\s+down|put\s+in|paid|made|placed)\s+"
    r"(?:the\s+|an?\s+)?(?:offer|option\s+fee|deposit|booking\s+fee)"
    r"|accepted\s+(?:someone\s+else'?s|another|an|a)\s+(?:\w+\s+)?offer"
    r"|(?:granted|given|issued)\s+(?:an?\s+)?(?:option|otp)\s+to\s+(?:another|someone|a\s+buyer|the\s+buyer)"
    r"|an?\s+offer\s+(?:is|was|has\s+been)\s+(?:made|put\s+in|accepted)"
    r"|(?:option|otp)\s+(?:has\s+been\s+|was\s+)?(?:granted|issued|exercised|signed))"
)
_AVAILABLE = compile_quick(
    r"(?i)(?:\b(?:is|are|'s|it's|remains?|still|currently|now|also|and|both|unit|flat|condo|listing|house|home"
    r"|one|place|apartment|property)\s+(?:\w+\s+)?available\b"
    r"|\bavailable\s+(?:now|for\s+(?:sale|purchase|viewing|you)|to\s+(?:view|buy))"
    r"|(?:\d\s?[km]?\s+|[-\u2013:|,]\s*)avail\b(?!\s+(?:yourself|of))"
    r"|\bstill\s+(?:on\s+the\s+market|there|open|up\s+for\s+grabs|for\s+sale|around|free"
    r"|unsold|going|in\s+the\s+market)"
    r"|\bup\s+for\s+grabs|\bon\s+the\s+market|\bfor\s+sale\b|\bunsold\b|\bstill\s+got\b"
    r"|\bavailable\s+again\b"
    r"|(?:^|[,:(\u2013\u2014|-]\s*)(?:still\s+|currently\s+|now\s+)?available\b(?!\s+(?:on|at|from|slots?))"
    r"|(?<!not\s)(?<!n't\s)\bopen\s+for\s+(?:viewing|offers)"
    r"|\bnobody\s+has\s+(?:bought|taken)|\bno\s+(?:one|1)\s+has\s+(?:bought|taken))"
)
_NOT_SOLD = compile_quick(
    r"(?i)\b(?:not|isn'?t|hasn'?t\s+been|haven'?t\s+been|has\s+not\s+been|wasn'?t|never\s+been)"
    r"\s+(?:\w+\s+)?(?:sold|taken|snapped\s+up|gone)\b"
    r"|\bnot\s+yet\s+(?:been\s+)?(?:sold|taken|snapped\s+up|gone)\b"
    r"|\b(?:neither|none)(?:\s+of\s+them)?\s+(?:(?:is|are|has\s+been|have\s+been|was)\s+)?"
    r"(?:\w+\s+)?(?:sold|taken)\b"
)
"""Not sold: available, or under offer ("not sold yet, it's pending")."""
_GONE = compile_quick(
    r"(?i)\boff\s+the\s+table\b|\bsigned\s+with\s+(?:a|another|the)\s+buyer"
    r"|\bno\s+longer\s+(?:on\s+offer|open)|\bcomes\s+back\s+on\s+(?:the\s+)?market\b"
    r"|\b(?:taken|gone)\s+(?:already|liao|le)\b"
)
_OPEN = compile_quick(
    r"(?i)\b(?:still\s+)?(?:entertain(?:ing)?|accept(?:ing)?|tak(?:e|ing)|open\s+to|consider(?:ing)?)"
    r"\s+offers\b"
    r"|\b(?:hasn'?t|has\s+not|haven'?t|not\s+yet)\s+(?:yet\s+)?(?:accepted|received|taken)\s+any\s+offers?"
    r"|\b(?:nobody|no\s+(?:one|1))(?:'s|\s+has)?\s+(?:yet\s+)?(?:reserved|bought|taken"
    r"|snapped\s+(?:it\s+)?up|put\s+in\s+an?\s+offer)"
    r"|\byou\s+can\s+(?:still\s+)?(?:put\s+in|make)\s+an?\s+offer|\bopen\s+(?:for|to)\s+offers"
)
_NOT_AVAILABLE = compile_quick(
    r"(?i)\b(?:not|isn'?t|is\s+no\s+longer|no\s+longer|not\s+currently|isn'?t\s+currently"
    r"|neither\s+(?:one\s+|of\s+them\s+)?(?:is|are)|not\s+open)\s+"
    r"(?:\w+\s+)?(?:available|on\s+the\s+market|for\s+sale|up\s+for\s+grabs|for\s+viewings?)"
)
_VIEWING = compile_quick(
    r"(?i)\b(?:view(?:ing|ed)?s?|see\s+(?:it|the\s+(?:unit|flat|place|house|condo|home)|this|that"
    r"|both|them|all)|(?:pop|drop|come|swing)\s+by|come\s+see|get\s+you\s+(?:in|into)|access"
    r"|show\s+(?:it|the\s+(?:unit|flat|place|house))|keys?\s+(?:are\s+|is\s+)?with\s+me"
    r"|(?:bring|take)\s+you\s+(?:to|round|around|over|down|in)\b"
    r"|visit|show\s+you\s+(?:around|it|the\s+(?:unit|flat|place))|come\s+(?:down|by|and\s+see)"
    r"|take\s+a\s+look|have\s+a\s+look|check\s+it\s+out|walk\s*-?\s*through|tour"
    r"|can\s+do|can!|see\s+you|confirmed?\s+(?:for|the\s+(?:viewing|slot|appointment|time|visit))"
    r"|(?:viewing|slot|appointment|visit)\s+(?:is\s+|has\s+been\s+)?confirmed|booked|book\s+you"
    r"|slot\s+you|pencil\w*"
    r"|(?:\d{1,2}(?::\d\d)?\s*(?:am|pm)|(?:mon|tues|wednes|thurs|fri|satur|sun)day|tomorrow|tonight"
    r"|\bsat|\bsun)\s+(?:\w+\s+){0,2}?(?:works|is\s+(?:fine|ok|okay|good|perfect|confirmed)|can)"
    r"|(?:meet|see)\s+you\s+(?:at|by|outside|downstairs|in\s+front)"
    r"|open\s+(?:this|next|on|for\s+(?:viewing|a\s+viewing))\s*(?:weekend|week|sat|sun|\w+day)?"
    r"|\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm)\s+(?:for\s+)?the\s+(?=\w)"
    r"|(?:\b(?!(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|to(?:day|morrow|night)\b|sat\b|sun\b"
    r"|slots?\b|free\b|available\b|meet\b|you\b|me\b|us\b|on\b|or\b|and\b|sold\b|completed\b"
    r"|closed\b|signed\b|exercised\b|reserved\b|taken\b|went\b|ended\b|expired\b)[a-z][\w-]*\s+at"
    r"|how\s+about(?:\s+\w+){0,2}?)\s+\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm))\b"
)
_OFFER = compile_quick(
    r"(?i)\b(?:would\s+you\s+like|want\s+to|wanna|keen|shall\s+i|should\s+i|can\s+i|could\s+i"
    r"|happy\s+to|glad\s+to|let\s+me|i\s+can|i'll|i\s+will|arrange|book|schedule|set\s+up"
    r"|slot\s+you|free\s+to|available\s+to|open\s+for|how\s+about|interested\s+in|come"
    r"|can\s+(?:view|see|visit|come|go)|bring\s+you|ok(?:ay)?\s+for|(?:mon|tues|wednes|thurs|fri"
    r"|satur|sun)day|tomorrow|tonight|this\s+weekend|this\s+week|next\s+week|anytime|any\s+time"
    r"|after\s+work|send\s+me\s+a\s+time|fix|can|\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm))\b"
)
_NOT_THIS_ONE = compile_quick(
    r"(?i)\b(?:similar|other|another|alternatives?|instead|else|these|those|any\s+of"
    r"|can'?t|cannot|unable|no\s+longer|not\s+possible)\b"
)
_MOST_HOMES = compile_quick(
    r"(?i)\b(?:most|many|typical|typically|usually|normally|often)\s+(?:\w+\s+){0,2}?"
    r"(?:are|were|have|has|come\s+with|get|go)\s+(?:a\s+|an\s+)?$"
)
"""Homes in general as the subject ("most executives are 3 bedrooms", "most get snapped up"):
the market, not the listing (other homes named as a clause's subject: _OTHERS_SUBJECT)."""
_OTHERS_SUBJECT = compile_quick(
    r"(?i)\W*(?:units?|flats?|homes?|ones)\s+(?:in|at|of|on)\s+(?:the\s+same|this|that|similar)\b"
    r"|\W*(?:similar|other|comparable|nearby|neighbouring|recent)\s+(?:[\w+-]+\s+){0,2}?"
    r"(?:units?|flats?|homes?|ones|houses|terraces|semi-?ds|bungalows|condos|apartments|bedders"
    r"|transactions|sales|deals)\b"
    r"|\W*(?:the\s+)?(?:[\w+-]+\s+){0,2}?(?:units|flats|homes|houses|terraces|condos|apartments)"
    r"\s+(?:nearby|around\s+here|in\s+the\s+(?:area|estate|neighbourhood|vicinity))\b"
    r"|\W*(?:blk|block)\s+\d+[a-z]?\s+"
    r"(?:sold|transacted|went)\b"
)
_YOU = compile_quick(r"(?i)\byou(?:r|'ve|'d|'re)?\b")
_CHOSEN_BY_STATE = compile_quick(
    r"(?i)\W*(?:the|both|all)\s+(?:\d\s+|two\s+|three\s+)?(?:available|unsold|remaining|open)"
    r"\s+(?:ones?|units?|flats?|homes?|listings?|options?)\b"
)
_OFFER_INVITED = compile_quick(
    r"(?i)\b(?:put|submit|send|pass|bring)\s+(?:your\s+|an?\s+|the\s+)?(?:(?:s\$|\$)?[\d.,]+\s?[km]?\s+)?"
    r"offer\s+(?:to|in\s+(?:for|on))\b|\b(?:you\s+can|we\s+can|can)\s+(?:make\s+an\s+)?offer\s+(?:on|for)\b"
    r"|\bmake\s+(?:an|your)\s+offer\s+(?:on|for)\b"
    r"|\bput\s+(?:up|in)\s+(?:an?|your)\s+(?!back-?up\b)(?:\w+\s+)?offer\b"
    r"|\b(?:put|pass|take)\s+it\s+to\s+the\s+(?:seller|owner|vendor)s?\b"
)
"""An offer invited or put to a listing's owner: the listing is one that can be bought."""
_MAYBE = compile_quick(r"(?i)\b(?:will|'ll|would|could|may|might|once|when|if|unless)\b")
_CORRECTION = compile_quick(r"(?i)\b(?:sorry|actually|correction|mistake|wrong|meant|apologies)\b")
_IF_YOU = compile_quick(
    r"(?i)\bif\s+you(?:'re|\s+are)?\s+(?:looking|after|searching|open|keen|ok|okay)\b"
    r"|\byou\s+asked\s+(?:if|whether|about)\b|\b(?:i|we)\s+(?:said|mentioned|wrote|told\s+you)\b"
)
_QUESTION_TO_BUYER = compile_quick(
    r"(?i)\b(?:are|were|would|do|did|is|will|could)\s+you\b|\byour\b|\byou\s+(?:want|need|prefer)"
)
_TAG_QUESTION = compile_quick(
    r"(?i)[\s,]+(?:right|correct|rite|yah?|yeah|yes|isn'?t\s+it|is\s+it|no)\s*\?+\W*$"
)
"""A statement asked back to be confirmed ("Your max was 950k right?"): it still states."""
_NOTHING_FOUND = compile_quick(
    r"(?i)\b(?:couldn'?t|could\s+not|can'?t|cannot|didn'?t|did\s+not|don'?t|do\s+not|unable\s+to)"
    r"\s+(?:\w+\s+)?(?:find|have|see|get|locate)\b"
    r"|\bno\s+(?:\w+\s+){0,3}(?:listings?|units?|options?|matches|results|flats?|condos?)\b"
    r"|\bnothing\s+(?:in|under|below|within|that|matching|available|else|similar)\b"
    r"|\bnone\s+of\s+(?:them|these|those|the|our|my)\b|\bany\s+\d"
)

_TO_SEARCH = compile_quick(
    r"(?i)\b(?:i|we|let\s+me|happy\s+to|want\s+me\s+to|shall\s+i|should\s+i)"
    r"(?:\s*(?:can|could|will|'ll|\u2019ll|am\s+happy\s+to|would\s+be\s+happy\s+to))?"
    r"(?:\s+(?:also|try\s+and|try\s+to|go\s+and))?"
    r"\s+(?:search|look|hunt|scout|find|shortlist|keep\s+an\s+eye)(?:\s+(?:out|around))?"
    r"\s+(?:for|you)\b"
    r"|\b(?:widen|expand|extend|broaden|stretch)\s+(?:the|my|our|your)\s+search\b"
)
"""An offer to look for other homes ("I can search for 2-bedders nearby"): what it names is
what the buyer wants, said of no listing."""

# Cheap looks that let a clause skip the patterns that cannot match it (most clauses state one
# or two kinds of fact; the full patterns are the slow part of the check).
_DIGIT = compile_quick(r"\d")
_ROOM_HINT = compile_quick(r"(?i)studio|exec|maisonette|jumbo|\bE[AM]\b")
_TOKEN = compile_quick(r"[a-z]+")


def _words(text: str) -> frozenset[str]:
    return frozenset(_TOKEN.findall(text.lower()))


# The words without one of which a family of patterns cannot match: a clause's words are read
# once, and only the families they allow run (the patterns are the costly part of the check).
_NOT_AVAILABLE_WORDS = frozenset("available market sale grabs viewing viewings".split())
_NEGATION_WORDS = frozenset(
    "not isn isnt hasn haven wasn never longer no currently neither none".split()
)
_AVAILABLE_WORDS = frozenset(
    "available avail market grabs sale unsold still sold taken gone snapped bought got"
    " nobody".split()
)
_SOLD_WORDS = frozenset(
    (
        "sold snapped bought buyer market transacted taken gone owner owners keys sale deal "
        "completed transaction collected else new"
    ).split()
)
_PENDING_WORDS = frozenset("reserved offer hold pending option otp".split())
_VIEWING_EXTRA = frozenset("viewed pop drop swing get access keys key fix am pm bring".split())
_VIEWING_WORDS = _VIEWING_EXTRA | frozenset(
    (
        "view viewing viewings views see visit show come take have check walk tour can "
        "confirm confirmed booked book slot pencil pencilled look works fine ok okay good perfect"
        " meet open"
    ).split()
)
_OFFER_INVITED_WORDS = frozenset("offer seller owner vendor sellers owners".split())
_OPEN_WORDS = frozenset("entertain entertaining offers offer nobody one accepted received".split())
_GONE_WORDS = frozenset("table signed longer comes taken gone".split())
_ORDER_WORDS = frozenset(
    "cheaper cheapest pricier priciest dearer dearest expensive affordable bigger biggest larger"
    " largest smaller smallest roomier roomiest lowest highest".split()
)
_ORDER = compile_quick(
    r"(?i)\b(?:the\s+)?(cheaper|cheapest|pricier|dearer|more\s+expensive|bigger|larger|smaller"
    r"|roomier)\s+(?:of\s+the\s+(?:two|2|pair)|one|1)\b"
)
_ORDER_SAID = compile_quick(
    r"(?i)\b(?:is|are|'s|but|and)\s+(?:(?:slightly|a\s+bit|a\s+little|much|way|also|even)\s+)?"
    r"(cheaper|pricier|dearer|more\s+expensive|less\s+expensive|bigger|larger|smaller|roomier)\b"
    r"(?:\s+than(?=\s+(?:the\s+)?[A-Z])|(?=\s*(?:[,.!:;)]|[\u2013\u2014]|at\b|with\b|but\b|$)))"
)
"""A comparative said of one listing against the other spoken of ("X is pricier", "X is
slightly bigger: ...") or against one named after it ("X is bigger than Y")."""
_ORDER_VALUE = {
    "cheaper": "price<",
    "cheapest": "price<",
    "pricier": "price>",
    "dearer": "price>",
    "expensive": "price>",
    "bigger": "size>",
    "larger": "size>",
    "roomier": "size>",
    "smaller": "size<",
}
_RANK = compile_quick(  # "the cheapest of the three", "the biggest one", "the most affordable"
    r"(?i)(?:\bthe\s+|^\W*)(cheapest|priciest|dearest|most\s+(?:expensive|affordable)"
    r"|(?:lowest|highest)(?:[\s-]priced)?|biggest|largest|smallest|roomiest)"
    r"(?:\s+(?:of\s+(?:the\s+)?(?:(\w+)|lot|bunch|them(?:\s+all)?|all)"
    r"|(?:one|option|unit|listing|place|flat|home)s?\b(?:\s+of\s+(?:the\s+)?(\w+))?)"
    r"|\b(?=\s*(?:[,.!)]|is\b|are\b|would\b|at\b|with\b|[\u2013\u2014]|$)))"
)
_RANK_VALUE = {
    "cheapest": "price<",
    "affordable": "price<",
    "lowest": "price<",
    "priciest": "price>",
    "dearest": "price>",
    "expensive": "price>",
    "highest": "price>",
    "biggest": "size>",
    "largest": "size>",
    "roomiest": "size>",
    "smallest": "size<",
}
_STATE_WORDS = (
    _OPEN_WORDS | _GONE_WORDS | _AVAILABLE_WORDS | _SOLD_WORDS | _PENDING_WORDS | _VIEWING_WORDS
) | _OFFER_INVITED_WORDS
_NOT_A_PRICE_WORDS = frozenset(
    (
        "singapore postal blk block unit tel phone call whatsapp fee fees deposit grant "
        "grants monthly maintenance conservancy rent rents renting rental fetch fetches cpf loan "
        "income salary savings "
        "commission duty downpayment down payment rented tenanted leased let "
        "option s"
    ).split()
)


_RELATION_TEXT = (
    "not isn't isnt aren't wasn't longer never nor rather about around approx approximately "
    "approx. roughly ~ close nearly almost some circa ard abt so take just slightly under below "
    "less within up most max maximum more cheaper lower < sub beneath short over above least "
    "from starting start upwards north > min minimum bigger larger fit fits afford affordable"
)
_RELATION_WORDS = frozenset(_RELATION_TEXT.split())
_RELATION_TOKEN = compile_quick(r"[\w~<>']+")
"""Words of which one is among the last few before a number that is compared, not stated."""
_HOUSEHOLD = compile_quick(
    r"(?i)\byour\s+(?:\w+\s+)?(\d{1,2})\s+(?:little\s+|young\s+)?(?:kids?|children|child|sons?"
    r"|daughters?|boys?|girls?|grandkids|grandchildren|pets?|dogs?|cats?)\b"
    r"|\byour\s+(?:\w+\s+)?family\s+of\s+(\d{1,2})\b|\b(?:all|the)\s+(\d{1,2})\s+of\s+you\b"
)
"""A count of the buyer's household the message says ("your 3 kids", "your family of five"):
the buyer must have written it."""
_BUYERS_HINT = compile_quick(r"budget|range|limit|\bcap\b|ceiling|\bmax\b|\byour?\b")


def land_label(text: str) -> bool:
    """Whether `text` is a heading that makes the sizes after it the land's ("Land:")."""
    return _LAND_HEADING.match(text.strip() + ":") is not None


def built_label(text: str) -> bool:
    """Whether `text` ends in a heading that makes the sizes after it the home's own, not the
    land's ("Built-up:", "Floor area:")."""
    return _BUILT_HEADING.search(text) is not None


def per_area_label(text: str) -> bool:
    """Whether `text` ends in a heading that makes the money after it a price per square foot
    ("psf: ~$527 vs ~$500")."""
    return _PER_AREA_HEADING.search(text) is not None


def gap_label(text: str) -> bool:
    """Whether `text` ends in a heading that makes the money after it a gap between two
    listings ("Difference: $80k", "Gap from the cheapest to the next: $113k")."""
    return _GAP_HEADING.search(text) is not None


_SIGN = compile_quick(r"(?:^|[\s(])[+\u00b1]\s*$")
_ADDED = compile_quick(r"[\dkKmM%)]\s*[+\u00b1]\s*$")


def _signed(text: str, start: int) -> bool:
    """Whether the figure at `start` carries a sign ("+$25k"), not a "+" between two figures
    ("$585k + $420k")."""
    before = text[max(0, start - 12) : start]
    return _SIGN.search(before) is not None and _ADDED.search(before) is None


def answers_by_how_much(text: str, start: int) -> bool:
    """Whether the figure at `start` answers which of two is cheaper or bigger, and by how
    much ("Clementi, by about $32k.")."""
    return start < 40 and _BY_ALONE.match(text, 0, start) is not None


def gap_ahead(text: str) -> bool:
    """Whether `text`, after a figure, makes it a gap: "43k — AMK 408k vs TP 365k"."""
    return _DELTA_AFTER.match(text) is not None


def money_label(text: str) -> bool:
    """Whether `text` ends in words that make the money after them no listing's price."""
    return _MONEY_BEFORE.search(text) is not None


_AT_LEAST = compile_quick(
    r"(?i)\b(?:over|above|more\s+than|at\s+least|upwards\s+of|north\s+of|just\s+over)"
    r"\s*(?:s\$|\$)?\s*$"
)
_AT_MOST = compile_quick(
    r"(?i)\b(?:under|below|less\s+than|at\s+most|just\s+under|not\s+quite|shy\s+of)"
    r"\s*(?:s\$|\$)?\s*$"
)


def bound(text: str, start: int) -> str:
    """How the number at `start` bounds what it counts: "over 600 sq ft more" ("over"),
    "under 50k cheaper" ("under"), or not at all ("")."""
    if _said_before(_AT_LEAST, text, start, 16):
        return "over"
    return "under" if _said_before(_AT_MOST, text, start, 16) else ""


def approximate(text: str, start: int) -> bool:
    """Whether the number at `start` is said to be approximate ("almost 300 sq ft more")."""
    return _said_before(_APPROX, text, start, 24) is not None


def _before(text: str, start: int, width: int = 48) -> str:
    return text[max(0, start - width) : start]


def _said_before(
    pattern: re.Pattern[str], text: str, start: int, width: int
) -> re.Match[str] | None:
    """`pattern` in the `width` characters before `start`, after a quick look for its words
    (most windows hold none of them, and the look costs a fraction of the search)."""
    if not _in_clause(pattern.pattern, pattern.flags, text):  # the clause lacks its words,
        return None  # so does every window of it
    window = text[max(0, start - width) : start]
    return pattern.search(window) if may_match(pattern, lower_for_gate(window)) else None


@lru_cache(maxsize=8192)
def _in_clause(source: str, flags: int, text: str) -> bool:
    """`may_match` of a pattern on a whole clause, looked at once for all its windows."""
    return source_may_match(source, flags, _lowered(text))


@lru_cache(maxsize=1024)
def _lowered(text: str) -> str:
    return lower_for_gate(text)


def _gap_relation(before: str, word: re.Match[str]) -> bool:
    """Whether the relation word `word` in `before` says how far a figure before it is from
    the next ("$80k below the $1.18M asking"), not how the next compares."""
    gap_word = _GAP_WORD.match(word.group(0)) is not None
    return gap_word and _A_GAP_BEFORE.search(before, 0, word.start()) is not None


def _relation(text: str, start: int) -> Relation:
    before = _before(text, start, 32)
    if not _RELATION_WORDS.intersection(_RELATION_TOKEN.findall(before.lower())[-5:]):
        return "="  # the common case, without the patterns below
    if _NOT.search(before):
        return "!="
    if _APPROX.search(before):
        return "~"
    under = _UNDER.search(before)
    if under and not _gap_relation(before, under):
        return "<=" if _INCLUSIVE.match(under.group(0)) else "<"
    over = _OVER.search(before)
    if over and not _gap_relation(before, over):
        return ">=" if _INCLUSIVE.match(over.group(0)) else ">"
    return "="


_WITH_BEFORE = compile_quick(
    r"(?i)\bwith\s+(?:about|around|roughly|approx\.?|~|only|just)?\s*(?:s\$|\$)?$"
)


_MEANS_AFTER = compile_quick(r"(?i)\s+(?:the|you|u|your)\b")


def _means(text: str, match: re.Match[str]) -> bool:
    """ "With 2M, Kim Yam Loft would have been ideal", "in the west with about 1.3 mil, the
    Clementi one fits", "With 4m the terrace works": money set off by "with" and a comma, or
    followed by what it buys, is the buyer's means."""
    after = text[match.end() : match.end() + 12]
    before = _before(text, match.start(), 24)
    set_off = after.startswith(",") or _MEANS_AFTER.match(after) is not None
    return set_off and _WITH_BEFORE.search(before) is not None


def _buyers(text: str, start: int, end: int) -> bool:
    before, after = _before(text, start).lower(), text[end : end + 60].lower()
    if "you" not in before and "budget" not in before and not _BUYERS_HINT.search(after):
        return False
    return bool(_BUYERS_BEFORE.search(before) or _BUYERS_AFTER.match(after))


def _former(text: str, match: re.Match[str]) -> bool:
    """Whether the price at `match` is one the listing had before (_FORMER_BEFORE)."""
    said = _said_before(_FORMER_BEFORE, text, match.start(), 48)
    if said is None:
        return False
    return said.group("needs_time") is None or _FORMER_AFTER.match(text[match.end() :]) is not None


def _prices(text: str) -> list[Claim]:
    claims = []
    for match in _PRICE.finditer(text):
        digits = match.group(1) or match.group(3) or match.group(5)
        suffix = (match.group(2) or match.group(4) or "").lower()
        after = text[match.end() :]
        per_area = _PER_AREA.match(after) or _PER_SQM.match(after)  # "$1,772 per sq ft"
        if _NOT_A_PRICE_AFTER.match(after) and not per_area:
            continue
        rest = _RANGE_REST.match(after)  # "$350-450/month": a month's, both figures
        beyond = after[rest.end() :] if rest else ""  # a range's unit is both figures' unit
        if rest and _PER_PERIOD.match(beyond):
            continue
        if _former(text, match) or _said_before(_AVERAGE_BEFORE, text, match.start(), 40):
            continue  # "it was $590k last month"; "the average is about $551,667"
        value = float(digits.replace(",", "")) * _SCALE.get(suffix, 1)
        named = _MONEY_AFTER.match(after) or (rest and _MONEY_AFTER.match(beyond))
        put = None if named else _said_before(_OFFER_PUT, text, match.start(), 32)
        offer = (
            put
            or _OFFER_AFTER.match(after)
            or _said_before(_OFFERS_AROUND, text, match.start(), 24)
        )
        if named or offer:  # a loan, stamp duty, cash, an offer: no listing's price, checked
            # only as the buyer's own number when the message says it is theirs
            yours = (named and named.group("your")) or put
            if yours or _said_before(_YOUR, text, match.start(), 24):
                claims.append(Claim("price", value, "=", match.start(), match.group(0), True))
            continue
        delta = _DELTA_AFTER.match(after)
        if _signed(text, match.start()):  # "+3 sqm for +$25k": a difference
            claims.append(Claim("price_gap", value, "~", match.start(), match.group(0)))
            continue
        by = _said_before(_BY_GAP, text, match.start(), 60)
        if by:  # "cheaper than the Bishan one by 160k"; "than X by 160k": by how much only
            word = (by.group(1) or "").lower()
            relation: Relation = "~" if not word else "<" if word in _LESS else ">"
            claims.append(Claim("price_gap", value, relation, match.start(), match.group(0)))
            continue
        if answers_by_how_much(text, match.start()):
            # "Sky Vue by 470k.": by how much, answering which one is cheaper
            claims.append(Claim("price_gap", value, "~", match.start(), match.group(0)))
            continue
        if _said_before(_SPREAD_BEFORE, text, match.start(), 64) or _SPREAD_AFTER.match(after):
            # "Spread is $120k from cheapest to priciest": the priciest less the cheapest
            relation = _relation(text, match.start())
            claims.append(Claim("price_spread", value, relation, match.start(), match.group(0)))
            continue
        if delta or _said_before(_GAP_BEFORE, text, match.start(), 72):
            # "30k cheaper than Clementi Vista", "a gap of 480k": between two listings
            direction: Relation = (
                "<" if delta and delta.group(1) else ">" if delta and delta.group(2) else "~"
            )
            claims.append(Claim("price_gap", value, direction, match.start(), match.group(0)))
            continue
        if (
            _said_before(_TOTAL_BEFORE, text, match.start(), 24)
            or _TOTAL_AFTER.match(after)
            or _said_before(_TOTAL_LATER, text, match.start(), 96)
        ):
            # "together about 2.1M", "so 1.54M in total": the sum of the listings spoken of
            relation = _relation(text, match.start())
            claims.append(Claim("price_total", value, relation, match.start(), match.group(0)))
            continue
        if match.group(5) and _said_before(_AFTER_A_SIZE, text, match.start(), 24):
            # "1,292 sqft vs 1,270 for the Loft": the second figure is a size too
            claims.append(Claim("size", f"{value} sqft", "=", match.start(), match.group(0)))
            continue
        per_sqm = (
            _PER_SQM.match(after)
            or (rest and _PER_SQM.match(beyond))  # "$7,500-8,000 psm"
            or (
                not _PER_AREA.match(after)  # "$5,822 per sqm, $541 psf": its own unit first
                and _said_before(_PER_SQM_BEFORE, text, match.start(), 32)
            )
        )
        per_sqft = (
            _PER_AREA.match(after)
            or (rest and _PER_AREA.match(beyond))  # "$1,350-$1,400 psf"
            or _said_before(_PER_AREA_BEFORE, text, match.start(), 48)
        )
        if per_sqm or per_sqft:
            if _PSF_GAP.match(after):
                continue  # "$147 psf cheaper": a gap between two listings' psf, not checked
            psf = value / SQFT_PER_SQM if per_sqm else value  # "$7,742 per sqm": $719 psf
            claims.append(
                Claim("psf", psf, _relation(text, match.start()), match.start(), match.group(0))
            )
            continue
        if match.group(5) and _said_before(_SIZES_COMPARED, text, match.start(), 40):
            # "11 sqft bigger (1,001 vs 990)", "699 sqft more built-up, 3,498 vs 2,799"
            claims.append(Claim("size", f"{value} sqft", "=", match.start(), match.group(0)))
            continue
        if match.group(5) and value < 20_000:  # no home costs "1,313": a size, said bare
            said = _nearest_unit(text, match.start(), match.end())
            if said is not None:
                land = _said_before(_LAND_BEFORE, text, match.start(), 24) is not None
                kind: Kind = "land_size" if land else "size"
                unit = "sqm" if _is_sqm(said) else "sqft"
                relation = _relation(text, match.start())  # "a bit over 1,600"
                buyers = _buyers(text, match.start(), match.end())  # "the 8,000 you mentioned"
                written = match.group(0)
                claims.append(
                    Claim(kind, f"{value} {unit}", relation, match.start(), written, buyers)
                )
            continue
        if _said_before(_REMAINDER_BEFORE, text, match.start(), 16) or _REMAINDER_AFTER.match(
            after
        ):
            continue  # "leaves you 30k", "12k buffer": what is left of the buyer's budget
        window = _before(text, match.start(), 24)
        hinted = "#" in window or "+" in window or _words(window) & _NOT_A_PRICE_WORDS
        if hinted and _NOT_A_PRICE_BEFORE.search(window):
            continue
        money = _before(text, match.start(), 60)
        if _words(money) & _MONEY_WORDS and _MONEY_BEFORE.search(money):
            continue  # "a loan up to 75% = $885,000", "stamp duty of around $93,600"
        if "%" in money and _SHARE_OF.search(money):
            continue  # "1% option = $14,950", "the 25% down ($212,500)", "1% on the first 180k"
        claims.append(
            Claim(
                "price",
                value,
                _relation(text, match.start()),
                match.start(),
                match.group(0),
                _buyers(text, match.start(), match.end()) or _means(text, match),
            )
        )
    for match in _HUNDREDS.finditer(text) if "00s" in text else ():
        # "in the low 900s": 900k to 933k
        low, high = _THIRDS[match.group(1).lower()[:3]]
        base = int(match.group(2)) * 100_000.0
        for value, relation in ((base + low * 100_000, ">="), (base + high * 100_000, "<=")):
            claims.append(Claim("price", value, relation, match.start(), match.group(0)))
    return _ranges(text, _scaled_lows(text, sorted(claims, key=lambda c: c.start)))


def _scaled_lows(text: str, claims: list[Claim]) -> list[Claim]:
    """ "1.4 to 1.5M", "between 1.4 and 1.5M", "$1.4-1.5M": the first figure of a range said
    without its scale has the second's (a claim of its own, joined to the second by
    `_ranges`)."""
    found = []
    for claim in claims:
        scale = _SCALED.search(claim.text) if claim.kind == "price" else None
        low = _BARE_LOW.search(text, max(0, claim.start - 24), claim.start) if scale else None
        if low is None or scale is None:
            found.append(claim)
            continue
        value = float(low.group(1)) * _SCALE[scale.group(1).lower()]
        if value >= float(claim.value) or (  # "option 3 - 1.5M", "2 and 1.5M": no range
            low.group("and") and not _said_before(_BETWEEN, text, low.start(1), 16)
        ):
            found.append(claim)
            continue
        said = found[-1] if found else None
        if said is not None and said.kind == "price" and said.start + len(said.text) == low.end(1):
            found.pop()  # "$1.4" read as a price of 1.4 dollars
        found.append(Claim("price", value, "=", low.start(1), low.group(1), claim.buyers))
        found.append(claim)
    return found


def _ranges(text: str, claims: list[Claim]) -> list[Claim]:
    """ "between 800k and 900k", "550k-700k", "from 1.1M to 1.3M": the first figure is the
    least and the second the most (a buyer's range when either figure is the buyer's); so
    for a range per square foot ("$560-$640 psf")."""
    for i in range(len(claims) - 1):
        low, high = claims[i], claims[i + 1]
        if low.kind != high.kind or low.kind not in ("price", "psf"):
            continue
        joint = text[low.start + len(low.text) : high.start]
        between = _said_before(_BETWEEN, text, low.start, 16)
        if not (_RANGE_JOINT.fullmatch(joint) and (between or not joint.strip().startswith("and"))):
            continue
        buyers = low.buyers or high.buyers
        claims[i] = Claim(low.kind, low.value, ">=", low.start, low.text, buyers)
        claims[i + 1] = Claim(high.kind, high.value, "<=", high.start, high.text, buyers)
    return claims


def _room_value(kind: str, match: re.Match[str]) -> int | str | None:
    if kind == "bedrooms":
        return int(match.group(1))
    if kind == "studio":
        return 0
    if match.group(4) and match.group(4) != match.group(4).upper():
        return None  # "ea" or "em" in lower case: a word, not Executive Apartment
    return flat_type_of(match) if match.group(1) else "executive"


def _rooms(text: str, about_rooms: bool = False) -> list[Claim]:
    lowered = text.lower()
    families = [
        ("bedrooms", _BEDROOMS, "b" in lowered or "+" in lowered),
        ("studio", _STUDIO, "studio" in lowered),
        ("flat_type", _FLAT_TYPE, "r" in lowered or "e" in lowered),
    ]
    claims = []
    for kind, pattern, possible in families:
        for match in pattern.finditer(text) if possible else ():
            value = _room_value(kind, match)
            generic = _said_before(_GENERIC_BEFORE, text, match.start(), 32)
            if generic and kind == "bedrooms" and _COUNTS_SET_AGAINST.search(generic.group(0)):
                generic = None  # "5 bedrooms vs 3 bedrooms at B": B's count
            if value is None or generic or _said_before(_MOST_HOMES, text, match.start(), 40):
                continue  # "bigger than a 5-room", "most executives are 3 bedrooms": a kind
            relation = _relation(text, match.start())
            if kind != "bedrooms" and relation != "!=":
                relation = "="  # "at least a 4-room" is a 4-room or bigger: not checked
            buyers = _buyers(text, match.start(), match.end())
            claim_kind: Kind = "flat_type" if kind == "flat_type" else "bedrooms"
            claims.append(Claim(claim_kind, value, relation, match.start(), match.group(0), buyers))
    if about_rooms or rooms_spoken_of(text):
        for match in _THE_ONES_YOU.finditer(text):  # "5 bedrooms, more than the 3 you asked for"
            relation = _relation(text, match.start())
            claims.append(
                Claim(
                    "bedrooms", int(match.group(1)), relation, match.start(), match.group(0), True
                )
            )
    return claims


def _is_sqm(unit: str) -> bool:
    """Whether a size unit as written is square metres ("sqm", "sq. m", "m²", "square metres")."""
    return unit.lower().replace(".", "").replace(" ", "").startswith(("sqm", "m", "squarem"))


def _nearest_unit(text: str, start: int, end: int) -> str | None:
    """The size unit the text last named before `start`, else the first after `end`."""
    named = list(_SIZE_UNIT.finditer(text, 0, start))
    found = named[-1] if named else _SIZE_UNIT.search(text, end)
    return found.group(0) if found else None


def _unit_of(text: str) -> str:
    match = _SIZE.search(text)
    return "sqft" if match and match.group(2) else "sqm"


def _same_size(value: float, unit: str, gap: re.Match[str]) -> bool:
    """Whether the size after the comma is this one in the other unit ("17 sqm, ~183 sqft")."""
    try:
        other = float(gap.group("same").replace(",", ""))
    except ValueError:
        return False
    other_sqft = other * SQFT_PER_SQM if _is_sqm(gap.group("unit")) else other
    sqft = value if unit == "sqft" else value * SQFT_PER_SQM
    return abs(other_sqft - sqft) <= 0.03 * max(sqft, 1.0)


def _sizes(text: str) -> list[Claim]:
    claims: list[Claim] = []
    land_heading = _LAND_HEADING.match(text) is not None
    land_until = -1  # where the last size of the land ended
    for match in _SIZE.finditer(text):
        value = float(match.group(1).replace(",", ""))
        unit = "sqft" if match.group(2) else "sqm"
        land = (
            land_heading
            or _said_before(_LAND_BEFORE, text, match.start(), 24) is not None
            or _LAND_AFTER.match(text[match.end() :]) is not None
            or (
                land_until >= 0
                and (
                    _SAME_SIZE_AGAIN.match(text[land_until : match.start()])
                    or _ELIDED_AGAIN.match(text[land_until : match.start()])
                )
            )
        )
        gap = _SIZE_GAP.match(text[match.end() :])
        if gap and gap.group("same") and not _same_size(value, unit, gap):
            gap = None  # "1,464 sqft, about 97 sqft more": a size, then the gap
        by = None if gap else _said_before(_SIZE_GAP_BEFORE, text, match.start(), 60)
        alone = not gap and not by and answers_by_how_much(text, match.start())
        extra = not gap and not by and _said_before(_EXTRA_BEFORE, text, match.start(), 24)
        last = claims[-1] if claims else None
        again = (
            last is not None
            and last.kind == "size_gap"
            and _GAP_AGAIN.match(text[last.start + len(last.text) : match.start()])
            and unit != _unit_of(last.text)  # the same gap in the other unit: "97 sqft
            # more (9 sqm)", not "an extra 183 sq ft (110 sqm vs 93 sqm)"
            and abs((value if unit == "sqft" else value * SQFT_PER_SQM) - float(last.value))
            <= 0.06 * float(last.value) + 11
        )
        if gap or by or again or extra or alone:  # "118 sq ft bigger than Rivervale", "an
            # extra 183 sq ft", "Tre Ver, by 43 sq ft": between two listings
            plots = land or _said_before(_OF_LAND, text, match.start(), 24)
            if plots or (gap and _OF_LAND_AFTER.match(text, match.end() + gap.end())):
                continue  # a gap between plots ("1,350 sqft more land"): seldom both recorded
            sqft = value if unit == "sqft" else value * SQFT_PER_SQM
            said = gap or by
            direction: Relation = (
                (">" if said.group("more") else "<" if said.group("less") else "~")
                if said is not None
                else "~"
                if extra or alone  # which of the two has the more is said elsewhere, if at all
                else last.relation  # type: ignore[union-attr]  # the same gap again
            )
            claims.append(Claim("size_gap", sqft, direction, match.start(), match.group(0)))
            continue
        if land:  # "land 4,300 sqft", "on a 4,300 sqft corner plot": the land, not the home
            land_until = match.end()
        claims.append(
            Claim(
                "land_size" if land else "size",
                f"{value} {unit}",
                _relation(text, match.start()),
                match.start(),
                match.group(0),
                _buyers(text, match.start(), match.end()),
            )
        )
    return claims


def _availability(text: str, words: frozenset[str]) -> list[Claim]:
    found: list[Claim] = []
    taken: list[tuple[int, int]] = []

    def add(state: str, match: re.Match[str]) -> None:
        if any(a <= match.start() < b for a, b in taken):
            return
        taken.append(match.span())  # its words are read, whether or not they state
        if state != "open to view" and _said_before(_MAYBE, text, match.start(), 48):
            return  # "if they don't exercise it, it'll come back on the market": not now
        if _said_before(_MOST_HOMES, text, match.start(), 40):
            return  # "most get snapped up": the market
        found.append(Claim("availability", state, "=", match.start(), match.group(0)))

    families = [
        (_NOT_AVAILABLE, "not available", words & _NOT_AVAILABLE_WORDS and words & _NEGATION_WORDS),
        (_NOT_SOLD, "not sold", words & _SOLD_WORDS and words & _NEGATION_WORDS),
        (_OPEN, "available", words & _OPEN_WORDS),
        (_GONE, "not available", words & _GONE_WORDS),
        (_AVAILABLE, "available", words & _AVAILABLE_WORDS),
        (_SOLD, "sold", words & _SOLD_WORDS),
        (_PENDING, "pending", words & _PENDING_WORDS),
    ]
    for pattern, state, possible in families:
        for match in pattern.finditer(text) if possible else ():
            add(state, match)
    for invited in _OFFER_INVITED.finditer(text) if words & _OFFER_INVITED_WORDS else ():
        add("open to view", invited)  # "you can offer on either": both are on the market
    if words & _VIEWING_WORDS and _OFFER.search(text) and not _NOT_THIS_ONE.search(text):
        for viewing in _VIEWING.finditer(text):  # "A at 10am, then B at 11.45am": each one
            add("open to view", viewing)
    return found


def _orders(text: str) -> list[Claim]:
    """ "the cheaper of the two", "the bigger one": which of two listings costs or measures
    more ("price<": the one named is the cheaper)."""
    claims = []
    for match in _ORDER.finditer(text):
        word = match.group(1).lower()
        value = _ORDER_VALUE.get(word.split()[-1] if word.startswith("more") else word, "price>")
        claims.append(Claim("order", value, "=", match.start(), match.group(0)))
    for match in _ORDER_SAID.finditer(text):  # "X is pricier", "X is bigger than Y"
        word = match.group(1).lower().split()[-1]
        value = _ORDER_VALUE.get(word, "price>")
        if match.group(1).lower().startswith("less"):
            value = "price<"
        claims.append(Claim("order", value, "=", match.start(), match.group(0)))
    for match in _RANK.finditer(text):
        value = next(
            _RANK_VALUE[w] for w in re.findall(r"\w+", match.group(1).lower()) if w in _RANK_VALUE
        )
        many = words_count(match.group(2) or match.group(3) or "")
        claims.append(Claim("rank", f"{value}{many or ''}", "=", match.start(), match.group(0)))
    return claims


_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "2": 2, "3": 3, "4": 4}


def words_count(word: str) -> int:
    """ "three" -> 3 ("the cheapest of the three"); 0 when the word is no count."""
    return _COUNTS.get(word.lower(), 0)


_ELIDED_UNIT = compile_quick(
    r"(?i)(\d[\d,.]{0,15}\s?(sq\.?\s?ft|sqft|sqm|sq\.?\s?m|k|m|mil|million)\b\s*"
    r"(?:vs\.?|versus|against)\s*)(\d[\d,]{0,15}(?:\.\d{1,6})?)"
    r"(?![\d,]|\.\d|\s*(?:sq|ft|k\b|m\b|m²|mil|million|bed|br|room))"
)


_ELIDED_UNIT_BEFORE = compile_quick(
    r"(?i)(?<![\d,.$])(\d[\d,]{0,15}(?:\.\d{1,6})?)(?![\d,.]|\s*(?:sq|ft|k\b|m\b|mil|million))"
    r"(\s*(?:vs\.?|versus|against)\s*\d[\d,.]{0,15}\s?(sq\.?\s?ft|sqft|sqm|sq\.?\s?m)\b)"
)


_ELIDED_ROOMS = compile_quick(
    r"(?i)(\b(?:has|have|had|with|gets?)\s+(?:the\s+)?(\d)\s*-?\s*(bedrooms?|beds?|br|bedders?)\b"
    r"(?:[^.!?\n]{0,80}?\b(?:has|have|had|with|gets?)\s+(?:also\s+|only\s+|just\s+)?"
    r"|\s*(?:vs\.?|versus|against)\s+))(\d)"
    r"(?![\d,]|\.\d|\s*(?:-|sq|ft|k\b|m\b|mil|bed|br|room|rm|min|storey|floor|%|year|yr|level))"
)
"""A count said again without its unit: "A has 4 bedrooms; B also has 2", "5 bedrooms vs 3 at
B"."""


_ELIDED = (
    (_ELIDED_ROOMS, r"\1\4 bedrooms"),
    (_ELIDED_UNIT, r"\1\3 \2"),
    (_ELIDED_UNIT_BEFORE, r"\1 \3\2"),
)


def units_repeated(text: str) -> str:
    """ "1,292 sqft vs 1,270" -> "1,292 sqft vs 1,270 sqft", "1,572 vs 1,033 sqft" -> "1,572
    sqft vs 1,033 sqft": both figures of a pair are in the unit one of them names; "A has 4
    bedrooms, B has 3" -> "..., B has 3 bedrooms"."""
    lowered = lower_for_gate(text)
    for pattern, written_out in _ELIDED:
        if may_match(pattern, lowered):  # most replies have none: a quick look first
            said = pattern.sub(written_out, text)
            if said != text:
                text, lowered = said, lower_for_gate(said)
    return text


def claims_in(clause: str, confirmed: bool = False, about_rooms: bool = False) -> list[Claim]:
    """Every claim `clause` makes, in order of position. `confirmed`: the clause reports a
    question the next words answer yes to ("You asked if it's a 5-room: yes, it is").
    `about_rooms`: the sentence speaks of bedrooms, so "more than the 3 you asked for" counts
    them."""
    numbers = _DIGIT.search(clause) is not None
    words = _words(clause)
    claims = _availability(clause, words) if words & _STATE_WORDS else []
    if numbers:
        claims += [*_prices(clause), *_sizes(clause)]
        claims += [
            Claim("household", int(m.group(m.lastindex or 1)), "=", m.start(), m.group(0), True)
            for m in _HOUSEHOLD.finditer(clause)
        ]
    if numbers or _ROOM_HINT.search(clause):
        claims += _rooms(clause, about_rooms)
    if words & _ORDER_WORDS:
        claims += _orders(clause)
    if not claims:
        return claims
    if _CHOSEN_BY_STATE.match(clause):  # "The 2 available ones can be viewed same day":
        # those the state picks out, whichever they are
        claims = [c for c in claims if c.kind != "availability"]
    if _OTHERS_SUBJECT.match(clause):  # "Units in the same stack have transacted at ~$1,400
        # psf": a clause about other homes states nothing about a listing ("were in the
        # $5.3-5.8M range": no buyer's range either, unless the clause says it is theirs)
        return [c for c in claims if c.buyers and _YOU.search(clause)]
    # Words that state nothing about a listing, from where they begin to the clause's end:
    # "if you're looking for a 3-bedder under 1M" (the buyer's), "you asked if it's a 4-room"
    # and "sorry, I said it was sold" (reported), "I couldn't find a 3-bedder under 1M".
    reported = _IF_YOU.search(clause)
    if reported and reported.group(0).lower().startswith(("i ", "we ")):
        reported = reported if _CORRECTION.search(clause) else None  # "As I mentioned, ..."
    if reported and not (confirmed and reported.group(0).lower().startswith("you asked")):
        claims = [c for c in claims if c.start < reported.start()]
    search = _TO_SEARCH.search(clause)
    if search:  # "I can search for 2-bedders nearby for you"
        claims = [c for c in claims if c.start < search.start() or c.buyers]
    nothing = _NOTHING_FOUND.search(clause)
    if nothing:
        claims = [
            c
            for c in claims
            if c.start < nothing.start() or (c.kind == "availability" and c.value != "open to view")
        ]
    asks = clause.rstrip().endswith("?") and not _TAG_QUESTION.search(clause)
    if asks and _QUESTION_TO_BUYER.search(clause):
        # "Are you looking for a 3-bedder under 1M?" asks; it states nothing. Only the asking
        # part: "It's S$1.58M, would you like to view it?" still states its price.
        asking = max(clause.rfind(", "), clause.rfind("; "), 0)
        claims = [c for c in claims if c.kind == "availability" or c.start < asking]
    return sorted(claims, key=lambda c: c.start)


_ROOMS_WANTED = compile_quick(r"(?i)\b(\d{1,2})\s*rooms\b")
"""A buyer's "we need 2 rooms": bedrooms (a flat type is "a 3-room", in the singular)."""


def summed_before(text: str, start: int) -> list[float]:
    """The amounts joined by "+" that the "=" just before `start` adds up ("$585k + Punggol
    Drive $420k + $650k = $1,655,000"; "Price $3,280,000 + BSD $136,400 = ..."), in order;
    empty when the figure at `start` is no such sum."""
    before = text[:start]
    equals = before.rfind("=")
    if equals < 0 or before[equals + 1 :].strip(" ~$S") != "":
        return []
    pieces = before[:equals].split("+")
    amounts = []
    for piece in pieces:
        found = list(_PRICE.finditer(piece))
        if not found:
            return []
        match = found[-1] if piece is pieces[0] else found[0]
        digits = match.group(1) or match.group(3) or match.group(5)
        suffix = (match.group(2) or match.group(4) or "").lower()
        amounts.append(float(digits.replace(",", "")) * _SCALE.get(suffix, 1))
    return amounts if len(amounts) >= 2 else []


def rooms_in(text: str) -> tuple[Claim, ...]:
    """The bedroom counts and flat types `text` names (a listing's title)."""
    return tuple(_rooms(message_in_digits(text[:MAX_TEXT])))


def rooms_asked(text: str) -> set[tuple[str, float | str]]:
    """(kind, value) of each bedroom count and flat type a buyer's message names ("need 3
    bedrooms", "we need 2 rooms")."""
    text = message_in_digits(text[:MAX_TEXT])
    wanted = {("bedrooms", int(m.group(1))) for m in _ROOMS_WANTED.finditer(text)}
    return {(c.kind, c.value) for c in _rooms(text)} | wanted


def size_in_sqft(value: str) -> tuple[float, str]:
    number, unit = value.split()
    return (float(number) if unit == "sqft" else float(number) * SQFT_PER_SQM), unit
