"""`wa properties import|search|show`: the command faces of property_import and property_lookup."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from execution.agents import get_agent
from execution.cli_support import (
    JsonOption,
    cli_store,
    console,
    err_console,
    make_app,
    print_json,
    print_table,
)
from execution.errors import ValidationError
from execution.listings import FieldError, parse_amount
from execution.property_import import Format, import_properties
from execution.property_lookup import Property, get_property, search_properties

app = make_app("Listings: import them from a file, search them, show one.")

PROGRESS_MIN_BYTES = 256 * 1024


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="Listings file: .csv, .json (array) or .yaml.")],
    agent: Annotated[str, typer.Option(help="Agent id or name that owns the listings.")],
    fmt: Annotated[
        Format | None,
        typer.Option("--format", help="Override the format the file name suggests."),
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="Validate only; write nothing.")] = False,
    as_json: bool = JsonOption,
) -> None:
    """Import listings; all rows or none. Rows with a `ref` update earlier imports of that ref."""
    show_progress = file.exists() and file.stat().st_size >= PROGRESS_MIN_BYTES and not as_json
    with (
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=err_console,
            transient=True,
            disable=not show_progress,
        ) as bar,
        cli_store() as store,
    ):
        task = bar.add_task("validating", total=None)

        def progress(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total or None)

        result = import_properties(store, agent, file, fmt=fmt, dry_run=dry_run, progress=progress)
    if as_json:
        print_json(result)
        return
    verb = "Would import" if result.dry_run else "Imported"
    console.print(
        f"{verb} {result.rows} listing(s) for agent {result.agent_id}: "
        f"{result.created} new, {result.updated} updated."
    )
    if result.ignored_columns:
        console.print(f"Ignored columns: {', '.join(result.ignored_columns)}")


def print_properties(title: str, items: list[Property]) -> None:
    print_table(
        title,
        ["id", "title", "location", "price", "type", "beds", "status", "match"],
        [
            (
                p.property_id,
                p.title,
                p.location,
                f"{p.price:,}",
                p.property_type,
                "-" if p.bedrooms is None else p.bedrooms,
                p.availability,
                "" if p.match_score is None else f"{p.match_score:.2f}",
            )
            for p in items
        ],
    )


def _price(option: str, value: str | None) -> int | None:
    """A price filter in any form an import accepts ("1.5M", "850k", "S$1,250,000")."""
    if value is None:
        return None
    try:
        return parse_amount(value)
    except FieldError as exc:
        raise ValidationError(f"{option}: {exc.message}") from None


@app.command("search")
def search_command(
    agent: Annotated[str, typer.Option(help="Agent id or name.")],
    location: Annotated[str | None, typer.Option(help="Fuzzy: typos and partial names ok.")] = None,
    property_type: Annotated[
        str | None, typer.Option("--type", help="condo, HDB, landed...")
    ] = None,
    min_price: Annotated[
        str | None, typer.Option(help="As imports take it: 900000, 900k, S$1.5M.")
    ] = None,
    max_price: Annotated[
        str | None, typer.Option(help="As imports take it: 1500000, 1.5M, S$1,500,000.")
    ] = None,
    bedrooms: Annotated[int | None, typer.Option(min=0)] = None,
    availability: Annotated[
        Literal["available", "pending", "sold"] | None, typer.Option(help="Omit for any.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    as_json: bool = JsonOption,
) -> None:
    """Search an agent's listings; best location match first, then cheapest."""
    with cli_store() as store:
        owner = get_agent(store, agent)
        results = search_properties(
            store,
            owner.agent_id,
            location=location,
            property_type=property_type,
            min_price=_price("--min-price", min_price),
            max_price=_price("--max-price", max_price),
            bedrooms=bedrooms,
            availability=availability,
            limit=limit,
        )
    if as_json:
        print_json(results)
    elif not results:
        console.print("No listings match.")
    else:
        print_properties(f"{len(results)} listing(s) of {owner.name}", results)


@app.command("show")
def show_command(
    property_id: Annotated[int, typer.Argument(help="Property id.")],
    as_json: bool = JsonOption,
) -> None:
    """Show one listing in full."""
    with cli_store() as store:
        item = get_property(store, property_id)
    if as_json:
        print_json(item)
        return
    print_table(
        f"Property {item.property_id}",
        ["field", "value"],
        [
            ("title", item.title),
            ("location", item.location),
            ("price", f"{item.price:,}"),
            ("type", item.property_type),
            ("bedrooms", "-" if item.bedrooms is None else item.bedrooms),
            ("availability", item.availability),
            (
                "floor area",
                "-" if item.floor_area_sqft is None else f"{item.floor_area_sqft:,} sq ft",
            ),
            ("facts (as replies quote them)", item.facts),
            ("selling points", "\n".join(f"- {p}" for p in item.key_selling_points) or "-"),
            ("agent", item.agent_id),
            ("reference", item.external_ref or "-"),
        ],
    )


if __name__ == "__main__":
    app()
