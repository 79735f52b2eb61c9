"""Webhook acknowledgement latency and throughput of `wa serve`, on both deployments.

    python3 bench/bench_webhook.py [--rate 500] [--seconds 10] [--backends sqlite,postgres]

`wa serve` runs as its own process on loopback (intake only: WA_WORK_TURNS=false, so the turn
worker does not compete for the 2 cores), fed unique `incomingMessageReceived` notifications
(500 buyers; each is authenticated, deduplicated, stored with its message and turn). Phases:

1. storage: `accept_notification` called in-process, no HTTP: the raw cost of the claim and the
   transaction a webhook does (the baseline, measured in the same run);
2. paced: `--rate` requests/s for `--seconds`; ack latency from the moment each was due;
3. flat out: 32 connections as fast as the server answers: sustained acks/s.

Phases 2 and 3 are repeated `--rounds` times (the machine is shared; every round is printed).

Before the paced phase, 2 s of the same load warm the server up (not measured).

Prints p50/p99 per phase and the ratio of the paced ack p50 to the storage p50. PostgreSQL is a
throwaway server with fsync off (replay/throwaway.py): production disks add their commit latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import flat_out, paced, request_bytes
from bench.stats import summary
from execution.agents import add_agent
from execution.coordination import Coordinator, InProcessCoordinator, RedisCoordinator
from execution.store import Store, open_store
from execution.store.migrate import migrate
from execution.webhook.directory import AgentDirectory
from execution.webhook.intake import accept_notification
from execution.webhook.notification import parse_notification

INSTANCE, TOKEN = "990000001", "bench-webhook-token"


def payload(n: int, tag: str) -> bytes:
    buyer = f"6591{n % 500:06d}"
    return json.dumps(
        {
            "typeWebhook": "incomingMessageReceived",
            "instanceData": {
                "idInstance": int(INSTANCE),
                "wid": "6590000001@c.us",
                "typeInstance": "whatsapp",
            },
            "timestamp": 1764000000 + n,
            "idMessage": f"BENCH{tag}{n:09d}",
            "senderData": {
                "chatId": f"{buyer}@c.us",
                "chatName": "Buyer",
                "sender": f"{buyer}@c.us",
                "senderName": "Buyer",
                "senderContactName": "Buyer",
            },
            "messageData": {
                "typeMessage": "textMessage",
                "textMessageData": {"textMessage": f"Any 3 bedroom condo? ({n})"},
            },
        }
    ).encode()


def storage_phase(store: Store, coordinator: Coordinator, count: int) -> list[float]:
    directory = AgentDirectory(store)
    samples = []
    for n in range(count):
        notification = parse_notification(payload(n, "RAW"))
        started = time.perf_counter()
        agent = directory.authenticate(INSTANCE, f"Bearer {TOKEN}")
        accept_notification(store, coordinator, agent, notification, debounce=2.0)
        samples.append((time.perf_counter() - started) * 1000)
    return samples[count // 10 :]


def serve(env: dict[str, str], workers: int, tmp: Path) -> tuple[subprocess.Popen[bytes], int]:
    from replay.throwaway import free_port

    port = free_port()
    log = open(tmp / "serve.log", "wb")  # noqa: SIM115 - the server's lifetime
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=tmp,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process, port
        except httpx.HTTPError:
            time.sleep(0.1)
    stop(process)
    raise SystemExit(f"wa serve did not start: {(tmp / 'serve.log').read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server and its worker processes; SIGKILL if they linger."""
    import signal

    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


