"""The one settings object: environment first, then `.env`, then the defaults below.

Secrets are `SecretStr`: they print as `**********` and are read with `.get_secret_value()`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from execution.rate_limits import parse_limit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TMP_DIR = PROJECT_ROOT / "tmp"
DEFAULT_GREENAPI_URL = "https://api.green-api.com"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="WA_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    tmp_dir: Path = Field(DEFAULT_TMP_DIR, description="Scratch state (SQLite file, replays).")
    database_url: str = Field(
        "", description="sqlite:///path or postgresql://...; empty = SQLite file under tmp_dir."
    )
    redis_url: str = Field("", description="redis://...; empty = in-process coordination.")
    greenapi_url: str = Field(DEFAULT_GREENAPI_URL, description="Default Green API host.")
    llm: Literal["auto", "anthropic", "openai", "scripted"] = "auto"
    llm_model: str = Field("", description="The model name; empty = the provider's default.")
    openai_base_url: str = Field(
        "", description="An OpenAI-compatible endpoint (Ollama, vLLM, LM Studio), e.g. .../v1."
    )
    openai_api_key: SecretStr | None = None
    admin_token: SecretStr | None = None
    secret_key: SecretStr | None = Field(
        None, description="Fernet keys, newest first, comma-separated (secrets at rest)."
    )
    metrics_public: bool = Field(
        False, description="Serve /metrics without the admin token (a scraper on a private net)."
    )
    greenapi_journal_lag_seconds: float = Field(
        120.0,
        ge=0,
        le=600,
        description="How long Green API's outgoing journal may lag a sent message: a send in "
        "doubt is looked for this long before it is tried again.",
    )
    greenapi_rate_limit_seconds: float = Field(
        60.0,
        ge=0,
        le=60,
        description="How long a request Green API answers 429 (rate limited) is retried before "
        "the send gives up (a turn's reply is then retried later: docs/operations.md). At most "
        "60: a live send must end well before its rows count as abandoned (120 s).",
    )
    debounce_seconds: float = Field(
        2.0, ge=0, le=60, description="Buyer messages this close together form one turn."
    )
    work_turns: bool = Field(
        True, description="`wa serve` works turns too (false: intake only, `wa worker` works)."
    )
    turn_lease_seconds: float = Field(
        30.0, ge=0.5, le=600, description="A dead worker's turn is resumed after this long."
    )
    db_pool_size: int = Field(10, ge=1, le=200)
    rate_limit_webhook_per_address: str = Field(
        "6000/minute",
        description="Webhook requests one address may make ('off' for none): Green API "
        "delivers every instance's notifications from a few addresses, so this is generous.",
    )
    rate_limit_webhook_per_agent: str = Field(
        "1200/minute", description="Authenticated webhook requests per agent ('off' for none)."
    )
    rate_limit_api_per_address: str = Field(
        "600/minute", description="Operator API requests one address may make, tokens or not."
    )
    rate_limit_api_per_agent: str = Field(
        "600/minute", description="Operator API requests per agent's token (the admin: one)."
    )
    assistant_messages_per_hour: int = Field(
        30,
        ge=1,
        le=1000,
        description="Assistant messages one conversation may get in an hour; past it the chat "
        "is handed to the agent (a buyer or a loop writing without pause).",
    )

    @field_validator(
        "rate_limit_webhook_per_address",
        "rate_limit_webhook_per_agent",
        "rate_limit_api_per_address",
        "rate_limit_api_per_agent",
    )
    @classmethod
    def _a_rate_limit(cls, value: str) -> str:
        parse_limit(value)
        return value

    @field_validator("greenapi_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def resolved_database_url(self) -> str:
        """The database URL in use: the configured one, or the embedded SQLite default."""
        return self.database_url or f"sqlite:///{self.tmp_dir / 'wa.db'}"


def load_settings(**overrides: object) -> Settings:
    """Read settings now (environment, `.env`, defaults); `overrides` win over all three."""
    return Settings(**overrides)  # type: ignore[arg-type]
