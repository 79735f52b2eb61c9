"""Property-based, stateful tests: invariants 1-5 of DESIGN.md over interleavings.

A hypothesis `RuleBasedStateMachine` drives the real system (the webhook server in process,
the real `TurnWorker`, the real send path to a loopback fake Green API, on PostgreSQL + Redis)
through a replay runner (`replay.engine.open_runner`: its own schema and Redis namespace) on a
simulated clock, with the offline scripted model. Its rules:

- `buyer_writes`: one of two buyers writes (a greeting, enquiries that find listings, one that
  finds nothing, a viewing request, a negotiation that escalates to the human agent);
- `duplicate_delivery`: Green API delivers an earlier notification again, 1-3 times, one after
  another or concurrently;
- `operator`: the operator API switches a chat to HUMAN or AI, or sends as the agent;
- `phone_typing`: the agent types in a chat on the phone (a takeover);
  each of these four happens now or `while_generating`: inside the next model call, the race
  invariant 2 is about (run on a thread of its own, as the other process it stands for);
- `takeover_while_replying`: that race on purpose: a buyer writes, the operator or the phone
  takes the chat inside the reply's model call, the turn runs;
- `work_due_turns`: the clock moves on and the worker works every due turn (`run_until`);
- `worker_crashes_mid_turn`: the next turn dies in its model call, just before its Green API
  send, or just after Green API accepted it (the nasty case): `WorkerDied`, a BaseException
  nothing catches, so the turn is left `running` and its reply row `pending`;
- `worker_restarts`: a new worker (a fresh owner, as a new process would be) once the lease has
  expired on the simulated clock, or the 120 s abandoned-send window too; the dead process's
  turn lock, which would expire by real time, is deleted from the runner's Redis namespace;
  then `worker.recover()`.

After every step `check_invariants(settled=False)` must find nothing, and no webhook or
operator call may be refused. At the end (teardown) a dead worker is restarted, everything
settles (past leases, retries and the abandoned-send window) and `check_invariants(settled=
True)` must find nothing (for invariant 4, that includes the handoff messages).

Assumptions, each a fact of production or a no-op here:
- Green API echoes every send (`outgoingAPIMessageReceived`): the echo is what confirms a send
  whose sender died before hearing the answer.
- One worker, one turn at a time (`WORKER_CONCURRENCY`), so that an example replays the same
  way every time and hypothesis can shrink it.
- A send whose key belongs to an earlier call waits up to `DUPLICATE_WAIT_S` of real time for
  it; no such call can be alive here (it died), so the wait is cut to 50 ms.

Budget (`BUDGET`): 90 examples of up to 80 steps, derandomized (the same examples every run),
no example database, no explain phase: about 70 s on two cores; a failure adds its shrinking.
`FOUND` replays the falsifying examples found so far (a fixed budget may not meet them again).
A deeper search, with a new random seed each run, for a developer's machine or a nightly job:

    WA_INTERLEAVINGS_EXAMPLES=1000 python3 -m pytest -q tests/test_interleavings.py -x
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import execution.send_rows as send_rows
from execution.coordination import LOCK_PREFIX, RedisCoordinator
from execution.send_rows import ABANDONED_AFTER_S
from execution.settings import Settings, load_settings
from execution.turn_queue import next_due
from orchestrator.providers.scripted import ScriptedProvider
from orchestrator.worker import turn_lock_name
from replay.engine import Runner, open_runner
from replay.invariants import check_invariants
from replay.scenario import (
    AgentSpec,
    BuyerMessage,
    Operator,
    PhoneMessage,
    Redelivery,
    Scenario,
    ScenarioFile,
    Setup,
    Step,
)

DEEP = int(os.environ.get("WA_INTERLEAVINGS_EXAMPLES") or 0)
BUDGET = hypothesis.settings(
    max_examples=DEEP or 90,
    stateful_step_count=80,
    deadline=None,
    derandomize=not DEEP,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    phases=[Phase.generate, Phase.target, Phase.shrink],  # no explain phase: it costs minutes
)

LISTINGS = Path(__file__).resolve().parent.parent / "replay" / "scenarios" / "demo_listings.yaml"
BUYERS = ("6580000001", "6580000002")
TEXTS = (
    "Hi!",
    "I'm looking for a 3 bedroom condo in Tampines, budget under 1.6M",
    "Looking for an HDB in Punggol",
    "Any condo in Atlantis?",
    "Yes please, could I view it on Saturday morning?",
    "Can the owner do 1.5M?",
)
PHONE_TEXT = "Hi, Sarah here. I'll call you in a minute."
OPERATOR_TEXT = "Sarah here: the owner is reviewing offers this week."
CRASH_POINTS = ("model", "before_send", "after_send")
MAX_QUEUED = 2  # steps waiting for the next model call
WHEN = st.booleans()  # while_generating: now (False) or inside the next model call (True)
MAX_ROUNDS = 200
SETTLE_ROUNDS = 8
TRANSCRIPT_LINES = 60
WORKER_CONCURRENCY = 1
"""Turns at once. One, so that an example replays the same way every time (hypothesis needs
that to shrink it): with more, turns of two conversations interleave at the whim of thread
timing. Turns of one conversation never run at once anyway."""


def interleavings_scenario(folder: Path) -> ScenarioFile:
    setup = Setup(
        agents=[AgentSpec(persona={"assistant_name": "Ava"}, listings=str(LISTINGS))],
        echo=True,
        start=datetime(2025, 3, 3, 1, 0, tzinfo=UTC),  # 9:00 in Singapore, a Monday
    )
    scenario = Scenario(name="interleavings", setup=setup, timeline=[Step(pause=timedelta(0))])
    return ScenarioFile(path=folder / "interleavings.yaml", scenario=scenario)


class WorkerDied(BaseException):
    """The worker's process is gone at this point: nothing in the system catches it, so the
    turn is left `running` and a send in flight is left `pending`, as after a kill -9."""


class Crashes:
    """Where the current worker dies next (`armed`), and whether it has died. A dead worker
    takes no new turn, and any of its turns still going dies at its next model call or send."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.worker = runner.worker
        self.armed: str | None = None
        self.dead = False

    def at(self, point: str) -> None:
        if self.dead:
            raise WorkerDied(f"{point}: the process is already gone")
        if self.armed == point:
            self.armed, self.dead = None, True
            assert self.worker is not None
            self.worker.stop()  # the dead process starts nothing more
            self.runner.line("system", f"(the worker dies: {point.replace('_', ' ')})")
            raise WorkerDied(point)


