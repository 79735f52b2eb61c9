"""Orchestration overhead per buyer turn with the scripted model, on SQLite.

    python3 bench/bench_turn.py [--turns 500] [--listings 2000]

Each turn: store the message, gate, escalation rules, the directive loop with the scripted
model and a real search, fact check, and the guarded, idempotent send, to the console instead of
Green API (so neither model nor network time is in the figure). The baseline, in the same run,
is the search alone (`search_properties`, same arguments).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_listings import generate, write_csv
from bench.stats import summary
from execution.agents import add_agent
from execution.conversations import find_or_create_conversation
from execution.coordination import InProcessCoordinator
from execution.greenapi import ConsoleGreenApi
from execution.property_import import import_properties
from execution.property_lookup import search_properties
from execution.runtime import Runtime
from execution.settings import load_settings
from execution.store import open_store
from execution.store.migrate import migrate
from orchestrator.chat import chat_turn
from orchestrator.providers.scripted import ScriptedProvider

MESSAGES = [
    "3 bedroom condo in tampnes under 1.6M",
    "any HDB in Punggol?",
    "2 bedroom in Bukit Timah below 3m",
    "looking for a condo at Sengkang",
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--listings", type=int, default=2000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wa-bench-"))
    store = open_store(f"sqlite:///{work / 'bench.db'}")
    migrate(store)
    agent = add_agent(
        store,
        name="Bench",
        instance_id="990000001",
        api_token="bench-api-token",
        webhook_token="bench-hook-token",
        number="6590000001",
    )
    import_properties(store, agent.agent_id, write_csv(generate(args.listings), work / "l.csv"))
    rt = Runtime(load_settings(), store, InProcessCoordinator(), ConsoleGreenApi(lambda c, t: None))
    provider = ScriptedProvider()
    turn_ms: list[float] = []
    search_ms: list[float] = []

    async def bench() -> None:
        for n in range(args.turns + args.turns // 10):
            message = MESSAGES[n % len(MESSAGES)]
            # a conversation per turn: every turn is a first turn, in AI mode
            cid = find_or_create_conversation(store, agent.agent_id, f"659{n:07d}").conversation_id
            start = time.perf_counter()
            result = await chat_turn(rt, cid, message, provider, turn_id=f"bench:{n}")
            elapsed = (time.perf_counter() - start) * 1000
            assert result.status == "replied", result.status
            args_used = next(s.arguments for s in result.run.steps if s.kind == "tool")  # type: ignore[union-attr]
            start = time.perf_counter()
            search_properties(store, agent.agent_id, **(args_used or {}))
            searched = (time.perf_counter() - start) * 1000
            if n >= args.turns // 10:
                turn_ms.append(elapsed)
                search_ms.append(searched)

    asyncio.run(bench())
    turn, search = summary(turn_ms), summary(search_ms)
    print(
        f"\n{args.turns} turns, scripted model, console sends, SQLite, {args.listings} listings\n"
    )
    print(f"{'what':22} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, s in (("whole turn", turn), ("search alone", search)):
        print(f"{name:22} {s['p50_ms']:8.3f} {s['p99_ms']:8.3f} {s['mean_ms']:8.3f}")
    overhead = turn["p50_ms"] - search["p50_ms"]
    print(f"orchestration overhead (p50 turn - p50 search): {overhead:.3f} ms")
    store.close()


if __name__ == "__main__":
    main()
