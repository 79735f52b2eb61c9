"""Turn processing: take due turns from the database and answer them.

The database is the queue (execution/turn_queue.py); any `wa serve` or `wa worker` process may
take a due turn. A conversation is worked by one process at a time: its turn lock (Redis with
expiry, renewed while the turn runs; in-process on the embedded backends) is taken before the
turn, and turns of one conversation run in arrival order. A worker that dies leaves its turn
`running` with a lease; once the lease (and the lock) expire, any worker resumes it, and the
turn's idempotency key keeps a reply that was already sent from going out twice.

    worker = TurnWorker(runtime, provider)
    await worker.run()          # until worker.stop(); worker.wake() after a webhook stored a turn
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Annotated, Any

import typer

from execution import metrics
from execution.cli_support import configure_logging
from execution.coordination import CoordinationUnavailable, Lock
from execution.errors import ConfigurationError, ValidationError, WaError
from execution.incidents import record_incident
from execution.runtime import Runtime, open_runtime
from execution.send_rows import ABANDONED_AFTER_S
from execution.settings import Settings, load_settings
from execution.stuck_sends import SWEEP_EVERY_S, resolve_stuck_sends
from execution.turn_queue import (
    FinalStatus,
    TurnJob,
    already_answered,
    due_turns,
    finish_turn,
    has_pending_turn,
    recover_abandoned,
    release_turn,
    renew_lease,
    start_turn,
    turn_messages,
)
from orchestrator.providers.base import Provider
from orchestrator.providers.select import select_provider
from orchestrator.turn import handle_turn

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
"""A turn that fails this often (not the model: the database, a bug) is closed as failed."""
RATE_LIMITED_RETRY_S = 15.0
"""A reply Green API refused for its rate limit is tried again after this, doubling with each
attempt (15, 30, 60, 120 s, on top of the client's own retries); the last attempt hands over."""
IDLE_POLL_S = 0.25
"""How often an idle worker looks for due turns made by other processes."""


def turn_lock_name(conversation_id: int) -> str:
    return f"conversation:{conversation_id}:turn"


def require_distributed(settings: Settings, what: str) -> None:
    """More than one process needs PostgreSQL and Redis: refuse clearly otherwise."""
    if not (settings.resolved_database_url.startswith("postgres") and settings.redis_url):
        raise ConfigurationError(
            f"{what} needs PostgreSQL and Redis (WA_DATABASE_URL=postgresql://..., "
            "WA_REDIS_URL=redis://...): on the embedded backends one `wa serve` process "
            "works the turns"
        )


class TurnWorker:
    def __init__(
        self,
        rt: Runtime,
        provider: Provider,
        *,
        lease: float | None = None,
        concurrency: int = 8,
        owner: str | None = None,
        only_process: bool = False,
    ) -> None:
        self.rt = rt
        self.provider = provider
        self.lease = lease or rt.settings.turn_lease_seconds
        self.concurrency = concurrency
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.only_process = only_process
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy: set[int] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self.started = threading.Event()

    # --- control, callable from any thread ------------------------------------------------

    def wake(self) -> None:
        """Look for due turns now (a webhook just scheduled one)."""
        loop, event = self._loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    def stop(self) -> None:
        """Take no new turns; `run` returns once the running ones finished or were released."""
        self._stopping = True
        self.wake()

    # --- the loop ---------------------------------------------------------------------------

    async def run(self, *, drain_timeout: float = 20.0) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        await self._recover(everything=self.only_process)
        self.started.set()
        pause = IDLE_POLL_S
        next_recovery = self._loop.time() + self.lease / 2
        next_sweep = self._loop.time() + SWEEP_EVERY_S
        while not self._stopping:
            try:
                if self._loop.time() >= next_recovery:  # turns of workers that died
                    next_recovery = self._loop.time() + self.lease / 2
                    await self._recover(everything=False)
                if self._loop.time() >= next_sweep:  # sends left pending for good
                    next_sweep = self._loop.time() + SWEEP_EVERY_S
                    await resolve_stuck_sends(self.rt)
                await self._start_due()
                pause = IDLE_POLL_S
            except WaError as exc:  # database or Redis down: keep trying, slower
                log.warning("turn worker cannot take turns: %s", exc)
                pause = min(pause * 2, 5.0)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)
        await self._drain(drain_timeout)

    async def work_due(self, *, max_rounds: int = 1000) -> int:
        """Work every turn due now, and any that becomes due while they run (a redo after a
        supersede), until none is due; return how many ran. For drivers that own the clock
        (replays, property tests); a server calls `run`. Recovery is the caller's call."""
        ran = 0
        for _ in range(max_rounds):
            await self._start_due()
            if not self._tasks:
                return ran
            ran += len(self._tasks)
            await asyncio.wait(set(self._tasks))
        raise RuntimeError(f"turns still due after {max_rounds} rounds")

    async def recover(self, *, everything: bool = False) -> None:
        """Put turns left running by a stopped worker back in the queue (see `run`)."""
        await self._recover(everything=everything)

    async def _recover(self, *, everything: bool) -> None:
        try:
            resumed = await asyncio.to_thread(
                recover_abandoned, self.rt.store, everything=everything
            )
        except WaError as exc:
            log.warning("could not look for abandoned turns: %s", exc)
            return
        if resumed:
            log.warning("resumed %d turn(s) left running by a stopped worker", resumed)

    async def _drain(self, timeout: float) -> None:
        if not self._tasks:
            return
        log.info("waiting up to %gs for %d running turn(s)", timeout, len(self._tasks))
        _done, pending = await asyncio.wait(self._tasks, timeout=timeout)
        for task in pending:  # released back to pending by the task itself
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=10)

    async def _start_due(self) -> None:
        free = self.concurrency - len(self._tasks)
        if free <= 0:
            return
        jobs = await asyncio.to_thread(due_turns, self.rt.store, free + len(self._busy) + 8)
        for job in jobs:
            if len(self._tasks) >= self.concurrency or self._stopping:
                return
            if job.conversation_id in self._busy:
                continue  # its running turn finishes first: arrival order
            lock = await asyncio.to_thread(
                self.rt.coordinator.try_acquire, turn_lock_name(job.conversation_id), self.lease
            )
            if lock is None:
                continue  # another process works this conversation now
            started = await asyncio.to_thread(
                start_turn, self.rt.store, job.turn_id, self.owner, self.lease
            )
            if started is None:
                await asyncio.to_thread(lock.release)
                continue
            self._busy.add(job.conversation_id)
            task = asyncio.create_task(self._work(started, lock))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _work(self, job: TurnJob, lock: Lock) -> None:
        keeper = asyncio.create_task(self._keep_alive(job, lock))
        try:
            await self._answer(job)
        except asyncio.CancelledError:
            await _shielded(release_turn, self.rt.store, job, "worker stopped mid-turn")
            raise
        except Exception as exc:
            log.exception("turn %s of conversation %s failed", job.turn_id, job.conversation_id)
            await _shielded(self._failed, job, exc)
        finally:
            keeper.cancel()
            self._busy.discard(job.conversation_id)
            await _shielded(_release_quietly, lock)
            self.wake()  # a turn of this conversation may be waiting for the lock

    async def _keep_alive(self, job: TurnJob, lock: Lock) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                held = await asyncio.to_thread(lock.renew)
                await asyncio.to_thread(renew_lease, self.rt.store, job, self.lease)
            except WaError as exc:
                log.warning("turn %s: could not renew its lock: %s", job.turn_id, exc)
                continue
            if not held:
                log.error("turn %s lost its conversation lock (expired)", job.turn_id)

    async def _answer(self, job: TurnJob) -> None:
        store = self.rt.store
        if await asyncio.to_thread(already_answered, store, job):
            await asyncio.to_thread(finish_turn, store, job, "done", "already answered")
            return
        messages = await asyncio.to_thread(turn_messages, store, job)
        if not messages:
            await asyncio.to_thread(finish_turn, store, job, "done", "nothing left to answer")
            return
        text = "\n".join(m.text for m in messages if m.text)
        result = await handle_turn(
            self.rt,
            job.conversation_id,
            text,
            turn_id=job.key,
            provider=self.provider,
            superseded=lambda tx: has_pending_turn(tx, job.conversation_id),
            may_defer=job.attempts < MAX_ATTEMPTS,
        )
        if result.status == "deferred":
            wait = RATE_LIMITED_RETRY_S * 2.0 ** (job.attempts - 1)
            log.warning("turn %s: Green API rate limit, reply again in %gs", job.turn_id, wait)
            await asyncio.to_thread(
                release_turn, store, job, "Green API rate limit: reply deferred", wait
            )
            return
        if result.send is not None and result.send.status == "pending":
            # an earlier attempt of this turn died mid-send: redo it once that send is either
            # confirmed by Green API's echo or can be taken over
            await asyncio.to_thread(
                release_turn, store, job, "its reply's send is in doubt", ABANDONED_AFTER_S / 2
            )
            return
        status: FinalStatus = "superseded" if result.status == "superseded" else "done"
        await asyncio.to_thread(finish_turn, store, job, status, result.status)
        metrics.TURNS.labels(result.status).inc()
        log.info(
            "turn %s (conversation %s, %d message(s)): %s",
            job.turn_id,
            job.conversation_id,
            len(messages),
            result.status,
        )

    def _failed(self, job: TurnJob, exc: BaseException) -> None:
        error = f"{type(exc).__name__}: {exc}"
        if job.attempts >= MAX_ATTEMPTS:
            finish_turn(self.rt.store, job, "failed", error)
            metrics.TURNS.labels("failed").inc()
            record_incident(
                self.rt.store,
                "execution",
                f"turn failed {job.attempts} times: {error}",
                agent_id=job.agent_id,
                context={"turn_id": job.turn_id},
            )
        else:
            release_turn(self.rt.store, job, error, retry_in=2.0**job.attempts)


