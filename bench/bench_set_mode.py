"""`set_mode_human` / `set_mode_ai` latency with no send in flight, on both deployments.

    python3 bench/bench_set_mode.py [--switches 2000] [--backends sqlite,postgres]

Each switch takes the conversation's send guard (in-process or Redis), then in one transaction
changes the mode, bumps mode_version, cancels pending follow-ups and writes the audit event.
The baseline, measured in the same run and the same way, is a one-row UPDATE transaction.
Prints p50/p99/mean and the ratio to the baseline. Servers are throwaway (replay/throwaway.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stats import summary
from execution.agents import add_agent
from execution.conversations import find_or_create_conversation
from execution.coordination import Coordinator, InProcessCoordinator, RedisCoordinator
from execution.set_mode import set_mode
from execution.store import Store, open_store
from execution.store.migrate import migrate


def run(store: Store, coordinator: Coordinator, switches: int) -> dict[str, Any]:
    migrate(store)
    agent = add_agent(
        store,
        name="Bench",
        instance_id="990000001",
        api_token="bench-api-token",
        webhook_token="bench-hook-token",
        number="6590000001",
    )
    conversations = [
        find_or_create_conversation(store, agent.agent_id, f"65900{i:05d}@c.us").conversation_id
        for i in range(50)
    ]
    with store.transaction() as tx:  # a few pending follow-ups to cancel on the first switches
        for cid in conversations:
            tx.execute(
                "INSERT INTO followups (agent_id, conversation_id, due_at) VALUES (:a, :c, :d)",
                {"a": agent.agent_id, "c": cid, "d": datetime.now(UTC) + timedelta(hours=2)},
            )
    switch_ms: list[float] = []
    baseline_ms: list[float] = []
    for n in range(switches + switches // 10):
        cid = conversations[n % len(conversations)]
        mode = "HUMAN" if (n // len(conversations)) % 2 == 0 else "AI"
        start = time.perf_counter()
        change = set_mode(store, coordinator, cid, mode, "benchmark", "bench")  # type: ignore[arg-type]
        switched = (time.perf_counter() - start) * 1000
        assert change.changed
        start = time.perf_counter()
        with store.transaction() as tx:
            tx.execute(
                "UPDATE conversations SET contact_name = :n WHERE conversation_id = :c",
                {"n": f"bench {n}", "c": cid},
            )
        baseline = (time.perf_counter() - start) * 1000
        if n >= switches // 10:  # the first 10% warm up
            switch_ms.append(switched)
            baseline_ms.append(baseline)
    result: dict[str, Any] = {
        "switches": switches,
        "set_mode": summary(switch_ms),
        "one_row_update": summary(baseline_ms),
    }
    result["ratio_p50"] = round(
        result["set_mode"]["p50_ms"] / result["one_row_update"]["p50_ms"], 1
    )
    result["ratio_p99"] = round(
        result["set_mode"]["p99_ms"] / result["one_row_update"]["p99_ms"], 1
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--switches", type=int, default=2000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for backend in args.backends.split(","):
        if backend == "sqlite":
            work = Path(tempfile.mkdtemp(prefix="wa-bench-"))
            with open_store(f"sqlite:///{work / 'bench.db'}") as store:
                results["sqlite+in-process"] = run(store, InProcessCoordinator(), args.switches)
        elif backend == "postgres":
            from replay.throwaway import ThrowawayPostgres, ThrowawayRedis

            pg, redis = ThrowawayPostgres().start(), ThrowawayRedis().start()
            try:
                coordinator = RedisCoordinator(redis.url)
                with open_store(pg.create_database("bench")) as store:
                    results["postgres+redis"] = run(store, coordinator, args.switches)
                coordinator.close()
            finally:
                pg.stop()
                redis.stop()
        else:
            parser.error(f"unknown backend {backend!r}")
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"\n{args.switches} mode switches per backend, no send in flight\n")
    print(f"{'backend':18} {'what':15} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, r in results.items():
        for what in ("set_mode", "one_row_update"):
            s = r[what]
            print(f"{name:18} {what:15} {s['p50_ms']:8.3f} {s['p99_ms']:8.3f} {s['mean_ms']:8.3f}")
        print(f"{name:18} ratio to one-row update: p50 {r['ratio_p50']}x, p99 {r['ratio_p99']}x")


if __name__ == "__main__":
    main()
