"""The run loop: a directive, a model, tools. Short, bounded, every step recorded.

The model is asked for its next turn; each tool call it makes is checked (allowed by the
directive, arguments valid) and executed with the turn's context, and its result (or a readable
error) goes back to the model. The run stops when the model calls no tool, after `max_steps`
model turns, when a tool's retry budget is spent, or right after a handoff.
"""

from __future__ import annotations

import inspect
import json
import logging
import time
from dataclasses import asdict, dataclass, field, is_dataclass
from functools import lru_cache
from typing import Any, Literal

import jinja2

from execution import metrics
from execution.agents import Agent
from execution.errors import ConfigurationError, WaError
from execution.incidents import record_incident
from execution.run_log import record_run
from execution.store import Store
from orchestrator.directives import Directive
from orchestrator.prompts import system_prompt
from orchestrator.providers.base import Entry, Provider, ToolCall, ToolResult, Usage, UserText
from orchestrator.run_context import RunContext
from orchestrator.tools import ToolArgumentsError, ToolRegistry

log = logging.getLogger(__name__)

HANDOFF_TOOL = "hand_off_to_human"
UNKNOWN_TOOL_RETRIES = 1
MAX_RESULT_CHARS = 8000

Stop = Literal["done", "max_steps", "handoff", "tool_errors", "error"]


@dataclass
class Step:
    index: int
    kind: Literal["model", "tool"]
    latency_ms: float
    tool: str | None = None
    arguments: dict[str, Any] | None = None
    result: str | None = None
    is_error: bool = False
    text: str | None = None
    usage: dict[str, int] | None = None


@dataclass
class Run:
    directive: str
    steps: list[Step] = field(default_factory=list)
    final_text: str = ""
    stopped: Stop = "done"
    transcript: list[Entry] = field(default_factory=list)
    """Everything the model saw and said: pass it back (plus a note) to continue the run."""
    run_id: int | None = None
    """Its row in `runs`, when the context had a store to record it in."""

    def step_dicts(self) -> list[dict[str, Any]]:
        """The steps as plain dicts, unset fields left out (for `--json` traces)."""
        return [{k: v for k, v in asdict(step).items() if v is not None} for step in self.steps]


_JINJA = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)


@lru_cache(maxsize=64)
def _compiled(body: str) -> jinja2.Template:
    return _JINJA.from_string(body)


def render_system(directive: Directive, inputs: dict[str, Any]) -> str:
    """The directive's prose with its `{{ inputs }}` filled in (undeclared ones fail loudly)."""
    return _compiled(directive.body).render(**inputs)


def _as_text(value: Any) -> str:
    def plain(item: Any) -> Any:
        if is_dataclass(item) and not isinstance(item, type):
            return asdict(item)
        return str(item)

    text = value if isinstance(value, str) else json.dumps(value, default=plain, ensure_ascii=False)
    return text if len(text) <= MAX_RESULT_CHARS else text[:MAX_RESULT_CHARS] + " ...(cut)"


async def run(
    directive: Directive,
    inputs: dict[str, Any],
    provider: Provider,
    registry: ToolRegistry,
    context: RunContext,
    *,
    max_steps: int | None = None,
    dry_run: bool = False,
    agent: Agent | None = None,
    resume: list[Entry] | None = None,
) -> Run:
    """Run `directive` to its end. `context` is the run's side of each tool call (the store,
    the agent, the turn: what the tools' parameters ask for by type);
    with `agent`, the system prompt carries its persona; `resume` continues an earlier run's
    transcript (a correction appended) instead of starting from the inputs. With a `store` in
    the context, the run and its steps are recorded (runs, run_steps), however it ends."""
    missing = sorted(set(directive.inputs) - set(inputs))
    if missing:
        raise ToolArgumentsError(f"directive {directive.name} needs input(s): {', '.join(missing)}")
    unknown = [name for name in directive.tools if name not in registry]
    if unknown:
        raise ConfigurationError(
            f"directive {directive.name} names unregistered tool(s): "
            f"{', '.join(unknown)} (run `wa directives check`)"
        )
    system = render_system(directive, inputs)
    if agent is not None:
        system = system_prompt(system, agent)
    transcript: list[Entry] = list(resume) if resume else [UserText(_as_text(inputs))]
    result = Run(directive.name, transcript=transcript)
    try:
        await _loop(
            result,
            system,
            directive,
            provider,
            registry,
            context,
            max_steps or directive.max_steps,
            dry_run,
        )
    except BaseException:
        result.stopped = "error"
        raise
    finally:
        if context.store is not None:
            result.run_id = _record(context.store, result, provider, context, dry_run)
    return result


