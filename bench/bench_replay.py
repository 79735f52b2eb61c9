"""How long a scenario replay takes, on the embedded backends (SQLite + in-process).

    python3 bench/bench_replay.py [--rounds 3] [FOLDER]   (default: tests/scenarios)

Each scenario is replayed `--rounds` times; the figure is the wall time of a whole replay
(its fresh database and migrations, the in-process server, the fake Green API, every step and
every turn on simulated time, the expectations and invariant checks). The baseline, measured in
the same run, is the part every scenario pays before its first step: a fresh sandbox database
with the schema migrated. Also printed: the simulated time the library covers against the real
time it took.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stats import summary
from execution.settings import load_settings
from orchestrator.providers.scripted import ScriptedProvider
from replay.command import quiet_logs, scenario_files
from replay.engine import run_scenario
from replay.sandbox import sandbox
from replay.scenario import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="tests/scenarios", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    files = scenario_files([args.folder])
    scenarios = [load_scenario(path) for path in files]
    with tempfile.TemporaryDirectory() as scratch:
        settings = load_settings(tmp_dir=Path(scratch), database_url="", redis_url="")
        setup_ms: list[float] = []
        replay_ms: list[float] = []
        simulated_s = 0.0
        failed = 0
        with quiet_logs():
            for _ in range(args.rounds):
                for sf in scenarios:
                    began = time.perf_counter()
                    with sandbox(settings, sf.path.stem):
                        pass
                    setup_ms.append((time.perf_counter() - began) * 1000)
                    result = run_scenario(sf, settings, ScriptedProvider())
                    replay_ms.append(result.seconds * 1000)
                    simulated_s += max((line.at for line in result.lines), default=0.0)
                    failed += not result.passed
    replay, setup = summary(replay_ms), summary(setup_ms)
    total_s = sum(replay_ms) / 1000
    print(
        f"{len(scenarios)} scenarios x {args.rounds} rounds on SQLite + in-process "
        f"({failed} failed)"
    )
    print(
        f"  replay of one scenario : p50 {replay['p50_ms']:.1f} ms, p99 {replay['p99_ms']:.1f} "
        f"ms, mean {replay['mean_ms']:.1f} ms"
    )
    print(
        f"  baseline (fresh migrated database): p50 {setup['p50_ms']:.1f} ms, "
        f"p99 {setup['p99_ms']:.1f} ms"
    )
    print(f"  ratio p50 replay / baseline: {replay['p50_ms'] / setup['p50_ms']:.2f}")
    print(
        f"  simulated time covered: {simulated_s / 3600:.1f} h in {total_s:.1f} s real "
        f"({simulated_s / max(total_s, 1e-9):,.0f}x)"
    )


if __name__ == "__main__":
    main()
