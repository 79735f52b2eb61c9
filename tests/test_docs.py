"""The docs say what the code does: every `wa` command line in README.md and docs/*.md names a
real command and only options that command has (read off the Typer app, as `wa --help` shows
them), and every page the front page links to exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

from cli import app

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def command_lines(page: Path) -> list[str]:
    """The lines of `page` that start with `wa ` (continuation lines joined, comments cut)."""
    text = page.read_text("utf-8").replace("\\\n", " ")
    return [
        re.split(r"\s{2,}#", line)[0].strip()
        for line in text.splitlines()
        if line.startswith("wa ")
    ]


def problems_of(line: str, root: Any) -> list[str]:
    """What in `line` the CLI does not have: an unknown command, a group given no subcommand,
    an option the command does not take. Each of `a | b` alternatives is checked: a sibling
    command, or more options of the same one."""
    words = shlex.split(line.replace("[", " ").replace("]", " "))[1:]
    segments = " ".join(words).split(" | ") if words else [""]
    found: list[str] = []
    chain: list[tuple[str, Any]] = [("wa", root)]
    for n, segment in enumerate(segments):
        tokens = shlex.split(segment)
        sibling = n and tokens and not tokens[0].startswith("-")
        if sibling and not _is_group(chain[-1][1]) and len(chain) > 1:
            chain = chain[:-1]  # "list | show NAME": a sibling of the last command
        for word in tokens:
            command = chain[-1][1]
            if _is_group(command) and not word.startswith("-"):
                sub = command.get_command(None, word)  # a lazy group loads it here
                if sub is None:
                    found.append(f"`{_path(chain)}` has no command {word!r}")
                    break
                chain.append((word, sub))
                continue
            if word.startswith("-") and word != "-":
                option = word.split("=", 1)[0]
                options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
                if option not in options | {"--help"}:
                    found.append(f"`{_path(chain)}` has no option {option}")
        if _is_group(chain[-1][1]) and not found:
            found.append(f"`{_path(chain)}` needs a subcommand")
    return found


def _path(chain: list[tuple[str, Any]]) -> str:
    return " ".join(name for name, _ in chain)


def test_the_pages_hold_command_lines() -> None:
    assert sum(len(command_lines(page)) for page in PAGES) >= 40


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_line_names_real_commands_and_options(page: Path) -> None:
    root = _root()
    found = [f"{line}: {p}" for line in command_lines(page) for p in problems_of(line, root)]
    assert found == []


def test_the_checker_sees_a_wrong_command_and_a_wrong_option() -> None:
    root = _root()
    assert problems_of("wa agents list --json", root) == []
    assert problems_of("wa agents lst", root) == ["`wa agents` has no command 'lst'"]
    assert problems_of("wa agents list --jsn", root) == ["`wa agents list` has no option --jsn"]
    assert problems_of("wa agents", root) == ["`wa agents` needs a subcommand"]
    assert problems_of("wa directives list | show NAME | check", root) == []


def _root() -> Any:
    root = typer.main.get_command(app)
    assert _is_group(root)
    return root


def _is_group(command: Any) -> bool:
    """A command with subcommands (Typer's group: it vendors its own click)."""
    return isinstance(getattr(command, "commands", None), dict)


def test_every_linked_page_exists() -> None:
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#]+\.md)\)", page.read_text("utf-8")):
            assert (page.parent / target).resolve().is_file(), f"{page.name} links to {target}"
