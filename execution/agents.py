"""Agents: a Green API instance, its tokens, WhatsApp number, timezone and persona.

The webhook token is stored only as a SHA-256 digest and checked in constant time; the API token
is encrypted at rest (`secrets_at_rest`: it must be sent to Green API, so no digest will
do) and never printed. The commands (`wa agents ...`) are `execution.agent_commands`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from execution.audit import record_event
from execution.clock import utcnow
from execution.errors import NotFoundError, ValidationError
from execution.secrets_at_rest import current_secrets
from execution.store import IntegrityError, Row, Store, Tx

Style = Literal["professional", "friendly", "casual", "premium"]
Flag = Literal["polite", "warm", "high-energy", "short"]


class Persona(BaseModel):
    """How the assistant speaks for this agent. Never what it states, never when it escalates."""

    model_config = ConfigDict(extra="forbid")

    assistant_name: str = Field("Assistant", min_length=1, max_length=60)
    style: Style = "professional"
    tone: int = Field(5, ge=1, le=10, description="1 = formal ... 10 = conversational")
    flags: list[Flag] = Field(default_factory=lambda: list[Flag](["polite"]))
    instruction: str = Field("", max_length=2000)


@dataclass(frozen=True)
class Agent:
    agent_id: int
    name: str
    instance_id: str
    whatsapp_number: str
    api_url: str | None
    timezone: str
    persona: Persona
    api_token: str = field(repr=False)
    webhook_token_hash: str = field(repr=False)

    def public(self) -> dict[str, Any]:
        """Everything but the secrets: what commands print."""
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "instance_id": self.instance_id,
            "whatsapp_number": self.whatsapp_number,
            "api_url": self.api_url,
            "timezone": self.timezone,
            "persona": self.persona.model_dump(),
        }


def verify_webhook_token(agent: Agent, presented: str) -> bool:
    """Constant-time check of a presented webhook token against the agent's stored digest."""
    return current_secrets().matches(presented, agent.webhook_token_hash)


_DIGITS = re.compile(r"\d+")


def normalize_number(number: str) -> str:
    """A WhatsApp number as Green API's chat ids use it: digits only, country code first."""
    digits = re.sub(r"[\s+\-().]", "", number)
    if not _DIGITS.fullmatch(digits) or not 8 <= len(digits) <= 15:
        raise ValidationError(
            f"number {number!r} is not a phone number: give 8-15 digits with the country code, "
            "e.g. 6591234567"
        )
    return digits


def _validate_new_agent(
    name: str, instance_id: str, api_token: str, webhook_token: str, api_url: str | None, tz: str
) -> None:
    _validate_tokens(api_token=api_token, webhook_token=webhook_token)
    _validate_settings(name, instance_id, api_url, tz)


def _validate_tokens(**tokens: str | None) -> None:
    """Each token given (None: left as it is) is 8-500 characters without spaces."""
    for key, token in tokens.items():
        if token is not None and (
            len(token) < 8 or len(token) > 500 or any(c.isspace() for c in token)
        ):
            raise ValidationError(
                f"{key.replace('_', ' ')} must be 8-500 characters without spaces"
            )


def _validate_settings(name: str, instance_id: str, api_url: str | None, tz: str) -> None:
    if not name.strip() or len(name) > 200:
        raise ValidationError("name must be 1-200 characters")
    if name.strip().isdigit():
        raise ValidationError("name must not be only digits (digits refer to an agent id)")
    if not re.fullmatch(r"\d{1,20}", instance_id):
        raise ValidationError(f"instance id {instance_id!r} must be Green API's numeric idInstance")
    if api_url is not None:
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError(f"api url {api_url!r} must be an http(s) URL")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"unknown timezone {tz!r}: use an IANA name like Asia/Singapore"
        ) from None


def _agent_from_row(row: Row) -> Agent:
    return Agent(
        agent_id=int(row["agent_id"]),
        name=row["name"],
        instance_id=row["instance_id"],
        whatsapp_number=row["whatsapp_number"],
        api_url=row["api_url"],
        timezone=row["timezone"],
        persona=Persona.model_validate_json(row["persona"]),
        api_token=current_secrets().unseal(
            row["api_token"], f"the API token of agent {row['name']}"
        ),
        webhook_token_hash=row["webhook_token_hash"],
    )


_AGENT_COLUMNS = (
    "agent_id, name, instance_id, whatsapp_number, api_url, timezone, persona, api_token, "
    "webhook_token_hash"
)


