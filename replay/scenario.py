"""The scenario file: setup, a timeline of what happens, and what should come of it.

A scenario is YAML (see docs/replay.md for a complete example):

    name: negotiation hands the chat to the agent
    setup:
      agents: [{name: Sarah Tan, persona: {assistant_name: Ava}, listings: listings.yaml}]
    timeline:
      - buyer: "3 bedroom condo in Tampines under 1.6M"
        expect: {replies: 1, reply: {contains: Treasure at Tampines}}
      - buyer: "Can the owner do 1.5M?"
        expect: {mode: human, escalation: negotiation}

Every step does one thing (one of the ACTIONS keys) and may say when (`after`, or
`while_generating`) and what should be true once it is over (`expect`). Parsing is strict: an
unknown key or a step doing two things is an error that names the step.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from execution.errors import ValidationError as WaValidationError

MAX_SCENARIO_BYTES = 2 * 2**20
MAX_STEPS = 500

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> timedelta:
    """`2s`, `500ms`, `72h`, `1h30m`, `7d`, or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip().lower()
        parts = _DURATION.findall(text)
        if not parts or _DURATION.sub("", text).strip():
            raise ValueError(f"not a duration: {value!r} (use e.g. 2s, 500ms, 72h, 1h30m, 7d)")
        seconds = sum(float(n) * _UNITS[unit] for n, unit in parts)
    else:
        raise ValueError(f"not a duration: {value!r}")
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {value!r}")
    return timedelta(seconds=seconds)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Texts = Annotated[list[str], BeforeValidator(_listify)]


class TextCheck(Strict):
    """Checks on the text of the messages a step produced (all of them, joined by newlines)."""

    contains: Texts = []
    not_contains: Texts = []
    matches: Texts = []
    equals: str | None = None


class Counts(Strict):
    pending: int | None = None
    cancelled: int | None = None
    sent: int | None = None


class TurnCounts(Strict):
    done: int | None = None
    superseded: int | None = None
    failed: int | None = None


class Expect(Strict):
    """What should be true after a step (counted over that step), or after the whole scenario
    (counted over all of it). `agent`/`buyer` pick the conversation (default: the step's)."""

    agent: str | None = None
    buyer: str | None = None
    replies: int | None = Field(None, ge=0, description="assistant messages the buyer received")
    reply: TextCheck | None = None
    human_messages: int | None = Field(None, ge=0, description="the agent's messages sent")
    human: TextCheck | None = None
    mode: Literal["ai", "human"] | None = None
    escalation: str | None = None  # a trigger, or "none"
    evidence: TextCheck | None = None
    followups: Counts | None = None
    viewings: int | None = Field(None, ge=0)
    turns: TurnCounts | None = None
    webhook: Literal["stored", "duplicate", "rejected"] | None = None
    incidents: int | None = Field(None, ge=0)


class BuyerSpec(Strict):
    phone: str = "6590000001"
    name: str = "Alex"


class AgentSpec(Strict):
    name: str = "Sarah Tan"
    instance_id: str | None = None
    number: str = "+65 9123 4567"
    timezone: str = "Asia/Singapore"
    persona: dict[str, Any] = {}
    listings: str | list[dict[str, Any]] | None = None
    phone_takeover: bool = True


class Setup(Strict):
    agents: list[AgentSpec] = Field(default_factory=lambda: [AgentSpec()], min_length=1)
    buyer: BuyerSpec = BuyerSpec()
    debounce: Duration = timedelta(seconds=2)
    gap: Duration = timedelta(seconds=30)
    echo: bool = False
    start: datetime | None = None


class BuyerMessage(Strict):
    text: str | None = None
    type: str = "textMessage"
    id: str | None = None
    from_: str | None = Field(None, alias="from")
    name: str | None = None
    to: str | None = None
    caption: str | None = None


class Delivery(Strict):
    payload: dict[str, Any] | None = None
    fixture: str | None = None
    agent: str | None = None  # whose instance it is for (default: the payload's, else the first)
    token_of: str | None = None  # sign it with this agent's webhook token (tenant isolation)

    @model_validator(mode="after")
    def _one_source(self) -> Delivery:
        if (self.payload is None) == (self.fixture is None):
            raise ValueError("give exactly one of payload or fixture")
        return self


class Operator(Strict):
    toggle: Literal["ai", "human"] | None = None
    send: str | None = None
    reason: str = "operator"
    agent: str | None = None
    buyer: str | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Operator:
        if (self.toggle is None) == (self.send is None):
            raise ValueError("give exactly one of toggle or send")
        return self


class PhoneMessage(Strict):
    text: str
    agent: str | None = None
    buyer: str | None = None


class GreenApiFault(Strict):
    fail: Literal[429, 500, 502, 503, "timeout", "timeout_after_send"]
    """`timeout`: no answer in time, nothing sent. `timeout_after_send`: Green API sent the
    message but its answer came too late (the client cannot tell the two apart)."""
    times: int = Field(1, ge=1, le=50)
    method: str = "sendMessage"


