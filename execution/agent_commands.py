"""`wa agents ...`: the operator's face of the agent directory (`execution.agents`): add, update,
remove, list, persona, token, rotate-key, phone-takeover."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from execution.agents import (
    Agent,
    add_agent,
    create_operator_token,
    get_agent,
    list_agents,
    remove_agent,
    rotate_secret_key,
    set_phone_takeover,
    update_agent,
    update_persona,
)
from execution.cli_support import JsonOption, cli_store, console, make_app, print_json, print_table

# --- `wa agents ...` -----------------------------------------------------------------------

app = make_app("Agents: their Green API instance, number, timezone and persona.")


def _print_agent(agent: Agent, as_json: bool) -> None:
    if as_json:
        print_json(agent.public())
        return
    p = agent.persona
    print_table(
        f"Agent {agent.agent_id}",
        ["field", "value"],
        [
            ("name", agent.name),
            ("instance id", agent.instance_id),
            ("number", agent.whatsapp_number),
            ("api url", agent.api_url or "(default)"),
            ("timezone", agent.timezone),
            ("assistant", f"{p.assistant_name} ({p.style}, tone {p.tone})"),
            ("flags", ", ".join(p.flags) or "-"),
            ("instruction", p.instruction or "-"),
        ],
    )


@app.command("add")
def add_command(
    name: Annotated[str, typer.Option(help="Agent's display name (unique).")],
    instance_id: Annotated[str, typer.Option(help="Green API idInstance.")],
    api_token: Annotated[
        str, typer.Option(help="Green API apiTokenInstance.", envvar="WA_AGENT_API_TOKEN")
    ],
    webhook_token: Annotated[
        str,
        typer.Option(
            help="Token Green API sends with each webhook (stored as a keyed digest).",
            envvar="WA_AGENT_WEBHOOK_TOKEN",
        ),
    ],
    number: Annotated[str, typer.Option(help="The agent's WhatsApp number, country code first.")],
    api_url: Annotated[
        str | None, typer.Option(help="This instance's Green API host (default: WA_GREENAPI_URL).")
    ] = None,
    timezone: Annotated[str, typer.Option(help="IANA timezone for viewings.")] = "Asia/Singapore",
    as_json: bool = JsonOption,
) -> None:
    """Register an agent and its Green API instance."""
    with cli_store() as store:
        agent = add_agent(
            store,
            name=name,
            instance_id=instance_id,
            api_token=api_token,
            webhook_token=webhook_token,
            number=number,
            api_url=api_url,
            timezone=timezone,
        )
    _print_agent(agent, as_json)


@app.command("update")
def update_command(
    agent: Annotated[str, typer.Argument(help="Agent id or name.")],
    name: Annotated[str | None, typer.Option(help="New display name.")] = None,
    instance_id: Annotated[str | None, typer.Option(help="New Green API idInstance.")] = None,
    api_token: Annotated[
        str | None, typer.Option(help="New apiTokenInstance.", envvar="WA_AGENT_API_TOKEN")
    ] = None,
    webhook_token: Annotated[
        str | None, typer.Option(help="New webhook token.", envvar="WA_AGENT_WEBHOOK_TOKEN")
    ] = None,
    number: Annotated[str | None, typer.Option(help="New WhatsApp number.")] = None,
    api_url: Annotated[
        str | None, typer.Option(help="New Green API host ('' = WA_GREENAPI_URL).")
    ] = None,
    timezone: Annotated[str | None, typer.Option(help="New IANA timezone.")] = None,
    as_json: bool = JsonOption,
) -> None:
    """Change an agent's settings: only the options given change."""
    with cli_store() as store:
        updated = update_agent(
            store,
            agent,
            name=name,
            instance_id=instance_id,
            api_token=api_token,
            webhook_token=webhook_token,
            number=number,
            api_url=api_url,
            timezone=timezone,
        )
    _print_agent(updated, as_json)


