"""What every `wa` command shares: the app factory, error printing, output, the CLI's store."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup, TyperOption

from execution.errors import WaError

if TYPE_CHECKING:
    from execution.store import Store

console = Console()
err_console = Console(stderr=True)

JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table.")


_QUIET = logging.NullHandler()


def _flag_without_type(option: TyperOption, ctx: Any) -> str | None:
    """No `<bool>` beside a flag in the help (`--json`, `--help`): it takes no value."""
    return None if option.is_flag else _TYPE_SHOWN(option, ctx)


_TYPE_SHOWN = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_without_type  # type: ignore[method-assign,assignment]


class WaGroup(TyperGroup):
    """A command group that turns an expected `WaError` into one red line and exit code 1."""

    def invoke(self, ctx: Any) -> Any:  # click.Context (typer vendors its own click)
        # a command reports a database that is down in its own red line: the pool's retries
        # would print a warning each first (a server that logs gets them back: configure_logging)
        logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
        for layer in ("execution", "orchestrator", "replay"):  # a short command's warning is
            # its red line (said once); the log reaches a handler only when one is set up:
            # `wa serve`, `wa worker` (configure_logging)
            logging.getLogger(layer).addHandler(_QUIET)
        try:
            return super().invoke(ctx)
        except WaError as exc:
            err_console.print(f"[bold red]Error:[/bold red] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(1) from None


def configure_logging(level: str) -> None:
    """The log lines of a long-running command (`wa serve`, `wa worker`): one format, to
    stderr, the libraries' warnings included."""
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("psycopg.pool").setLevel(logging.NOTSET)


def make_app(help: str) -> typer.Typer:
    return typer.Typer(
        cls=WaGroup,
        help=help,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )


@contextmanager
def cli_store(*, require_schema: bool = True) -> Iterator[Store]:
    """The store of this command run: opened from settings, closed when the command ends."""
    from execution.settings import load_settings  # here, not at import: `wa --help` needs
    from execution.store import open_store  # neither the settings nor a database driver
    from execution.store.migrate import require_current_schema

    settings = load_settings()
    store = open_store(settings.resolved_database_url, pool_size=2)
    try:
        if require_schema:
            require_current_schema(store)
        yield store
    finally:
        store.close()


def _jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):  # a pydantic model (pydantic is not imported for it)
        return value.model_dump(mode="json")
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def print_json(data: Any) -> None:
    """Plain JSON on stdout (no colours, no wrapping): safe to pipe into jq."""
    typer.echo(json.dumps(data, default=_jsonable, indent=2, ensure_ascii=False))


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[_cell(cell) for cell in row] for row in rows]
    table = Table(title=title, title_justify="left")
    for n, column in enumerate(columns):
        timed = any(row[n].no_wrap for row in cells)  # a timestamp keeps its width
        table.add_column(column, overflow="fold", min_width=12 if timed else None)
    for row in cells:
        table.add_row(*row)
    console.print(table)


_SHORT_TIME = "%d %b %H:%M"  # "05 Dec 21:20": 12 characters
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?")


def _cell(value: Any) -> Text:
    """A table cell, printed as it is (never read as markup): a timestamp as day, month and
    minute, in UTC as stored, on one line (the full one, with its year, is in --json)."""
    if isinstance(value, str) and _TIMESTAMP.fullmatch(value):
        with suppress(ValueError):  # the shape of one, not a time ("2026-13-45"): as written
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime):
        return Text(value.strftime(_SHORT_TIME), no_wrap=True)
    return Text("" if value is None else str(value))
