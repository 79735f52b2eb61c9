"""Green API notifications: parse, authenticate, deduplicate, store, and schedule the turn.

`POST /webhook/greenapi` (serve.py) calls `parse_notification`, `AgentDirectory.authenticate`
and `accept_notification`, and answers 200 only after `accept_notification` returned: by then
the notification, the message it carries and the turn it starts are committed together.

Dedup is one atomic claim per `(idInstance, typeWebhook, idMessage[, status | typeMessage])`:
Redis first (`begin_claim`: the first delivery stores, concurrent copies wait for it and get
200 once it is stored, and a failed store frees the claim so the redelivery is not lost), and
the unique `notifications.dedup_key` behind it, which holds after a Redis flush or restart and
when Redis is down.

By type: `incomingMessageReceived` -> USER message + turn (edits and deletions update the
stored message); `outgoingAPIMessageReceived` -> the echo of our own send, matched by
idMessage; `outgoingMessageReceived` (typed on the agent's phone) -> HUMAN message, and the
conversation switches to HUMAN unless the agent turned `phone_takeover` off;
`outgoingMessageStatus` -> delivery status (failures become incidents); anything else -> an
event and a warning. Every notification is stored, known type or not.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
import zlib
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any

from execution import metrics
from execution.agents import (
    Agent,
    find_agent_by_instance,
    verify_webhook_token,
)
from execution.audit import record_event
from execution.clock import utcnow
from execution.conversations import touch_conversation
from execution.coordination import Claim, CoordinationUnavailable, Coordinator
from execution.errors import ValidationError, WaError
from execution.incidents import insert_incident
from execution.secrets_at_rest import current_secrets
from execution.set_mode import set_mode_human
from execution.storable_text import may_hold_unstorable, sanitized
from execution.store import Store, StoreUnavailable, Tx
from execution.turn_queue import SILENT_TYPES, schedule_turn

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
CLAIM_TTL_S = 30.0
"""An in-progress claim whose holder died frees itself after this long."""
DEDUP_WINDOW_S = 24 * 3600.0
"""How long Redis remembers a stored notification (the database remembers for good)."""
DUPLICATE_WAIT_S = 3.0
"""How long a concurrent copy waits for the first delivery to be stored before a 503."""
AGENT_CACHE_S = 5.0

DELIVERY_RANK = {"pending": 0, "sent": 1, "delivered": 2, "read": 3}
DELIVERY_FAILURES = ("failed", "noAccount", "notInGroup", "yellowCard")
INSTANCE_WARNING_TYPES = ("stateInstanceChanged", "quotaExceeded", "incomingCall", "incomingBlock")
KNOWN_TYPES = frozenset({
    "incomingMessageReceived", "outgoingMessageReceived", "outgoingAPIMessageReceived",
    "outgoingMessageStatus", *INSTANCE_WARNING_TYPES, "outgoingCall", "deviceInfo",
    "statusInstanceChanged",
})  # fmt: skip
"""Notification types Green API documents (others are stored too, as `unknown_type`)."""


class WebhookRejected(WaError):
    """A request that is not an acceptable notification: answered with `status` (4xx)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class WebhookBusy(StoreUnavailable):
    """Another delivery of the same notification is being stored right now: answer 503 so Green
    API redelivers (by then it is stored, and the copy gets its 200)."""


@dataclass(frozen=True)
class Notification:
    payload: dict[str, Any]
    instance_id: str
    type_webhook: str
    id_message: str | None
    status: str | None
    type_message: str | None
    chat_id: str | None
    raw: str = field(default="", repr=False)
    """The payload as JSON text (what is stored)."""

    @property
    def dedup_key(self) -> str:
        stem = f"{self.instance_id}:{self.type_webhook}"
        if not self.id_message:  # state/quota/block notifications carry no id: their content
            digest = hashlib.sha256(json.dumps(self.payload, sort_keys=True).encode()).hexdigest()[
                :32
            ]
            return f"{stem}:sha256:{digest}"
        # the message type tells an edit or a deletion from the message (same idMessage in
        # Green API's own examples); a redelivery never changes it
        return f"{stem}:{self.id_message}:{self.status or self.type_message or ''}"


