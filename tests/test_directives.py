"""Directives and the tool registry: schemas from signatures, precise loader errors, `check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from execution.coordination import Coordinator
from execution.run_inputs import AgentId, FromRun
from execution.runtime import Runtime
from execution.store import Store
from orchestrator.directives import (
    DIRECTIVES_DIR,
    DirectiveError,
    check_directives,
    load_directives,
    parse_directive,
)
from orchestrator.registry import REGISTRY
from orchestrator.run_context import SendGuard
from orchestrator.tools import ToolArgumentsError, ToolRegistry, docstring_args, tool_from_function

GOOD = """---
name: sample
description: A directive used by the tests only.
tools: [search_properties]
inputs:
  message: the buyer's message
max_steps: 3
---
## Goal
Answer {{ message }}.

## Rules
- Facts from tools only.

## Steps
1. Search.

## Edge cases
- None.
"""


# --- tools -----------------------------------------------------------------------------------


def test_search_schema_comes_from_the_signature_and_docstring() -> None:
    tool = REGISTRY["search_properties"]
    schema = tool.schema
    assert set(schema["properties"]) == {
        "location", "property_type", "min_price", "max_price", "bedrooms", "availability", "limit",
    }  # fmt: skip
    assert "agent_id" not in schema["properties"] and "store" not in schema["properties"]
    assert "typos" in schema["properties"]["location"]["description"]
    assert schema["properties"]["availability"]["anyOf"][0]["enum"] == [
        "available", "pending", "sold",
    ]  # fmt: skip
    assert schema["properties"]["limit"]["default"] == 10
    assert tool.description == "Search one agent's listings."


def test_arguments_are_validated_and_converted() -> None:
    tool = REGISTRY["search_properties"]
    assert tool.validate({"location": "tampnes", "bedrooms": "3"}) == {
        "location": "tampnes", "bedrooms": 3,
    }  # fmt: skip
    with pytest.raises(ToolArgumentsError, match="agent_id: Extra inputs are not permitted"):
        tool.validate({"agent_id": 2})  # a model cannot pick the tenant
    with pytest.raises(ToolArgumentsError, match="availability"):
        tool.validate({"availability": "rented"})
    with pytest.raises(ToolArgumentsError, match="property_id: Field required"):
        REGISTRY["get_property"].validate({})


def test_registry_effects_and_names() -> None:
    assert REGISTRY.names() == ["get_property", "hand_off_to_human", "request_viewing",
                                "search_properties", "send_message"]  # fmt: skip
    assert REGISTRY["request_viewing"].effect == "write"
    assert set(REGISTRY["request_viewing"].schema["properties"]) == {
        "property_id", "preferred_time", "notes",
    }  # fmt: skip
    assert REGISTRY["send_message"].effect == "send"
    assert set(REGISTRY["send_message"].schema["properties"]) == {"text"}
    assert set(REGISTRY["hand_off_to_human"].schema["properties"]) == {"reason"}


def test_a_function_must_document_its_arguments() -> None:
    def undocumented(x: int) -> int:
        """Does things."""
        return x

    def no_doc(x: int) -> int:
        return x

    with pytest.raises(ValueError, match="document argument 'x'"):
        tool_from_function(undocumented)
    with pytest.raises(ValueError, match="needs a docstring"):
        tool_from_function(no_doc)
    registry = ToolRegistry()
    registry.register(REGISTRY["get_property"].function)
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(REGISTRY["get_property"].function)


def test_the_run_fills_the_parameters_typed_for_it_whatever_their_names() -> None:
    def lookup(db: Store, owner: AgentId, listing: int, note: str | None = None) -> str:
        """Look a listing up.

        Args:
            listing: The listing.
            note: Anything.
        """
        return f"{owner}:{listing}"

    tool = tool_from_function(lookup)
    assert dict(tool.needs) == {"db": Store, "owner": FromRun.AGENT}
    assert set(tool.schema["properties"]) == {"listing", "note"}
    assert dict(REGISTRY["hand_off_to_human"].needs) == {
        "store": Store,
        "coordinator": Coordinator,
        "conversation_id": FromRun.CONVERSATION,
        "actor": FromRun.ACTOR,
        "turn_id": FromRun.TURN,
    }
    assert dict(REGISTRY["send_message"].needs) == {"rt": Runtime, "guard": SendGuard}


def test_docstring_args_parser() -> None:
    summary, args = docstring_args(
        """Do a thing.

        More text.

        Args:
            first: The first
                thing, continued.
            second (int): The second.

        Returns:
            Nothing.
        """
    )
    assert summary == "Do a thing."
    assert args == {"first": "The first thing, continued.", "second": "The second."}


# --- directives ------------------------------------------------------------------------------


def test_shipped_directives_are_valid() -> None:
    directives = load_directives()
    assert {"handle_incoming_message", "property_search", "escalation", "message_sending",
            "persona"} <= set(directives)  # fmt: skip
    assert check_directives(DIRECTIVES_DIR, REGISTRY) == []
    assert directives["escalation"].max_steps == 2


def write(tmp_path: Path, text: str, name: str = "sample") -> Path:
    path = tmp_path / f"{name}.md"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("no front matter", "sample.md:1: a directive starts with '---'"),
        ("---\nname: sample\n", "sample.md:1: the front matter is not closed"),
        ("---\nname: [unclosed\n---\nbody\n", "sample.md:2: bad YAML"),
        (GOOD.replace("max_steps: 3", "max_steps: 99"), "sample.md:7: max_steps"),
        (GOOD.replace("description: A", "descripton: A"), "sample.md:2: description: Field"),
        (GOOD.replace("tools: [search_properties]", "tools: search"), "sample.md:4: tools"),
        (GOOD.split("## Goal")[0], "has no prose"),
    ],
)  # fmt: skip
def test_loader_errors_say_file_line_and_what(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(DirectiveError) as caught:
        parse_directive(text, write(tmp_path, text))
    assert fragment in str(caught.value)


def test_check_finds_unknown_tools_undeclared_inputs_missing_sections(tmp_path: Path) -> None:
    text = (
        GOOD.replace("[search_properties]", "[search_properties, book_a_spaceship]")
        .replace("1. Search.", "1. Search for {{ budget }}.")
        .replace("## Edge cases\n- None.\n", "")
    )
    write(tmp_path, text)
    problems = check_directives(tmp_path, REGISTRY)
    assert len(problems) == 3
    assert "unknown tool 'book_a_spaceship'" in problems[0]
    assert "sample.md:16: {{ budget }} is not a declared input" in problems[1]
    assert "missing section(s): ## Edge cases" in problems[2]


def test_check_reports_every_problem_of_every_file_at_once(tmp_path: Path) -> None:
    # two front-matter errors in one file, a bad tool in another: all three, in one run
    write(tmp_path, GOOD.replace("max_steps: 3", "max_steps: 99").replace("description: A", "x: A"))
    write(
        tmp_path, GOOD.replace("[search_properties]", "[teleport]").replace("sample", "zed"), "zed"
    )
    problems = check_directives(tmp_path, REGISTRY)
    assert len(problems) == 4, problems  # description missing, x not allowed, max_steps, teleport
    assert sum("sample.md" in p for p in problems) == 3 and "unknown tool 'teleport'" in problems[3]
    done = CliRunner().invoke(app, ["directives", "check", "--folder", str(tmp_path), "--json"])
    assert done.exit_code == 1 and json.loads(done.stdout)["problems"] == problems


def test_name_must_match_the_file(tmp_path: Path) -> None:
    write(tmp_path, GOOD, name="other")
    assert "must match the file name" in check_directives(tmp_path, REGISTRY)[0]


def test_cli_list_show_check(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["directives", "list", "--json"])
    assert listed.exit_code == 0 and "property_search" in listed.stdout
    shown = runner.invoke(app, ["directives", "show", "escalation"])
    assert shown.exit_code == 0 and "## Steps" in shown.stdout
    missing = runner.invoke(app, ["directives", "show", "nope"])
    assert missing.exit_code == 1 and "no directive 'nope'" in missing.stderr
    assert runner.invoke(app, ["directives", "check"]).exit_code == 0
    write(tmp_path, GOOD.replace("[search_properties]", "[teleport]"))
    bad = runner.invoke(app, ["directives", "check", "--folder", str(tmp_path)])
    assert bad.exit_code == 1 and "unknown tool 'teleport'" in bad.stdout
