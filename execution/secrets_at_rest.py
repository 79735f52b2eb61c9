"""Secrets at rest: Green API tokens encrypted, webhook and operator tokens kept as keyed
digests, all under WA_SECRET_KEY.

WA_SECRET_KEY holds one or more Fernet keys, comma-separated, newest first (`cryptography`'s
Fernet: AES-128-CBC with an HMAC-SHA256 tag, a standard, audited construction; MultiFernet
encrypts with the first key and reads with any). To rotate: put a new key first, keep the old
one after it, run `wa agents rotate-key` (every stored API token is re-encrypted under the new
key), then drop the old key once the webhook and operator tokens digested under it have been
replaced (a digest can only be checked, never re-made, without its token). Without
WA_SECRET_KEY (the embedded SQLite default) a key is generated once into `tmp/secret.key`
(0600): set WA_SECRET_KEY for any real use.

Stored forms: `fernet:<token>` for an encrypted value; a digest is HMAC-SHA256 under a key
derived from the newest key (64 hex characters). Rows written before this (plain API tokens,
unkeyed SHA-256 digests) still read; rotate-key encrypts the plain ones.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from execution.errors import ConfigurationError
from execution.settings import load_settings

log = logging.getLogger(__name__)

SEALED = "fernet:"
KEY_FILE = "secret.key"


@dataclass(frozen=True)
class _Key:
    fernet: Fernet
    digest_key: bytes


class Secrets:
    """Encrypts and digests under the configured keys (the first one writes)."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ConfigurationError("WA_SECRET_KEY holds no key")
        self._keys = [_key(raw) for raw in keys]
        self._multi = MultiFernet([k.fernet for k in self._keys])

    def seal(self, plain: str) -> str:
        return SEALED + self._multi.encrypt(plain.encode()).decode("ascii")

    def unseal(self, stored: str, what: str = "a secret") -> str:
        if not stored.startswith(SEALED):
            return stored  # written before encryption: `wa agents rotate-key` seals it
        try:
            return self._multi.decrypt(stored[len(SEALED) :].encode("ascii")).decode()
        except InvalidToken:
            raise ConfigurationError(
                f"{what} cannot be decrypted with WA_SECRET_KEY: is the key it was sealed "
                "with still in the list?"
            ) from None

    def reseal(self, stored: str, what: str = "a secret") -> str:
        """`stored` under the newest key (plain values encrypted, sealed ones rotated)."""
        return self.seal(self.unseal(stored, what))

    def digest(self, token: str) -> str:
        """HMAC-SHA256 of `token` under the newest key: 64 hex characters, like the unkeyed
        SHA-256 digests stored before (the schema holds digests of that length)."""
        return _mac(self._keys[0].digest_key, token)

    def digests(self, token: str) -> list[str]:
        """Every stored form `token` may have: under each key, and the legacy SHA-256."""
        keyed = [_mac(k.digest_key, token) for k in self._keys]
        return [*keyed, hashlib.sha256(token.encode()).hexdigest()]

    def matches(self, token: str, stored: str) -> bool:
        """Whether `token` is the one `stored` was made from: every form compared in constant
        time, none skipped, so the time says nothing about which (if any) matched."""
        found = False
        for form in self.digests(token):
            found |= hmac.compare_digest(form, stored)
        return found


def _key(raw: bytes) -> _Key:
    try:
        fernet = Fernet(raw)
    except (ValueError, TypeError):
        raise ConfigurationError(
            "WA_SECRET_KEY must be Fernet keys (32 url-safe base64 bytes each), comma-separated; "
            'make one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"'
        ) from None
    digest_key = hashlib.sha256(b"wa token digest\x00" + raw).digest()
    return _Key(fernet, digest_key)


def _mac(key: bytes, token: str) -> str:
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=1)
def current_secrets() -> Secrets:
    """The process's keys, from WA_SECRET_KEY (or the generated key file), read once: every
    webhook checks its token with them. (Tests that change the key call cache_clear().)"""
    settings = load_settings()
    configured = settings.secret_key.get_secret_value() if settings.secret_key else ""
    if configured.strip():
        return Secrets([part.strip().encode() for part in configured.split(",") if part.strip()])
    return Secrets([_key_file(Path(settings.tmp_dir) / KEY_FILE)])


def _key_file(path: Path) -> bytes:
    """The generated key of a setup without WA_SECRET_KEY: made once, readable by its owner."""
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Fernet.generate_key()
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key + b"\n")
    try:
        os.link(draft, path)  # whole or not at all; the first process to link wins
    except FileExistsError:
        return path.read_bytes().strip()
    finally:
        draft.unlink()
    log.warning("no WA_SECRET_KEY: generated %s (set WA_SECRET_KEY for any real use)", path)
    return key
