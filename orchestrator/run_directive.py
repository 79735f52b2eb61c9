"""`wa run DIRECTIVE`: run one directive by hand, with a trace of every step.

    wa run property_search --agent "Sarah Tan" --input message="3 bed condo in Tampines"
    wa run handle_incoming_message --agent 1 --contact 6591234567 -i message=hi -i contact_name=Li
    wa run escalation --agent 1 --contact 6591234567 -i trigger=legal -i evidence=lawyer --dry-run
    wa run follow_up --agent 1 -i kind=check_in -i contact_name=Li -i history= \
        -i 'shown_listings:=[{"property_id": 1, "title": "Treasure at Tampines"}]'

With `--agent`, tools act on that agent's listings and the prompt carries its persona; with
`--contact` too, on that buyer's conversation (sends go to Green API when the agent has an api
url, else to the console). `--dry-run` reports the tools that would change state or send
instead of running them. A handoff ends the run and sends the one handoff message, as in a turn.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Annotated, Any

import typer
from rich.table import Table

from execution import send_keys
from execution.agents import Agent, find_agent
from execution.cli_support import console, print_json
from execution.conversations import Conversation, find_or_create_conversation
from execution.errors import ValidationError
from execution.runtime import Runtime, open_runtime
from orchestrator.chat import use_console_sends
from orchestrator.directives import Directive, cached_directives, get_directive
from orchestrator.handoff import hand_over
from orchestrator.loop import Run, Step, run
from orchestrator.providers.select import select_provider
from orchestrator.registry import REGISTRY
from orchestrator.run_context import RunContext, SendGuard

PREVIEW_CHARS = 160


def parse_inputs(pairs: list[str], directive: Directive) -> dict[str, Any]:
    """`key=text` or `key:=json` pairs, checked against the inputs the directive declares."""
    inputs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip(":").strip():
            raise ValidationError(f"--input {pair!r}: write it as key=text or key:=json")
        if key.endswith(":"):
            key = key[:-1]
            try:
                inputs[key.strip()] = json.loads(value)
            except ValueError as exc:
                raise ValidationError(f"--input {key}:= is not JSON: {exc}") from None
        else:
            inputs[key.strip()] = value
    declared = ", ".join(directive.inputs) or "none"
    unknown = sorted(set(inputs) - set(directive.inputs))
    if unknown:
        raise ValidationError(
            f"directive {directive.name} has no input(s) "
            f"{', '.join(unknown)} (it takes: {declared})"
        )
    missing = sorted(set(directive.inputs) - set(inputs))
    if missing:
        raise ValidationError(
            f"directive {directive.name} needs --input for: {', '.join(missing)} "
            f"({'; '.join(f'{k}: {directive.inputs[k]}' for k in missing)})"
        )
    return inputs


def run_context(
    rt: Runtime, agent: Agent | None, conversation: Conversation | None, run_key: str
) -> RunContext:
    """The run's side of the tool calls in a hand-started run."""
    cid = conversation.conversation_id if conversation is not None else None
    guard = None
    if conversation is not None:
        guard = SendGuard(
            conversation.conversation_id,
            send_keys.from_caller(conversation.conversation_id, run_key),
            expected_mode_version=conversation.mode_version,
        )
    return RunContext(
        store=rt.store,
        coordinator=rt.coordinator,
        rt=rt,
        agent_id=agent.agent_id if agent is not None else None,
        conversation_id=cid,
        turn_id=run_key,
        actor="operator",
        send=guard,
    )


def _preview(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 3] + "..."


def _tokens(step: Step) -> str:
    usage = step.usage or {}
    if not any(usage.values()):
        return ""
    cached = usage.get("cache_read_tokens", 0)
    return f"{usage.get('input_tokens', 0)}/{usage.get('output_tokens', 0)}" + (
        f" ({cached} cached)" if cached else ""
    )


def print_trace(done: Run) -> None:
    table = Table(title=f"run of {done.directive}", title_justify="left")
    for column in ("#", "step", "detail", "ms", "tokens in/out"):
        table.add_column(column, overflow="fold")
    for step in done.steps:
        if step.kind == "model":
            label, detail = "model", _preview(step.text) or "(tool calls)"
        else:
            label = f"tool {step.tool}"
            arguments = json.dumps(step.arguments, ensure_ascii=False)
            outcome = ("[red]error[/red] " if step.is_error else "") + _preview(step.result)
            detail = f"{_preview(arguments)} -> {outcome}"
        table.add_row(str(step.index), label, detail, f"{step.latency_ms:.1f}", _tokens(step))
    console.print(table)
    stopped = {"done": "green", "handoff": "yellow"}.get(done.stopped, "red")
    console.print(
        f"stopped: [{stopped}]{done.stopped}[/{stopped}]"
        + (f"  (run {done.run_id})" if done.run_id else "")
    )
    if done.final_text:
        console.print(f"[bold green]final text:[/bold green] {done.final_text}", markup=True)


def run_directive_command(
    directive_name: Annotated[
        str, typer.Argument(metavar="DIRECTIVE", help="See `wa directives list`.")
    ],
    inputs: Annotated[
        list[str] | None,
        typer.Option("--input", "-i", help="key=text or key:=json; repeat for each input."),
    ] = None,
    agent: Annotated[
        str | None, typer.Option(help="Agent id or name: its listings, persona.")
    ] = None,
    contact: Annotated[
        str | None,
        typer.Option(help="The buyer's number: act on that conversation (with --agent)."),
    ] = None,
    max_steps: Annotated[
        int | None, typer.Option(min=1, max=20, help="Override the directive's max_steps.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report tools that write or send; do not run them.")
    ] = False,
    to_console: Annotated[
        bool, typer.Option("--console", help="Print sends instead of calling Green API.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The whole run as JSON.")] = False,
) -> None:
    """Run one directive with the configured model and print every step."""
    directive = get_directive(cached_directives(), directive_name)
    values = parse_inputs(inputs or [], directive)
    if contact and not agent:
        raise ValidationError("--contact needs --agent (whose buyer is it?)")
    with open_runtime() as rt:
        provider = select_provider(rt.settings, model=directive.model)
        owner = conversation = None
        if agent:
            with rt.store.read() as tx:
                owner = find_agent(tx, agent)
            if to_console or not owner.api_url:
                use_console_sends(rt, echo=not as_json)
        if owner and contact:
            conversation = find_or_create_conversation(rt.store, owner.agent_id, contact)
        run_key = f"run:{uuid.uuid4()}"
        context = run_context(rt, owner, conversation, run_key)

        async def session() -> Run:
            try:
                done = await run(
                    directive,
                    values,
                    provider,
                    REGISTRY,
                    context,
                    max_steps=max_steps,
                    dry_run=dry_run,
                    agent=owner,
                )
                if done.stopped == "handoff" and owner and conversation and not dry_run:
                    await hand_over(
                        rt,
                        conversation,
                        owner,
                        "assistant",
                        "asked for the agent",
                        run_key,
                        already_human=True,
                        run_=done,
                    )
                return done
            finally:
                await rt.greenapi.aclose()

        done = asyncio.run(session())
    if as_json:
        print_json(
            {
                "directive": done.directive,
                "stopped": done.stopped,
                "run_id": done.run_id,
                "final_text": done.final_text,
                "dry_run": dry_run,
                "provider": provider.name,
                "model": provider.model,
                "steps": done.step_dicts(),
            }
        )
    else:
        print_trace(done)
