"""The fact check's cost per reply, next to the other per-turn checks, in one run.

    python3 bench/bench_fact_check.py [--rounds 5000]

The reply: three sentences about three listings (prices in digits and in words, bedrooms, a
flat type, a size, availability and a viewing offer), the buyer's budget restated. Measured:
`check_facts` (the whole check: numbers in words, claims, clauses, records), and beside it in
the same run `detect_escalation` on the buyer's message (the other check every turn runs) and
the baseline, `words_to_digits` alone (the number parser the check starts with). For the rest
of a turn (loop, search, send) see bench/bench_turn.py; a real model call is 1-10 s.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stats import summary
from execution.escalation import detect_escalation
from execution.fact_check import check_facts
from execution.numbers import words_to_digits
from execution.property_lookup import Property

LISTINGS = [
    Property(
        1,
        1,
        None,
        "Treasure at Tampines",
        "Tampines Street 11",
        1_580_000,
        "condo",
        3,
        "available",
        ["High floor", "5 min walk to Tampines West MRT"],
        None,
        1_033,
    ),
    Property(
        2,
        1,
        None,
        "Tampines GreenRidges 4-room",
        "Tampines Street 81",
        598_000,
        "HDB",
        3,
        "available",
        ["Near Tampines Mall", "Renovated 2022"],
    ),
    Property(
        3,
        1,
        None,
        "Tampines Court executive flat",
        "Tampines Avenue 5",
        868_000,
        "HDB",
        4,
        "pending",
        ["Spacious 145 sqm", "Near schools"],
    ),
]
REPLY = (
    "Treasure at Tampines is S$1.58M, a 3-bedroom of 1,033 sq ft, well within your 1.6M budget, "
    "while the GreenRidges 4-room goes for five hundred and ninety-eight thousand. "
    "The Tampines Court executive flat (145 sqm) is under offer at the moment. "
    "Would you like to view Treasure at Tampines this Saturday at 10am?"
)
BUYER = ["Hi, looking for something in Tampines, budget 1.6 million", "3 bedrooms pls"]
MESSAGE = "Is the GreenRidges flat near the MRT? I can do Saturday 10am for a viewing."


def timed(work: Callable[[], object], rounds: int) -> list[float]:
    for _ in range(min(200, rounds)):  # warm caches (compiled patterns, rules)
        work()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5000)
    args = parser.parse_args()
    assert check_facts(REPLY, LISTINGS, BUYER) == [], "the benchmark's reply must be true"
    fact = timed(lambda: check_facts(REPLY, LISTINGS, BUYER), args.rounds)
    escalation = timed(lambda: detect_escalation(MESSAGE, agent_name="Sarah Tan"), args.rounds)
    baseline = timed(lambda: words_to_digits(REPLY), args.rounds)
    result = {
        "rounds": args.rounds,
        "reply_chars": len(REPLY),
        "check_facts": summary(fact),
        "detect_escalation": summary(escalation),
        "baseline_words_to_digits": summary(baseline),
    }
    result["ratio_p50_to_baseline"] = round(
        result["check_facts"]["p50_ms"] / result["baseline_words_to_digits"]["p50_ms"], 1
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
