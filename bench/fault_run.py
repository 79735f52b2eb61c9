"""A scripted fault run: `wa serve` (intake only) and `wa worker` as their own processes on
PostgreSQL + Redis, a loopback fake of Green API and of the Anthropic Messages API (the real
SDK talks to it), buyers writing while each fault happens. Prints one row per fault:

    python3 bench/fault_run.py [--buyers 12] [--only redis_killed,worker_killed_sending] [--json]

    fault | messages | lost | duplicated | stuck rows | seconds to recover

- lost: buyers who got nothing (neither a reply nor a handoff message); duplicated: buyers who
  got more than one message for their one message; stuck rows: outbound rows still `pending`
  and turns not finished once the run settled (or its time ran out); seconds to recover: from
  the end of the fault to the moment every buyer had their message and nothing was left open.
- Green API is "the buyer's phone": a message it accepted is one the buyer got, whether or not
  its answer reached us. It sends no echo webhooks in any run (every echo is missing), so a
  send in doubt is settled from its journal (`lastOutgoingMessages`), as in production.
- Webhooks refused (a 503 while the database is down, a refused connection while `wa serve` is
  dead) are delivered again, as Green API does, until they are taken.

Every fault starts from a fresh database and an empty Redis. A send abandoned by a worker killed
mid-send is taken over after 120 s (`ABANDONED_AFTER_S`): that row's recovery time shows it.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from execution.agents import add_agent  # noqa: E402
from execution.secrets_at_rest import current_secrets  # noqa: E402
from execution.store import open_store  # noqa: E402
from execution.store.migrate import migrate  # noqa: E402
from replay.fake_greenapi import FakeGreenApi  # noqa: E402
from replay.loopback import Answer, LoopbackServer  # noqa: E402
from replay.throwaway import ThrowawayPostgres, ThrowawayRedis, free_port  # noqa: E402

INSTANCE, API_TOKEN, HOOK_TOKEN = "7700000099", "fault-run-api-token", "fault-run-hook-token"
REPLY = "Thanks for your message! Let me check that for you."
SETTLE_TIMEOUT_S = float(os.environ.get("WA_FAULT_SETTLE_SECONDS") or 300)
START_TIMEOUT_S = 40.0


class Model(LoopbackServer):
    """`POST /v1/messages`: a reply with no facts in it, after `delay` seconds."""

    def __init__(self) -> None:
        super().__init__()
        self.delay = 0.2

    def answer(self, path: str, headers: dict[str, str], body: Any) -> Answer:
        message = {
            "id": f"msg_{secrets.token_hex(8)}",
            "type": "message",
            "role": "assistant",
            "model": "claude-fault-run",
            "content": [{"type": "text", "text": REPLY}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 100, "output_tokens": 20},
        }
        return Answer(200, message, delay=self.delay)


class FaultyGreenApi(FakeGreenApi):
    """The fake Green API, with a fault for `sendMessage` while `until` is in the future:
    "429" (rate limited), "500", "late" (accepted, answered after the client's 15 s timeout),
    "slow" (accepted, answered after `slow_s`)."""

    def __init__(self) -> None:
        super().__init__({INSTANCE: API_TOKEN})
        self.fault, self.until, self.slow_s = "", 0.0, 3.0

    def answer(self, path: str, headers: dict[str, str], body: Any) -> Answer:
        fault = self.fault if time.monotonic() < self.until and "/sendMessage/" in path else ""
        if fault == "429":
            return self._refused(path, headers, body, Answer(429, "", {"Retry-After": "1"}))
        if fault == "500":
            return self._refused(path, headers, body, Answer(500, "Internal Server Error"))
        reply = super().answer(path, headers, body)
        if fault in ("late", "slow") and reply.status == 200:
            return Answer(200, reply.body, delay=18.0 if fault == "late" else self.slow_s)
        return reply

    def _refused(self, path: str, headers: dict[str, str], body: Any, refusal: Answer) -> Answer:
        self.script("sendMessage", refusal)  # recorded like any request, answered with it
        return super().answer(path, headers, body)


@dataclass
class Row:
    fault: str
    messages: int = 0
    lost: int = 0
    duplicated: int = 0
    stuck_rows: int = 0
    seconds_to_recover: float | None = None
    notes: list[str] = field(default_factory=list)


class Process:
    """`wa serve` or `wa worker`, in its own process group (kill -9 takes all of it)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self, ready: Callable[[], bool] | None = None) -> Process:
        atexit.register(self.kill)  # never left running, however this script ends
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "cli", *self.args],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while ready is not None and not ready():
            if self.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.args[0]} did not start: {self.log.read_text()[-800:]}")
            time.sleep(0.1)
        return self

    def kill(self) -> None:
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def _secret_key(key: str) -> Iterator[None]:
    """This process seals with `key` meanwhile (its keys are read once: re-read around it)."""
    before = os.environ.get("WA_SECRET_KEY")
    os.environ["WA_SECRET_KEY"] = key
    current_secrets.cache_clear()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("WA_SECRET_KEY", None)
        else:
            os.environ["WA_SECRET_KEY"] = before
        current_secrets.cache_clear()