async def _shielded(fn: Callable[..., Any], *args: Any) -> None:
    """Run blocking cleanup to completion even while the calling task is being cancelled."""
    try:
        await asyncio.shield(asyncio.to_thread(fn, *args))
    except WaError as exc:
        log.error("cleanup %s failed: %s", getattr(fn, "__name__", fn), exc)


def _release_quietly(lock: Lock) -> None:
    try:
        lock.release()
    except CoordinationUnavailable as exc:
        log.warning("turn lock %s not released (it expires by itself): %s", lock.name, exc)


class WorkerThread:
    """A `TurnWorker` on its own thread and event loop, beside a web server: turns (model
    calls, sends, their database work) never hold up the webhook's event loop."""

    def __init__(self, rt: Runtime, provider: Provider, *, only_process: bool) -> None:
        self.worker = TurnWorker(rt, provider, only_process=only_process)
        self._thread = threading.Thread(target=self._main, name="wa-turns", daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        self._thread.start()
        if not self.worker.started.wait(timeout):
            log.warning("the turn worker did not start within %gs", timeout)

    def _main(self) -> None:
        async def main() -> None:
            try:
                await self.worker.run()
            finally:
                await self.worker.rt.greenapi.aclose()

        try:
            asyncio.run(main())
        except Exception:
            log.exception("the turn worker stopped on an error")

    def wake(self) -> None:
        self.worker.wake()

    def stop(self, timeout: float = 40.0) -> None:
        self.worker.stop()
        self._thread.join(timeout)


# --- `wa worker` -----------------------------------------------------------------------------


def worker_command(
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Turns at once.")] = 8,
    log_level: Annotated[str, typer.Option(help="debug|info|warning|error")] = "info",
    metrics_port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Serve this worker's /metrics on this port."),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(help="Interface for --metrics-port (no token: keep it private).")
    ] = "127.0.0.1",
) -> None:
    """Work pending turns (beside `wa serve`, which also works them). PostgreSQL + Redis only."""
    import signal

    configure_logging(log_level)
    require_distributed(load_settings(), "`wa worker`")
    stop_metrics = None
    if metrics_port is not None:
        try:
            stop_metrics = metrics.serve_metrics(metrics_host, metrics_port)
        except OSError as exc:
            raise ValidationError(
                f"cannot serve metrics on {metrics_host}:{metrics_port}: {exc}"
            ) from None
        log.info("metrics at http://%s:%d/metrics", metrics_host, metrics_port)
    with open_runtime() as rt:
        worker = TurnWorker(rt, select_provider(rt.settings), concurrency=concurrency)

        async def main() -> None:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, worker.stop)
            try:
                await worker.run()
            finally:
                await rt.greenapi.aclose()

        log.info("wa worker %s: working turns (Ctrl-C or SIGTERM to stop)", worker.owner)
        try:
            asyncio.run(main())
        finally:
            if stop_metrics is not None:
                stop_metrics()
