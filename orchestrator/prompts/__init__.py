"""Jinja2 templates for what the model reads: the system prompt with the agent's persona."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

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
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False,
                             keep_trailing_newline=True)  # fmt: skip
    return env.from_string(source)


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
