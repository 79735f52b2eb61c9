"""`wa demo`: the main job on the embedded defaults, no servers and no API keys.

Two things. It replays the demo scenario that ships with the project (replay/scenarios/demo.yaml)
through the real webhook server, turn worker and send path, in a scratch database of its own:
a greeting, an enquiry with a typo answered from real listings, a duplicate delivery that gets
no second reply, a viewing request, the agent answering from the phone (the assistant goes
quiet), a hand-back, and a negotiation handed to the agent; then it says what the safety checks
did. And it registers the demo's agent and listings in the configured database (once; re-running
updates the listings in place), so `wa chat --agent 1` and `wa properties search` work next.
"""

from __future__ import annotations

import secrets
from importlib import resources
from pathlib import Path

import typer

from execution.agents import Agent, Persona, add_agent, find_agent_by_instance
from execution.cli_support import JsonOption, cli_store, console, print_json
from execution.property_import import import_properties
from execution.settings import load_settings
from execution.store import Store
from execution.store.migrate import migrate
from orchestrator.providers.scripted import ScriptedProvider
from replay.command import play, quiet_logs
from replay.report import print_safety, print_transcript
from replay.scenario import AgentSpec, ScenarioFile, load_scenario


def demo_scenario() -> ScenarioFile:
    return load_scenario(Path(str(resources.files("replay.scenarios") / "demo.yaml")))


def ensure_demo_agent(store: Store, spec: AgentSpec) -> Agent:
    assert spec.instance_id is not None, "the demo scenario names its instance"
    with store.read() as tx:
        existing = find_agent_by_instance(tx, spec.instance_id)
    if existing:
        return existing
    return add_agent(
        store,
        name=spec.name,
        instance_id=spec.instance_id,
        # a demo instance talks to no real Green API: throwaway tokens, made up now
        api_token=secrets.token_urlsafe(24),
        webhook_token=secrets.token_urlsafe(24),
        number=spec.number,
        timezone=spec.timezone,
        persona=Persona.model_validate(spec.persona),
    )


def demo_command(as_json: bool = JsonOption) -> None:
    """Replay the demo conversation (enquiry, search, viewing, phone takeover, duplicate
    delivery, negotiation handoff) and set up the demo agent and listings."""
    settings = load_settings()
    sf = demo_scenario()
    spec = sf.scenario.setup.agents[0]
    assert isinstance(spec.listings, str)
    with cli_store(require_schema=False) as store:
        applied = migrate(store)
        agent = ensure_demo_agent(store, spec)
        imported = import_properties(store, agent.agent_id, sf.resolve(spec.listings))
        where = store.display_url
    with quiet_logs():
        result = play(sf, settings, ScriptedProvider())
    if as_json:
        print_json(
            {
                "database": where,
                "migrations_applied": applied,
                "agent": agent.public(),
                "import": imported,
                "replay": result.to_json(),
            }
        )
    else:
        print_transcript(console, result)
        print_safety(console, result)
        console.print(
            f"\n[bold]Your database[/bold] {where}: {len(applied)} migration(s) applied now; "
            f"agent {agent.agent_id} ({agent.name}) with {imported.rows} listings. "
            f"Try: wa chat --agent {agent.agent_id}"
        )
    if not result.passed:
        raise typer.Exit(1)