def _record(
    store: Store, result: Run, provider: Provider, context: RunContext, dry_run: bool
) -> int | None:
    """The run's one write path; a failure to record never fails the turn."""
    try:
        return record_run(
            store,
            directive=result.directive,
            provider=provider.name,
            model=provider.model,
            stopped=result.stopped,
            steps=[asdict(step) for step in result.steps],
            dry_run=dry_run,
            agent_id=context.agent_id,
            conversation_id=context.conversation_id,
            turn_id=context.turn_id,
        )
    except Exception:
        log.exception("could not record the run of %s", result.directive)
        return None


async def _loop(
    result: Run,
    system: str,
    directive: Directive,
    provider: Provider,
    registry: ToolRegistry,
    context: RunContext,
    max_steps: int,
    dry_run: bool,
) -> None:
    tools = [registry[name] for name in directive.tools]
    transcript = result.transcript
    failures: dict[str, int] = {}
    for _ in range(max_steps):
        started = time.perf_counter()
        turn = await provider.complete(system=system, transcript=transcript, tools=tools)
        elapsed = (time.perf_counter() - started) * 1000
        _observe_model(provider.name, elapsed, turn.usage)
        result.steps.append(
            Step(len(result.steps), "model", elapsed, text=turn.text, usage=asdict(turn.usage))
        )
        transcript.append(turn)
        if not turn.tool_calls:
            result.final_text = turn.text
            return
        for call in turn.tool_calls:
            started = time.perf_counter()
            outcome = await _call(call, directive, registry, context, dry_run)
            elapsed = (time.perf_counter() - started) * 1000
            result.steps.append(
                Step(
                    len(result.steps),
                    "tool",
                    elapsed,
                    tool=call.name,
                    arguments=call.arguments,
                    result=outcome.content,
                    is_error=outcome.is_error,
                )
            )
            transcript.append(outcome)
            if outcome.is_error:
                failures[call.name] = failures.get(call.name, 0) + 1
                allowed = call.name in registry and call.name in directive.tools
                budget = registry[call.name].retries if allowed else UNKNOWN_TOOL_RETRIES
                if failures[call.name] > budget:
                    result.stopped = "tool_errors"
                    return
            elif call.name == HANDOFF_TOOL:
                result.stopped = "handoff"
                return
    result.stopped = "max_steps"


async def _call(
    call: ToolCall,
    directive: Directive,
    registry: ToolRegistry,
    context: RunContext,
    dry_run: bool,
) -> ToolResult:
    def error(message: str) -> ToolResult:
        return ToolResult(call.call_id, call.name, message, is_error=True)

    if call.name not in directive.tools or call.name not in registry:
        return error(
            f"tool {call.name!r} is not available here; use one of "
            f"{', '.join(directive.tools) or 'none'}"
        )
    tool = registry[call.name]
    try:
        arguments = tool.validate(call.arguments)
    except ToolArgumentsError as exc:
        return error(f"{exc}. Fix the arguments and call again.")
    if dry_run and tool.effect != "read":
        return ToolResult(call.call_id, call.name, f"dry run: {tool.effect} not executed")
    hidden = {name: context.supply(need) for name, need in tool.needs}
    parameters = inspect.signature(tool.function).parameters
    absent = [
        name
        for name, value in hidden.items()
        if value is None and parameters[name].default is inspect.Parameter.empty
    ]
    if absent:
        return error(f"tool {call.name} cannot run in this context (no {', '.join(absent)})")
    hidden = {name: value for name, value in hidden.items() if value is not None}
    try:
        value = tool.function(**hidden, **arguments)
        if inspect.isawaitable(value):
            value = await value
    except WaError as exc:  # an expected refusal (not found, invalid): the model reads it
        return error(str(exc))
    except Exception as exc:  # unexpected: the model reads it, and it becomes an incident
        log.exception("tool %s failed in directive %s", call.name, directive.name)
        if context.store is not None:
            record_incident(
                context.store,
                "execution",
                f"{type(exc).__name__}: {exc}",
                agent_id=context.agent_id,
                directive=directive.name,
                tool=call.name,
                context={"arguments": arguments},
            )
        return error(f"{type(exc).__name__}: {exc}")
    return ToolResult(call.call_id, call.name, _as_text(value))


def _observe_model(provider: str, elapsed_ms: float, usage: Usage) -> None:
    metrics.MODEL_LATENCY.labels(provider).observe(elapsed_ms / 1000)
    for kind, count in asdict(usage).items():
        if count:
            metrics.MODEL_TOKENS.labels(kind.removesuffix("_tokens")).inc(count)
