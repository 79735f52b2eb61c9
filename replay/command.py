"""`wa replay`: scenarios through the whole system, offline.

wa replay tests/scenarios/*.yaml                 # every scenario, a summary, exit 1 on failure
wa replay FILE --transcript                       # and each transcript
wa replay FILE --llm anthropic --record           # a real model; its answers saved beside FILE
wa replay FILE                                    # replays that cassette offline
wa replay --from-db 12 -o tests/scenarios/bug.yaml   # a stored conversation as a scenario
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Literal

import typer
import yaml
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from execution.cli_support import JsonOption, cli_store, console, err_console, print_json
from execution.errors import ConfigurationError, ValidationError
from execution.settings import Settings, load_settings
from orchestrator.providers.base import Provider
from orchestrator.providers.scripted import ScriptedProvider
from orchestrator.providers.select import select_provider
from replay.cassette import Cassette, Recorder, cassette_path
from replay.engine import Result, run_scenario
from replay.expectations import Failure
from replay.report import print_summary, print_transcript
from replay.scenario import ScenarioFile, load_scenario

Llm = Literal["scripted", "anthropic", "openai"]
SHOW_TRANSCRIPTS_UP_TO = 3
"""With this many files or fewer, every transcript is printed (else only failing ones)."""


def scenario_files(paths: list[Path]) -> list[Path]:
    """Files as given; folders as the `*.yaml` files in them that are scenarios (a mapping with
    a `timeline`: listings files beside them are skipped, and said to be)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for candidate in sorted(path.glob("*.yaml")):
                if _is_scenario(candidate):
                    found.append(candidate)
                else:
                    err_console.print(
                        f"[dim]skipped {candidate}: not a scenario (no timeline)[/dim]"
                    )
        elif path.exists():
            found.append(path)
        else:
            raise ValidationError(f"no such scenario file: {path}")
    if not found:
        raise ValidationError("no scenario files given")
    return found


def _is_scenario(path: Path) -> bool:
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return True  # let loading it say what is wrong
    return isinstance(data, dict) and "timeline" in data


def _provider(settings: Settings, llm: str) -> Provider:
    if llm == "scripted":
        return ScriptedProvider()
    return select_provider(settings.model_copy(update={"llm": llm}))


def choose_provider(
    sf: ScenarioFile, settings: Settings, llm: Llm | None, record: bool
) -> Provider:
    """`--llm` if given; else the scenario's cassette if it has one; else its `llm:`; else the
    scripted model. `--record` needs a real model and wraps it in a recorder."""
    chosen = llm or sf.scenario.llm
    if record:
        if chosen in (None, "scripted"):
            raise ConfigurationError("--record needs a real model: --llm anthropic or openai")
        return Recorder(_provider(settings, chosen))
    cassette = cassette_path(sf.path)
    if llm is None and cassette.exists():
        return Cassette.load(cassette)
    return _provider(settings, chosen or "scripted")


def play(sf: ScenarioFile, settings: Settings, provider: Provider) -> Result:
    result = run_scenario(sf, settings, provider)
    if isinstance(provider, Cassette):
        problems = provider.problems + ([left] if (left := provider.leftovers()) else [])
        result.failures += [
            Failure("cassette", "replay", "every answer used once", p) for p in problems
        ]
    if isinstance(provider, Recorder) and result.error is None:
        provider.save(cassette_path(sf.path), sf.scenario.name)
    return result


def backend_name(settings: Settings) -> str:
    db = "PostgreSQL" if settings.resolved_database_url.startswith("postgres") else "SQLite"
    return f"{db} + {'Redis' if settings.redis_url else 'in-process'}"


def replay_command(
    files: Annotated[list[Path] | None, typer.Argument(help="Scenario files or folders.")] = None,
    llm: Annotated[
        Llm | None,
        typer.Option(
            help="The model: scripted (offline), anthropic or openai. Default: the scenario's "
            "cassette when it has one, else its `llm:`, else scripted."
        ),
    ] = None,
    report: Annotated[Path | None, typer.Option(help="Write every result as JSON here.")] = None,
    record: Annotated[
        bool, typer.Option(help="Save the real model's answers beside each scenario (a cassette).")
    ] = False,
    from_db: Annotated[
        int | None,
        typer.Option(
            "--from-db",
            help="Write a stored conversation out as a scenario instead.",
            metavar="CONVERSATION_ID",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="With --from-db: the file to write (default: stdout)."),
    ] = None,
    transcript: Annotated[
        bool | None,
        typer.Option(
            "--transcript/--no-transcript",
            help=f"Print every transcript (default: when {SHOW_TRANSCRIPTS_UP_TO} files or fewer; "
            "failing ones always).",
        ),
    ] = None,
    as_json: bool = JsonOption,
) -> None:
    """Replay scenarios through the webhook server, turn worker and send path, offline."""
    if from_db is not None:
        export_conversation(from_db, output)
        return
    if not files:
        raise ValidationError("give scenario files (or --from-db CONVERSATION_ID)")
    paths = scenario_files(files)
    scenarios = [load_scenario(path) for path in paths]  # every file valid before any runs
    settings = load_settings()
    show_all = transcript if transcript is not None else len(scenarios) <= SHOW_TRANSCRIPTS_UP_TO
    with quiet_logs():
        results = run_all(scenarios, settings, llm, record, show_all and not as_json, as_json)
    if report is not None:
        report.write_text(
            json.dumps(
                {"backend": backend_name(settings), "results": [r.to_json() for r in results]},
                indent=2,
                ensure_ascii=False,
            )
            + "\n",
            "utf-8",
        )
    if as_json:
        print_json(
            {
                "backend": backend_name(settings),
                "passed": all(r.passed for r in results),
                "results": [r.to_json() for r in results],
            }
        )
    if not all(r.passed for r in results):
        raise typer.Exit(1)


def run_all(
    scenarios: list[ScenarioFile],
    settings: Settings,
    llm: Llm | None,
    record: bool,
    show_all: bool,
    as_json: bool,
) -> list[Result]:
    began = time.perf_counter()
    results: list[Result] = []
    progress = Progress(
        TextColumn("[bold]replay[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=as_json or len(scenarios) == 1,
    )
    with progress:
        task = progress.add_task("", total=len(scenarios))
        for sf in scenarios:
            progress.update(task, description=sf.path.name)
            result = play(sf, settings, choose_provider(sf, settings, llm, record))
            results.append(result)
            if not as_json and (show_all or not result.passed):
                progress.console.print()
                print_transcript(progress.console, result)
            progress.advance(task)
    if not as_json:
        print_summary(console, results, time.perf_counter() - began, backend_name(settings))
    return results


@contextmanager
def quiet_logs() -> Iterator[None]:
    """A replay prints its own transcript: the server's and the worker's logs would say it twice
    (and warnings about scripted failures would read like real ones). Restored afterwards."""
    names = ("execution", "orchestrator", "serve", "httpx", "uvicorn")
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def export_conversation(conversation_id: int, output: Path | None) -> None:
    from replay.from_db import conversation_scenario

    with cli_store() as store:
        text = conversation_scenario(store, conversation_id)
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, "utf-8")
    console.print(f"wrote {output} (conversation {conversation_id}, anonymised)")