def parse_notification(body: bytes) -> Notification:
    """A Green API notification (or the `{receiptId, body}` envelope of `receiveNotification`)."""
    if len(body) > MAX_BODY_BYTES:
        raise WebhookRejected(413, f"body over {MAX_BODY_BYTES} bytes")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected(400, "body is not JSON") from None
    except RecursionError:
        raise WebhookRejected(400, "body is nested too deep") from None
    if (
        isinstance(payload, dict)
        and isinstance(payload.get("body"), dict)
        and ("receiptId" in payload)
    ):
        payload = payload["body"]
    if not isinstance(payload, dict):
        raise WebhookRejected(400, "body is not a JSON object")
    if may_hold_unstorable(body):  # a NUL or an unpaired surrogate: stored replaced
        payload, changed = sanitized(payload, body)
        if changed:
            log.warning("webhook with a NUL or an unpaired surrogate: stored sanitized")
    instance = payload.get("instanceData")
    instance_id = instance.get("idInstance") if isinstance(instance, dict) else None
    if isinstance(instance_id, bool) or not isinstance(instance_id, int | str):
        raise WebhookRejected(400, "no instanceData.idInstance")
    instance_id = str(instance_id).strip()
    if not instance_id.isdigit() or len(instance_id) > 20:
        raise WebhookRejected(400, "instanceData.idInstance is not a Green API instance id")
    type_webhook = payload.get("typeWebhook")
    if not isinstance(type_webhook, str) or not type_webhook.strip() or len(type_webhook) > 100:
        raise WebhookRejected(400, "no typeWebhook")
    message_data = payload.get("messageData")
    sender = payload.get("senderData")
    return Notification(
        payload=payload,
        instance_id=instance_id,
        type_webhook=type_webhook,
        id_message=_short_str(payload.get("idMessage")),
        status=_short_str(payload.get("status")),
        type_message=_short_str(message_data.get("typeMessage"))
        if isinstance(message_data, dict)
        else None,
        chat_id=_short_str(sender.get("chatId"))
        if isinstance(sender, dict)
        else _short_str(payload.get("chatId")),
        raw=json.dumps(payload, ensure_ascii=False),
    )


def _short_str(value: Any, limit: int = 200) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value).strip()
        return text[:limit] or None
    return None


class AgentDirectory:
    """Which agent owns an instance, cached for a few seconds (one webhook = no agent query)."""

    def __init__(self, store: Store, ttl: float = AGENT_CACHE_S) -> None:
        self._store = store
        self._ttl = ttl
        self._cache: dict[str, tuple[Agent | None, float]] = {}
        self._mutex = threading.Lock()

    def cached(self, instance_id: str) -> tuple[bool, Agent | None]:
        """(True, the agent or None) when the directory knows the instance without a query."""
        with self._mutex:
            hit = self._cache.get(instance_id)
        if hit is not None and hit[1] > time.monotonic():
            return True, hit[0]
        return False, None

    def lookup(self, instance_id: str) -> Agent | None:
        known, agent = self.cached(instance_id)
        if known:
            return agent
        with self._store.read() as tx:
            agent = find_agent_by_instance(tx, instance_id)
        with self._mutex:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[instance_id] = (agent, time.monotonic() + self._ttl)
        return agent

    def authenticate(self, instance_id: str, authorization: str | None) -> Agent:
        """The agent of this instance, if the request carries its webhook token."""
        return check_webhook_token(self.lookup(instance_id), authorization)


def check_webhook_token(agent: Agent | None, authorization: str | None) -> Agent:
    """`agent`, if `authorization` carries its webhook token (as `Bearer <token>` or the bare
    token). Unknown instance (None) and wrong token look the same: 401, in the same time."""
    presented = (authorization or "").strip()
    if presented[:7].lower() == "bearer ":
        presented = presented[7:].strip()
    if agent is None:
        current_secrets().matches(presented, _NO_DIGEST)  # the same work as for a known instance
        raise WebhookRejected(401, "unknown instance or wrong webhook token")
    if not presented or not verify_webhook_token(agent, presented):
        raise WebhookRejected(401, "unknown instance or wrong webhook token")
    return agent