class Run:
    """One fault's deployment: a fresh database, Redis flushed, serve + worker started."""

    def __init__(self, fault: str, pg: ThrowawayPostgres, redis: ThrowawayRedis, tmp: Path):
        self.fault, self.pg, self.redis, self.tmp = fault, pg, redis, tmp
        self.database_url = pg.create_database(f"fault_{fault}")
        with open_store(self.database_url) as store:
            migrate(store)
        self.secret_key = Fernet.generate_key().decode()  # the processes' key, and ours here
        self.greenapi = FaultyGreenApi()
        self.greenapi.start()
        self.model = Model()
        self.model.start()
        with open_store(self.database_url) as store, _secret_key(self.secret_key):
            add_agent(
                store,
                name="Fault Run Agent",
                instance_id=INSTANCE,
                api_token=API_TOKEN,
                webhook_token=HOOK_TOKEN,
                number="6590009999",
                api_url=self.greenapi.url,
            )
        import redis as redis_client

        redis_client.Redis.from_url(redis.url).flushall()
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WA_", "ANTHROPIC_"))}
        env |= {
            "WA_DATABASE_URL": self.database_url,
            "WA_REDIS_URL": redis.url,
            "WA_LLM": "anthropic",
            "ANTHROPIC_API_KEY": "sk-ant-fault-run",
            "ANTHROPIC_BASE_URL": self.model.url,
            "WA_DEBOUNCE_SECONDS": "2" if fault == "worker_killed_queued" else "0",
            "WA_TURN_LEASE_SECONDS": "2",
            "WA_GREENAPI_JOURNAL_LAG_SECONDS": "2",
            "WA_GREENAPI_RATE_LIMIT_SECONDS": "5",
            "WA_TMP_DIR": str(tmp),
            "WA_SECRET_KEY": self.secret_key,
        }
        self.serve = Process(
            ["serve", "--port", str(self.port), "--no-turns", "--log-level", "warning"],
            env,
            tmp / f"{fault}-serve.log",
        )
        self.worker = Process(
            ["worker", "--log-level", "warning"], env, tmp / f"{fault}-worker.log"
        )
        self.pending: list[bytes] = []
        self.posted = 0

    def ready(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def start(self) -> Run:
        self.serve.start(self.ready)
        self.worker.start()
        return self

    def buyer_message(self, n: int) -> None:
        """Buyer n writes once (posted until the server takes it, as Green API redelivers)."""
        payload = {
            "typeWebhook": "incomingMessageReceived",
            "instanceData": {
                "idInstance": int(INSTANCE),
                "wid": "6590009999@c.us",
                "typeInstance": "whatsapp",
            },
            "timestamp": int(time.time()),
            "idMessage": f"FAULT{self.fault.upper()}{n:04d}",
            "senderData": {
                "chatId": f"659100{n:04d}@c.us",
                "chatName": f"Buyer {n}",
                "sender": f"659100{n:04d}@c.us",
                "senderName": f"Buyer {n}",
            },
            "messageData": {
                "typeMessage": "textMessage",
                "textMessageData": {"textMessage": "Hi, I'm looking for a condo"},
            },
        }
        self.pending.append(json.dumps(payload).encode())
        self.posted += 1
        self.deliver()

    def deliver(self) -> None:
        """Post every notification not taken yet, once each (a refusal stays pending)."""
        left = []
        for body in self.pending:
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{self.port}/webhook/greenapi",
                    content=body,
                    timeout=10,
                    headers={
                        "Authorization": f"Bearer {HOOK_TOKEN}",
                        "Content-Type": "application/json",
                    },
                )
                if answer.status_code != 200:
                    left.append(body)
            except httpx.HTTPError:
                left.append(body)
        self.pending = left

    def deliveries(self) -> dict[str, int]:
        count: dict[str, int] = {}
        for record in self.greenapi.sent():
            chat = str(record.body.get("chatId"))
            count[chat] = count.get(chat, 0) + 1
        return count

    def open_rows(self) -> int:
        with open_store(self.database_url, pool_size=1) as store, store.read() as tx:
            rows = tx.scalar(
                "SELECT COUNT(*) FROM messages WHERE direction = 'out' AND status = 'pending'"
            )
            turns = tx.scalar("SELECT COUNT(*) FROM turns WHERE status IN ('pending', 'running')")
        return int(rows) + int(turns)

    def settled(self) -> bool:
        if self.pending:
            self.deliver()
            return False
        delivered = self.deliveries()
        everyone = all(f"659100{n:04d}@c.us" in delivered for n in range(self.posted))
        try:
            return everyone and self.open_rows() == 0
        except Exception:  # the database is still coming back
            return False

    def close(self) -> None:
        self.worker.kill()
        self.serve.kill()
        self.greenapi.stop()
        self.model.stop()


