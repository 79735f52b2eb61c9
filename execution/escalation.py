"""When the assistant must hand the chat to the human agent: deterministic rules, kept as data.

Triggers (in priority order): an explicit ask for a person (or "is this a bot?"), a legal
question, negotiation, an objection or concern, and three failed searches in a row. The rules
live in `escalation_rules.yaml`; `detect_escalation` returns the trigger and the words that
matched, so the agent sees why. A persona never changes any of this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Annotated

import typer
import yaml

from execution.cli_support import JsonOption, console, make_app, print_json
from execution.errors import ConfigurationError

FAILED_SEARCHES_LIMIT = 3
FAILED_SEARCHES = "failed_searches"
MAX_TEXT = 100_000
"""Every word of a turn is judged (a burst of buyer messages at Green API's 20,000-character
limit included: about 20 ms per 20,000 characters); only beyond this, start and end. A replay
found an offer in the middle of a 4,900-character message slipping past a 4,000 cut."""


@dataclass(frozen=True)
class Trigger:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Escalation:
    trigger: str
    evidence: str
    """The words that matched (or the streak, for failed searches)."""


def _compile(name: str, items: object) -> tuple[re.Pattern[str], ...]:
    if items is None:
        return ()
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ConfigurationError(f"escalation rules: {name} must be a list of patterns")
    try:
        return tuple(re.compile(item, re.IGNORECASE) for item in items)
    except re.error as exc:
        raise ConfigurationError(f"escalation rules: bad pattern in {name}: {exc}") from None


def parse_rules(text: str) -> tuple[Trigger, ...]:
    """Rules from YAML text (see escalation_rules.yaml); raises ConfigurationError when wrong."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not data:
        raise ConfigurationError("escalation rules: expected a mapping of trigger -> rules")
    triggers = []
    for name, rule in data.items():
        if not isinstance(rule, dict) or not rule.get("patterns"):
            raise ConfigurationError(f"escalation rules: {name} needs a list of patterns")
        unknown = set(rule) - {"patterns", "unless"}
        if unknown:
            raise ConfigurationError(f"escalation rules: {name} has unknown keys {sorted(unknown)}")
        triggers.append(
            Trigger(
                str(name),
                _compile(f"{name}.patterns", rule["patterns"]),
                _compile(f"{name}.unless", rule.get("unless")),
            )
        )
    return tuple(triggers)


@lru_cache(maxsize=1)
def default_rules() -> tuple[Trigger, ...]:
    return parse_rules((resources.files("execution") / "escalation_rules.yaml").read_text("utf-8"))


def _normalize(text: str) -> str:
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT // 2] + " \n " + text[-MAX_TEXT // 2 :]
    return " ".join(text.replace("\u2019", "'").split())


def detect_escalation(
    text: str,
    failed_search_streak: int = 0,
    rules: tuple[Trigger, ...] | None = None,
) -> Escalation | None:
    """The trigger a buyer's message sets off, if any, with the words that matched.

    Args:
        text: The buyer's message.
        failed_search_streak: Searches in a row that found nothing, this one included.
        rules: Override the shipped rules (tests, experiments).
    """
    message = _normalize(text)
    for trigger in rules or default_rules():
        judged = message
        for neutral in trigger.unless:
            judged = neutral.sub(" ", judged)
        for pattern in trigger.patterns:
            match = pattern.search(judged)
            if match:
                return Escalation(trigger.name, match.group(0).strip())
    if failed_search_streak >= FAILED_SEARCHES_LIMIT:
        return Escalation(
            FAILED_SEARCHES, f"{failed_search_streak} searches in a row found nothing"
        )
    return None


# --- `wa escalation check TEXT` --------------------------------------------------------------

app = make_app("Escalation rules: when the assistant hands the chat to the human agent.")


@app.command("check")
def check_command(
    text: Annotated[str, typer.Argument(help="A buyer's message.")],
    failed_searches: Annotated[int, typer.Option(min=0, help="Failed searches so far.")] = 0,
    as_json: bool = JsonOption,
) -> None:
    """Say whether a message would be handed to the human agent, and why."""
    found = detect_escalation(text, failed_searches)
    if as_json:
        print_json(found)
    elif found is None:
        console.print("No escalation: the assistant answers.")
    else:
        console.print(f"Escalate: [bold]{found.trigger}[/bold] (matched: {found.evidence!r})")


@app.command("rules")
def rules_command(as_json: bool = JsonOption) -> None:
    """List the triggers and how many patterns each has."""
    rules = default_rules()
    listing = [
        {"trigger": r.name, "patterns": len(r.patterns), "unless": len(r.unless)} for r in rules
    ]
    listing.append({"trigger": FAILED_SEARCHES, "patterns": 0, "unless": 0})
    if as_json:
        print_json(listing)
        return
    for row in listing:
        console.print(f"{row['trigger']}: {row['patterns']} patterns, {row['unless']} exceptions")


if __name__ == "__main__":
    app()
