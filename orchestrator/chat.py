"""`wa chat`: write as a buyer, see the assistant's replies, through the real turn code.

    wa chat --agent "Sarah Tan" --message "3 bedroom condo in Tampines?"   # one turn
    wa chat --agent "Sarah Tan"                                             # interactive

Sends go to Green API when the agent has an api url (or WA_GREENAPI_URL is reachable), or to
the console with `--console` (the default when the agent has no api url of its own).
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

import typer
from rich.text import Text

from execution.agents import find_agent
from execution.cli_support import console, print_json
from execution.conversations import (
    Conversation,
    find_or_create_conversation,
    get_conversation,
    touch_conversation,
)
from execution.greenapi import ConsoleGreenApi
from execution.messages import NewMessage, insert_message
from execution.runtime import Runtime, open_runtime
from orchestrator.providers.base import Provider
from orchestrator.providers.select import select_provider
from orchestrator.turn import handle_turn
from orchestrator.turn_result import TurnResult

DEFAULT_CONTACT = "6580000002"  # not the demo conversation's buyer


async def chat_turn(
    rt: Runtime,
    conversation_id: int,
    message: str,
    provider: Provider,
    turn_id: str | None = None,
) -> TurnResult:
    """Store the buyer's message and handle the turn, as the webhook will."""
    turn_id = turn_id or f"chat:{uuid.uuid4()}"
    record_incoming(rt, get_conversation(rt.store, conversation_id), message, turn_id)
    return await handle_turn(rt, conversation_id, message, turn_id=turn_id, provider=provider)


def record_incoming(rt: Runtime, conversation: Conversation, text: str, turn_id: str) -> None:
    """Store the buyer's console line as the webhook stores a buyer's message."""
    line = NewMessage(
        agent_id=conversation.agent_id,
        conversation_id=conversation.conversation_id,
        direction="in",
        sender_type="USER",
        text=text,
        green_message_id=f"local:{turn_id}",
    )
    with rt.store.transaction() as tx:
        touch_conversation(tx, conversation.agent_id, conversation.chat_id)
        insert_message(tx, line)


def use_console_sends(rt: Runtime, *, echo: bool = False) -> None:
    """Sends of this command go to the console (printed with `echo`), not to Green API."""

    def show(chat_id: str, text: str) -> None:
        if echo:
            console.print(Text.assemble((f"send to {chat_id}: ", "dim"), text), highlight=False)

    rt.greenapi = ConsoleGreenApi(show)


def _trace(result: TurnResult) -> dict[str, Any]:
    return {
        "conversation_id": result.conversation_id,
        "status": result.status,
        "reply": result.reply,
        "trigger": result.trigger,
        "evidence": result.evidence,
        "steps": result.run.step_dicts() if result.run else [],
    }


def _show(result: TurnResult) -> None:
    for step in result.run.steps if result.run else []:
        if step.kind == "tool":
            outcome = ("error: " if step.is_error else "") + (step.result or "")[:120]
            console.print(
                f"  tool {step.tool}({step.arguments}) -> {outcome}", style="dim", markup=False
            )
    if result.status == "escalated":
        why = f"handed to the agent: {result.trigger} ({result.evidence})"
        console.print(Text(why, style="yellow"), highlight=False)
    elif result.status == "human_mode":
        console.print("[yellow]the agent has this chat: the assistant stays silent[/yellow]")
    if result.reply and result.status in ("replied", "escalated"):
        # the model's text exactly as it was sent: "[fake]" or "[/]" printed, never interpreted
        console.print(Text.assemble(("assistant: ", "bold green"), result.reply), highlight=False)


def chat_command(
    agent: Annotated[str, typer.Option(help="Agent id or name.")],
    contact: Annotated[str, typer.Option(help="The buyer's number.")] = DEFAULT_CONTACT,
    message: Annotated[str | None, typer.Option(help="One turn, then exit.")] = None,
    live: Annotated[
        bool,
        typer.Option(
            "--live/--console",
            help="--live sends through the agent's Green API (its api url, else "
            "WA_GREENAPI_URL), as `wa send` does; the default prints them (a simulated buyer).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The whole trace as JSON.")] = False,
) -> None:
    """Chat as a buyer with an agent's assistant (the same turn code as the webhook)."""
    with open_runtime() as rt:
        provider = select_provider(rt.settings)
        with rt.store.read() as tx:
            owner = find_agent(tx, agent)
        if not live:
            use_console_sends(rt)
        conversation = find_or_create_conversation(rt.store, owner.agent_id, contact)

        async def session() -> None:
            """One event loop for the whole chat: the Green API client lives in it."""
            try:
                if message is not None:
                    result = await chat_turn(rt, conversation.conversation_id, message, provider)
                    if as_json:
                        print_json(_trace(result))
                    else:
                        _show(result)
                    return
                console.print(
                    f"Chatting with {owner.name}'s assistant as {contact}. Empty line quits."
                )
                while True:
                    text = await asyncio.to_thread(
                        typer.prompt, "buyer", default="", show_default=False
                    )
                    if not text.strip():
                        break
                    _show(await chat_turn(rt, conversation.conversation_id, text, provider))
            finally:
                await rt.greenapi.aclose()

        asyncio.run(session())