def install_crash_points(runner: Runner, crashes: Crashes) -> None:
    """Wrap the model call and the worker's Green API calls so `crashes` can kill the worker
    there. Only the worker's client is wrapped (the operator API has its own)."""
    in_generation = runner.model.during_generation
    assert in_generation is not None

    async def during_generation() -> None:
        await in_generation()  # the `while_generating` steps (the races), off the worker's loop
        crashes.at("model")

    runner.model.during_generation = during_generation
    assert runner.worker is not None
    greenapi = runner.worker.rt.greenapi
    call: Callable[..., Awaitable[dict[str, Any]]] = greenapi.call

    async def crashing_call(instance: Any, method: str, body: dict[str, Any], **kw: Any) -> Any:
        if method != "sendMessage":
            return await call(instance, method, body, **kw)
        crashes.at("before_send")
        answer = await call(instance, method, body, **kw)
        crashes.at("after_send")  # Green API accepted it; the worker never hears the answer
        return answer

    greenapi.call = crashing_call  # type: ignore[method-assign]


class Interleavings(RuleBasedStateMachine):
    def __init__(self, settings: Settings, folder: Path) -> None:
        super().__init__()
        self.stack = ExitStack()
        try:
            sf = interleavings_scenario(folder)
            self.runner = self.stack.enter_context(open_runner(sf, settings, ScriptedProvider()))
            assert self.runner.worker is not None and self.runner.loop is not None
            self.runner.loop.set_exception_handler(_ignore_dead_workers)
            self.runner.worker.concurrency = WORKER_CONCURRENCY
            self.crashes = Crashes(self.runner)
            install_crash_points(self.runner, self.crashes)
        except BaseException:
            self.stack.close()
            raise
        self.steps = 0
        self.chats: list[str] = []  # chats with a conversation, in the order they got one
        self.failed = False

    # --- helpers -----------------------------------------------------------------------------

    # Preconditions read only the machine's own bookkeeping (`chats`, `posted`), never the
    # system's state: the system is not fully deterministic (two turns run concurrently, the
    # steps inside a model call run on a thread), and hypothesis needs the same choices to
    # enable the same rules when it replays and shrinks an example.

    def play(self, step: Step) -> None:
        """Do `step` now (its ids come from its index: every step gets a new one)."""
        self.runner.run(self.runner.do(self.next_index(), step))

    def happen(self, step: Step, while_generating: bool, chat: str | None = None) -> None:
        """Do `step` now, or inside the next model call (now, when enough wait already)."""
        if while_generating and len(self.runner.in_generation) < MAX_QUEUED:
            step = step.model_copy(update={"while_generating": True})
            self.runner.in_generation.append((self.next_index(), step))
            return
        self.play(step)
        if chat is not None and chat not in self.chats:
            self.chats.append(chat)

    def next_index(self) -> int:
        self.steps += 1
        return self.steps

    def pick_chat(self, pick: int) -> str:
        """One of the chats that has a conversation (a buyer or the phone wrote in it)."""
        return self.chats[pick % len(self.chats)]

    def pick_delivered(self, pick: int) -> str:
        """The id of a notification delivered earlier (a buyer's, the phone's, an echo)."""
        ids = list(self.runner.delivered)
        return ids[pick % len(ids)]

    async def work(self, seconds: float | None) -> None:
        """Work every turn due within `seconds` (None: until nothing is due), moving the clock,
        as `Runner.run_until` does; but stop at once when the worker dies, and look for turns
        of dead workers first (what a running worker does periodically). Green API's echoes
        of whatever was accepted arrive at the end, dead worker or not."""
        runner, clock = self.runner, self.runner.clock
        target = None if seconds is None else clock.now() + timedelta(seconds=seconds)
        if not self.crashes.dead:
            assert runner.worker is not None
            await runner.worker.recover()
            for _ in range(MAX_ROUNDS):
                await runner.worker.work_due()
                runner.harvest()
                if self.crashes.dead:
                    break
                due = next_due(runner.store)
                if due is None or (target is not None and due > target):
                    break
                clock.advance_to(due)
            else:
                raise AssertionError(f"turns still due after {MAX_ROUNDS} rounds")
        if target is not None:
            clock.advance_to(target)
        runner.echo_all()
        if not self.crashes.dead:
            assert runner.worker is not None
            await runner.worker.work_due()
        runner.harvest()

    def restart_worker(self, wait: float) -> None:
        """A new worker process, `wait` simulated seconds after the crash: the dead one's
        turn locks are gone (they expire by real time: deleted here), then recovery."""
        runner = self.runner
        runner.clock.advance(timedelta(seconds=wait))
        coordinator = runner.box.coordinator
        assert isinstance(coordinator, RedisCoordinator)
        pattern = coordinator.namespace + LOCK_PREFIX + turn_lock_name("*")  # type: ignore[arg-type]
        stale = list(coordinator.client.scan_iter(match=pattern))
        if stale:
            coordinator.client.delete(*stale)
        assert runner.worker is not None
        runner.worker = runner.new_worker(runner.worker.rt)
        runner.worker.concurrency = WORKER_CONCURRENCY
        self.crashes.worker, self.crashes.dead = runner.worker, False
        runner.line("system", f"(a new worker starts, {wait:g}s later)")
        runner.run(runner.worker.recover())

    def open_turns(self) -> int:
        with self.runner.store.read() as tx:
            return int(tx.scalar("SELECT COUNT(*) FROM turns WHERE status IN "
                                 "('pending', 'running')"))  # fmt: skip

    def settle(self) -> None:
        """Everything still queued happens, a dead worker is restarted, and every turn runs
        to its end (past leases, retries and the abandoned-send window)."""
        runner = self.runner
        waiting, runner.in_generation = runner.in_generation, []
        for index, step in waiting:  # no model call came for them: they happen now
            runner.run(runner.do(index, step))
        self.crashes.armed = None
        if self.crashes.dead:
            self.restart_worker(ABANDONED_AFTER_S + 1)
        lease = runner.settings.turn_lease_seconds
        for _ in range(SETTLE_ROUNDS):
            runner.run(self.work(None))
            if not self.open_turns():
                break
            runner.clock.advance(timedelta(seconds=ABANDONED_AFTER_S + lease + 1))
        runner.run(self.work(None))

    def fail(self, error: type[AssertionError], what: str, found: list[Any]) -> None:
        self.failed = True
        transcript = "\n".join(
            f"  {line.at:>9.3f}s {line.who:>9} {line.chat[:10]:>10} {line.text[:110]!r}"
            for line in self.runner.result.lines[-TRANSCRIPT_LINES:]
        )
        listed = "\n".join(f"  - {item}" for item in found)
        shown = f"transcript (last {TRANSCRIPT_LINES} lines)"
        raise error(f"{what}:\n{listed}\n{shown}:\n{transcript}")

    def check(self, *, settled: bool) -> None:
        runner = self.runner
        found = check_invariants(runner.store, runner.fake, runner.switches, settled=settled)
        if found:
            what = "invariants violated" + (" once everything settled" if settled else "")
            self.fail(violated(found[0].invariant), what, found)

    # --- rules -------------------------------------------------------------------------------

    # Each of the first four happens now, or `while_generating`: inside the next model call.

    @rule(buyer=st.sampled_from(BUYERS), text=st.sampled_from(TEXTS), while_generating=WHEN)
    def buyer_writes(self, buyer: str, text: str, while_generating: bool) -> None:
        message = BuyerMessage.model_validate({"text": text, "from": buyer})
        self.happen(Step(buyer=message), while_generating, chat=buyer)

    @rule(buyer=st.sampled_from(BUYERS), while_generating=WHEN)
    def phone_typing(self, buyer: str, while_generating: bool) -> None:
        self.happen(Step(phone=PhoneMessage(text=PHONE_TEXT, buyer=buyer)), while_generating,
                    chat=buyer)  # fmt: skip

    @precondition(lambda self: bool(self.chats))
    @rule(
        pick=st.integers(0, 1),
        action=st.sampled_from(["human", "ai", "send"]),
        while_generating=WHEN,
    )
    def operator(self, pick: int, action: str, while_generating: bool) -> None:
        """The operator switches the chat to HUMAN or AI, or sends as the agent (a takeover)."""
        self.happen(operator_step(self.pick_chat(pick), action), while_generating)

    @precondition(lambda self: bool(self.chats))
    @rule(
        pick=st.integers(0, 63),
        times=st.integers(1, 3),
        concurrent=st.booleans(),
        while_generating=WHEN,
    )
    def duplicate_delivery(
        self, pick: int, times: int, concurrent: bool, while_generating: bool
    ) -> None:
        again = Redelivery(id=self.pick_delivered(pick), times=times, concurrent=concurrent)
        self.happen(Step(redeliver=again), while_generating)

    @rule(
        buyer=st.sampled_from(BUYERS),
        text=st.sampled_from(TEXTS),
        how=st.sampled_from(["operator", "phone"]),
    )
    def takeover_while_replying(self, buyer: str, text: str, how: str) -> None:
        """Invariant 2's race in one step (the rules above meet it only now and then): a buyer
        writes, the agent takes the chat while the model writes the reply (through the
        operator API or from the phone), and the turn runs."""
        self.buyer_writes(buyer, text, while_generating=False)
        takeover = (
            operator_step(buyer, "human")
            if how == "operator"
            else Step(phone=PhoneMessage(text=PHONE_TEXT, buyer=buyer))
        )
        self.happen(takeover, while_generating=True)
        self.work_due_turns(2)

    @rule(seconds=st.sampled_from([2, 5, 30, 0, 1]))
    def work_due_turns(self, seconds: int) -> None:
        """Time passes and the worker works what is due (with the worker dead: nothing)."""
        self.runner.run(self.work(seconds))

    @rule(point=st.sampled_from(CRASH_POINTS), seconds=st.sampled_from([2, 30]))
    def worker_crashes_mid_turn(self, point: str, seconds: int) -> None:
        """The next turn that reaches `point` kills the worker (no turn may: then nothing)."""
        self.crashes.armed = point
        self.runner.run(self.work(seconds))
        self.crashes.armed = None

    @rule(wait=st.sampled_from(["lease", "abandoned"]))
    def worker_restarts(self, wait: str) -> None:
        """A new worker process (after a crash; or a deploy replacing a live, idle one)."""
        lease = self.runner.settings.turn_lease_seconds
        self.restart_worker(lease + 1 if wait == "lease" else ABANDONED_AFTER_S + 1)

    # --- checks ------------------------------------------------------------------------------

    @invariant()
    def invariants_hold(self) -> None:
        self.check(settled=False)
        refused = [
            f"step {w.index}: {answer}"
            for w in self.runner.windows
            for answer in w.answers
            if answer == "rejected" or (answer.isdigit() and answer != "200")
        ]
        if refused:
            self.fail(Refused, "a webhook or an operator call was refused", refused)

    def teardown(self) -> None:
        try:
            if not self.failed and sys.exc_info()[0] is None:  # not while a step's error flies
                self.settle()
                self.check(settled=True)
        finally:
            self.stack.close()


