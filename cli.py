"""`wa`: one Typer sub-app per noun, mounted here. No logic of its own.

A command's module is imported only when that command runs: `wa --help` reads the table below
(each command's one-line help; tests/test_cli.py checks it against the command's own), so it
loads neither FastAPI, the model clients nor a database driver.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

import typer
from typer.core import TyperCommand

from execution.cli_support import WaGroup

COMMANDS: dict[str, tuple[str, str]] = {
    "send": (
        "execution.send_whatsapp_message:send_command",
        'Send a WhatsApp message: `wa send 12 "Hi"` or `wa send --agent A --to 6591234567 "Hi"`.',
    ),
    "set-mode": (
        "execution.set_mode:set_mode_command",
        "Switch a conversation between the assistant (ai) and the human agent (human).",
    ),
    "run": (
        "orchestrator.run_directive:run_directive_command",
        "Run one directive with the configured model and print every step.",
    ),
    "chat": (
        "orchestrator.chat:chat_command",
        "Chat as a buyer with an agent's assistant (the same turn code as the webhook).",
    ),
    "demo": (
        "replay.demo:demo_command",
        "Replay the demo conversation (enquiry, search, viewing, phone takeover, duplicate "
        "delivery, negotiation handoff) and set up the demo agent and listings.",
    ),
    "replay": (
        "replay.command:replay_command",
        "Replay scenarios through the webhook server, turn worker and send path, offline.",
    ),
    "serve": (
        "serve:serve_command",
        "Serve the Green API webhook, the operator API and /metrics; work the turns.",
    ),
    "worker": (
        "orchestrator.worker:worker_command",
        "Work pending turns (beside `wa serve`, which also works them). PostgreSQL + Redis only.",
    ),
    "db": (
        "execution.db:app",
        "The database: create or upgrade the schema, show its state.",
    ),
    "agents": (
        "execution.agent_commands:app",
        "Agents: their Green API instance, number, timezone and persona.",
    ),
    "properties": (
        "execution.properties:app",
        "Listings: import them from a file, search them, show one.",
    ),
    "conversations": (
        "execution.conversations:app",
        "Conversations: one per agent and WhatsApp chat, in AI or HUMAN mode.",
    ),
    "escalation": (
        "execution.escalation:app",
        "Escalation rules: when the assistant hands the chat to the human agent.",
    ),
    "viewings": (
        "execution.viewings:app",
        "Viewings: what buyers asked to see, for the agent to confirm.",
    ),
    "followups": (
        "execution.followups:app",
        "Follow-ups: the check-ins a quiet buyer gets (scheduled by each reply).",
    ),
    "directives": (
        "orchestrator.directives:app",
        "Directives: the SOPs the orchestrator follows.",
    ),
    "sends": (
        "execution.stuck_sends:app",
        "Outbound messages: resolve the ones left pending.",
    ),
}
"""Each command: where it lives (module:attribute) and its one-line help."""

ATTACHED = {
    "conversations": {
        "export": "execution.privacy:export_command",
        "erase": "execution.privacy:erase_command",
    }
}
"""Commands another module adds to a group: privacy's export and erase of a conversation."""


def _load(target: str) -> Any:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def load_command(name: str) -> Any:
    """The click command `name` stands for, its module imported now."""
    found = _load(COMMANDS[name][0])
    if not isinstance(found, typer.Typer):  # one function: a command of its own
        single = typer.Typer()
        single.command(name)(found)
        return typer.main.get_command(single)
    registered = {command.name for command in found.registered_commands}
    for attached, target in ATTACHED.get(name, {}).items():
        if attached not in registered:  # loaded twice (a test does): attached once
            found.command(attached)(_load(target))
    holder = typer.Typer()  # mounted as `wa` mounts it: a group even with one command
    holder.add_typer(found, name=name)
    return typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]


class LazyGroup(WaGroup):
    """The `wa` group: its commands are loaded when they run, and listed from the table."""

    listing = False
    loaded: ClassVar[dict[str, Any]] = {}  # one `wa` per process: loaded once

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        if self.listing:  # the help's list of commands: their lines, nothing imported
            return TyperCommand(cmd_name, short_help=COMMANDS[cmd_name][1])
        if cmd_name not in self.loaded:
            self.loaded[cmd_name] = load_command(cmd_name)
        return self.loaded[cmd_name]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


app = typer.Typer(
    cls=LazyGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main() -> None:
    """wa: a WhatsApp AI assistant for real-estate agents (Green API)."""


if __name__ == "__main__":
    app()