_NO_DIGEST = "0" * 64


@dataclass(frozen=True)
class Accepted:
    outcome: str
    duplicate: bool = False
    notification_id: int | None = None
    conversation_id: int | None = None
    turn_scheduled: bool = False


def accept_notification(
    store: Store,
    coordinator: Coordinator,
    agent: Agent,
    notification: Notification,
    *,
    debounce: float,
) -> Accepted:
    """Store one authenticated notification exactly once and act on it. Returns once it is
    committed (a duplicate returns at once). Raises `StoreUnavailable` when the database is
    down (the caller answers 503 and Green API redelivers)."""
    key = f"webhook:{notification.dedup_key}"
    claim = _begin_claim(coordinator, key)
    if claim is not None and claim.state == "done":
        return Accepted("duplicate", duplicate=True)
    try:
        result = _store(store, coordinator, agent, notification, debounce)
    except BaseException:
        if claim is not None and claim.state == "claimed":
            _quietly(coordinator.abandon_claim, claim)
        raise
    if claim is not None and claim.state == "claimed":
        _quietly(coordinator.finish_claim, claim, DEDUP_WINDOW_S)
    return result


def _begin_claim(coordinator: Coordinator, key: str) -> Claim | None:
    """The Redis half of dedup. None when Redis is down: the database alone decides."""
    deadline = time.monotonic() + DUPLICATE_WAIT_S
    pause = 0.002
    try:
        while True:
            claim = coordinator.begin_claim(key, CLAIM_TTL_S)
            if claim.state != "in_progress":
                return claim
            while (state := coordinator.claim_state(key)) == "in_progress":
                if time.monotonic() > deadline:
                    raise WebhookBusy("another delivery of this notification is being stored")
                time.sleep(pause)
                pause = min(pause * 2, 0.05)
            if state == "done":
                return Claim("done", key)
    except CoordinationUnavailable as exc:
        _redis_down("webhook dedup falls back to the database", exc)
        return None


_last_redis_warning = [0.0]


def _redis_down(what: str, exc: Exception) -> None:
    """Count every failed Redis call; log at most one warning per 30 s (not one per request)."""
    metrics.COORDINATION_DOWN.labels("webhook_claim").inc()
    now = time.monotonic()
    if now - _last_redis_warning[0] >= 30.0:
        _last_redis_warning[0] = now
        log.warning("%s: %s", what, exc)


