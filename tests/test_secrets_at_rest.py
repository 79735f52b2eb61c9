"""Issue 15.7, secrets at rest, on both backends: the Green API token is stored encrypted
under WA_SECRET_KEY, webhook and operator tokens as keyed digests; rotation re-encrypts under a
new key while the old one still reads; rows stored before encryption keep working."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from cli import app as wa
from execution import secrets_at_rest
from execution.agents import (
    create_operator_token,
    get_agent,
    operator_token_agent,
    rotate_secret_key,
    verify_webhook_token,
)
from execution.errors import ConfigurationError
from execution.secrets_at_rest import SEALED, Secrets, current_secrets
from execution.store import Store
from tests.webhooks import TOKEN, agent_for

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


class Keys:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def setenv(self, name: str, value: str) -> None:
        """WA_SECRET_KEY changed, as a restarted process would read it."""
        self.monkeypatch.setenv(name, value)
        current_secrets.cache_clear()


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Keys]:
    keys = Keys(monkeypatch)
    keys.setenv("WA_SECRET_KEY", OLD)
    yield keys
    monkeypatch.delenv("WA_SECRET_KEY")
    current_secrets.cache_clear()


def _stored(store: Store, agent_id: int) -> dict[str, str]:
    with store.read() as tx:
        row = tx.fetchone(
            "SELECT api_token, webhook_token_hash FROM agents WHERE agent_id = :a", {"a": agent_id}
        )
    assert row is not None
    return dict(row)


def test_the_api_token_is_stored_encrypted_and_read_back_plain(store: Store, keyed: Keys) -> None:
    agent_id = agent_for(store, "7700000001")
    stored = _stored(store, agent_id)
    assert stored["api_token"].startswith(SEALED) and "api-token-secret" not in stored["api_token"]
    assert get_agent(store, agent_id).api_token == "api-token-secret"
    assert stored["webhook_token_hash"] != hashlib.sha256(TOKEN.encode()).hexdigest()  # keyed
    assert verify_webhook_token(get_agent(store, agent_id), TOKEN)
    assert not verify_webhook_token(get_agent(store, agent_id), TOKEN + "x")


def test_rotation_re_encrypts_under_the_new_key_and_tokens_made_before_still_work(
    store: Store, keyed: Keys
) -> None:
    agent_id = agent_for(store, "7700000001")
    operator = create_operator_token(store, agent_id)
    before = _stored(store, agent_id)["api_token"]
    keyed.setenv("WA_SECRET_KEY", f"{NEW},{OLD}")  # the new key first, the old one kept
    assert rotate_secret_key(store) == 1
    after = _stored(store, agent_id)["api_token"]
    assert after != before
    keyed.setenv("WA_SECRET_KEY", NEW)  # the old key dropped: the rotated token still reads
    assert get_agent(store, agent_id).api_token == "api-token-secret"
    keyed.setenv("WA_SECRET_KEY", f"{NEW},{OLD}")  # digests made under OLD check while it's listed
    assert verify_webhook_token(get_agent(store, agent_id), TOKEN)
    with store.read() as tx:
        assert operator_token_agent(tx, operator) == agent_id


def test_a_wrong_key_is_a_clear_error_not_garbage(store: Store, keyed: Keys) -> None:
    agent_id = agent_for(store, "7700000001")
    keyed.setenv("WA_SECRET_KEY", NEW)
    with pytest.raises(ConfigurationError, match="cannot be decrypted with WA_SECRET_KEY"):
        get_agent(store, agent_id)
    keyed.setenv("WA_SECRET_KEY", "not-a-key")
    with pytest.raises(ConfigurationError, match="Fernet keys"):
        get_agent(store, agent_id)


def test_rows_stored_before_encryption_still_work_and_rotate_key_seals_them(
    store: Store, keyed: Keys
) -> None:
    agent_id = agent_for(store, "7700000001")
    legacy = hashlib.sha256(TOKEN.encode()).hexdigest()
    with store.transaction() as tx:  # as a row looked before this change
        tx.execute(
            "UPDATE agents SET api_token = 'plain-api-token', webhook_token_hash = :h",
            {"h": legacy},
        )
    assert get_agent(store, agent_id).api_token == "plain-api-token"
    assert verify_webhook_token(get_agent(store, agent_id), TOKEN)
    env = {"WA_DATABASE_URL": store.url, "WA_SECRET_KEY": OLD}
    result = CliRunner().invoke(wa, ["agents", "rotate-key", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"rotated": 1}
    assert _stored(store, agent_id)["api_token"].startswith(SEALED)
    assert get_agent(store, agent_id).api_token == "plain-api-token"


def test_without_a_key_one_is_generated_once_readable_by_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "state" / "secret.key"
    first = secrets_at_rest._key_file(path)
    assert secrets_at_rest._key_file(path) == first
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    sealed = Secrets([first]).seal("x")
    assert Secrets([first]).unseal(sealed) == "x"
