"""The scripted fault run (bench/fault_run.py) still runs: two of its faults, small, against
the test session's PostgreSQL and Redis. The full table is run by hand (docs/operations.md)."""

from __future__ import annotations

import pytest

from bench.fault_run import run_fault
from replay.throwaway import ThrowawayPostgres, ThrowawayRedis


@pytest.mark.parametrize("fault", ["none", "worker_killed_generating"])
def test_a_fault_loses_nothing_duplicates_nothing_and_leaves_nothing_open(
    fault: str, postgres_server: ThrowawayPostgres, redis_server: ThrowawayRedis
) -> None:
    row = run_fault(fault, 4, postgres_server, redis_server, settle_s=60)
    assert (row.messages, row.lost, row.duplicated, row.stuck_rows) == (4, 0, 0, 0), row
    assert row.seconds_to_recover is not None, row.notes