def _quietly(fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except CoordinationUnavailable as exc:
        _redis_down("webhook claim not updated (the database still dedups)", exc)


class BatchWriter:
    """Stores notifications that arrive together in one transaction, from one thread.

    Under load, deliveries queue up while a batch is being written; the next batch takes them
    all (up to `max_batch`): one round trip for their Redis claims, one transaction with one
    commit for their rows, one round trip to mark them done. Alone, a delivery is a batch of
    one. `threads` writers work side by side; one chat's notifications always go to the same
    writer, so they are stored in arrival order. A batch that cannot be written whole (a
    concurrent copy committed first, a bug) is written again one notification at a time; a
    database that is down fails every delivery of the batch (each answers 503, is redelivered).
    Phone-typed messages take their conversation over first and go through
    `accept_notification` instead.
    """

    def __init__(
        self,
        store: Store,
        coordinator: Coordinator,
        *,
        debounce: float,
        max_batch: int = 64,
        threads: int = 4,
    ) -> None:
        self.store = store
        self.coordinator = coordinator
        self.debounce = debounce
        self.max_batch = max_batch
        self._queues: list[queue.SimpleQueue[_Job | None]] = [
            queue.SimpleQueue() for _ in range(threads)
        ]
        self._threads = [
            threading.Thread(target=self._run, args=(q,), name=f"wa-webhook-writer-{n}",
                             daemon=True)
            for n, q in enumerate(self._queues)
        ]  # fmt: skip
        for thread in self._threads:
            thread.start()

    def submit(self, agent: Agent, notification: Notification) -> Future[Accepted]:
        """Queue a notification; the future holds its `Accepted` (or the error). One chat's
        notifications always share a queue: they are stored in arrival order."""
        job = _Job(agent, notification, Future())
        chat = f"{notification.instance_id}:{notification.chat_id}"
        self._queues[zlib.crc32(chat.encode()) % len(self._queues)].put(job)
        return job.future

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued, then stop."""
        for q in self._queues:
            q.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self, jobs: queue.SimpleQueue[_Job | None]) -> None:
        while True:
            first = jobs.get()
            if first is None:
                return
            batch = [first]
            stopping = False
            while len(batch) < self.max_batch:
                try:
                    job = jobs.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stopping = True
                    break
                batch.append(job)
            try:
                self._write(batch)
            except BaseException as exc:  # never leave a delivery waiting
                for job in batch:
                    if not job.future.done():
                        job.future.set_exception(exc)
            if stopping:
                return

    def _write(self, batch: list[_Job]) -> None:
        keys = [f"webhook:{job.notification.dedup_key}" for job in batch]
        try:
            claims: list[Claim | None] = list(self.coordinator.begin_claims(keys, CLAIM_TTL_S))
        except CoordinationUnavailable as exc:
            _redis_down("webhook dedup falls back to the database", exc)
            claims = [None] * len(batch)
        todo: list[tuple[_Job, Claim | None]] = []
        for job, claim in zip(batch, claims, strict=True):
            if claim is not None and claim.state == "done":
                job.future.set_result(Accepted("duplicate", duplicate=True))
            elif claim is not None and claim.state == "in_progress":
                threading.Thread(target=self._alone, args=(job,), daemon=True).start()
            else:
                todo.append((job, claim))
        if not todo:
            return
        try:
            results = self._transaction([job for job, _ in todo])
        except StoreUnavailable:
            for _, claim in todo:
                if claim is not None and claim.state == "claimed":
                    _quietly(self.coordinator.abandon_claim, claim)
            raise
        except Exception as exc:  # a concurrent copy won, or one notification breaks
            log.info("batch of %d written one at a time: %s", len(todo), exc)
            results = None
        if results is None:
            results = []
            for job, _claim in todo:
                try:
                    results.append(_store(self.store, self.coordinator, job.agent,
                                          job.notification, self.debounce))  # fmt: skip
                except BaseException as exc:
                    results.append(exc)
        done = [c for (_, c), r in zip(todo, results, strict=True)
                if c is not None and c.state == "claimed" and isinstance(r, Accepted)]  # fmt: skip
        _quietly(self.coordinator.finish_claims, done, DEDUP_WINDOW_S)
        for (job, claim), result in zip(todo, results, strict=True):
            if isinstance(result, Accepted):
                job.future.set_result(result)
            else:
                if claim is not None and claim.state == "claimed":
                    _quietly(self.coordinator.abandon_claim, claim)
                job.future.set_exception(result)

    def _transaction(self, jobs: list[_Job]) -> list[Accepted | BaseException]:
        """Every job's work, then all their notification rows in one statement (any of them
        already stored: `_Duplicate`, and the batch is written one at a time instead)."""
        with self.store.transaction() as tx:
            done = [
                _HANDLERS.get(job.notification.type_webhook, _other)(
                    tx, job.agent, job.notification, self.debounce
                )
                for job in jobs
            ]
            ids = _insert_notifications(
                tx, [(job.agent, job.notification, r.outcome) for job, r in zip(jobs, done,
                                                                                  strict=True)]
            )  # fmt: skip
            if len(ids) != len(jobs):
                raise _Duplicate
        return [replace(r, notification_id=ids[job.notification.dedup_key])
                for job, r in zip(jobs, done, strict=True)]  # fmt: skip

    def _alone(self, job: _Job) -> None:
        """A copy of a notification another delivery is storing right now: wait for it."""
        try:
            job.future.set_result(accept_notification(
                self.store, self.coordinator, job.agent, job.notification,
                debounce=self.debounce,
            ))  # fmt: skip
        except BaseException as exc:
            job.future.set_exception(exc)


@dataclass(frozen=True)
class _Job:
    agent: Agent
    notification: Notification
    future: Future[Accepted]


class _Duplicate(Exception):
    """The notification row exists already: roll the whole transaction back."""


def _store(
    store: Store, coordinator: Coordinator, agent: Agent, n: Notification, debounce: float
) -> Accepted:
    """Act on the notification and store it, in one transaction. The notification row goes in
    last, with its outcome: its unique dedup key is the durable claim, and a conflict rolls
    back everything this delivery did (a concurrent copy committed first)."""
    if n.type_webhook == "outgoingMessageReceived":
        _phone_takeover(store, coordinator, agent, n)
    try:
        with store.transaction() as tx:
            handler = _HANDLERS.get(n.type_webhook, _other)
            result = handler(tx, agent, n, debounce)
            notification_id = _insert_notification(tx, agent, n, result.outcome)
            if notification_id is None:
                raise _Duplicate
    except _Duplicate:
        return Accepted("duplicate", duplicate=True)
    return replace(result, notification_id=notification_id)


def _insert_notifications(tx: Tx, rows: list[tuple[Agent, Notification, str]]) -> dict[str, int]:
    """Several notification rows in one statement: {dedup key: id} of those inserted."""
    values: list[str] = []
    params: dict[str, Any] = {}
    for i, (agent, n, outcome) in enumerate(rows):
        values.append(f"(:a{i}, :k{i}, :t{i}, :tm{i}, :im{i}, :c{i}, :o{i}, :p{i})")
        params |= {f"a{i}": agent.agent_id, f"k{i}": n.dedup_key, f"t{i}": n.type_webhook,
                   f"tm{i}": n.type_message, f"im{i}": n.id_message, f"c{i}": n.chat_id,
                   f"o{i}": outcome, f"p{i}": n.raw}  # fmt: skip
    inserted = tx.fetchall(
        "INSERT INTO notifications (agent_id, dedup_key, type_webhook, type_message, "
        f"id_message, chat_id, outcome, payload) VALUES {', '.join(values)} "
        "ON CONFLICT (dedup_key) DO NOTHING RETURNING notification_id, dedup_key",
        params,
    )
    return {row["dedup_key"]: int(row["notification_id"]) for row in inserted}


def _insert_notification(tx: Tx, agent: Agent, n: Notification, outcome: str) -> int | None:
    """The notification row, last in its transaction: None when its dedup key exists."""
    row = tx.fetchone(
        "INSERT INTO notifications (agent_id, dedup_key, type_webhook, type_message, "
        "id_message, chat_id, outcome, payload) VALUES (:agent_id, :key, :type, "
        ":type_message, :id_message, :chat_id, :outcome, :payload) "
        "ON CONFLICT (dedup_key) DO NOTHING RETURNING notification_id",
        {"agent_id": agent.agent_id, "key": n.dedup_key, "type": n.type_webhook,
         "type_message": n.type_message, "id_message": n.id_message,
         "chat_id": n.chat_id, "outcome": outcome, "payload": n.raw},
        prepare=True,
    )  # fmt: skip
    return None if row is None else int(row["notification_id"])


def message_text(message_data: Any) -> str | None:
    """The buyer's own words in a message, whatever its type (None: nothing to read)."""
    if not isinstance(message_data, dict):
        return None
    type_message = message_data.get("typeMessage")
    candidates: list[Any] = []
    if type_message == "textMessage":
        candidates.append(_dig(message_data, "textMessageData", "textMessage"))
    candidates += [
        _dig(message_data, "extendedTextMessageData", "text"),
        _dig(message_data, "fileMessageData", "caption"),
        _dig(message_data, "editedMessageData", "textMessage"),
        _dig(message_data, "templateButtonReplyMessage", "selectedDisplayText"),
        _dig(message_data, "buttonsResponseMessage", "selectedButtonText"),
        _dig(message_data, "listResponseMessage", "title"),
        _dig(message_data, "interactiveButtonsResponse", "selectedDisplayText"),
        _dig(message_data, "interactiveButtons", "contentText"),
        _dig(message_data, "textMessageData", "textMessage"),
    ]
    for value in candidates:
        if isinstance(value, str) and value.strip():
            return value.strip()[:20_000]
    return None


