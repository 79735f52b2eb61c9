"""`wa db init|status`: apply and inspect the schema migrations."""

from __future__ import annotations

from execution.cli_support import JsonOption, cli_store, console, make_app, print_json, print_table
from execution.store.migrate import all_migrations, applied_migrations, migrate

app = make_app("The database: create or upgrade the schema, show its state.")


@app.command("init")
def init_command(as_json: bool = JsonOption) -> None:
    """Create the database schema, or bring it up to date. Safe to run again."""
    with cli_store(require_schema=False) as store:
        applied = migrate(store)
        total = len(all_migrations())
        where = store.display_url
    if as_json:
        print_json({"database": where, "applied": applied, "total": total})
    elif applied:
        console.print(f"Applied {len(applied)} migration(s) to {where}: {', '.join(applied)}.")
    else:
        console.print(f"Database {where} is up to date ({total} migrations).")


@app.command("status")
def status_command(as_json: bool = JsonOption) -> None:
    """Show which migrations are applied."""
    with cli_store(require_schema=False) as store:
        done = set(applied_migrations(store))
        where = store.display_url
    rows = [{"name": m.name, "applied": m.name in done} for m in all_migrations()]
    if as_json:
        print_json({"database": where, "migrations": rows})
        return
    print_table(
        f"Migrations of {where}",
        ["migration", "state"],
        [(r["name"], "applied" if r["applied"] else "PENDING") for r in rows],
    )


if __name__ == "__main__":
    app()
