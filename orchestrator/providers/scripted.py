"""The offline default model: deterministic, no network, the same interface as Claude.

It carries the core conversations honestly: it greets once, reads a property enquiry (location,
type, budget, bedrooms) from free text, calls `search_properties`, describes the real matches
from the tool result, answers questions about a listing it has shown (its price, bedrooms,
size, availability, selling points: "how much is it?", "and the Punggol one?", "the second
one?") from the record read again with `get_property`, asks one clarifying question when the
enquiry is too vague, offers a viewing and, when the buyer wants one (or says yes to the
offer), records a viewing request for the listing they mean. It also carries the other
directives (escalation, sending, follow-ups, viewing requests, persona) from the inputs they
declare. Every reply is rendered from Jinja2
templates that follow the persona in the system prompt. It never invents a fact: whatever it
states came back from a tool.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from execution.listings import parse_price
from orchestrator import prompts
from orchestrator.providers.base import Entry, ModelTurn, ToolCall, ToolResult, UserText
from orchestrator.tools import Tool

_TYPES = {
    "hdb": "HDB",
    "condo": "condo",
    "condominium": "condo",
    "ec": "executive condo",
    "executive condo": "executive condo",
    "landed": "landed",
    "apartment": "apartment",
    "terrace": "terrace",
    "semi-d": "semi-detached",
    "bungalow": "detached",
    "penthouse": "penthouse",
    "studio": "studio",  # 0 bedrooms, of any type (the search knows)
}
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_BEDROOMS = re.compile(
    r"(?i)\b(\d|one|two|three|four|five|six)\s*[- ]?\s*(?:bed(?:room)?s?|br|bedders?|rooms?)\b"
)
_MONEY = r"(?:s\$|\$|sgd\s?)?\d[\d,]*(?:\.\d+)?\s?(?:k|m|mil|million)?"
_MAX_PRICE = re.compile(
    rf"(?i)\b(?:under|below|less than|max(?:imum)?|up to|within|budget(?: of| is)?)\s*({_MONEY})"
)
_MIN_PRICE = re.compile(rf"(?i)\b(?:above|over|more than|at least|min(?:imum)?)\s*({_MONEY})")
_LOCATION = re.compile(
    r"(?i)\b(?:in|at|near|around|ard|nearby)\s+([a-z][a-z'-]*(?:\s+[a-z][a-z'-]*){0,2})"
)
_STOP = {
    "the",
    "a",
    "an",
    "my",
    "budget",
    "under",
    "below",
    "around",
    "ard",
    "for",
    "with",
    "and",
    "or",
    "please",
    "pls",
    "area",
    "estate",
    "town",
    "singapore",
    "sg",
    "near",
    "within",
    "max",
    "from",
    "that",
    "which",
    "is",
    "are",
    "lah",
    "leh",
}
_GREETING = re.compile(r"(?i)^\s*(hi|hello|hey|good (morning|afternoon|evening)|yo)\b[\s!.,]*$")
_THANKS = re.compile(
    r"(?i)^\s*(?:ok(?:ay)?[\s,]*)?(?:thanks?|thank you|thx|ty|tq|cheers)\b[\w\s!.,]{0,20}$"
)
_NAME = re.compile(r"You are (?P<name>[^,]+), the assistant of (?P<agent>[^,]+),")
_STYLE = re.compile(r"Style: (?P<style>\w+)")


@dataclass(frozen=True)
class Enquiry:
    location: str | None = None
    property_type: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    bedrooms: int | None = None

    @property
    def searchable(self) -> bool:
        return self.location is not None or (
            self.property_type is not None and (self.max_price or self.bedrooms) is not None
        )

    def arguments(self) -> dict[str, Any]:
        args = {k: v for k, v in self.__dict__.items() if v is not None}
        args["availability"] = "available"
        args["limit"] = 3
        return args


def _money(text: str) -> int | None:
    try:
        return parse_price(text.replace(" ", ""))
    except ValueError:
        return None


def read_enquiry(message: str) -> Enquiry:
    """What a buyer asked for, from free text (only what they said)."""
    lowered = message.lower()
    bedrooms = None
    if match := _BEDROOMS.search(message):
        word, said = match.group(1).lower(), match.group(0).lower()
        bedrooms = int(word) if word.isdigit() else _NUMBERS[word]
        if "bed" not in said and "br" not in said:
            bedrooms = max(bedrooms - 1, 0)  # an HDB "4-room" flat has 3 bedrooms
    property_type = next(
        (
            kind
            for word, kind in sorted(_TYPES.items(), key=lambda item: -len(item[0]))
            if re.search(rf"\b{re.escape(word)}\b", lowered)
        ),  # "executive condo" before "condo"
        None,
    )
    max_price = _money(m.group(1)) if (m := _MAX_PRICE.search(message)) else None
    min_price = _money(m.group(1)) if (m := _MIN_PRICE.search(message)) else None
    location = None
    for match in _LOCATION.finditer(message):
        words: list[str] = []
        for word in match.group(1).split():  # the place ends where the next phrase begins
            if word.lower() in _STOP or word.lower() in _TYPES or word[0].isdigit():
                break
            words.append(word)
        if words:
            location = " ".join(words)
            break
    return Enquiry(location, property_type, min_price, max_price, bedrooms)


def _persona(system: str) -> dict[str, str]:
    name = _NAME.search(system)
    style = _STYLE.search(system)
    return {
        "assistant": name.group("name") if name else "the assistant",
        "agent": name.group("agent") if name else "the agent",
        "style": style.group("style") if style else "professional",
    }


def render_reply(kind: str, system: str, **values: Any) -> str:
    """A reply from `orchestrator/prompts/replies.j2`, in the persona the system prompt names
    (a `persona` value overrides it): a model knows the agent only from what it reads."""
    persona = values.pop("persona", None) or _persona(system)
    return prompts.render_reply("replies.j2", kind, persona, **values)


_VIEWING = re.compile(
    r"(?i)\b(view(?:ing)?|visit|come (?:and|to) see|see (?:it|the (?:unit|place|flat|house|condo|"
    r"apartment|home))|arrange|book(?:ing)?|appointment|show me around)\b"
)
_YES = re.compile(r"(?i)^\s*(yes|yeah|yep|yup|sure|ok(?:ay)?|sounds good|please do|of course)\b")
_WHEN = re.compile(
    r"(?i)\b(?:(?:this|next|on)\s+)?(?:today|tonight|tomorrow|weekend|weekday|(?:mon|tues|wednes|"
    r"thurs|fri|satur|sun)day)(?:\s+(?:morning|afternoon|evening|night))?\b|"
    r"\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b|\b(?:morning|afternoon|evening)\b"
)
_DONE_LOOKING = re.compile(
    r"(?i)\b(no longer looking|not looking|stop (?:messaging|writing)|found (?:a|one|something)|"
    r"already bought)\b"
)
_TITLE_WORD = re.compile(r"[a-z0-9]{4,}")
_GENERIC = {"with", "floor", "high", "unit", "home", "near", "view", "room", "rooms", "bedroom"}


def preferred_time(message: str) -> str | None:
    """When the buyer would like to come, in their own words ("Saturday morning 10am")."""
    found = [m.group(0).strip() for m in _WHEN.finditer(message)]
    return " ".join(found) or None


def wants_viewing(message: str, history: str) -> bool:
    """The buyer asks to see a listing, or says yes to the viewing the assistant offered."""
    if _VIEWING.search(message):
        return True
    said = [line for line in history.splitlines() if line.startswith("assistant:")]
    return bool(_YES.match(message)) and bool(said) and "viewing" in said[-1]


_DETAIL = re.compile(
    r"(?i)\b(?:how much|price[ds]?|cost|asking|bed(?:room)?s?|rooms?|size|sq\.?\s?ft|sqft|"
    r"square|how big|floor area|available|availability|still (?:there|on|open)|sold|taken|"
    r"tell me (?:more|about)|more (?:info|information|details?)|details?|what about|how about|"
    r"selling points?|highlights?|features?|special)"
    r"\b|^\s*and\b"
)
"""A question about a listing: what it costs, its rooms or size, whether it is still there."""
_REFERENCE = re.compile(
    r"(?i)\b(?:it|its|that one|this one|that unit|this unit|that place|"
    r"the (first|second|third|1st|2nd|3rd) one)\b"
)
_SEARCHING = re.compile(
    r"(?i)\b(?:any|anything|got|have you|do you have|looking for|show me|find|search|others?|"
    r"else|another|more options)\b"
)
_ORDINAL = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2}
_ASPECTS = {
    "price": re.compile(r"(?i)\b(?:how much|price[ds]?|cost|asking)\b"),
    "bedrooms": re.compile(r"(?i)\b(?:bed(?:room)?s?|rooms?)\b"),
    "size": re.compile(r"(?i)\b(?:size|sq\.?\s?ft|sqft|square|how big|floor area)\b"),
    "availability": re.compile(r"(?i)\b(?:available|availability|still|sold|taken)\b"),
}


def asked_aspects(message: str) -> list[str]:
    """What a question about a listing asks: its price, bedrooms, size, availability (none of
    them: tell me about it)."""
    return [aspect for aspect, pattern in _ASPECTS.items() if pattern.search(message)]


def listing_asked_about(
    message: str, shown: list[dict[str, Any]], searchable: bool
) -> dict[str, Any] | None:
    """The shown listing a question is about ("how much is it?", "tell me more about the
    Treasure", "and the Punggol one?", "the second one?"), or None when the message is not
    a question about one of them (a new search, say). `searchable`: the message reads as an
    enquiry a search can answer (`read_enquiry`)."""
    if not shown or (searchable and _SEARCHING.search(message)):
        return None  # "any 4-room HDB in Tampines?": a new search, whatever it names
    reference = _REFERENCE.search(message)
    if reference and reference.group(1):  # "the second one": in the order they were shown
        index = _ORDINAL[reference.group(1).lower()]
        return shown[index] if index < len(shown) else None
    detail = _DETAIL.search(message) is not None
    named = _named(message, shown)
    if named and (detail or not searchable):
        return named
    if detail and (reference or not searchable):
        return shown[0]  # "how much is it?", "how many bedrooms?": the one spoken of last
    return None


def _named(message: str, shown: list[dict[str, Any]]) -> dict[str, Any] | None:
    words = set(_TITLE_WORD.findall(message.lower()))

    def score(listing: dict[str, Any]) -> int:
        return len((set(_TITLE_WORD.findall(str(listing["title"]).lower())) - _GENERIC) & words)

    best = max(shown, key=score)  # the first of equals: the newest
    return best if score(best) else None


def pick_listing(message: str, shown: list[dict[str, Any]]) -> dict[str, Any]:
    """The shown listing the buyer names (most title words in the message), else the newest."""
    return _named(message, shown) or shown[0]


class ScriptedProvider:
    """Deterministic stand-in for a model; see the module docstring. Like a model reading its
    directive, it acts on the inputs the directive declares: a buyer `message` (a turn), a
    `trigger` (escalation), a `text` (sending), a follow-up `kind`, a `property_id` (viewing)
    or persona settings."""

    name = "scripted"
    model = "scripted"

    async def complete(
        self, *, system: str, transcript: list[Entry], tools: list[Tool]
    ) -> ModelTurn:
        inputs = _inputs(transcript)
        offered = {tool.name for tool in tools}
        last = transcript[-1] if transcript else None
        result = last if isinstance(last, ToolResult) else None
        if "trigger" in inputs:
            return _escalation(inputs, result, offered)
        if "text" in inputs:
            return _sending(inputs, result, offered)
        if "kind" in inputs:
            return _follow_up(system, inputs, result, offered)
        if "assistant_name" in inputs:
            persona = {
                "assistant": inputs["assistant_name"],
                "agent": _persona(system)["agent"],
                "style": inputs.get("style") or "professional",
            }
            return ModelTurn(text=render_reply("greeting", system, persona=persona, contact=""))
        return _conversation(system, inputs, result, offered)


def _conversation(
    system: str, inputs: dict[str, Any], result: ToolResult | None, offered: set[str]
) -> ModelTurn:
    message = str(inputs.get("message", ""))
    contact = inputs.get("contact_name") or ""
    if result is not None:
        return _after_tool(system, message, result)
    if "property_id" in inputs and "request_viewing" in offered:  # the book_viewing directive
        arguments = {"property_id": int(inputs["property_id"])}
        return _call("request_viewing", arguments, preferred_time(message))
    history = str(inputs.get("history") or "")
    spoke = "\nassistant: " in f"\n{history}"  # the conversation is under way
    if _GREETING.match(message):  # it introduces itself once: then, what else can it do
        introduced = f"I'm {_persona(system)['assistant']}," in history
        kind = "greeting_again" if introduced else "greeting"
        return ModelTurn(text=render_reply(kind, system, contact=contact))
    if spoke and _THANKS.match(message):
        return ModelTurn(text=render_reply("welcome", system))
    enquiry = read_enquiry(message)
    shown = list(inputs.get("shown_listings") or [])
    if "request_viewing" in offered and not enquiry.searchable and wants_viewing(message, history):
        if not shown:
            return ModelTurn(text=render_reply("viewing_which", system))
        chosen = pick_listing(message, shown)
        arguments = {"property_id": int(chosen["property_id"])}
        return _call("request_viewing", arguments, preferred_time(message))
    asked = None
    if "get_property" in offered:
        asked = listing_asked_about(message, shown, enquiry.searchable)
    if asked is not None:  # the facts come from the record now, never from memory
        arguments = {"property_id": int(asked["property_id"])}
        return ModelTurn(tool_calls=(ToolCall("scripted-1", "get_property", arguments),))
    if enquiry.searchable and "search_properties" in offered:
        return ModelTurn(
            tool_calls=(ToolCall("scripted-1", "search_properties", enquiry.arguments()),)
        )
    reply = render_reply("clarify", system, enquiry=enquiry, contact=contact, greeted=spoke)
    return ModelTurn(text=reply)


def _call(tool: str, arguments: dict[str, Any], when: str | None) -> ModelTurn:
    if when:
        arguments["preferred_time"] = when
    return ModelTurn(tool_calls=(ToolCall("scripted-1", tool, arguments),))


def _after_tool(system: str, message: str, result: ToolResult) -> ModelTurn:
    if result.is_error:
        if result.name == "request_viewing" and "sold" in result.content:
            return ModelTurn(text=render_reply("viewing_sold", system))
        return ModelTurn(text=render_reply("trouble", system))
    if result.name == "request_viewing":
        request = json.loads(result.content)
        reply = render_reply(
            "viewing_requested",
            system,
            p=request["property"],
            when=request["preferred_time"],
            again=request["status"] == "already_requested",
        )
        return ModelTurn(text=reply)
    if result.name == "get_property":
        listing = json.loads(result.content)
        return ModelTurn(
            text=render_reply("details", system, p=listing, asked=asked_aspects(message))
        )
    listings = json.loads(result.content) if result.content.startswith("[") else []
    if listings:
        return ModelTurn(text=render_reply("matches", system, listings=listings[:3]))
    return ModelTurn(text=render_reply("no_match", system, enquiry=read_enquiry(message)))


def _escalation(inputs: dict[str, Any], result: ToolResult | None, offered: set[str]) -> ModelTurn:
    if result is not None or "hand_off_to_human" not in offered:
        return ModelTurn()  # the handoff message is sent by code
    reason = f"{inputs['trigger']}: {inputs.get('evidence') or ''}".strip(": ")
    return ModelTurn(tool_calls=(ToolCall("scripted-1", "hand_off_to_human", {"reason": reason}),))


def _sending(inputs: dict[str, Any], result: ToolResult | None, offered: set[str]) -> ModelTurn:
    if result is not None or "send_message" not in offered:
        return ModelTurn()
    return ModelTurn(tool_calls=(ToolCall("scripted-1", "send_message", {"text": inputs["text"]}),))


def _follow_up(
    system: str, inputs: dict[str, Any], result: ToolResult | None, offered: set[str]
) -> ModelTurn:
    contact = inputs.get("contact_name") or ""
    kind = str(inputs["kind"])
    buyer = [
        line for line in str(inputs.get("history") or "").splitlines() if line.startswith("buyer:")
    ]
    if buyer and _DONE_LOOKING.search(buyer[-1]):
        return ModelTurn()  # nothing to say: code cancels the ladder
    if result is not None and not result.is_error:
        listing = json.loads(result.content)
        return ModelTurn(
            text=render_reply(
                "follow_up", system, p=listing, contact=contact, last=kind == "last_check_in"
            )
        )
    shown = list(inputs.get("shown_listings") or [])
    if result is None and shown and "get_property" in offered:
        arguments = {"property_id": int(shown[0]["property_id"])}
        return ModelTurn(tool_calls=(ToolCall("scripted-1", "get_property", arguments),))
    return ModelTurn(
        text=render_reply("follow_up_open", system, contact=contact, last=kind == "last_check_in")
    )


def _inputs(transcript: list[Entry]) -> dict[str, Any]:
    first = next((e for e in transcript if isinstance(e, UserText)), None)
    if first is None:
        return {}
    try:
        data = json.loads(first.text)
    except ValueError:
        return {"message": first.text}
    return data if isinstance(data, dict) else {"message": first.text}