@app.command("remove")
def remove_command(
    agent: Annotated[str, typer.Argument(help="Agent id or name.")],
    force: Annotated[
        bool, typer.Option(help="Also delete its conversations, messages and listings.")
    ] = False,
    as_json: bool = JsonOption,
) -> None:
    """Remove an agent (refused while it has conversations, unless --force)."""
    with cli_store() as store:
        removed = remove_agent(store, agent, force=force)
    if as_json:
        print_json(removed)
        return
    console.print(
        f"Removed agent {removed['agent_id']} and {removed['conversations_removed']} "
        "conversation(s)."
    )


@app.command("list")
def list_command(as_json: bool = JsonOption) -> None:
    """List agents (secrets are never shown)."""
    with cli_store() as store:
        agents = list_agents(store)
    if as_json:
        print_json([a.public() for a in agents])
        return
    if not agents:
        console.print("No agents yet: add one with `wa agents add`.")
        return
    print_table(
        "Agents",
        ["id", "name", "instance", "number", "timezone", "assistant"],
        [
            (
                a.agent_id,
                a.name,
                a.instance_id,
                a.whatsapp_number,
                a.timezone,
                f"{a.persona.assistant_name} ({a.persona.style})",
            )
            for a in agents
        ],
    )


@app.command("persona")
def persona_command(
    agent: Annotated[str, typer.Argument(help="Agent id or name.")],
    assistant_name: Annotated[
        str | None, typer.Option(help="What the assistant calls itself.")
    ] = None,
    style: Annotated[str | None, typer.Option(help="professional|friendly|casual|premium")] = None,
    tone: Annotated[int | None, typer.Option(help="1 (formal) to 10 (conversational).")] = None,
    flag: Annotated[
        list[str] | None,
        typer.Option(help="polite|warm|high-energy|short; repeat for several (replaces the set)."),
    ] = None,
    instruction: Annotated[str | None, typer.Option(help="Free-form personality guide.")] = None,
    as_json: bool = JsonOption,
) -> None:
    """Show or change how the assistant speaks for an agent (only the options given change)."""
    with cli_store() as store:
        updated = update_persona(
            store,
            agent,
            assistant_name=assistant_name,
            style=style,
            tone=tone,
            flags=list(dict.fromkeys(flag)) if flag else None,
            instruction=instruction,
        )
    if as_json:
        print_json({"agent_id": updated.agent_id, "persona": updated.persona.model_dump()})
    else:
        _print_agent(updated, as_json=False)


@app.command("token")
def token_command(
    agent: Annotated[str, typer.Argument(help="Agent id or name.")],
    label: Annotated[str | None, typer.Option(help="What the token is for.")] = None,
    as_json: bool = JsonOption,
) -> None:
    """Create an operator API token for one agent (shown once; stored hashed)."""
    with cli_store() as store:
        token = create_operator_token(store, agent, label)
        owner = get_agent(store, agent)
    if as_json:
        print_json({"agent_id": owner.agent_id, "token": token, "label": label})
        return
    console.print(f"Operator token for {owner.name} (shown once, keep it secret):")
    console.print(token, highlight=False, soft_wrap=True)


@app.command("rotate-key")
def rotate_key_command(as_json: bool = JsonOption) -> None:
    """Re-encrypt stored Green API tokens under the newest key of WA_SECRET_KEY.

    Put the new key first in WA_SECRET_KEY and keep the old one after it, run this, then drop
    the old key once the operator tokens made under it are replaced (`wa agents token`)."""
    with cli_store() as store:
        count = rotate_secret_key(store)
    if as_json:
        print_json({"rotated": count})
        return
    console.print(f"Re-encrypted the Green API tokens of {count} agent(s) under the newest key.")


@app.command("phone-takeover")
def phone_takeover_command(
    agent: Annotated[str, typer.Argument(help="Agent id or name.")],
    setting: Annotated[Literal["on", "off"], typer.Argument(help="on or off")],
    as_json: bool = JsonOption,
) -> None:
    """Whether a message typed on the agent's phone hands that chat to the human (on|off)."""
    with cli_store() as store:
        owner = set_phone_takeover(store, agent, setting == "on")
    if as_json:
        print_json({"agent_id": owner.agent_id, "name": owner.name, "phone_takeover": setting})
        return
    state = "switches the chat to HUMAN" if setting == "on" else "leaves the mode alone"
    console.print(f"{owner.name}: a message typed on the phone {state}.")


if __name__ == "__main__":
    app()
