"""`wa`: one Typer sub-app per noun, mounted here. No logic of its own."""

from __future__ import annotations

from execution import agents, db, demo, properties
from execution.cli_support import make_app

app = make_app("wa: a WhatsApp AI assistant for real-estate agents (Green API).")
app.add_typer(db.app, name="db")
app.add_typer(agents.app, name="agents")
app.add_typer(properties.app, name="properties")
app.command("demo")(demo.run_demo)

if __name__ == "__main__":
    app()
