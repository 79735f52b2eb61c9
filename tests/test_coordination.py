"""Contract tests: the in-process and the Redis coordinator behave the same."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from execution.coordination import Coordinator, InProcessCoordinator, LockTimeout, RedisCoordinator


def wait_until(predicate, timeout: float = 5.0) -> bool:
    """Poll `predicate` until true or `timeout` passes (bounded; never a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_lock_is_exclusive_until_released(coordinator: Coordinator) -> None:
    first = coordinator.try_acquire("conversation:1", ttl=30)
    assert first is not None
    assert coordinator.try_acquire("conversation:1", ttl=30) is None
    assert coordinator.try_acquire("conversation:2", ttl=30) is not None  # other keys are free
    assert first.release() is True
    second = coordinator.try_acquire("conversation:1", ttl=30)
    assert second is not None and second.token != first.token


def test_release_and_renew_need_the_holders_token(coordinator: Coordinator) -> None:
    held = coordinator.try_acquire("k", ttl=30)
    assert held is not None
    from execution.coordination import Lock

    impostor = Lock(coordinator, "k", "not-the-token", 30)
    assert impostor.release() is False
    assert impostor.renew() is False
    assert coordinator.try_acquire("k", ttl=30) is None  # still held by the real holder
    assert held.renew() is True
    assert held.release() is True
    assert held.release() is False  # twice: nothing left to release


def test_expired_lock_is_taken_over_and_old_holder_is_powerless(coordinator: Coordinator) -> None:
    old = coordinator.try_acquire("conversation:9", ttl=0.2)
    assert old is not None
    new = None

    def take_over() -> bool:
        nonlocal new
        new = coordinator.try_acquire("conversation:9", ttl=30)
        return new is not None

    assert wait_until(take_over), "an expired lock must become available"
    assert new is not None
    assert old.renew() is False  # the old holder learns it lost the lock
    assert old.release() is False  # and cannot free the new holder's lock
    assert coordinator.try_acquire("conversation:9", ttl=30) is None


def test_renewal_keeps_a_lock_past_its_first_ttl(coordinator: Coordinator) -> None:
    held = coordinator.try_acquire("long-work", ttl=0.5)
    assert held is not None
    started = time.monotonic()
    while time.monotonic() - started < 1.2:  # more than twice the TTL, renewing as we go
        assert held.renew(0.5) is True
        assert coordinator.try_acquire("long-work", ttl=30) is None
        time.sleep(0.1)
    assert held.release() is True


def test_acquire_waits_for_release_and_times_out(coordinator: Coordinator) -> None:
    held = coordinator.try_acquire("busy", ttl=30)
    assert held is not None
    with pytest.raises(LockTimeout):
        coordinator.acquire("busy", ttl=30, timeout=0.1)
    timer = threading.Timer(0.1, held.release)
    timer.start()
    try:
        got = coordinator.acquire("busy", ttl=30, timeout=10)
    finally:
        timer.join()
    assert got.token != held.token


def test_claim_is_won_once_per_ttl(coordinator: Coordinator) -> None:
    assert coordinator.claim("webhook:1101:incomingMessageReceived:A1", ttl=0.3) is True
    assert coordinator.claim("webhook:1101:incomingMessageReceived:A1", ttl=0.3) is False
    assert coordinator.claim("webhook:1101:incomingMessageReceived:A2", ttl=0.3) is True
    assert wait_until(lambda: coordinator.claim("webhook:1101:incomingMessageReceived:A1", 30))


def test_claims_and_locks_do_not_share_keys(coordinator: Coordinator) -> None:
    assert coordinator.claim("same", ttl=30) is True
    assert coordinator.try_acquire("same", ttl=30) is not None


def test_ttl_must_be_positive(coordinator: Coordinator) -> None:
    with pytest.raises(ValueError):
        coordinator.claim("x", ttl=0)
    with pytest.raises(ValueError):
        coordinator.try_acquire("x", ttl=-1)


def test_a_claim_is_won_once_under_50_concurrent_claimers(coordinator: Coordinator) -> None:
    start = threading.Barrier(50)

    def claimer(_: int) -> bool:
        start.wait()
        return coordinator.claim("webhook:race", ttl=30)

    for _round in range(5):
        coordinator_key_reset(coordinator)
        with ThreadPoolExecutor(max_workers=50) as pool:
            wins = list(pool.map(claimer, range(50)))
        assert wins.count(True) == 1


def coordinator_key_reset(coordinator: Coordinator) -> None:
    if isinstance(coordinator, RedisCoordinator):
        coordinator.client.delete("wa:claim:webhook:race")
    elif isinstance(coordinator, InProcessCoordinator):
        coordinator._entries.clear()


def test_two_holders_never_hold_one_lock(coordinator: Coordinator) -> None:
    inside = 0
    most_inside = 0
    entries = 0
    counter_lock = threading.Lock()
    start = threading.Barrier(8)

    def worker(_: int) -> None:
        nonlocal inside, most_inside, entries
        start.wait()
        for _ in range(40):
            lock = coordinator.acquire("shared", ttl=30, timeout=30)
            with counter_lock:
                inside += 1
                entries += 1
                most_inside = max(most_inside, inside)
            time.sleep(0.0005)
            with counter_lock:
                inside -= 1
            assert lock.release() is True

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(worker, range(8)))
    assert entries == 8 * 40
    assert most_inside == 1


