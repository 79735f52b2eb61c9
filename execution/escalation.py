"""When the assistant must hand the chat to the human agent: rules kept as data, and a model.

Triggers (in priority order): an explicit ask for a person (or "is this a bot?"), a legal
question, negotiation, an objection or concern, and three failed searches in a row. The rules
live in `escalation_rules.yaml`; `detect_escalation` returns the trigger and the words that
matched, so the agent sees why. A second layer (`escalation_model`, a linear model of message
shapes trained on the tuning corpora) vetoes a rule's hit on a message it is nearly sure is
ordinary, and alone hands over a message it is confident about. Both are deterministic; a
persona never changes any of this.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Annotated

import typer
import yaml
from rich.text import Text

from execution.cli_support import JsonOption, console, make_app, print_json
from execution.errors import ConfigurationError
from execution.escalation_model import Model, default_model, mask_agent
from execution.regex_gate import lower_for_gate, may_match

FAILED_SEARCHES_LIMIT = 3
FAILED_SEARCHES = "failed_searches"
VETO_BELOW = 0.3
"""A rule's hit on a message the model gives less than this chance of escalating is dropped."""
ALONE_ABOVE = 0.8
"""A message no rule caught is handed over when the model gives it more than this chance.

Both thresholds were chosen on rolling figures over the tuning corpora: each corpus from the
eighth on judged by the rules as they stood before it was written and by a model trained on
the corpora before it (mean precision 0.923 -> 0.948, recall 0.784 -> 0.951; see
`scripts/train_escalation_model.py`)."""
MODEL_REACH = 600
"""The model judges messages up to this many characters; longer ones, the rules alone. It
learned from messages of at most about 400 characters, and in a long one a single ask is
diluted among everything else (50,000 characters of praise ending "can I speak to a person?")."""
MAX_TEXT = 100_000
"""Every word of a turn is judged (a burst of buyer messages at Green API's 20,000-character
limit included: about 20 ms per 20,000 characters); only beyond this, start and end. A replay
found an offer in the middle of a 4,900-character message slipping past a 4,000 cut."""


@dataclass(frozen=True)
class Trigger:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    """Escalate wherever they match."""
    unless: tuple[re.Pattern[str], ...]
    """Removed from the message first: the ways buyers say the opposite ("no concerns")."""
    statements: tuple[re.Pattern[str], ...] = ()
    """Escalate only in a sentence that states something ("The road is noisy"), not in one
    that asks ("Is the road noisy?")."""
    questions: tuple[re.Pattern[str], ...] = ()
    """Escalate only in a sentence that asks ("Can I use my CPF for this?"), not in one that
    mentions the topic in passing ("I'm a tax accountant")."""


@dataclass(frozen=True)
class Escalation:
    trigger: str
    evidence: str
    """The words that matched (or the streak, for failed searches, or the sentence the model
    judged most like an escalation)."""
    layer: str = "rules"
    """Which layer caught it: "rules" or "shapes" (the model of message shapes)."""


_CJK = re.compile(r"[\u3400-\u9fff]")
_CJK_LATIN = re.compile(r"(?<=[\u3400-\u9fff])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?=[\u3400-\u9fff])")
_KINDS = ("patterns", "unless", "statements", "questions")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_SENTENCES = re.compile(r"(?<=[.!?。])\s+|\n+|(?<=[?\uff1f])(?=\S)")
_QUESTION = re.compile(
    r"(?i)[?\uff1f]\s*\W*$|[吗嗎呢]\W*$|^\W*(?:(?:hi|hello|hey|ok|okay|also|and|but|so|btw|agentname|hmm|oh)\W+)*"
    r"(?:is|are|am|was|were|any|how|what|what's|whats|does|do|did|will|can|could|would|should"
    r"|may|must|where|when|which|who|whom|why|got|if|need|isit|izit|issit|pls\s+advise"
    r"|i\s+(?:want|would\s+like|need)\s+to\s+(?:know|check|ask)|wondering|just\s+checking)\b"
    r"|\b(?:or\s+not|anot|a\s*not|is\s+it|right)\W*$|\b(?:i\s+wonder|not\s+sure\s+(?:if|whether)"
    r"|(?:want|wanna|would\s+like|like)\s+to\s+(?:know|check|ask|find\s+out)|curious|wondering"
    r"|(?:kindly|please|pls)\s+advise"
    r"|\b(?:ah|hor|meh|or\s+cannot|or\s+no|can\s+or\s+not|how\s+ah|when\s+ah)\W*$"
    r"|\bhow\s+(?:much|long|many|to|do|does|is|come)\b"
    r"|(?:^|,\s*|\b(?:hello|hi)\s+)(?:is|are|can|could|do|does|will|would|should|may|must)\s+"
    r"(?:i|we|my|the|it|this|he|she|they|you|u)\b|\bcan\s+(?:i|we)\s+(?:buy|use|apply|get|own|sell|rent)\b"
    r"|do\s+you\s+know|can\s+you\s+(?:tell|explain|advise|check|confirm))\b"
)


