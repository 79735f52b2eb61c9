"""`wa`: one Typer sub-app per noun, mounted here. No logic of its own."""

from __future__ import annotations

from execution import (
    agent_commands,
    conversations,
    db,
    escalation,
    followups,
    privacy,
    properties,
    stuck_sends,
    viewings,
)
from execution.cli_support import make_app
from execution.send_whatsapp_message import send_command
from execution.set_mode import set_mode_command
from orchestrator import directives
from orchestrator.chat import chat_command
from orchestrator.run_directive import run_directive_command
from orchestrator.worker import worker_command
from replay.command import replay_command
from replay.demo import demo_command
from serve import serve_command

app = make_app("wa: a WhatsApp AI assistant for real-estate agents (Green API).")
app.add_typer(db.app, name="db")
app.add_typer(agent_commands.app, name="agents")
app.add_typer(properties.app, name="properties")
app.add_typer(conversations.app, name="conversations")
conversations.app.command("export")(privacy.export_command)
conversations.app.command("erase")(privacy.erase_command)
app.add_typer(escalation.app, name="escalation")
app.add_typer(viewings.app, name="viewings")
app.add_typer(followups.app, name="followups")
app.add_typer(directives.app, name="directives")
app.add_typer(stuck_sends.app, name="sends")
app.command("send")(send_command)
app.command("set-mode")(set_mode_command)
app.command("run")(run_directive_command)
app.command("chat")(chat_command)
app.command("demo")(demo_command)
app.command("replay")(replay_command)
app.command("serve")(serve_command)
app.command("worker")(worker_command)

if __name__ == "__main__":
    app()
