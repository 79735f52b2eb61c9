"""Price claims: a listing's price, a gap between two prices, a total, a spread, a price per
square foot, a range; and the money that is no listing's price (rent, fees, loans, an offer,
a share worked out from a percentage), left out by the words around it."""

from __future__ import annotations

from execution.claims.claim import NUMBER, SCALE, Claim, Kind, Relation, words_of
from execution.claims.said import (
    DELTA_AFTER,
    answers_by_how_much,
    relation_of,
    said_as_former,
    said_as_means,
    said_before,
    said_by_buyer,
    text_before,
)
from execution.claims.sizes import AFTER_A_SIZE, LAND_BEFORE, SIZES_COMPARED, is_sqm, nearest_unit
from execution.listings import SQFT_PER_SQM
from execution.regex_gate import compile_quick

_PRICE = compile_quick(
    rf"(?i)(?:\b(?:s\$|sgd|usd|us\$)\s?|\$\s?)({NUMBER})(?:\s?(k|m|mil|mio|mn|million)\b)?"
    rf"|\b({NUMBER})\s?(k|m|mil|mio|mn|million)\b"
    rf"|(?<![\d.,#+/-])\b(\d{{1,3}}(?:,\d{{3}}){{1,4}}|\d{{5,9}})\b(?![.,]?\d)"
)
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
    r"(?:loans?\b|mortgage|down\s*payment|downpayment|down\b(?!\s+(?:from|to|by|on|since))"
    r"|cash\b|cpf\b|bsd\b|absd\b|ssd\b"
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
    r"|\b(?:could|can|might|may|would|should|i'd|we'd|you'd)\s+"
    r"(?:try|offer|(?:start|open|begin|go\s+in)(?:\s+(?:at|around|from|with|near|about))?))"
    r"\s+(?:about\s+|~)?(?:s\$|\$)?$"
)
"""An offer spoken of or suggested ("offers around $1.2M", "you could try $650k", "I'd start
around $245k"): a number for a negotiation, no listing's price."""
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
_BY_GAP = compile_quick(
    r"(?i)(?:\b(cheaper|pricier|dearer|more\s+expensive|less\s+expensive|costlier|lower|higher)\b"
    r"|^\W*than\b)[^.;:!?]{0,45}\bby\s*(?:about\s+|around\s+|roughly\s+|~|\u2248)?(?:s\$|\$)?\s*$"
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
_PER_SQM_BEFORE = compile_quick(
    r"(?i)\b(?:price\s+)?(?:per\s+sq(?:uare)?\.?\s*m(?:etres?|eters?)?|psm)\b[^.$\d]{0,20}"
    r"(?:s\$|\$)?\s*$"
)
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


_REMAINDER_BEFORE = compile_quick(
    r"(?i)\bleav(?:es|ing)\s+(?:you\s+|u\s+)?(?:about\s+|around\s+|~)?(?:s\$|\$)?$"
)
_NOT_A_PRICE_WORDS = frozenset(
    (
        "singapore postal blk block unit tel phone call whatsapp fee fees deposit grant "
        "grants monthly maintenance conservancy rent rents renting rental fetch fetches cpf loan "
        "income salary savings "
        "commission duty downpayment down payment rented tenanted leased let "
        "option s"
    ).split()
)


_SIGN = compile_quick(r"(?:^|[\s(])[+\u00b1]\s*$")
_ADDED = compile_quick(r"[\dkKmM%)]\s*[+\u00b1]\s*$")


def _signed(text: str, start: int) -> bool:
    """Whether the figure at `start` carries a sign ("+$25k"), not a "+" between two figures
    ("$585k + $420k")."""
    before = text[max(0, start - 12) : start]
    return _SIGN.search(before) is not None and _ADDED.search(before) is None


def money_label(text: str) -> bool:
    """Whether `text` ends in words that make the money after them no listing's price."""
    return _MONEY_BEFORE.search(text) is not None


def prices_in(text: str) -> list[Claim]:
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
        if said_as_former(text, match) or said_before(_AVERAGE_BEFORE, text, match.start(), 40):
            continue  # "it was $590k last month"; "the average is about $551,667"
        value = float(digits.replace(",", "")) * SCALE.get(suffix, 1)
        named = _MONEY_AFTER.match(after) or (rest and _MONEY_AFTER.match(beyond))
        put = None if named else said_before(_OFFER_PUT, text, match.start(), 32)
        offer = (
            put or _OFFER_AFTER.match(after) or said_before(_OFFERS_AROUND, text, match.start(), 24)
        )
        if named or offer:  # a loan, stamp duty, cash, an offer: no listing's price, checked
            # only as the buyer's own number when the message says it is theirs
            yours = (named and named.group("your")) or put
            if yours or said_before(_YOUR, text, match.start(), 24):
                claims.append(Claim("price", value, "=", match.start(), match.group(0), True))
            continue
        delta = DELTA_AFTER.match(after)
        if _signed(text, match.start()):  # "+3 sqm for +$25k": a difference
            claims.append(Claim("price_gap", value, "~", match.start(), match.group(0)))
            continue
        by = said_before(_BY_GAP, text, match.start(), 60)
        if by:  # "cheaper than the Bishan one by 160k"; "than X by 160k": by how much only
            word = (by.group(1) or "").lower()
            relation: Relation = "~" if not word else "<" if word in _LESS else ">"
            claims.append(Claim("price_gap", value, relation, match.start(), match.group(0)))
            continue
        if answers_by_how_much(text, match.start()):
            # "Sky Vue by 470k.": by how much, answering which one is cheaper
            claims.append(Claim("price_gap", value, "~", match.start(), match.group(0)))
            continue
        if said_before(_SPREAD_BEFORE, text, match.start(), 64) or _SPREAD_AFTER.match(after):
            # "Spread is $120k from cheapest to priciest": the priciest less the cheapest
            relation = relation_of(text, match.start())
            claims.append(Claim("price_spread", value, relation, match.start(), match.group(0)))
            continue
        if delta or said_before(_GAP_BEFORE, text, match.start(), 72):
            # "30k cheaper than Clementi Vista", "a gap of 480k": between two listings
            direction: Relation = (
                "<" if delta and delta.group(1) else ">" if delta and delta.group(2) else "~"
            )
            claims.append(Claim("price_gap", value, direction, match.start(), match.group(0)))
            continue
        if (
            said_before(_TOTAL_BEFORE, text, match.start(), 24)
            or _TOTAL_AFTER.match(after)
            or said_before(_TOTAL_LATER, text, match.start(), 96)
        ):
            # "together about 2.1M", "so 1.54M in total": the sum of the listings spoken of
            relation = relation_of(text, match.start())
            claims.append(Claim("price_total", value, relation, match.start(), match.group(0)))
            continue
        if match.group(5) and said_before(AFTER_A_SIZE, text, match.start(), 24):
            # "1,292 sqft vs 1,270 for the Loft": the second figure is a size too
            claims.append(Claim("size", f"{value} sqft", "=", match.start(), match.group(0)))
            continue
        per_sqm = (
            _PER_SQM.match(after)
            or (rest and _PER_SQM.match(beyond))  # "$7,500-8,000 psm"
            or (
                not _PER_AREA.match(after)  # "$5,822 per sqm, $541 psf": its own unit first
                and said_before(_PER_SQM_BEFORE, text, match.start(), 32)
            )
        )
        per_sqft = (
            _PER_AREA.match(after)
            or (rest and _PER_AREA.match(beyond))  # "$1,350-$1,400 psf"
            or said_before(_PER_AREA_BEFORE, text, match.start(), 48)
        )
        if per_sqm or per_sqft:
            if _PSF_GAP.match(after):
                continue  # "$147 psf cheaper": a gap between two listings' psf, not checked
            psf = value / SQFT_PER_SQM if per_sqm else value  # "$7,742 per sqm": $719 psf
            claims.append(
                Claim("psf", psf, relation_of(text, match.start()), match.start(), match.group(0))
            )
            continue
        if match.group(5) and said_before(SIZES_COMPARED, text, match.start(), 40):
            # "11 sqft bigger (1,001 vs 990)", "699 sqft more built-up, 3,498 vs 2,799"
            claims.append(Claim("size", f"{value} sqft", "=", match.start(), match.group(0)))
            continue
        if match.group(5) and value < 20_000:  # no home costs "1,313": a size, said bare
            said = nearest_unit(text, match.start(), match.end())
            if said is not None:
                land = said_before(LAND_BEFORE, text, match.start(), 24) is not None
                kind: Kind = "land_size" if land else "size"
                unit = "sqm" if is_sqm(said) else "sqft"
                relation = relation_of(text, match.start())  # "a bit over 1,600"
                buyers = said_by_buyer(
                    text, match.start(), match.end()
                )  # "the 8,000 you mentioned"
                written = match.group(0)
                claims.append(
                    Claim(kind, f"{value} {unit}", relation, match.start(), written, buyers)
                )
            continue
        if said_before(_REMAINDER_BEFORE, text, match.start(), 16) or _REMAINDER_AFTER.match(after):
            continue  # "leaves you 30k", "12k buffer": what is left of the buyer's budget
        window = text_before(text, match.start(), 24)
        hinted = "#" in window or "+" in window or words_of(window) & _NOT_A_PRICE_WORDS
        if hinted and _NOT_A_PRICE_BEFORE.search(window):
            continue
        money = text_before(text, match.start(), 60)
        if words_of(money) & _MONEY_WORDS and _MONEY_BEFORE.search(money):
            continue  # "a loan up to 75% = $885,000", "stamp duty of around $93,600"
        if "%" in money and _SHARE_OF.search(money):
            continue  # "1% option = $14,950", "the 25% down ($212,500)", "1% on the first 180k"
        claims.append(
            Claim(
                "price",
                value,
                relation_of(text, match.start()),
                match.start(),
                match.group(0),
                said_by_buyer(text, match.start(), match.end()) or said_as_means(text, match),
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
        value = float(low.group(1)) * SCALE[scale.group(1).lower()]
        if value >= float(claim.value) or (  # "option 3 - 1.5M", "2 and 1.5M": no range
            low.group("and") and not said_before(_BETWEEN, text, low.start(1), 16)
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
        between = said_before(_BETWEEN, text, low.start, 16)
        if not (_RANGE_JOINT.fullmatch(joint) and (between or not joint.strip().startswith("and"))):
            continue
        buyers = low.buyers or high.buyers
        claims[i] = Claim(low.kind, low.value, ">=", low.start, low.text, buyers)
        claims[i + 1] = Claim(high.kind, high.value, "<=", high.start, high.text, buyers)
    return claims


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
        amounts.append(float(digits.replace(",", "")) * SCALE.get(suffix, 1))
    return amounts if len(amounts) >= 2 else []