def _expand(pattern: str, words: dict[str, str], where: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in words:
            raise ConfigurationError(f"escalation rules: {where} uses unknown words {{{name}}}")
        return f"(?:{words[name]})"

    for _ in range(5):  # word lists may use other word lists
        pattern, count = _PLACEHOLDER.subn(one, pattern)
        if not count:
            return pattern
    raise ConfigurationError(f"escalation rules: {where}: word lists nest too deep")


def _compile(name: str, items: object, words: dict[str, str]) -> tuple[re.Pattern[str], ...]:
    if items is None:
        return ()
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ConfigurationError(f"escalation rules: {name} must be a list of patterns")
    try:
        return tuple(re.compile(_expand(i, words, name), re.IGNORECASE) for i in items)
    except re.error as exc:
        raise ConfigurationError(f"escalation rules: bad pattern in {name}: {exc}") from None


def _words(data: object, agent_names: tuple[str, ...]) -> dict[str, str]:
    """Named lists of alternatives (`{seller}` in a pattern), and `{agent}`: the agent's name,
    each part of it, and Ms/Mr/Mdm with the surname."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigurationError("escalation rules: words must map names to lists")
    words: dict[str, str] = {}
    for name, items in data.items():
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ConfigurationError(f"escalation rules: words.{name} must be a list")
        words[str(name)] = "|".join(items)
    names = [re.escape(n.lower()) for n in agent_names if n.strip()]
    parts = {p for n in agent_names for p in n.lower().split() if len(p) >= 3}
    surnames = [n.split()[-1].lower() for n in agent_names if len(n.split()) > 1]
    honour = [rf"(?:ms|mrs|mr|mdm|miss|madam)\.?\s+{re.escape(s)}" for s in surnames]
    own = [*names, *honour, *(rf"{re.escape(p)}\b" for p in sorted(parts))]
    words["agent"] = "|".join([*own, words.get("agent", r"the\s+agent")])
    return words


def parse_rules(text: str, agent_names: tuple[str, ...] = ()) -> tuple[Trigger, ...]:
    """Rules from YAML text (see escalation_rules.yaml); raises ConfigurationError when wrong."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not data:
        raise ConfigurationError("escalation rules: expected a mapping of trigger -> rules")
    words = _words(data.pop("words", None), agent_names)
    triggers = []
    for name, rule in data.items():
        if not isinstance(rule, dict) or not any(rule.get(k) for k in _KINDS if k != "unless"):
            raise ConfigurationError(f"escalation rules: {name} needs a list of patterns")
        unknown = set(rule) - set(_KINDS)
        if unknown:
            raise ConfigurationError(f"escalation rules: {name} has unknown keys {sorted(unknown)}")
        compiled = {kind: _compile(f"{name}.{kind}", rule.get(kind), words) for kind in _KINDS}
        triggers.append(Trigger(str(name), **compiled))
    return tuple(triggers)


@lru_cache(maxsize=256)
def default_rules(agent_name: str = "") -> tuple[Trigger, ...]:
    text = (resources.files("execution") / "escalation_rules.yaml").read_text("utf-8")
    return parse_rules(text, (agent_name,) if agent_name else ())


def normalize_message(text: str) -> str:
    """The message as both layers read it: straight quotes, one space, no blank lines."""
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT // 2] + " \n " + text[-MAX_TEXT // 2 :]
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    if _CJK.search(text):  # "要付多少ABSD": a word of Latin letters next to Chinese is a word
        text = _CJK_LATIN.sub(" ", text)
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _sentences(message: str, agent_name: str = "") -> list[tuple[str, bool]]:
    """The message's sentences, each with whether it asks ("Sarah, is it..." asks: the agent's
    name in front is an address, not the sentence's first word)."""
    parts = [p.strip() for p in _SENTENCES.split(message) if p and p.strip()]
    return [(p, bool(_QUESTION.search(mask_agent(p, agent_name)))) for p in parts]


def detect_escalation(
    text: str,
    failed_search_streak: int = 0,
    rules: tuple[Trigger, ...] | None = None,
    agent_name: str = "",
    model: Model | bool | None = True,
) -> Escalation | None:
    """The trigger a buyer's message sets off, if any, with the words that matched.

    Args:
        text: The buyer's message.
        failed_search_streak: Searches in a row that found nothing, this one included.
        rules: Override the shipped rules (tests, experiments).
        agent_name: The agent's name: asking for them by name is asking for a person.
        model: The model of message shapes (True: the shipped one; False: the rules alone).
    """
    message = normalize_message(text)
    found = _by_rules(message, rules or default_rules(agent_name), agent_name)
    shapes = default_model() if model is True else model or None
    if shapes is not None and len(message) <= MODEL_REACH:
        judged = shapes.judge(message, agent_name)
        if found is not None and judged.escalate < VETO_BELOW:
            found = None
        elif found is None and judged.escalate > ALONE_ABOVE:
            found = Escalation(judged.trigger, _likeliest(shapes, message, agent_name), "shapes")
    if found is None and failed_search_streak >= FAILED_SEARCHES_LIMIT:
        return Escalation(
            FAILED_SEARCHES, f"{failed_search_streak} searches in a row found nothing"
        )
    return found


def _likeliest(model: Model, text: str, agent_name: str) -> str:
    """The evidence for the model's call: the sentence it judges most like an escalation."""
    sentences = [s for s, _ in _sentences(text, agent_name)] or [text]
    return max(sentences, key=lambda s: model.judge(s, agent_name).escalate)


def _by_rules(message: str, rules: tuple[Trigger, ...], agent_name: str) -> Escalation | None:
    split: dict[str, list[tuple[str, bool]]] = {}  # most triggers judge the same text
    for trigger in rules:
        judged = message
        lowered = lower_for_gate(judged)
        for neutral in trigger.unless:
            if may_match(neutral, lowered):
                judged = neutral.sub(" ", judged)
                lowered = lower_for_gate(judged)
        for pattern in trigger.patterns:
            match = pattern.search(judged) if may_match(pattern, lowered) else None
            if match:
                return Escalation(trigger.name, match.group(0).strip())
        if trigger.statements or trigger.questions:
            if judged not in split:
                split[judged] = _sentences(judged, agent_name)
            for sentence, asks in split[judged]:
                words = lower_for_gate(sentence)
                for pattern in trigger.questions if asks else trigger.statements:
                    match = pattern.search(sentence) if may_match(pattern, words) else None
                    if match:
                        return Escalation(trigger.name, match.group(0).strip())
    return None


# --- `wa escalation check TEXT` --------------------------------------------------------------

app = make_app("Escalation rules: when the assistant hands the chat to the human agent.")


@app.command("check")
def check_command(
    text: Annotated[str, typer.Argument(help="A buyer's message.")],
    failed_searches: Annotated[int, typer.Option(min=0, help="Failed searches so far.")] = 0,
    agent: Annotated[
        str | None, typer.Option(help="The agent's name (asking for them by name escalates).")
    ] = None,
    as_json: bool = JsonOption,
) -> None:
    """Say whether a message would be handed to the human agent, and why."""
    found = detect_escalation(text, failed_searches, agent_name=agent or "")
    if as_json:  # always an object: {"escalate": false, ...} says it as plainly as true
        said = {"trigger": None, "evidence": None, "layer": None}
        print_json({"escalate": found is not None} | (asdict(found) if found else said))
    elif found is None:
        console.print("No escalation: the assistant answers.")
    else:
        how = "matched" if found.layer == "rules" else "judged by the model of message shapes"
        console.print(
            Text.assemble("Escalate: ", (found.trigger, "bold"), f" ({how}: {found.evidence!r})")
        )


@app.command("rules")
def rules_command(as_json: bool = JsonOption) -> None:
    """List the triggers and how many patterns each has."""
    rules = default_rules()
    listing = [
        {
            "trigger": r.name,
            "patterns": len(r.patterns) + len(r.statements) + len(r.questions),
            "unless": len(r.unless),
        }
        for r in rules
    ]
    listing.append({"trigger": FAILED_SEARCHES, "patterns": 0, "unless": 0})
    if as_json:
        print_json(listing)
        return
    for row in listing:
        console.print(f"{row['trigger']}: {row['patterns']} patterns, {row['unless']} exceptions")


if __name__ == "__main__":
    app()
