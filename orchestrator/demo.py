"""`wa demo`: the main job on the embedded defaults, no servers and no API keys.

Creates the schema, registers the demo agent (once), imports the demo listings (re-running
updates them in place), searches them the way buyers write (typos, partial names), then plays a
short conversation through the same turn code the webhook uses: a greeting, an enquiry with a
typo that finds real listings, the viewing offered and accepted (a viewing request for the
agent), and a negotiation that hands the chat to the human agent.
Messages go to the transcript instead of Green API.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from execution.agents import Agent, Persona, add_agent, find_agent_by_instance
from execution.cli_support import JsonOption, cli_store, console, print_json
from execution.conversations import find_or_create_conversation
from execution.coordination import InProcessCoordinator
from execution.greenapi import ConsoleGreenApi
from execution.properties import print_properties
from execution.property_import import import_properties
from execution.property_lookup import search_properties
from execution.runtime import Runtime
from execution.set_mode import set_mode_ai
from execution.settings import load_settings
from execution.store import Store
from execution.store.migrate import migrate
from orchestrator.chat import chat_turn
from orchestrator.providers.scripted import ScriptedProvider


@dataclass(frozen=True)
class DemoSearch:
    said: str
    location: str
    filters: dict[str, Any]


SEARCHES = (
    DemoSearch(
        "3-bedroom in Tampnes under 1.6M (typo)", "tampnes", {"bedrooms": 3, "max_price": 1_600_000}
    ),
    DemoSearch("anything in Bukit? (partial name)", "bukit", {}),
    DemoSearch(
        "HDB around Punggol, available",
        "punggol",
        {"property_type": "hdb", "availability": "available"},
    ),
    DemoSearch(
        "condo near Orchad (typo), max 3.5M",
        "orchad",
        {"property_type": "condo", "max_price": 3_500_000},
    ),
)


CONVERSATION = (
    "Hi!",
    "I'm looking for a 3 bedroom condo in Tampnes, budget under 1.6M",
    "Yes please, could I view it on Saturday morning?",
    "Can the owner do 1.5M?",
    "Hello? Anyone there?",
)
DEMO_BUYER = "6580000001"


def play_conversation(store: Store, agent: Agent) -> list[dict[str, Any]]:
    """The demo buyer's messages through the real turn code; sends land in the transcript."""
    conversation = find_or_create_conversation(store, agent.agent_id, DEMO_BUYER, "Alex")
    coordinator = InProcessCoordinator()
    set_mode_ai(store, coordinator, conversation.conversation_id, "demo starts", "demo")
    outbox: list[str] = []
    rt = Runtime(
        load_settings(), store, coordinator, ConsoleGreenApi(lambda chat, text: outbox.append(text))
    )
    transcript: list[dict[str, Any]] = []

    async def play() -> None:
        for n, message in enumerate(CONVERSATION):
            before = len(outbox)
            result = await chat_turn(rt, conversation.conversation_id, message, ScriptedProvider(),
                                     turn_id=f"demo:{secrets.token_hex(4)}:{n}")  # fmt: skip
            steps = result.run.steps if result.run else []
            tools = [s.tool for s in steps if s.kind == "tool" and not s.is_error]
            transcript.append({"buyer": message, "status": result.status,
                               "trigger": result.trigger, "tools": tools,
                               "sent": outbox[before:]})  # fmt: skip

    asyncio.run(play())
    return transcript


def demo_file(name: str) -> Path:
    return Path(str(resources.files("execution.demo_data") / name))


def ensure_demo_agent(store: Store) -> Agent:
    spec = yaml.safe_load(demo_file("agent.yaml").read_text("utf-8"))
    with store.read() as tx:
        existing = find_agent_by_instance(tx, spec["instance_id"])
    if existing:
        return existing
    agent = add_agent(
        store,
        name=spec["name"],
        instance_id=spec["instance_id"],
        # A demo instance talks to no real Green API: throwaway tokens, made up now.
        api_token=secrets.token_urlsafe(24),
        webhook_token=secrets.token_urlsafe(24),
        number=spec["number"],
        timezone=spec["timezone"],
        persona=Persona.model_validate(spec["persona"]),
    )
    return agent


def run_demo(as_json: bool = JsonOption) -> None:
    """Set up the embedded database, load the demo agent and listings, and search them."""
    with cli_store(require_schema=False) as store:
        applied = migrate(store)
        agent = ensure_demo_agent(store)
        result = import_properties(store, agent.agent_id, demo_file("listings.yaml"))
        searches = [
            (s, search_properties(store, agent.agent_id, location=s.location, limit=5, **s.filters))
            for s in SEARCHES
        ]
        conversation = play_conversation(store, agent)
        where = store.display_url
    if as_json:
        print_json(
            {
                "database": where,
                "migrations_applied": applied,
                "agent": agent.public(),
                "import": result,
                "searches": [{"query": s.said, "results": r} for s, r in searches],
                "conversation": conversation,
            }
        )
        return
    console.print(f"[bold]Database[/bold] {where} ({len(applied)} migration(s) applied now)")
    console.print(
        f"[bold]Agent[/bold] {agent.agent_id} {agent.name}, "
        f"assistant {agent.persona.assistant_name}"
    )
    console.print(
        f"[bold]Listings[/bold] {result.rows} in the file: {result.created} new, "
        f"{result.updated} updated"
    )
    for search, results in searches:
        console.print(f"\n[bold cyan]Buyer:[/bold cyan] {search.said}")
        if results:
            print_properties(f"{len(results)} listing(s)", results)
        else:
            console.print("  (no listing matches)")
    console.print(f"\n[bold]A conversation with {agent.persona.assistant_name}[/bold] "
                  "(sends go to this transcript, not to Green API)")  # fmt: skip
    for exchange in conversation:
        console.print(f"\n[bold cyan]Buyer:[/bold cyan] {exchange['buyer']}")
        if exchange["tools"]:
            console.print(f"[dim]  (tools: {', '.join(exchange['tools'])})[/dim]")
        for text in exchange["sent"]:
            console.print(f"[bold green]{agent.persona.assistant_name}:[/bold green] {text}")
        if "request_viewing" in exchange["tools"]:
            console.print(f"[yellow]-> a viewing request for {agent.name} "
                          "(see `wa viewings list`)[/yellow]")  # fmt: skip
        if exchange["status"] == "escalated":
            console.print(f"[yellow]-> handed to {agent.name} ({exchange['trigger']})[/yellow]")
        elif exchange["status"] == "human_mode":
            console.print(
                f"[yellow]-> {agent.name} has the chat; the assistant stays silent[/yellow]"
            )
