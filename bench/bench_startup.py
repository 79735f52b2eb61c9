"""How long a `wa` command takes from start to exit, as an operator feels it.

    python3 bench/bench_startup.py [--runs 15] [--json]

Each command is started as its own process, `--runs` times, alternating with the baseline (a
bare `python3 -c pass`, the interpreter's own start-up) so that a noisy machine moves both
alike. `wa conversations list` reads an embedded SQLite database made once in a temporary
folder. Prints the median, the slowest run and the median above the baseline, in milliseconds.
Targets (issue 16): `wa --help` under 300 ms, `wa conversations list` under 500 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMMANDS = {
    "python -c pass (baseline)": ["-c", "pass"],
    "wa --help": ["-m", "cli", "--help"],
    "wa conversations list": ["-m", "cli", "conversations", "list"],
    "wa properties search": ["-m", "cli", "properties", "search", "--agent", "1"],
}


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, check=True)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wa-startup-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WA_")}
        env |= {"WA_DATABASE_URL": f"sqlite:///{tmp}/wa.db", "WA_TMP_DIR": tmp}
        env["WA_LLM"] = "scripted"
        demo = [sys.executable, "-m", "cli", "demo"]  # the demo's agent, listings, conversation
        subprocess.run(demo, env=env, cwd=ROOT, capture_output=True, check=True)
        samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(args.runs):
            for name, command in COMMANDS.items():  # interleaved: drift hits every command
                samples[name].append(timed(command, env))
    base = statistics.median(samples["python -c pass (baseline)"])
    rows = [
        {
            "command": name,
            "p50_ms": round(statistics.median(runs), 1),
            "max_ms": round(max(runs), 1),
            "above_baseline_ms": round(statistics.median(runs) - base, 1),
        }
        for name, runs in samples.items()
    ]
    if args.json:
        print(json.dumps({"runs": args.runs, "commands": rows}, indent=2))
        return
    print(f"start to exit, {args.runs} runs each, interleaved\n")
    print(f"{'command':28} {'p50 ms':>8} {'max ms':>8} {'above baseline':>15}")
    for row in rows:
        cells = (row["command"], row["p50_ms"], row["max_ms"], row["above_baseline_ms"])
        print("{:28} {:>8} {:>8} {:>15}".format(*cells))


if __name__ == "__main__":
    main()
