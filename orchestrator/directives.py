"""Directives: the SOPs in `directives/*.md`. YAML front matter, then Markdown prose.

    ---
    name: property_search
    description: Find listings that fit what the buyer asked for.
    tools: [search_properties, get_property]
    inputs: {message: the buyer's message}
    max_steps: 4
    ---
    ## Goal ...   ## Rules ...   ## Steps ...   ## Edge cases ...

`load_directives` reads them with precise errors (file, line, what is wrong); `check_directives`
also checks them against the tool registry: unknown tools, undeclared `{{ inputs }}`, missing
sections. `wa directives check` runs in CI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from execution.cli_support import JsonOption, console, make_app, print_json, print_table
from execution.errors import NotFoundError, ValidationError
from execution.settings import PROJECT_ROOT
from orchestrator.tools import ToolRegistry

DIRECTIVES_DIR = PROJECT_ROOT / "directives"
REQUIRED_SECTIONS = ("Goal", "Rules", "Steps", "Edge cases")
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_HEADING = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)


class DirectiveError(ValidationError):
    """A directive file is malformed; the message says file, line and what is wrong."""


class FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    description: str = Field(min_length=10, max_length=300)
    tools: list[str] = Field(default_factory=list)
    inputs: dict[str, str] = Field(default_factory=dict)
    max_steps: int = Field(6, ge=1, le=20)
    model: str | None = None


@dataclass(frozen=True)
class Directive:
    name: str
    description: str
    tools: tuple[str, ...]
    inputs: dict[str, str]
    max_steps: int
    model: str | None
    body: str
    path: Path
    body_line: int
    """The file line the body starts on (for error messages)."""

    @property
    def sections(self) -> list[str]:
        return _HEADING.findall(self.body)


def _key_line(front_lines: list[str], key: object, first_line: int) -> int:
    for offset, line in enumerate(front_lines):
        if line.split(":", 1)[0].strip() == str(key):
            return first_line + offset
    return first_line


def parse_directive(text: str, path: Path) -> Directive:
    """One directive from its file text; DirectiveError says where and what is wrong."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise DirectiveError(f"{path}:1: a directive starts with '---' and YAML front matter")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise DirectiveError(f"{path}:1: the front matter is not closed by a '---' line") from None
    front_lines = lines[1:end]
    try:
        data = yaml.safe_load("\n".join(front_lines)) or {}
    except yaml.MarkedYAMLError as exc:
        line = 2 + (exc.problem_mark.line if exc.problem_mark else 0)
        raise DirectiveError(f"{path}:{line}: bad YAML: {exc.problem}") from None
    if not isinstance(data, dict):
        raise DirectiveError(f"{path}:2: the front matter must be a mapping of keys")
    problems = []  # all of them at once: a writer fixes them in one go
    try:
        front = FrontMatter.model_validate(data)
    except PydanticValidationError as exc:
        for err in exc.errors():
            key = err["loc"][0] if err["loc"] else "front matter"
            line = _key_line(front_lines, key, 2)
            problems.append(f"{path}:{line}: {key}: {err['msg']}")
    body = "\n".join(lines[end + 1 :]).strip("\n")
    if not body.strip():
        problems.append(f"{path}:{end + 2}: the directive has no prose after its front matter")
    if problems:
        raise DirectiveError("\n".join(problems))
    return Directive(
        name=front.name,
        description=front.description,
        tools=tuple(front.tools),
        inputs=dict(front.inputs),
        max_steps=front.max_steps,
        model=front.model,
        body=body,
        path=path,
        body_line=end + 2,
    )


def load_directives(folder: Path = DIRECTIVES_DIR) -> dict[str, Directive]:
    """Every `*.md` directive of `folder` (README.md excepted), by name."""
    found: dict[str, Directive] = {}
    for path in _directive_files(folder):
        directive = parse_directive(path.read_text(encoding="utf-8"), path)
        misnamed = _naming_problem(directive, found)
        if misnamed:
            raise DirectiveError(misnamed)
        found[directive.name] = directive
    return found


def _directive_files(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.glob("*.md")) if p.name.lower() != "readme.md"]


def _naming_problem(directive: Directive, found: dict[str, Directive]) -> str | None:
    """A name another directive already uses, or one that is not the file's."""
    path = directive.path
    if directive.name in found:
        other = found[directive.name].path.name
        return f"{path}:2: name {directive.name!r} is also used by {other}"
    if path.stem != directive.name:
        return f"{path}:2: name {directive.name!r} must match the file name"
    return None