def _dig(value: Any, *path: str) -> Any:
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    return value


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return (value.strip()[:200] or None) if isinstance(value, str) else None


def _conversation_id(tx: Tx, agent: Agent, n: Notification) -> int | None:
    sender = n.payload.get("senderData")
    name = label = None
    if isinstance(sender, dict) and n.type_webhook == "incomingMessageReceived":
        # the buyer's own WhatsApp name may be said to them; what the agent saved them as in
        # the phone ("Tan - lowballer") is the agent's alone. (On our own messages the sender
        # is the agent, not the buyer.)
        name, label = _text(sender, "senderName"), _text(sender, "senderContactName")
    try:
        return touch_conversation(tx, agent.agent_id, n.chat_id or "", name, label)
    except ValidationError:
        return None


def _incoming(tx: Tx, agent: Agent, n: Notification, debounce: float) -> Accepted:
    cid = _conversation_id(tx, agent, n)
    if cid is None:
        return Accepted("unroutable_chat")
    if n.type_message in ("editedMessage", "deletedMessage"):
        return _edit_or_delete(tx, agent, n, cid, "in", debounce)
    message_id = _insert_message(tx, agent, n, cid, "in", "USER", "received")
    if message_id is None:
        return Accepted("message_already_stored", conversation_id=cid)
    personal = (n.chat_id or "").endswith("@c.us")
    if n.type_message in SILENT_TYPES or not personal:
        return Accepted("stored", conversation_id=cid)
    schedule_turn(tx, agent.agent_id, cid, message_id, debounce=debounce)
    return Accepted("turn_scheduled", conversation_id=cid,
                    turn_scheduled=True)  # fmt: skip


