"""Which model a run uses: `WA_LLM` (auto | anthropic | openai | scripted) and `WA_LLM_MODEL`."""

from __future__ import annotations

import os

from execution.errors import ConfigurationError
from execution.settings import Settings
from orchestrator.providers.base import Provider
from orchestrator.providers.scripted import ScriptedProvider


def select_provider(settings: Settings, *, model: str | None = None) -> Provider:
    """`auto` means Claude when ANTHROPIC_API_KEY is set, else the offline scripted model.
    `model` (a directive's own) overrides WA_LLM_MODEL."""
    choice = settings.llm
    if choice == "auto":
        choice = "anthropic" if os.environ.get("ANTHROPIC_API_KEY") else "scripted"
    if choice == "scripted":
        return ScriptedProvider()
    if choice == "anthropic":
        if not os.environ.get("ANTHROPIC_API_KEY"):
            raise ConfigurationError("WA_LLM=anthropic needs ANTHROPIC_API_KEY")
        from orchestrator.providers.anthropic import AnthropicProvider

        return AnthropicProvider(model or settings.llm_model)
    raise ConfigurationError(
        f"WA_LLM={choice} is not available yet: use auto, anthropic or scripted"
    )