class InvariantViolated(AssertionError):
    """One class per invariant (below), so hypothesis tells them apart: it reports (and
    shrinks) a separate falsifying example for each invariant that fails."""


class Refused(AssertionError):
    """A webhook or an operator call was answered with an error."""


VIOLATIONS = {n: type(f"Invariant{n}Violated", (InvariantViolated,), {}) for n in "12345"}


def violated(invariant: str) -> type[AssertionError]:
    """`Invariant2Violated` for "2 no reply after takeover"."""
    return VIOLATIONS.get(invariant[:1], InvariantViolated)


def operator_step(chat: str, action: str) -> Step:
    operator = (
        Operator(send=OPERATOR_TEXT, buyer=chat)
        if action == "send"
        else Operator(toggle=action, reason=f"operator: {action}", buyer=chat)
    )
    return Step(operator=operator)


def _ignore_dead_workers(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A dead worker's task ends with `WorkerDied` that no one reads: not worth a log line."""
    if isinstance(context.get("exception"), WorkerDied):
        return
    loop.default_exception_handler(context)


def machine_settings(
    postgres_server: Any, redis_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    from tests.conftest import fresh_postgres_database

    monkeypatch.setattr(send_rows, "DUPLICATE_WAIT_S", 0.05)  # see the module docstring
    return load_settings(
        database_url=fresh_postgres_database(postgres_server),
        redis_url=redis_server.url,
        tmp_dir=tmp_path,
    )


def test_interleavings_keep_the_invariants(
    postgres_server: Any, redis_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = machine_settings(postgres_server, redis_server, tmp_path, monkeypatch)
    run_state_machine_as_test(  # type: ignore[no-untyped-call]
        lambda: Interleavings(settings, tmp_path), settings=BUDGET
    )


# Falsifying examples the machine found (shrunk), replayed as they were printed: a fixed budget
# samples a few thousand interleavings per run and may not meet one again. To add one, paste
# the `state.<rule>(...)` lines of hypothesis's output (without `invariants_hold`/`teardown`).
FOUND = {
    "no follow-up ladder after a takeover during a redone turn (invariant 5)": """
    state.buyer_writes(buyer='6580000001', text='Hi!', while_generating=False)
    state.worker_crashes_mid_turn(point='after_send', seconds=2)
    state.worker_restarts(wait='lease')
    state.operator(pick=0, action='human', while_generating=True)
    state.worker_crashes_mid_turn(point='after_send', seconds=2)
""",
    "a handoff left pending by a crash is sent when the turn is redone (invariant 4)": """
    state.buyer_writes(buyer='6580000001', text='Can the owner do 1.5M?', while_generating=False)
    state.worker_crashes_mid_turn(point='before_send', seconds=2)
    state.worker_restarts(wait='lease')
""",
    "a handoff left pending by a crash is sent when the buyer wrote again (invariant 4)": """
    state.buyer_writes(buyer='6580000002', text='Can the owner do 1.5M?', while_generating=False)
    state.worker_crashes_mid_turn(point='before_send', seconds=2)
    state.buyer_writes(buyer='6580000002', text='Hi!', while_generating=False)
""",
    "no resumed handoff once the agent wrote from the phone (invariant 2)": """
    state.buyer_writes(buyer='6580000001', text='Can the owner do 1.5M?', while_generating=False)
    state.worker_crashes_mid_turn(point='before_send', seconds=2)
    state.phone_typing(buyer='6580000001', while_generating=False)
""",
    "no resumed handoff once the operator asked for HUMAN (invariant 2)": """
    state.buyer_writes(buyer='6580000001', text='Can the owner do 1.5M?', while_generating=False)
    state.worker_crashes_mid_turn(point='before_send', seconds=2)
    state.operator(pick=0, action='human', while_generating=False)
    state.worker_restarts(wait='lease')
""",
    "a redone turn does not count its failed search again (invariant 1)": """
    state.buyer_writes(buyer='6580000002', text='Any condo in Atlantis?', while_generating=False)
    state.worker_crashes_mid_turn(point='before_send', seconds=2)
    state.worker_restarts(wait='abandoned')
    state.worker_crashes_mid_turn(point='after_send', seconds=30)
""",
}


OPEN: dict[str, str] = {}
"""Found by this machine, not fixed yet: name -> why. Marked strict xfail, so a fix that makes
one pass fails the run until its entry is removed. (Empty: every case found is fixed.)"""


def found_cases() -> list[Any]:
    return [
        pytest.param(steps, id=name, marks=[pytest.mark.xfail(strict=True, reason=OPEN[name])])
        if name in OPEN else pytest.param(steps, id=name)
        for name, steps in FOUND.items()
    ]  # fmt: skip


@pytest.mark.parametrize("steps", found_cases())
def test_interleavings_found_before(
    steps: str,
    postgres_server: Any,
    redis_server: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = machine_settings(postgres_server, redis_server, tmp_path, monkeypatch)
    state = Interleavings(settings, tmp_path)
    try:
        state.invariants_hold()
        for line in filter(None, (line.strip() for line in steps.splitlines())):
            exec(line, {"state": state})  # one step, as hypothesis printed it
            state.invariants_hold()
    finally:
        state.teardown()  # settles and checks everything (unless a step failed already)