def _insert_message(
    tx: Tx, agent: Agent, n: Notification, cid: int, direction: str, sender: str, status: str
) -> int | None:
    """The message a notification carries (None: that idMessage is stored already)."""
    now = utcnow()
    row = tx.fetchone(
        "INSERT INTO messages (agent_id, conversation_id, direction, sender_type, type_message, "
        "text, green_message_id, status, raw_payload, sent_at, created_at) VALUES (:agent_id, "
        ":cid, :direction, :sender, :type_message, :text, :green_id, :status, :raw, :sent_at, "
        ":now) "
        "ON CONFLICT (agent_id, green_message_id) DO NOTHING RETURNING message_id",
        {"agent_id": agent.agent_id, "cid": cid, "direction": direction, "sender": sender,
         "type_message": n.type_message or "unknown",
         "text": message_text(n.payload.get("messageData")), "green_id": n.id_message,
         "status": status, "raw": n.raw, "sent_at": now if direction == "out" else None,
         "now": now},
        prepare=True,
    )  # fmt: skip
    return None if row is None else int(row["message_id"])


def _edit_or_delete(
    tx: Tx, agent: Agent, n: Notification, cid: int, direction: str, debounce: float = 0.0
) -> Accepted:
    """Apply an edit or a deletion to the stored message. A buyer's message not answered yet
    gets its turn (re)scheduled: a turn generating meanwhile is superseded and redone with the
    edited text (or without the deleted message), never answering what the buyer took back."""
    data = n.payload.get("messageData") or {}
    original = _dig(data, "editedMessageData", "stanzaId") or _dig(
        data, "deletedMessageData", "stanzaId"
    )
    edit = n.type_message == "editedMessage"
    changed = tx.fetchone(
        ("UPDATE messages SET text = :text, edited_at = :now " if edit
         else "UPDATE messages SET deleted_at = :now ")
        + "WHERE agent_id = :agent_id AND conversation_id = :cid "
        "AND green_message_id = :original AND direction = :direction RETURNING message_id",
        {"text": message_text(data), "now": utcnow(), "agent_id": agent.agent_id, "cid": cid,
         "original": str(original), "direction": direction},
    )  # fmt: skip
    what = ("message_edited", "edit_of_unknown_message") if edit else (
        "message_deleted", "deletion_of_unknown_message")  # fmt: skip
    if changed is None:
        return Accepted(what[1], conversation_id=cid)
    if direction == "in" and _reopens_turn(tx, cid, int(changed["message_id"])):
        latest = tx.scalar(  # the turn must still cover everything the buyer said after it
            "SELECT MAX(message_id) FROM messages WHERE conversation_id = :cid "
            f"AND direction = 'in' AND type_message NOT IN ({_SILENT_SQL})",
            {"cid": cid},
        )
        schedule_turn(tx, agent.agent_id, cid, int(latest), debounce=debounce)
        return Accepted(what[0], conversation_id=cid, turn_scheduled=True)
    return Accepted(what[0], conversation_id=cid)


