"""The one settings object: environment, then `.env`, then defaults; secrets masked."""

from __future__ import annotations

from pathlib import Path

import pytest

from execution.settings import DEFAULT_TMP_DIR, load_settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in (
        "WA_DATABASE_URL",
        "WA_REDIS_URL",
        "WA_GREENAPI_URL",
        "WA_ADMIN_TOKEN",
        "WA_TMP_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_are_embedded(clean_env: Path) -> None:
    settings = load_settings()
    assert settings.resolved_database_url == f"sqlite:///{DEFAULT_TMP_DIR / 'wa.db'}"
    assert settings.redis_url == ""
    assert settings.greenapi_url == "https://api.green-api.com"


def test_dotenv_then_environment_wins(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / ".env").write_text(
        "WA_DATABASE_URL=postgresql://from-dotenv/wa\nWA_GREENAPI_URL=https://dotenv.example/\n"
    )
    settings = load_settings()
    assert settings.database_url == "postgresql://from-dotenv/wa"
    assert settings.greenapi_url == "https://dotenv.example"  # trailing slash removed
    monkeypatch.setenv("WA_DATABASE_URL", "postgresql://from-env/wa")
    assert load_settings().database_url == "postgresql://from-env/wa"


def test_secrets_are_masked(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WA_ADMIN_TOKEN", "super-secret-admin-token")
    settings = load_settings()
    assert settings.admin_token is not None
    assert settings.admin_token.get_secret_value() == "super-secret-admin-token"
    assert "super-secret" not in repr(settings) and "super-secret" not in str(settings)


def test_bad_values_are_refused(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("WA_LLM", "gpt-banana")
    with pytest.raises(ValidationError):
        load_settings()
