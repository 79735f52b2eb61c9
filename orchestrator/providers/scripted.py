"""The offline default model: deterministic, no network, the same interface as Claude.

It carries the core conversations honestly: it greets, reads a property enquiry (location, type,
budget, bedrooms) from free text, calls `search_properties`, describes the real matches from
the tool result, asks one clarifying question when the enquiry is too vague, and offers a
viewing. Every reply is rendered from Jinja2 templates that follow the persona in the system
prompt. It never invents a fact: whatever it states came back from a tool.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2

from execution.listings import parse_price
from orchestrator.providers.base import Entry, ModelTurn, ToolCall, ToolResult, UserText
from orchestrator.tools import Tool

_TYPES = {
    "hdb": "HDB", "condo": "condo", "condominium": "condo", "ec": "executive condo",
    "executive condo": "executive condo", "landed": "landed", "apartment": "apartment",
    "terrace": "terrace", "semi-d": "semi-detached", "bungalow": "detached",
    "penthouse": "penthouse", "studio": "apartment",
}  # fmt: skip
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
_STOP = {"the", "a", "an", "my", "budget", "under", "below", "around", "ard", "for", "with",
         "and", "or", "please", "pls", "area", "estate", "town", "singapore", "sg", "near",
         "within", "max", "from", "that", "which", "is", "are", "lah", "leh"}  # fmt: skip
_GREETING = re.compile(r"(?i)^\s*(hi|hello|hey|good (morning|afternoon|evening)|yo)\b[\s!.,]*$")
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
        (kind for word, kind in _TYPES.items() if re.search(rf"\b{re.escape(word)}\b", lowered)),
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


@lru_cache(maxsize=1)
def _templates() -> jinja2.Environment:
    folder = resources.files("orchestrator.prompts")
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (folder / name).read_text("utf-8")),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_reply(kind: str, system: str, **values: Any) -> str:
    """A reply from `orchestrator/prompts/replies.j2`, in the persona the system prompt names."""
    name = _NAME.search(system)
    style = _STYLE.search(system)
    persona = {
        "assistant": name.group("name") if name else "the assistant",
        "agent": name.group("agent") if name else "the agent",
        "style": style.group("style") if style else "professional",
    }
    template = _templates().get_template("replies.j2")
    module = template.make_module({"persona": persona, **values})
    lines = (" ".join(line.split()) for line in str(getattr(module, kind)()).splitlines())
    return "\n".join(line for line in lines if line)


class ScriptedProvider:
    """Deterministic stand-in for a model; see the module docstring."""

    name = "scripted"
    model = "scripted"

    async def complete(
        self, *, system: str, transcript: list[Entry], tools: list[Tool]
    ) -> ModelTurn:
        inputs = _inputs(transcript)
        message = str(inputs.get("message", ""))
        contact = inputs.get("contact_name") or ""
        last = transcript[-1] if transcript else None
        if isinstance(last, ToolResult):
            if last.is_error:
                return ModelTurn(text=render_reply("trouble", system))
            listings = json.loads(last.content) if last.content.startswith("[") else []
            if listings:
                return ModelTurn(text=render_reply("matches", system, listings=listings[:3]))
            return ModelTurn(text=render_reply("no_match", system, enquiry=read_enquiry(message)))
        if _GREETING.match(message):
            return ModelTurn(text=render_reply("greeting", system, contact=contact))
        enquiry = read_enquiry(message)
        if enquiry.searchable and any(t.name == "search_properties" for t in tools):
            call = ToolCall("scripted-1", "search_properties", enquiry.arguments())
            return ModelTurn(tool_calls=(call,))
        return ModelTurn(text=render_reply("clarify", system, enquiry=enquiry, contact=contact))


def _inputs(transcript: list[Entry]) -> dict[str, Any]:
    first = next((e for e in transcript if isinstance(e, UserText)), None)
    if first is None:
        return {}
    try:
        data = json.loads(first.text)
    except ValueError:
        return {"message": first.text}
    return data if isinstance(data, dict) else {"message": first.text}
