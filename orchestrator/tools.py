"""Tools: execution functions a model may call, with the schema it sees derived from each
function's own signature and docstring (one source of truth with the CLI).

    registry = ToolRegistry()
    registry.register(search_properties)
    registry["search_properties"].schema            # what the model sees
    registry["search_properties"].validate({...})   # checked before any call

Parameters whose type asks for the run's values (`store: Store`, `agent_id: AgentId`: see
orchestrator/run_context.py) are filled by the loop from the turn and never shown to the
model: a model cannot search another agent's listings because it cannot name the agent.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic import ValidationError as PydanticValidationError

from orchestrator.run_context import Need, needs

Effect = Literal["read", "write", "send"]
"""What a call does: `read` is always safe; `write` and `send` are skipped by dry runs."""


class ToolArgumentsError(ValueError):
    """The model's arguments do not fit the tool's schema; the message is for the model."""


def docstring_args(doc: str | None) -> tuple[str, dict[str, str]]:
    """(summary, {argument: description}) from a Google-style docstring's `Args:` section."""
    if not doc:
        return "", {}
    text = inspect.cleandoc(doc)
    summary_part, _, rest = text.partition("\nArgs:\n")
    summary = " ".join(summary_part.split("\n\n")[0].split())
    described: dict[str, str] = {}
    current: str | None = None
    for line in rest.splitlines():
        if line and not line.startswith(" "):
            break  # the next section (Returns:, Raises:, ...)
        match = re.match(r"^\s{2,8}(\w+)(?:\s*\([^)]*\))?:\s*(.*)$", line)
        if match and (current is None or len(line) - len(line.lstrip()) <= 4):
            current = match.group(1)
            described[current] = match.group(2).strip()
        elif current and line.strip():
            described[current] += " " + line.strip()
    return summary, described


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    function: Callable[..., Any]
    arguments: type[BaseModel]
    needs: tuple[tuple[str, Need], ...] = ()
    """(parameter, what it asks the run for) of each parameter the run fills."""
    effect: Effect = "read"
    retries: int = 2
    """How many invalid calls in a row the model may make before the turn gives up."""

    @property
    def schema(self) -> dict[str, Any]:
        """The JSON schema of the model-visible arguments."""
        schema = self.arguments.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return schema

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments, checked and converted; ToolArgumentsError with a readable message."""
        try:
            model = self.arguments.model_validate(arguments)
        except PydanticValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}"
                for err in exc.errors()
            )
            raise ToolArgumentsError(f"invalid arguments for {self.name}: {problems}") from None
        return model.model_dump(exclude_unset=True)


def tool_from_function(
    function: Callable[..., Any],
    *,
    name: str | None = None,
    effect: Effect = "read",
    retries: int = 2,
) -> Tool:
    """Derive a Tool: every parameter the run does not fill becomes a typed, described
    argument."""
    summary, described = docstring_args(function.__doc__)
    if not summary:
        raise ValueError(f"{function.__name__} needs a docstring to be a tool")
    hints = typing.get_type_hints(function)
    signature = inspect.signature(function)
    filled = needs(function)
    fields: dict[str, Any] = {}
    for param in signature.parameters.values():
        if param.name in filled:
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ValueError(f"{function.__name__}: *args/**kwargs cannot be tool arguments")
        if param.name not in described:
            raise ValueError(f"{function.__name__}: document argument {param.name!r} under Args:")
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (
            hints.get(param.name, Any),
            Field(default, description=described[param.name]),
        )
    model = create_model(
        f"{function.__name__}_arguments",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )
    hidden = tuple(filled.items())
    return Tool(name or function.__name__, summary, function, model, hidden, effect, retries)


@dataclass
class ToolRegistry:
    """The one explicit list of tools; a directive may only name tools registered here."""

    tools: dict[str, Tool] = field(default_factory=dict)

    def register(self, function: Callable[..., Any], **options: Any) -> Tool:
        tool = tool_from_function(function, **options)
        if tool.name in self.tools:
            raise ValueError(f"tool {tool.name!r} is registered twice")
        self.tools[tool.name] = tool
        return tool

    def __getitem__(self, name: str) -> Tool:
        return self.tools[name]

    def __contains__(self, name: object) -> bool:
        return name in self.tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(self.tools.values())

    def names(self) -> list[str]:
        return sorted(self.tools)