_SILENT_SQL = ", ".join(f"'{t}'" for t in SILENT_TYPES)


def _reopens_turn(tx: Tx, cid: int, message_id: int) -> bool:
    """Whether a changed buyer message is still to be answered (in a personal chat)."""
    row = tx.fetchone(
        "SELECT answered_through, chat_id FROM conversations WHERE conversation_id = :cid",
        {"cid": cid},
    )
    return (
        row is not None
        and message_id > int(row["answered_through"])
        and str(row["chat_id"]).endswith("@c.us")
    )


def _phone_takeover(store: Store, coordinator: Coordinator, agent: Agent, n: Notification) -> None:
    """The agent typed in this chat on the phone: the assistant stops at once (before the
    message is stored, so a failure here is retried with the redelivery)."""
    if not agent_takes_over_from_phone(store, agent.agent_id):
        return
    with store.transaction() as tx:
        if tx.scalar("SELECT COUNT(*) FROM notifications WHERE dedup_key = :key",
                     {"key": n.dedup_key}):  # fmt: skip
            return  # a redelivery of a message already handled
        cid = _conversation_id(tx, agent, n)
    if cid is not None:
        set_mode_human(store, coordinator, cid, "the agent replied from the phone", "agent:phone")


def agent_takes_over_from_phone(store: Store, agent_id: int) -> bool:
    with store.read() as tx:
        value = tx.scalar(
            "SELECT phone_takeover FROM agents WHERE agent_id = :id", {"id": agent_id}
        )
    return bool(value)


def _from_phone(tx: Tx, agent: Agent, n: Notification, debounce: float) -> Accepted:
    cid = _conversation_id(tx, agent, n)
    if cid is None:
        return Accepted("unroutable_chat")
    if n.type_message in ("editedMessage", "deletedMessage"):
        return _edit_or_delete(tx, agent, n, cid, "out")
    stored = _insert_message(tx, agent, n, cid, "out", "HUMAN", "sent")
    outcome = "human_message_stored" if stored is not None else "message_already_stored"
    return Accepted(outcome, conversation_id=cid)


def _echo(tx: Tx, agent: Agent, n: Notification, debounce: float) -> Accepted:
    """The echo of a message we sent through the API: never a new message, never a turn.
    Matched by idMessage; when no row has it, a pending row of that chat with the same text is
    a send whose process died before it heard Green API's answer: it did go out."""
    row = tx.fetchone(
        "UPDATE messages SET echoed_at = :now WHERE agent_id = :agent_id "
        "AND green_message_id = :green_id AND direction = 'out' RETURNING conversation_id",
        {"now": utcnow(), "agent_id": agent.agent_id, "green_id": n.id_message},
    )
    if row is not None:
        return Accepted("echo_matched", conversation_id=row["conversation_id"])
    text = message_text(n.payload.get("messageData"))
    pending = tx.fetchone(
        "SELECT m.message_id, m.conversation_id FROM messages m "
        "JOIN conversations c ON c.conversation_id = m.conversation_id "
        "WHERE m.agent_id = :agent_id AND c.chat_id = :chat_id AND m.direction = 'out' "
        "AND m.status = 'pending' AND m.text = :text ORDER BY m.message_id LIMIT 1",
        {"agent_id": agent.agent_id, "chat_id": n.chat_id, "text": text},
    )
    if pending is None or text is None:
        return Accepted("echo_unmatched")
    tx.execute(
        "UPDATE messages SET status = 'sent', green_message_id = :green_id, echoed_at = :now, "
        "sent_at = :now WHERE message_id = :id",
        {"green_id": n.id_message, "now": utcnow(), "id": pending["message_id"]},
    )
    log.warning("echo %s confirms pending message %s: its sender stopped before the answer",
                n.id_message, pending["message_id"])  # fmt: skip
    return Accepted("echo_confirmed_pending", conversation_id=pending["conversation_id"])


