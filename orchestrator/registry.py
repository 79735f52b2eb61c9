"""The explicit list of tools the orchestrator offers models. Nothing else is callable.

Each tool's parameters that the run fills (the store, the agent, the conversation) are typed so
(execution/run_inputs.py, orchestrator/run_context.py): the model sees only the rest.
"""

from __future__ import annotations

from execution.property_lookup import get_property, search_properties
from execution.runtime import Runtime
from execution.send_rows import SendResult
from execution.send_whatsapp_message import send_whatsapp_message
from execution.set_mode import set_mode_human
from execution.viewings import request_viewing
from orchestrator.run_context import SendGuard
from orchestrator.tools import ToolRegistry


async def send_message(rt: Runtime, guard: SendGuard, text: str) -> SendResult:
    """Send `text` to the conversation's chat through the agent's Green API instance.

    Args:
        text: The message; longer than 20,000 characters goes out in parts.
    """
    return await send_whatsapp_message(
        rt,
        guard.conversation_id,
        text,
        sender=guard.sender,
        idempotency_key=guard.idempotency_key,
        expected_mode_version=guard.expected_mode_version,
        force=guard.force,
        on_claim=guard.on_claim,
    )


def build_registry() -> ToolRegistry:
    registry = ToolRegistry()
    registry.register(search_properties)
    registry.register(get_property)
    registry.register(request_viewing, effect="write", retries=1)
    registry.register(set_mode_human, name="hand_off_to_human", effect="write", retries=0)
    registry.register(send_message, effect="send", retries=0)
    return registry


REGISTRY = build_registry()
