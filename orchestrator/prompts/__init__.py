"""Jinja2 templates: what the model reads (the system prompt with the agent's persona), the
texts the turn sends itself in the agent's persona (`canned_reply`: the handoff message, the
answer to a message it cannot read), and the scripted model's replies (`render_reply`)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import jinja2

from execution.agents import Agent

STYLE_HINTS = {
    "professional": "clear, courteous, businesslike",
    "friendly": "warm and approachable, plain words",
    "casual": "relaxed and chatty, like a friend who knows property",
    "premium": "polished and discreet, for high-end clients",
}


def tone_hint(tone: int) -> str:
    if tone <= 3:
        return "formal: full sentences, no emoji"
    if tone <= 7:
        return "balanced: friendly but measured"
    return "conversational: contractions welcome, at most one emoji"


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    source = (resources.files("orchestrator.prompts") / "system.md.j2").read_text("utf-8")
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True
    )
    return env.from_string(source)


@lru_cache(maxsize=1)
def _replies() -> jinja2.Environment:
    folder = resources.files("orchestrator.prompts")
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (folder / name).read_text("utf-8")),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def reply_persona(agent: Agent) -> dict[str, str]:
    """The persona as the reply templates name it: assistant, agent, style."""
    persona = agent.persona
    return {"assistant": persona.assistant_name, "agent": agent.name, "style": persona.style}


def render_reply(template: str, kind: str, persona: dict[str, str], **values: Any) -> str:
    """The macro `kind` of a reply template, in `persona`, one space between words."""
    module = _replies().get_template(template).make_module({"persona": persona, **values})
    lines = (" ".join(line.split()) for line in str(getattr(module, kind)()).splitlines())
    return "\n".join(line for line in lines if line)


def canned_reply(kind: Literal["handoff", "unreadable"], agent: Agent) -> str:
    """A text the turn sends itself, whatever the model (`canned.j2`), in the agent's persona."""
    return render_reply("canned.j2", kind, reply_persona(agent))


def system_prompt(directive_text: str, agent: Agent) -> str:
    """The directive's rendered prose, the fixed rules, and the agent's persona, in that order
    (the stable prefix a provider may cache)."""
    persona = agent.persona
    return (
        _template()
        .render(
            directive=directive_text.strip(),
            persona=persona,
            agent_name=agent.name,
            style_hint=STYLE_HINTS[persona.style],
            tone_hint=tone_hint(persona.tone),
        )
        .strip()
        + "\n"
    )
