"""The explicit list of tools the orchestrator offers models. Nothing else is callable."""

from __future__ import annotations

from execution.property_lookup import get_property, search_properties
from execution.send_whatsapp_message import send_whatsapp_message
from execution.set_mode import set_mode_human
from execution.viewings import request_viewing
from orchestrator.tools import ToolRegistry


def build_registry() -> ToolRegistry:
    registry = ToolRegistry()
    registry.register(search_properties, context=("store", "agent_id"))
    registry.register(get_property, context=("store", "agent_id"))
    registry.register(
        request_viewing,
        context=("store", "agent_id", "conversation_id"),
        effect="write",
        retries=1,
    )
    registry.register(
        set_mode_human,
        name="hand_off_to_human",
        context=("store", "coordinator", "conversation_id", "actor", "turn_id"),
        effect="write",
        retries=0,
    )
    registry.register(
        send_whatsapp_message,
        name="send_message",
        context=(
            "rt",
            "conversation_id",
            "sender",
            "idempotency_key",
            "expected_mode_version",
            "force",
            "on_claim",
        ),
        effect="send",
        retries=0,
    )
    return registry


REGISTRY = build_registry()