def run(
    database_url: str, redis_url: str, workers: int, args: argparse.Namespace
) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="wa-bench-"))
    with open_store(database_url) as store:
        migrate(store)
        add_agent(
            store,
            name="Bench",
            instance_id=INSTANCE,
            api_token="bench-api-token",
            webhook_token=TOKEN,
            number="6590000001",
        )
        coordinator = RedisCoordinator(redis_url) if redis_url else InProcessCoordinator()
        raw = storage_phase(store, coordinator, args.storage)
        coordinator.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WA_")}
    env |= {
        "WA_DATABASE_URL": database_url,
        "WA_REDIS_URL": redis_url,
        "WA_WORK_TURNS": "false",
        "WA_LLM": "scripted",
        # one client sends thousands a second: the intake's speed is measured, not the limits
        "WA_RATE_LIMIT_WEBHOOK_PER_ADDRESS": "off",
        "WA_RATE_LIMIT_WEBHOOK_PER_AGENT": "off",
    }
    process, port = serve(env, workers, tmp)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    try:

        def wire(tag: str, count: int) -> list[bytes]:
            return [
                request_bytes("127.0.0.1", port, "/webhook/greenapi", payload(n, tag), headers)
                for n in range(count)
            ]

        warm_count = int(args.rate * 2)  # 2 s at the same rate and shape, not measured
        warm = asyncio.run(paced("127.0.0.1", port, wire("WARM", warm_count), args.rate))
        assert warm.ok == warm_count, warm.statuses
        count = int(args.rate * args.seconds)
        rounds = []
        for r in range(args.rounds):  # the machine is shared: repeat, report every round
            steady = asyncio.run(paced("127.0.0.1", port, wire(f"PACED{r}", count), args.rate))
            burst = asyncio.run(flat_out("127.0.0.1", port, wire(f"FLAT{r}", args.flat), 32))
            rounds.append((steady, burst))
    finally:
        stop(process)
    storage = summary(raw)
    return {
        "workers": workers,
        "storage_in_process": storage,
        "rounds": [
            {
                "paced": summary(steady.latencies_ms)
                | {
                    "rate": args.rate,
                    "sent": count,
                    "acked": steady.ok,
                    "achieved_per_s": round(count / steady.elapsed_s, 1),
                    "statuses": steady.statuses,
                },
                "flat_out": summary(burst.latencies_ms)
                | {
                    "acked": burst.ok,
                    "acks_per_s": round(burst.ok / burst.elapsed_s, 1),
                    "statuses": burst.statuses,
                },
                "ratio_paced_p50_to_storage_p50": round(
                    statistics.median(steady.latencies_ms) / storage["p50_ms"], 2
                ),
            }
            for steady, burst in rounds
        ],
    }


def main() -> None:
    try:  # the load generator's own event loop: cheaper per request, more cores for the server
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=500.0, help="paced requests per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="paced phase length")
    parser.add_argument("--flat", type=int, default=15000, help="requests in the flat-out phase")
    parser.add_argument("--storage", type=int, default=2000, help="in-process storage calls")
    parser.add_argument("--rounds", type=int, default=3, help="paced + flat-out rounds")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg-workers", type=int, default=2, help="wa serve --workers on PG")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for backend in args.backends.split(","):
        if backend == "sqlite":
            work = Path(tempfile.mkdtemp(prefix="wa-bench-"))
            results["sqlite+in-process"] = run(f"sqlite:///{work / 'bench.db'}", "", 1, args)
        elif backend == "postgres":
            from replay.throwaway import ThrowawayPostgres, ThrowawayRedis

            pg, redis = ThrowawayPostgres().start(), ThrowawayRedis().start()
            try:
                results["postgres+redis"] = run(
                    pg.create_database("bench"), redis.url, args.pg_workers, args
                )
            finally:
                pg.stop()
                redis.stop()
        else:
            parser.error(f"unknown backend {backend!r}")
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"\nwebhook acks: storage in-process, then {args.rounds} round(s) of: paced at "
        f"{args.rate:g}/s for {args.seconds:g}s, flat out ({args.flat} requests, 32 "
        "connections)\n"
    )
    print(f"{'backend':18} {'phase':20} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}  notes")
    for name, r in results.items():
        s = r["storage_in_process"]
        print(
            f"{name:18} {'storage_in_process':20} {s['p50_ms']:8.3f} {s['p99_ms']:8.3f} "
            f"{s['mean_ms']:8.3f}  accept_notification, no HTTP"
        )
        for n, one in enumerate(r["rounds"], 1):
            p, f = one["paced"], one["flat_out"]
            print(
                f"{name:18} {f'paced (round {n})':20} {p['p50_ms']:8.3f} {p['p99_ms']:8.3f} "
                f"{p['mean_ms']:8.3f}  {p['acked']}/{p['sent']} acked at "
                f"{p['achieved_per_s']}/s, {one['ratio_paced_p50_to_storage_p50']}x storage "
                f"p50, statuses {p['statuses']}"
            )
            print(
                f"{name:18} {f'flat out (round {n})':20} {f['p50_ms']:8.3f} {f['p99_ms']:8.3f} "
                f"{f['mean_ms']:8.3f}  {f['acks_per_s']} acks/s, statuses {f['statuses']}"
            )
        print(f"{name:18} wa serve --workers {r['workers']}")


if __name__ == "__main__":
    main()
