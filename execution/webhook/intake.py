"""Store each authenticated notification exactly once, together with what its handler did.

Dedup is one atomic claim per `(idInstance, typeWebhook, idMessage[, status | typeMessage])`:
Redis first (`begin_claim`: the first delivery stores, concurrent copies wait for it and get
200 once it is stored, and a failed store frees the claim so the redelivery is not lost), and
the unique `notifications.dedup_key` behind it, which holds after a Redis flush or restart and
when Redis is down. `accept_notification` stores one; `BatchWriter` stores those that arrive
together in one transaction.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any

from execution import metrics
from execution.agents import Agent
from execution.backoff import pauses
from execution.coordination import Claim, CoordinationUnavailable, Coordinator
from execution.store import Store, StoreUnavailable, Tx
from execution.webhook.handlers import Accepted, handler_for, phone_takeover
from execution.webhook.notification import Notification

log = logging.getLogger(__name__)

CLAIM_TTL_S = 30.0
"""An in-progress claim whose holder died frees itself after this long."""
DEDUP_WINDOW_S = 24 * 3600.0
"""How long Redis remembers a stored notification (the database remembers for good)."""
DUPLICATE_WAIT_S = 3.0
"""How long a concurrent copy waits for the first delivery to be stored before a 503."""


class WebhookBusy(StoreUnavailable):
    """Another delivery of the same notification is being stored right now: answer 503 so Green
    API redelivers (by then it is stored, and the copy gets its 200)."""


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
    key = claim_key(notification)
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


def claim_key(notification: Notification) -> str:
    """The Redis claim of a notification's deliveries."""
    return f"webhook:{notification.dedup_key}"


def _begin_claim(coordinator: Coordinator, key: str) -> Claim | None:
    """The Redis half of dedup. None when Redis is down: the database alone decides."""
    deadline = time.monotonic() + DUPLICATE_WAIT_S
    wait = pauses()
    try:
        while True:
            claim = coordinator.begin_claim(key, CLAIM_TTL_S)
            if claim.state != "in_progress":
                return claim
            while (state := coordinator.claim_state(key)) == "in_progress":
                if time.monotonic() > deadline:
                    raise WebhookBusy("another delivery of this notification is being stored")
                time.sleep(next(wait))
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


def _quietly(fn: Callable[..., Any], *args: Any) -> None:
    try:
        fn(*args)
    except CoordinationUnavailable as exc:
        _redis_down("webhook claim not updated (the database still dedups)", exc)


def _store(
    store: Store, coordinator: Coordinator, agent: Agent, n: Notification, debounce: float
) -> Accepted:
    """Act on the notification and store it, in one transaction. The notification row goes in
    last, with its outcome: its unique dedup key is the durable claim, and a conflict rolls
    back everything this delivery did (a concurrent copy committed first)."""
    if n.type_webhook == "outgoingMessageReceived":
        phone_takeover(store, coordinator, agent, n)
    try:
        with store.transaction() as tx:
            result = handler_for(n.type_webhook)(tx, agent, n, debounce)
            ids = insert_notifications(tx, [(agent, n, result.outcome)])
            if n.dedup_key not in ids:
                raise _Duplicate
    except _Duplicate:
        return Accepted("duplicate", duplicate=True)
    return replace(result, notification_id=ids[n.dedup_key])


class _Duplicate(Exception):
    """The notification row exists already: roll the whole transaction back."""


_COLUMNS = "agent_id, dedup_key, type_webhook, type_message, id_message, chat_id, outcome, payload"


def insert_notifications(tx: Tx, rows: list[tuple[Agent, Notification, str]]) -> dict[str, int]:
    """The notification rows (agent, notification, outcome), last in their transaction, in one
    statement: {dedup key: id} of those inserted (a dedup key stored already is left out)."""
    values: list[str] = []
    params: dict[str, Any] = {}
    for i, (agent, n, outcome) in enumerate(rows):
        values.append(f"(:a{i}, :k{i}, :t{i}, :tm{i}, :im{i}, :c{i}, :o{i}, :p{i})")
        params |= {
            f"a{i}": agent.agent_id,
            f"k{i}": n.dedup_key,
            f"t{i}": n.type_webhook,
            f"tm{i}": n.type_message,
            f"im{i}": n.id_message,
            f"c{i}": n.chat_id,
            f"o{i}": outcome,
            f"p{i}": n.raw,
        }
    inserted = tx.fetchall(
        f"INSERT INTO notifications ({_COLUMNS}) VALUES {', '.join(values)} "
        "ON CONFLICT (dedup_key) DO NOTHING RETURNING notification_id, dedup_key",
        params,
        prepare=len(rows) == 1,  # one notification alone: the hot statement of every webhook
    )
    return {row["dedup_key"]: int(row["notification_id"]) for row in inserted}


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
            threading.Thread(
                target=self._run, args=(q,), name=f"wa-webhook-writer-{n}", daemon=True
            )
            for n, q in enumerate(self._queues)
        ]
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
        keys = [claim_key(job.notification) for job in batch]
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
            results = [self._one(job) for job, _ in todo]
        stored = [
            claim
            for (_, claim), result in zip(todo, results, strict=True)
            if claim is not None and claim.state == "claimed" and isinstance(result, Accepted)
        ]
        _quietly(self.coordinator.finish_claims, stored, DEDUP_WINDOW_S)
        for (job, claim), result in zip(todo, results, strict=True):
            if isinstance(result, Accepted):
                job.future.set_result(result)
            else:
                if claim is not None and claim.state == "claimed":
                    _quietly(self.coordinator.abandon_claim, claim)
                job.future.set_exception(result)

    def _one(self, job: _Job) -> Accepted | BaseException:
        try:
            return _store(self.store, self.coordinator, job.agent, job.notification, self.debounce)
        except BaseException as exc:
            return exc

    def _transaction(self, jobs: list[_Job]) -> list[Accepted | BaseException]:
        """Every job's work, then all their notification rows in one statement (any of them
        already stored: `_Duplicate`, and the batch is written one at a time instead)."""
        with self.store.transaction() as tx:
            done = [
                handler_for(job.notification.type_webhook)(
                    tx, job.agent, job.notification, self.debounce
                )
                for job in jobs
            ]
            rows = [
                (job.agent, job.notification, r.outcome) for job, r in zip(jobs, done, strict=True)
            ]
            ids = insert_notifications(tx, rows)
            if len(ids) != len(jobs):
                raise _Duplicate
        return [
            replace(r, notification_id=ids[job.notification.dedup_key])
            for job, r in zip(jobs, done, strict=True)
        ]

    def _alone(self, job: _Job) -> None:
        """A copy of a notification another delivery is storing right now: wait for it."""
        try:
            accepted = accept_notification(
                self.store, self.coordinator, job.agent, job.notification, debounce=self.debounce
            )
        except BaseException as exc:
            job.future.set_exception(exc)
        else:
            job.future.set_result(accepted)


@dataclass(frozen=True)
class _Job:
    agent: Agent
    notification: Notification
    future: Future[Accepted]
