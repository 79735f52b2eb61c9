"""The run a tool is called from, typed: what the loop hands each tool besides the model's
arguments (in the spirit of pydantic-ai's `RunContext`).

A tool asks for what it needs by the type of its parameters (`store: Store`, `agent_id:
AgentId`, see execution/run_inputs.py); `needs` reads them off its signature once, and
`RunContext.supply` hands each the run's value. Nothing is matched by a parameter's name.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from execution.coordination import Coordinator
from execution.run_inputs import FromRun
from execution.runtime import Runtime
from execution.send_rows import Sender
from execution.store import Store, Tx

Need = type | FromRun
"""What a tool's parameter asks the run for: a type the run holds, or one of its ids."""


@dataclass(frozen=True)
class SendGuard:
    """What the send path needs besides the text, from the run that sends: who sends, the
    idempotency key, the mode version the send must still find, and whether to force it."""

    conversation_id: int
    idempotency_key: str
    sender: Sender = "AI"
    expected_mode_version: int | None = None
    force: bool = False
    on_claim: Callable[[Tx], None] | None = None


@dataclass(frozen=True)
class RunContext:
    """The run's side of a tool call. A field left None is a value this run does not have:
    a tool that needs it (and has no default) is refused with a message the model reads."""

    store: Store | None = None
    coordinator: Coordinator | None = None
    rt: Runtime | None = None
    agent_id: int | None = None
    conversation_id: int | None = None
    turn_id: str | None = None
    actor: str = "assistant"
    send: SendGuard | None = None

    def supply(self, need: Need) -> Any:
        """The run's value for `need`, or None when the run has none."""
        values: dict[Need, Any] = {
            Store: self.store,
            Coordinator: self.coordinator,
            Runtime: self.rt,
            SendGuard: self.send,
            FromRun.AGENT: self.agent_id,
            FromRun.CONVERSATION: self.conversation_id,
            FromRun.TURN: self.turn_id,
            FromRun.ACTOR: self.actor,
        }
        return values[need]


SUPPLIED_TYPES: tuple[type, ...] = (Store, Coordinator, Runtime, SendGuard)


def needs(function: Callable[..., Any]) -> dict[str, Need]:
    """{parameter: what it asks the run for} for each parameter of `function` the run fills."""
    hints = typing.get_type_hints(function, include_extras=True)
    found: dict[str, Need] = {}
    for name, hint in hints.items():
        if name == "return":
            continue
        need = _need_of(hint)
        if need is not None:
            found[name] = need
    return found


def _need_of(hint: Any) -> Need | None:
    """A marker of `Annotated[int, FromRun.AGENT]`, a supplied type, either inside `X | None`."""
    if typing.get_origin(hint) is typing.Annotated:
        markers = [m for m in hint.__metadata__ if isinstance(m, FromRun)]
        return markers[0] if markers else None
    if isinstance(hint, type) and issubclass(hint, SUPPLIED_TYPES):
        return next(t for t in SUPPLIED_TYPES if issubclass(hint, t))
    arms = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, _UNION) and len(arms) == 1:
        return _need_of(arms[0])
    return None


_UNION = type(int | None)
