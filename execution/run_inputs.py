"""What a tool is handed by the run that calls it, never by the model.

A tool's parameter typed `Store`, `Coordinator` or `Runtime`, or annotated with one of the
types below, is filled by the orchestrator from the run (the conversation's agent, the turn)
and left out of the schema the model sees: a model cannot search another agent's listings
because it cannot name the agent. For any other caller (the CLI, a test) they are plain
values of their base type.

    def search_properties(store: Store, agent_id: AgentId, location: str | None = None): ...
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated


class FromRun(Enum):
    """The run's own values a parameter may ask for by its annotation."""

    AGENT = "the conversation's agent"
    CONVERSATION = "the conversation"
    TURN = "the turn (or hand-started run) calling the tool"
    ACTOR = "who acts: the assistant, or an operator"


AgentId = Annotated[int, FromRun.AGENT]
ConversationId = Annotated[int, FromRun.CONVERSATION]
TurnId = Annotated[str, FromRun.TURN]
Actor = Annotated[str, FromRun.ACTOR]
