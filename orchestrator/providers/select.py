"""Which model a run uses: `WA_LLM` (auto | anthropic | openai | scripted) and `WA_LLM_MODEL`."""

from __future__ import annotations

import os

from execution.errors import ConfigurationError
from execution.settings import Settings
from orchestrator.providers.base import Provider
from orchestrator.providers.scripted import ScriptedProvider

DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-5-5"


def select_provider(settings: Settings, *, model: str | None = None) -> Provider:
    """`auto` means Claude when ANTHROPIC_API_KEY is set, else the offline scripted model.
    `model` (a directive's own) overrides WA_LLM_MODEL."""
    choice = settings.llm
    if choice == "auto":
        choice = "anthropic" if os.environ.get("ANTHROPIC_API_KEY") else "scripted"
    model = model or settings.llm_model
    if choice == "scripted":
        return ScriptedProvider()
    if choice == "anthropic":
        if not os.environ.get("ANTHROPIC_API_KEY"):
            raise ConfigurationError("WA_LLM=anthropic needs ANTHROPIC_API_KEY")
        from orchestrator.providers.anthropic import AnthropicProvider

        return AnthropicProvider(model or DEFAULT_ANTHROPIC_MODEL)
    if not settings.openai_base_url:
        raise ConfigurationError(
            "WA_LLM=openai needs WA_OPENAI_BASE_URL (e.g. http://127.0.0.1:11434/v1 for Ollama)"
        )
    if not model:
        raise ConfigurationError("WA_LLM=openai needs WA_LLM_MODEL (the endpoint's model name)")
    from orchestrator.providers.openai_compatible import OpenAICompatibleProvider

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    return OpenAICompatibleProvider(model, base_url=settings.openai_base_url, api_key=key)