class ModelFault(Strict):
    fail: Literal["error", "timeout"] | None = None
    says: str | None = None
    times: int = Field(1, ge=1, le=50)

    @model_validator(mode="after")
    def _one_kind(self) -> ModelFault:
        if (self.fail is None) == (self.says is None):
            raise ValueError("give exactly one of fail or says")
        return self


class Redelivery(Strict):
    id: str
    times: int = Field(1, ge=1, le=200)
    concurrent: bool = False


class StatusUpdate(Strict):
    of: Literal["last"] | str = "last"
    status: Literal["sent", "delivered", "read", "failed", "noAccount"] = "delivered"


def _shorthand(kind: str) -> Any:
    def expand(value: Any) -> Any:
        if isinstance(value, str):
            return {"text": value} if kind in ("buyer", "phone") else {"id": value}
        return value

    return BeforeValidator(expand)


ACTIONS = (
    "buyer",
    "deliver",
    "redeliver",
    "release",
    "pause",
    "operator",
    "phone",
    "echo",
    "status",
    "greenapi",
    "model",
)


class Step(Strict):
    """One thing that happens. `hold` keeps a buyer message or delivery back (Green API
    delivering out of order) until a later `release: ID`."""

    buyer: Annotated[BuyerMessage, _shorthand("buyer")] | None = None
    deliver: Delivery | None = None
    redeliver: Annotated[Redelivery, _shorthand("redeliver")] | None = None
    release: str | None = None
    pause: Duration | None = None
    operator: Operator | None = None
    phone: Annotated[PhoneMessage, _shorthand("phone")] | None = None
    echo: Literal["last", "all"] | None = None
    status: StatusUpdate | None = None
    greenapi: GreenApiFault | None = None
    model: ModelFault | None = None

    after: Duration | None = None
    while_generating: bool = False
    hold: bool = False
    note: str | None = None
    expect: Expect | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        given = [name for name in ACTIONS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a step does exactly one of {', '.join(ACTIONS)}; this one does "
                f"{', '.join(given) or 'nothing'}"
            )
        if self.hold and given[0] not in ("buyer", "deliver"):
            raise ValueError("only a buyer message or a delivery can be held")
        if self.while_generating and self.after is not None:
            raise ValueError("a step happens either `after` a while or `while_generating`")
        if self.while_generating and given[0] == "pause":
            raise ValueError("time does not pass inside a model call: no `pause` while_generating")
        return self

    @property
    def action(self) -> str:
        return next(name for name in ACTIONS if getattr(self, name) is not None)


class Scenario(Strict):
    name: str
    description: str = ""
    llm: Literal["scripted", "anthropic", "openai"] | None = None
    setup: Setup = Setup()
    timeline: list[Step] = Field(min_length=1, max_length=MAX_STEPS)
    expect: Expect | list[Expect] | None = None

    @property
    def final_expectations(self) -> list[Expect]:
        if self.expect is None:
            return []
        return self.expect if isinstance(self.expect, list) else [self.expect]


class ScenarioFile(Strict):
    path: Path
    scenario: Scenario

    def resolve(self, relative: str) -> Path:
        """A file the scenario names, relative to the scenario's folder."""
        return (self.path.parent / relative).resolve()

    def fixture(self, relative: str) -> dict[str, Any]:
        path = self.resolve(relative)
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise WaValidationError(f"{self.path.name}: fixture {relative}: {exc}") from None
        if not isinstance(data, dict):
            raise WaValidationError(f"{self.path.name}: fixture {relative} is not a JSON object")
        return data


def _where(loc: tuple[int | str, ...], data: Any) -> str:
    """`timeline[3] (buyer: "Hi")` for a pydantic error location."""
    parts: list[str] = []
    node: Any = data
    for key in loc:
        if isinstance(key, int):
            parts[-1:] = [f"{parts[-1]}[{key + 1}]"] if parts else [f"[{key + 1}]"]
        else:
            parts.append(str(key))
        found = (isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)) or (
            isinstance(node, dict) and key in node
        )
        node = node[key] if found else None
        if isinstance(key, int) and isinstance(node, dict):
            first = next(iter(node.items()), None)
            if first is not None and isinstance(first[1], str):
                parts[-1] += f" ({first[0]}: {first[1][:40]!r})"
    return ".".join(parts) or "(top)"


def load_scenario(path: Path) -> ScenarioFile:
    """Read and validate a scenario file; every problem is named by its place in the file."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise WaValidationError(f"cannot read {path}: {exc.strerror}") from None
    if size > MAX_SCENARIO_BYTES:
        raise WaValidationError(f"{path.name} is {size} bytes; a scenario is at most 2 MiB")
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise WaValidationError(f"{path.name} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise WaValidationError(f"{path.name}: a scenario is a mapping (name, setup, timeline)")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"  {_where(error['loc'], data)}: {error['msg']}" for error in exc.errors()[:10]
        ]
        message = f"{path.name} is not a valid scenario:\n" + "\n".join(problems)
        raise WaValidationError(message) from None
    return ScenarioFile(path=path, scenario=scenario)


def scenario_start(setup: Setup) -> datetime:
    """When the scenario's simulated clock starts: `setup.start`, else now."""
    if setup.start is None:
        return datetime.now(UTC)
    return setup.start if setup.start.tzinfo else setup.start.replace(tzinfo=UTC)