def _status(tx: Tx, agent: Agent, n: Notification, debounce: float) -> Accepted:
    status = n.status or ""
    failed = status in DELIVERY_FAILURES
    if failed:
        allowed = list(DELIVERY_RANK)
        new = "failed"
    elif status in DELIVERY_RANK:
        allowed = [s for s, rank in DELIVERY_RANK.items() if rank < DELIVERY_RANK[status]]
        new = status
    else:
        return Accepted(f"status_unknown:{status[:40]}")
    params: dict[str, Any] = {
        "new": new,
        "agent_id": agent.agent_id,
        "green_id": n.id_message,
        "error": _short_str(n.payload.get("description"), 500) or status,
    }
    params |= {f"s{i}": s for i, s in enumerate(allowed)}
    row = tx.fetchone(
        "UPDATE messages SET status = :new, "
        + ("error = :error " if failed else "error = error ")
        + "WHERE agent_id = :agent_id AND green_message_id = :green_id AND direction = 'out' "
        f"AND status IN ({', '.join(f':s{i}' for i in range(len(allowed)))}) "
        "RETURNING message_id, conversation_id",
        params,
    )  # fmt: skip
    if failed:
        insert_incident(tx, "execution", f"delivery {status}: {params['error']}",
                        agent_id=agent.agent_id, tool="send_whatsapp_message",
                        context={"idMessage": n.id_message, "chatId": n.chat_id,
                                 "notification": n.dedup_key})  # fmt: skip
        record_event(tx, "delivery_failed", {"idMessage": n.id_message, "status": status,
                                             "description": params["error"]},
                     agent_id=agent.agent_id,
                     conversation_id=row["conversation_id"] if row else None)  # fmt: skip
        log.warning("delivery %s for message %s: %s", status, n.id_message, params["error"])
    if row is None:
        known = tx.fetchone(  # statuses arrive out of order: "delivered" after "read"
            "SELECT conversation_id FROM messages WHERE agent_id = :agent_id "
            "AND green_message_id = :green_id AND direction = 'out'",
            {"agent_id": agent.agent_id, "green_id": n.id_message},
        )
        if known is not None:  # the message is further already: the furthest status is kept
            return Accepted("status_superseded", conversation_id=known["conversation_id"])
        return Accepted(f"status_{status}_unmatched")
    return Accepted(f"status_{new}", conversation_id=row["conversation_id"])


def _other(tx: Tx, agent: Agent, n: Notification, debounce: float) -> Accepted:
    """Instance state, quota, calls, blocks, and types we do not know yet: stored, an event,
    and a warning for the ones that need a person's attention."""
    detail = {k: v for k, v in n.payload.items() if k not in ("instanceData", "typeWebhook")}
    if len(json.dumps(detail, default=str)) > 4000:  # the whole payload is in `notifications`
        detail = {"truncated": True, "keys": sorted(detail)[:50]}
    record_event(tx, f"greenapi:{n.type_webhook}", detail | {"notification": n.dedup_key},
                 agent_id=agent.agent_id)  # fmt: skip
    if n.type_webhook in INSTANCE_WARNING_TYPES:
        metrics.INSTANCE_WARNINGS.labels(n.type_webhook).inc()
        log.warning("Green API %s for agent %s: %s", n.type_webhook, agent.agent_id,
                    json.dumps(detail, default=str)[:500])  # fmt: skip
        return Accepted("instance_warning")
    return Accepted("event" if n.type_webhook in KNOWN_TYPES else "unknown_type")


_HANDLERS = {
    "incomingMessageReceived": _incoming,
    "outgoingMessageReceived": _from_phone,
    "outgoingAPIMessageReceived": _echo,
    "outgoingMessageStatus": _status,
}
