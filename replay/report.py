"""How a replay looks to a person: a transcript per scenario and a summary table."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from replay.engine import Result

_WHO = {
    "buyer": ("Buyer", "bold cyan"),
    "assistant": ("Assistant", "bold green"),
    "human": ("Agent", "bold magenta"),
    "system": ("", "yellow"),
    "tool": ("", "dim"),
}


def clock(seconds: float) -> str:
    """`+0:02:05`, `+3d 00:00:05`: simulated time since the scenario started."""
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"+{days}d {hours:02d}:{minutes:02d}:{secs:02d}"
    return f"+{hours}:{minutes:02d}:{secs:02d}"


def print_transcript(console: Console, result: Result) -> None:
    status = "[green]passed[/green]" if result.passed else "[red]FAILED[/red]"
    console.rule(f"[bold]{escape(result.name)}[/bold] {status}")
    console.print(f"[dim]{escape(result.file)} | database {escape(result.database)}[/dim]")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", style="dim", no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(overflow="fold")
    several = len({line.chat for line in result.lines if line.chat}) > 1
    for line in result.lines:
        text = escape(line.text)
        if line.who == "check":
            style = "green" if line.ok else "bold red"
            grid.add_row(
                clock(line.at),
                f"[{style}]{'ok' if line.ok else 'FAIL'}[/{style}]",
                f"[{style}]{text}[/{style}]",
            )
            continue
        label, style = _WHO.get(line.who, (line.who, ""))
        if line.who == "tool":
            grid.add_row(clock(line.at), "", f"[dim](tools: {text})[/dim]")
        elif line.who == "system":
            grid.add_row(clock(line.at), "", f"[{style}]{text}[/{style}]")
        else:
            if several and line.chat:  # several buyers: say whose chat (the number's end)
                label = f"{label} ..{line.chat.split('@')[0][-4:]}"
            grid.add_row(clock(line.at), f"[{style}]{label}[/{style}]", text)
    console.print(grid)
    if result.error:
        console.print(f"[bold red]scenario error:[/bold red] {escape(result.error)}")
    if result.failures:
        console.print(f"[bold red]{len(result.failures)} failure(s):[/bold red]")
    for failure in result.failures:
        console.print(f"[red]- {escape(failure.headline)}[/red]")
        for diff_line in failure.diff.splitlines():
            style = {"+": "green", "-": "red"}.get(diff_line[:1], "dim")
            console.print(f"    [{style}]{escape(diff_line)}[/{style}]")


SAFETY = (
    ("webhooks_duplicate", "duplicate deliveries answered without a second reply"),
    ("turns_superseded", "stale replies dropped because the buyer wrote again"),
    ("sends_discarded", "replies discarded by the mode gate (a human had taken over)"),
    ("escalations", "chats handed to the agent"),
    ("mode_changes", "mode changes (each with its audit event)"),
    ("greenapi_refusals", "Green API refusals retried or handed over"),
)


def print_safety(console: Console, result: Result) -> None:
    """What the safety checks did in one scenario (for `wa demo`)."""
    console.print("\n[bold]What the safety checks did[/bold]")
    for key, meaning in SAFETY:
        console.print(f"  {result.stats.get(key, 0):>3}  {meaning}")
    console.print(
        f"  {'all' if result.passed else 'NOT all'} invariants of DESIGN.md held "
        "(one reply per turn, none after takeover, order, nothing lost, whole mode "
        "changes)"
    )


def print_summary(console: Console, results: list[Result], seconds: float, backend: str) -> None:
    table = Table(title=f"Replay summary ({backend})", show_lines=False)
    table.add_column("scenario", overflow="fold")
    table.add_column("result")
    table.add_column("sent", justify="right")
    table.add_column("dups", justify="right")
    table.add_column("escal.", justify="right")
    table.add_column("model calls", justify="right")
    table.add_column("s", justify="right")
    for result in results:
        mark = "[green]passed[/green]" if result.passed else "[red]FAILED[/red]"
        table.add_row(
            escape(result.name),
            mark,
            str(result.stats.get("messages_sent", 0)),
            str(result.stats.get("webhooks_duplicate", 0)),
            str(result.stats.get("escalations", 0)),
            str(result.model_calls),
            f"{result.seconds:.2f}",
        )
    console.print(table)
    failed = [r for r in results if not r.passed]
    passed = len(results) - len(failed)
    colour = "red" if failed else "green"
    console.print(
        f"[bold {colour}]{passed} passed, {len(failed)} failed[/bold {colour}] in {seconds:.1f}s"
    )
    for result in failed:
        first = result.error or str(result.failures[0]).splitlines()[0]
        console.print(f"[red]  {escape(result.file)}: {escape(first)}[/red]")
