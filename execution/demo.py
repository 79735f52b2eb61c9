"""`wa demo`: the main job on the embedded defaults, no servers and no API keys.

Creates the schema, registers the demo agent (once), imports the demo listings (re-running
updates them in place), then searches them the way buyers write: with typos and partial names.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from execution.agents import Agent, Persona, add_agent, find_agent_by_instance
from execution.cli_support import JsonOption, cli_store, console, print_json
from execution.properties import print_properties
from execution.property_import import import_properties
from execution.property_lookup import search_properties
from execution.store import Store
from execution.store.migrate import migrate


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
        where = store.display_url
    if as_json:
        print_json(
            {
                "database": where,
                "migrations_applied": applied,
                "agent": agent.public(),
                "import": result,
                "searches": [{"query": s.said, "results": r} for s, r in searches],
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
