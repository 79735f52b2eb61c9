"""Fuzzy location search at scale: p50/p99 against a plain indexed exact-match query.

    python3 bench/bench_search.py --listings 100000 [--queries 2000] [--backends sqlite,postgres]

For each backend: load N generated listings for one agent (plus a second agent's, so tenancy
filtering is real), then run fuzzy searches (typos and partial area names + price band +
bedrooms, through `search_properties`) interleaved with an exact-match baseline (location =,
bedrooms =, price BETWEEN, on the same index, through the same store and transaction path).
Prints p50/p99/mean and the fuzzy/exact ratios measured in the same run.
PostgreSQL is a throwaway server started from the installed binaries (or --postgres-url).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate_listings import AREAS, generate, write_csv
from bench.stats import summary
from execution.agents import add_agent
from execution.property_import import import_properties
from execution.property_lookup import search_properties
from execution.store import Store, open_store
from execution.store.migrate import migrate

EXACT = """
SELECT p.property_id, p.title, p.location, p.price, p.bedrooms
FROM properties p
WHERE p.agent_id = :agent_id AND p.location = :location AND p.bedrooms = :bedrooms
  AND p.price BETWEEN :min_price AND :max_price
ORDER BY p.price LIMIT 10
"""


def typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["drop", "swap", "replace"])
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("aeiounrst") + word[i + 1 :]


def buyer_location(rng: random.Random) -> str:
    area = rng.choice(AREAS)
    roll = rng.random()
    if roll < 0.4:
        return typo(rng, area.lower())
    if roll < 0.7 and " " in area:
        return area.split()[0].lower()  # partial: "bukit", "tanjong"
    return area.lower()


def price_band(rng: random.Random) -> tuple[int, int]:
    low = rng.choice([300_000, 500_000, 800_000, 1_000_000, 1_500_000, 2_000_000])
    return low, low * 2


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def load(store: Store, csv_path: Path) -> tuple[int, float]:
    migrate(store)
    agents = [
        add_agent(
            store,
            name=f"Bench {i}",
            instance_id=f"99000000{i}",
            api_token="bench-api-token",
            webhook_token="bench-hook-token",
            number=f"659000000{i}",
        )
        for i in (1, 2)
    ]
    started = time.perf_counter()
    for agent in agents:
        import_properties(store, agent.agent_id, csv_path)
    seconds = time.perf_counter() - started
    with store.transaction() as tx:
        tx.execute("ANALYZE")
    return agents[0].agent_id, seconds


def exact(store: Store, params: dict[str, Any]) -> list[Any]:
    with store.read() as tx:
        return tx.fetchall(EXACT, params)


def run_backend(
    store: Store, csv_path: Path, listings: list[dict[str, Any]], queries: int, seed: int
) -> dict[str, Any]:
    agent_id, load_s = load(store, csv_path)
    rng = random.Random(seed)
    locations = sorted({str(row["location"]) for row in listings})
    fuzzy_ms: list[float] = []
    exact_ms: list[float] = []
    hits = 0
    for i in range(queries + queries // 10):  # the first 10% warm caches and are discarded
        low, high = price_band(rng)
        bedrooms = rng.randint(1, 5)
        where = buyer_location(rng)
        exact_params = {
            "agent_id": agent_id,
            "location": rng.choice(locations),
            "bedrooms": bedrooms,
            "min_price": low,
            "max_price": high,
        }

        fuzzy_args = {"location": where, "min_price": low, "max_price": high, "bedrooms": bedrooms}
        pair = [
            ("fuzzy", lambda a=fuzzy_args: search_properties(store, agent_id, **a)),
            ("exact", lambda p=exact_params: exact(store, p)),
        ]
        rng.shuffle(pair)  # neither kind always runs first
        for kind, fn in pair:
            ms, found = timed(fn)
            if i >= queries // 10:
                (fuzzy_ms if kind == "fuzzy" else exact_ms).append(ms)
                hits += bool(found) and kind == "fuzzy"
    result: dict[str, Any] = {
        "load_seconds": round(load_s, 1),
        "queries": queries,
        "fuzzy_with_results": hits,
    }
    for kind, samples in (("fuzzy", fuzzy_ms), ("exact", exact_ms)):
        result[kind] = summary(samples)
    result["ratio_p50"] = round(result["fuzzy"]["p50_ms"] / result["exact"]["p50_ms"], 1)
    result["ratio_p99"] = round(result["fuzzy"]["p99_ms"] / result["exact"]["p99_ms"], 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--postgres-url", help="an empty database to use instead of a throwaway server"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="wa-bench-"))
    listings = generate(args.listings, seed=42)
    csv_path = write_csv(listings, work / "listings.csv")
    distinct = len({row["location"] for row in listings})
    results: dict[str, Any] = {
        "listings_per_agent": args.listings,
        "agents": 2,
        "distinct_locations": distinct,
    }
    for backend in args.backends.split(","):
        print(f"[{backend}] loading {args.listings:,} listings x 2 agents...", file=sys.stderr)
        if backend == "sqlite":
            with open_store(f"sqlite:///{work / 'bench.db'}") as store:
                results[backend] = run_backend(store, csv_path, listings, args.queries, args.seed)
        elif backend == "postgres":
            server = None
            url = args.postgres_url
            if url is None:
                from replay.throwaway import ThrowawayPostgres

                server = ThrowawayPostgres().start()
                url = server.create_database("bench")
            try:
                with open_store(url) as store:
                    results[backend] = run_backend(
                        store, csv_path, listings, args.queries, args.seed
                    )
            finally:
                if server:
                    server.stop()
        else:
            parser.error(f"unknown backend {backend!r}")
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        f"\n{args.listings:,} listings per agent, 2 agents, {distinct:,} distinct locations, "
        f"{args.queries} queries of each kind per backend\n"
    )
    print(f"{'backend':10} {'query':6} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}   load")
    for backend in args.backends.split(","):
        r = results[backend]
        for kind in ("fuzzy", "exact"):
            s = r[kind]
            load_note = f"{r['load_seconds']}s" if kind == "fuzzy" else ""
            print(
                f"{backend:10} {kind:6} {s['p50_ms']:8.3f} {s['p99_ms']:8.3f} "
                f"{s['mean_ms']:8.3f}   {load_note}"
            )
        print(
            f"{backend:10} ratio fuzzy/exact: p50 {r['ratio_p50']}x, p99 {r['ratio_p99']}x; "
            f"{r['fuzzy_with_results']}/{r['queries']} fuzzy queries found listings"
        )


if __name__ == "__main__":
    main()