_cache: dict[Path, tuple[tuple[tuple[str, int], ...], dict[str, Directive]]] = {}


def cached_directives(folder: Path = DIRECTIVES_DIR) -> dict[str, Directive]:
    """`load_directives`, read again only when a file in `folder` changed (name, mtime)."""
    stamp = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.md")))
    cached = _cache.get(folder)
    if cached is None or cached[0] != stamp:
        cached = (stamp, load_directives(folder))
        _cache[folder] = cached
    return cached[1]


def get_directive(directives: dict[str, Directive], name: str) -> Directive:
    """One directive by name; NotFoundError naming the known ones."""
    if name not in directives:
        raise NotFoundError(f"no directive {name!r}; known: {', '.join(sorted(directives))}")
    return directives[name]


def check_directive(directive: Directive, registry: ToolRegistry) -> list[str]:
    """Everything wrong with one directive, as `file:line: problem` lines (empty: fine)."""
    problems = []
    where = directive.path
    for tool in directive.tools:
        if tool not in registry:
            problems.append(
                f"{where}: unknown tool {tool!r} (registered: {', '.join(registry.names())})"
            )
    for number, line in enumerate(directive.body.splitlines(), start=directive.body_line):
        for name in _PLACEHOLDER.findall(line):
            if name not in directive.inputs:
                problems.append(f"{where}:{number}: {{{{ {name} }}}} is not a declared input")
    missing = [s for s in REQUIRED_SECTIONS if s not in directive.sections]
    if missing:
        problems.append(f"{where}: missing section(s): {', '.join('## ' + s for s in missing)}")
    return problems


def check_directives(folder: Path, registry: ToolRegistry) -> list[str]:
    """All problems of all directives in `folder`, every file read (a malformed one does not
    hide the others' problems)."""
    problems: list[str] = []
    found: dict[str, Directive] = {}
    files = _directive_files(folder)
    for path in files:
        try:
            directive = parse_directive(path.read_text(encoding="utf-8"), path)
        except DirectiveError as exc:
            problems += str(exc).splitlines()
            continue
        misnamed = _naming_problem(directive, found)
        problems += [misnamed] if misnamed else []
        found.setdefault(directive.name, directive)
        problems += check_directive(directive, registry)
    return problems if files else [f"{folder}: no directives found"]


# --- `wa directives ...` ---------------------------------------------------------------------

app = make_app("Directives: the SOPs the orchestrator follows.")


def _registry() -> ToolRegistry:
    from orchestrator.registry import REGISTRY

    return REGISTRY


@app.command("list")
def list_command(as_json: bool = JsonOption) -> None:
    """List the directives."""
    directives = load_directives()
    if as_json:
        print_json([_summary(d) for d in directives.values()])
        return
    print_table(
        "Directives",
        ["name", "description", "tools", "max steps"],
        [(d.name, d.description, ", ".join(d.tools), d.max_steps) for d in directives.values()],
    )


def _summary(d: Directive) -> dict[str, Any]:
    return {
        "name": d.name,
        "description": d.description,
        "tools": list(d.tools),
        "inputs": d.inputs,
        "max_steps": d.max_steps,
        "model": d.model,
        "path": str(d.path),
    }


@app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(help="Directive name.")], as_json: bool = JsonOption
) -> None:
    """Show one directive: its front matter and its prose."""
    directive = get_directive(load_directives(), name)
    if as_json:
        print_json(_summary(directive) | {"body": directive.body})
        return
    console.print(f"[bold]{directive.name}[/bold]: {directive.description}")
    console.print(f"tools: {', '.join(directive.tools) or '-'}; max steps {directive.max_steps}")
    console.print(directive.body, markup=False, highlight=False)


@app.command("check")
def check_command(
    folder: Annotated[Path, typer.Option(help="Folder of directives.")] = DIRECTIVES_DIR,
    as_json: bool = JsonOption,
) -> None:
    """Fail (exit 1) on unknown tools, undeclared inputs, missing sections, bad front matter:
    every problem of every file at once."""
    problems = check_directives(folder, _registry())
    if as_json:
        print_json({"folder": str(folder), "valid": not problems, "problems": problems})
        if problems:
            raise typer.Exit(1)
        return
    if problems:
        for problem in problems:
            console.print(problem, style="red", markup=False, highlight=False, soft_wrap=True)
        raise ValidationError(f"{len(problems)} problem(s) in the directives")
    console.print(f"All directives in {folder} are valid.")


if __name__ == "__main__":
    app()