def test_in_process_expiry_follows_its_clock() -> None:
    now = [100.0]
    coordinator = InProcessCoordinator(clock=lambda: now[0])
    held = coordinator.try_acquire("k", ttl=10)
    assert held is not None
    now[0] = 109.9
    assert coordinator.try_acquire("k", ttl=10) is None
    now[0] = 110.0
    assert coordinator.try_acquire("k", ttl=10) is not None
    assert held.release() is False


def test_redis_down_is_a_clear_error() -> None:
    from execution.coordination import CoordinationUnavailable
    from replay.throwaway import free_port

    down = RedisCoordinator(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(CoordinationUnavailable, match="Redis unavailable"):
        down.claim("x", ttl=1)


def test_is_held_follows_the_lock(coordinator: Coordinator) -> None:
    assert not coordinator.is_held("held-test")
    lock = coordinator.try_acquire("held-test", 5)
    assert lock is not None and coordinator.is_held("held-test")
    lock.release()
    assert not coordinator.is_held("held-test")


def test_sends_step_aside_for_a_waiting_mode_change(coordinator: Coordinator) -> None:
    import asyncio

    from execution.send_whatsapp_message import _send_guard
    from execution.set_mode import send_guard_name, takeover_name

    waiting = coordinator.try_acquire(takeover_name(7), 5)
    assert waiting is not None

    async def scenario() -> list[str]:
        order: list[str] = []

        async def send() -> None:
            async with _send_guard(coordinator, 7):
                order.append("send")

        task = asyncio.create_task(send())
        await asyncio.sleep(0.1)
        # the guard is free, yet the send did not take it: the mode change goes first
        assert not task.done() and not coordinator.is_held(send_guard_name(7))
        order.append("mode change")
        waiting.release()
        await asyncio.wait_for(task, 5)
        return order

    assert asyncio.run(scenario()) == ["mode change", "send"]


def test_a_two_phase_claim_is_finished_abandoned_or_expires(coordinator: Coordinator) -> None:
    first = coordinator.begin_claim("webhook:two-phase", ttl=0.3)
    assert first.state == "claimed"
    assert coordinator.begin_claim("webhook:two-phase", ttl=30).state == "in_progress"
    coordinator.abandon_claim(first)  # the work failed: the next delivery gets it
    second = coordinator.begin_claim("webhook:two-phase", ttl=30)
    assert second.state == "claimed"
    coordinator.abandon_claim(first)  # a stale abandon cannot free someone else's claim
    assert coordinator.claim_state("webhook:two-phase") == "in_progress"
    coordinator.finish_claim(second, remember=30)
    assert coordinator.begin_claim("webhook:two-phase", ttl=30).state == "done"
    crashed = coordinator.begin_claim("webhook:crashed", ttl=0.2)
    assert crashed.state == "claimed"
    assert wait_until(lambda: coordinator.begin_claim("webhook:crashed", 30).state == "claimed")


def test_in_process_memory_is_bounded_and_never_drops_a_lock() -> None:
    coordinator = InProcessCoordinator(max_entries=2_000)
    held = coordinator.try_acquire("conversation:1:turn", ttl=600)
    working = coordinator.begin_claim("webhook:in-flight", ttl=600)
    for n in range(20_000):
        claim = coordinator.begin_claim(f"webhook:{n}", ttl=600)
        coordinator.finish_claim(claim, remember=86_400)
    assert len(coordinator._entries) <= 2_000 * 3 // 2 + 1
    assert held is not None and coordinator.is_held("conversation:1:turn")
    assert coordinator.claim_state("webhook:in-flight") == "in_progress" and working.token
    assert coordinator.claim_state("webhook:19999") == "done"  # the newest are remembered
    assert coordinator.claim_state("webhook:0") is None  # the oldest forgotten (DB dedups)