def add_agent(
    store: Store,
    *,
    name: str,
    instance_id: str,
    api_token: str,
    webhook_token: str,
    number: str,
    api_url: str | None = None,
    timezone: str = "Asia/Singapore",
    persona: Persona | None = None,
) -> Agent:
    """Register an agent and its Green API instance. Names and instance ids are unique."""
    name = name.strip()
    instance_id = instance_id.strip()
    _validate_new_agent(name, instance_id, api_token, webhook_token, api_url, timezone)
    whatsapp_number = normalize_number(number)
    try:
        with store.transaction() as tx:
            clash = tx.fetchone(
                "SELECT name, instance_id FROM agents "
                "WHERE name = :name OR instance_id = :instance",
                {"name": name, "instance": instance_id},
            )
            if clash:
                what = "name" if clash["name"] == name else "instance id"
                raise ValidationError(f"an agent with this {what} already exists")
            row = tx.fetchone(
                f"""INSERT INTO agents (name, instance_id, api_token, webhook_token_hash,
                        whatsapp_number, api_url, timezone, persona)
                    VALUES (:name, :instance_id, :api_token, :hash, :number, :api_url,
                        :timezone, :persona)
                    RETURNING {_AGENT_COLUMNS}""",
                {
                    "name": name,
                    "instance_id": instance_id,
                    "api_token": current_secrets().seal(api_token),
                    "hash": current_secrets().digest(webhook_token),
                    "number": whatsapp_number,
                    "api_url": api_url.rstrip("/") if api_url else None,
                    "timezone": timezone,
                    "persona": (persona or Persona()).model_dump_json(),
                },
            )
    except IntegrityError:  # a concurrent add won the race for the name or instance id
        raise ValidationError("an agent with this name or instance id already exists") from None
    assert row is not None
    return _agent_from_row(row)


def list_agents(store: Store) -> list[Agent]:
    with store.read() as tx:
        rows = tx.fetchall(f"SELECT {_AGENT_COLUMNS} FROM agents ORDER BY agent_id")
    return [_agent_from_row(row) for row in rows]


def find_agent(tx: Tx, ref: str | int) -> Agent:
    """The agent a reference names: its numeric id, or its exact name."""
    text = str(ref).strip()
    if text.isdigit():
        row = tx.fetchone(
            f"SELECT {_AGENT_COLUMNS} FROM agents WHERE agent_id = :id", {"id": int(text)}
        )
    else:
        row = tx.fetchone(f"SELECT {_AGENT_COLUMNS} FROM agents WHERE name = :name", {"name": text})
    if row is None:
        raise NotFoundError(f"no agent {text!r}: see `wa agents list`")
    return _agent_from_row(row)


def get_agent(store: Store, ref: str | int) -> Agent:
    with store.read() as tx:
        return find_agent(tx, ref)


def find_agent_by_instance(tx: Tx, instance_id: str) -> Agent | None:
    """The agent that owns a Green API instance (how a webhook finds its tenant)."""
    row = tx.fetchone(
        f"SELECT {_AGENT_COLUMNS} FROM agents WHERE instance_id = :instance_id",
        {"instance_id": str(instance_id)},
    )
    return _agent_from_row(row) if row else None


def update_persona(store: Store, ref: str | int, **changes: Any) -> Agent:
    """Change some persona fields (the others keep their values); returns the updated agent."""
    with store.transaction() as tx:
        agent = find_agent(tx, ref)
        merged = agent.persona.model_dump() | {k: v for k, v in changes.items() if v is not None}
        try:
            persona = Persona.model_validate(merged)
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            raise ValidationError(f"persona {first['loc'][0]}: {first['msg']}") from None
        tx.execute(
            "UPDATE agents SET persona = :persona, updated_at = :now WHERE agent_id = :agent_id",
            {"persona": persona.model_dump_json(), "agent_id": agent.agent_id, "now": utcnow()},
        )
    return get_agent(store, agent.agent_id)


OPERATOR_TOKEN_PREFIX = "wa_op_"


def create_operator_token(store: Store, ref: str | int, label: str | None = None) -> str:
    """A new operator API token for one agent. Only its keyed digest is stored: the token is
    shown once, here."""
    token = OPERATOR_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction() as tx:
        agent = find_agent(tx, ref)
        tx.execute(
            "INSERT INTO operator_tokens (agent_id, token_hash, label) "
            "VALUES (:agent_id, :hash, :label)",
            {
                "agent_id": agent.agent_id,
                "hash": current_secrets().digest(token),
                "label": (label or "")[:200] or None,
            },
        )
    return token


def operator_token_agent(tx: Tx, presented: str) -> int | None:
    """The agent an operator token belongs to (None: unknown or revoked). The lookup is by
    digest, so the time it takes says nothing about the token's characters."""
    forms = current_secrets().digests(presented)  # under each key in use, and the legacy form
    marks = ", ".join(f":h{i}" for i in range(len(forms)))
    agent_id = tx.scalar(
        f"SELECT agent_id FROM operator_tokens WHERE token_hash IN ({marks}) "
        "AND revoked_at IS NULL",
        {f"h{i}": form for i, form in enumerate(forms)},
    )
    return None if agent_id is None else int(agent_id)


def set_phone_takeover(store: Store, ref: str | int, enabled: bool) -> Agent:
    """Whether a message the agent types on the phone switches its chat to HUMAN."""
    with store.transaction() as tx:
        agent = find_agent(tx, ref)
        tx.execute(
            "UPDATE agents SET phone_takeover = :on, updated_at = :now WHERE agent_id = :id",
            {"on": enabled, "id": agent.agent_id, "now": utcnow()},
        )
    return agent