def _stream(run: Run, buyers: int, seconds: float) -> None:
    """`buyers` messages spread over `seconds`."""
    for n in range(buyers):
        run.buyer_message(n)
        time.sleep(seconds / buyers)


def _fault(run: Run, fault: str, buyers: int) -> float:
    """Buyers write while `fault` happens; returns the monotonic time the fault ended."""
    half = buyers // 2
    if fault == "none":
        _stream(run, buyers, 2.0)
    elif fault == "redis_killed":
        _stream(run, half, 1.0)
        run.redis.stop_server(kill=True)
        _stream_from(run, half, buyers, 4.0)
        run.redis.start_server()
    elif fault == "postgres_stopped":
        _stream(run, half, 1.0)
        run.pg.stop_server()
        _stream_from(run, half, buyers, 4.0)
        run.pg.start_server()
    elif fault in ("greenapi_429", "greenapi_500", "greenapi_late"):
        run.greenapi.fault = fault.split("_")[1]
        # a rate limit that outlasts the client's 5 s budget: the replies wait for their turn
        run.greenapi.until = time.monotonic() + (15.0 if fault == "greenapi_429" else 8.0)
        _stream(run, buyers, 4.0)
        time.sleep(max(0.0, run.greenapi.until - time.monotonic()))
    elif fault == "worker_killed_queued":  # stored, their turns not due yet (2 s debounce)
        _stream(run, buyers, 1.0)
        run.worker.kill()
        time.sleep(2.0)
        run.worker.start()
    elif fault == "worker_killed_generating":
        run.model.delay = 3.0
        _stream(run, buyers, 1.0)
        time.sleep(1.0)  # every turn is in its model call
        run.worker.kill()
        run.model.delay = 0.2
        run.worker.start()
    elif fault == "worker_killed_sending":
        run.greenapi.fault, run.greenapi.until = "slow", time.monotonic() + 60.0
        _stream(run, buyers, 1.0)
        time.sleep(2.0)  # the replies are with Green API, their answers not back yet
        run.worker.kill()
        run.greenapi.until = 0.0
        run.worker.start()
    elif fault == "worker_killed_after_sends":  # some answered by Green API a moment ago
        run.greenapi.fault, run.greenapi.until = "slow", time.monotonic() + 60.0
        run.greenapi.slow_s = 0.3
        _stream(run, buyers, 0.5)
        deadline = time.monotonic() + 30.0
        while len(run.greenapi.sent()) < max(1, buyers // 3) and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(run.greenapi.slow_s + 0.02)  # the first answers are just back: being marked
        run.worker.kill()
        run.greenapi.until = 0.0
        run.worker.start()
    elif fault == "serve_killed":
        _stream(run, half, 1.0)
        run.serve.kill()
        _stream_from(run, half, buyers, 2.0)
        run.serve.start(run.ready)
    else:
        raise SystemExit(f"unknown fault {fault!r}")
    return time.monotonic()


def _stream_from(run: Run, first: int, last: int, seconds: float) -> None:
    for n in range(first, last):
        run.buyer_message(n)
        time.sleep(seconds / max(1, last - first))


FAULTS = tuple(
    "none redis_killed postgres_stopped greenapi_429 greenapi_500 greenapi_late"
    " worker_killed_queued worker_killed_generating worker_killed_sending"
    " worker_killed_after_sends serve_killed".split()
)


def run_fault(
    fault: str,
    buyers: int,
    pg: ThrowawayPostgres,
    redis: ThrowawayRedis,
    settle_s: float = SETTLE_TIMEOUT_S,
) -> Row:
    tmp = Path(tempfile.mkdtemp(prefix=f"wa-fault-{fault}-"))
    run = Run(fault, pg, redis, tmp).start()
    row = Row(fault)
    try:
        ended = _fault(run, fault, buyers)
        deadline = ended + settle_s
        while time.monotonic() < deadline and not run.settled():
            time.sleep(0.2)
        if run.settled():
            row.seconds_to_recover = round(time.monotonic() - ended, 1)
        else:
            row.notes.append(f"not settled within {settle_s:g} s (logs: {tmp})")
        delivered = run.deliveries()
        chats = [f"659100{n:04d}@c.us" for n in range(run.posted)]
        row.messages = run.posted
        row.lost = sum(1 for chat in chats if delivered.get(chat, 0) == 0)
        row.duplicated = sum(1 for chat in chats if delivered.get(chat, 0) > 1)
        row.stuck_rows = run.open_rows()
    finally:
        run.close()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buyers", type=int, default=12, help="buyers writing in each fault")
    parser.add_argument("--only", default="", help="comma-separated faults (default: all)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    faults = [f for f in args.only.split(",") if f] or list(FAULTS)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stopped: the servers stop too
    pg, redis = ThrowawayPostgres().start(), ThrowawayRedis().start()
    rows = []
    try:
        for fault in faults:
            print(f"fault run: {fault} ...", file=sys.stderr, flush=True)
            rows.append(run_fault(fault, args.buyers, pg, redis))
    finally:
        redis.stop()
        pg.stop()
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return
    row = "{:26} {:>8} {:>5} {:>10} {:>10} {:>13}  {}"
    header = ("fault", "messages", "lost", "duplicated", "stuck rows", "recovered (s)", "")
    print(row.format(*header).rstrip())
    for r in rows:
        recovered = "-" if r.seconds_to_recover is None else f"{r.seconds_to_recover:g}"
        cells = (r.fault, r.messages, r.lost, r.duplicated, r.stuck_rows, recovered)
        print(row.format(*cells, "; ".join(r.notes)))
    if any(r.lost or r.duplicated or r.stuck_rows or r.seconds_to_recover is None for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    threading.excepthook = lambda args: None  # a fake's thread dying at exit is no finding
    main()