def update_agent(
    store: Store,
    ref: str | int,
    *,
    name: str | None = None,
    instance_id: str | None = None,
    api_token: str | None = None,
    webhook_token: str | None = None,
    number: str | None = None,
    api_url: str | None = None,
    timezone: str | None = None,
) -> Agent:
    """Change what is given (None: unchanged; `api_url=""`: back to WA_GREENAPI_URL), checked
    as `add_agent` checks it. A running `wa serve` sees the change within AGENT_CACHE_S."""
    with store.transaction() as tx:
        agent = find_agent(tx, ref)
        new_name = name.strip() if name is not None else agent.name
        new_instance = instance_id.strip() if instance_id is not None else agent.instance_id
        new_url = (api_url.rstrip("/") or None) if api_url is not None else agent.api_url
        new_tz = timezone if timezone is not None else agent.timezone
        _validate_tokens(api_token=api_token, webhook_token=webhook_token)
        _validate_settings(new_name, new_instance, new_url, new_tz)
        clash = tx.fetchone(
            "SELECT name, instance_id FROM agents WHERE (name = :name OR instance_id = :i) "
            "AND agent_id <> :id",
            {"name": new_name, "i": new_instance, "id": agent.agent_id},
        )
        if clash:
            what = "name" if clash["name"] == new_name else "instance id"
            raise ValidationError(f"another agent already has this {what}")
        fields = {
            "name": new_name,
            "instance_id": new_instance,
            "api_url": new_url,
            "timezone": new_tz,
        }
        if number is not None:
            fields["whatsapp_number"] = normalize_number(number)
        if api_token is not None:
            fields["api_token"] = current_secrets().seal(api_token)
        if webhook_token is not None:
            fields["webhook_token_hash"] = current_secrets().digest(webhook_token)
        assignments = ", ".join(f"{column} = :{column}" for column in fields)
        tx.execute(
            f"UPDATE agents SET {assignments}, updated_at = :now WHERE agent_id = :agent_id",
            fields | {"now": utcnow(), "agent_id": agent.agent_id},
        )
    return get_agent(store, agent.agent_id)


_AGENT_TABLES = (
    "run_steps WHERE run_id IN (SELECT run_id FROM runs WHERE agent_id = :id)",
    *"runs turns followups viewings messages notifications events incidents".split(),
    *"operator_tokens location_spans location_terms properties conversations".split(),
)
"""What `remove_agent --force` deletes, children before their parents."""


def remove_agent(store: Store, ref: str | int, *, force: bool = False) -> dict[str, int]:
    """Remove an agent. Refused while it has conversations unless `force`: then they go with
    it, with their messages, turns, follow-ups, viewings, events, its listings and tokens, for
    good. An audit event (without the agent) records the removal."""
    with store.transaction() as tx:
        agent = find_agent(tx, ref)
        conversations = int(
            tx.scalar(
                "SELECT COUNT(*) FROM conversations WHERE agent_id = :id", {"id": agent.agent_id}
            )
        )
        if conversations and not force:
            raise ValidationError(
                f"agent {agent.name} has {conversations} conversation(s): `--force` removes "
                "them too, with their messages, listings and tokens, permanently"
            )
        for table in _AGENT_TABLES:
            where = "" if " WHERE " in table else " WHERE agent_id = :id"
            tx.execute(f"DELETE FROM {table}{where}", {"id": agent.agent_id})
        if store.dialect == "sqlite":  # its trigram table (PostgreSQL indexes them itself)
            tx.execute(
                "DELETE FROM location_term_trigrams WHERE agent_id = :id", {"id": agent.agent_id}
            )
        tx.execute("DELETE FROM agents WHERE agent_id = :id", {"id": agent.agent_id})
        removed = {"agent_id": agent.agent_id, "name": agent.name}
        record_event(
            tx,
            "agent_removed",
            removed | {"instance_id": agent.instance_id, "conversations": conversations},
        )
    return {"agent_id": agent.agent_id, "conversations_removed": conversations}


def rotate_secret_key(store: Store) -> int:
    """Re-encrypt every agent's Green API token under the first key of WA_SECRET_KEY (a token
    stored before encryption is encrypted now); the number of agents rewritten."""
    keys = current_secrets()
    with store.transaction() as tx:
        rows = tx.fetchall("SELECT agent_id, name, api_token FROM agents ORDER BY agent_id")
        for row in rows:
            sealed = keys.reseal(row["api_token"], f"agent {row['name']}'s API token")
            tx.execute(
                "UPDATE agents SET api_token = :token WHERE agent_id = :id",
                {"token": sealed, "id": row["agent_id"]},
            )
    return len(rows)


if __name__ == "__main__":  # `python -m execution.agents` runs `wa agents` as it always did
    import runpy

    runpy.run_module("execution.agent_commands", run_name="__main__")
