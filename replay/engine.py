"""Play one scenario through the real system and judge it.

The webhook server is `serve.create_app` in process (intake only, as under `wa worker`), driven
over ASGI with real HTTP semantics; turns are worked by the real `TurnWorker`; sends go through
the real Green API client to a loopback fake Green API; time is simulated (execution/clock.py),
so debounce windows, leases and a 7-day follow-up ladder take no real time. Steps run in time
order; before each step, every turn due by then runs (the clock jumps to each due time).

What the buyer receives is read off the fake Green API's wire; modes, escalations, follow-ups,
viewings and turns off the database. After every scenario the invariants of DESIGN.md are
checked as well (replay/invariants.py), whatever the scenario expects.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml
from fastapi.testclient import TestClient
from pydantic import SecretStr

from execution.agents import Persona, add_agent, set_phone_takeover
from execution.clock import SimulatedClock, simulated
from execution.greenapi import GreenApiClient
from execution.property_import import import_properties
from execution.runtime import Runtime
from execution.settings import Settings
from execution.store import Store
from execution.turn_queue import next_due
from execution.webhook.notification import message_text
from orchestrator.providers.base import Provider
from orchestrator.worker import TurnWorker
from replay import payloads
from replay.expectations import Failure, Observed, evaluate, summarize
from replay.fake_greenapi import FakeGreenApi, Recorded, Scripted
from replay.invariants import Switch, check_invariants
from replay.model import ScenarioModel
from replay.observe import LATE_PREFIX, Observer
from replay.sandbox import Sandbox, sandbox
from replay.scenario import ACTIONS, AgentSpec, Expect, ScenarioFile, Step, scenario_start
from serve import create_app

T = TypeVar("T")
MAX_SETTLE_ROUNDS = 500
SEND_TIMEOUT_S = 0.5
"""The Green API client's timeout in a replay: a scripted timeout costs this much real time."""


@dataclass
class Line:
    """One line of the transcript."""

    at: float  # simulated seconds since the scenario started
    who: str  # buyer | assistant | human | system | tool | check
    text: str
    chat: str = ""
    ok: bool | None = None


@dataclass
class Result:
    file: str
    name: str
    failures: list[Failure] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    database: str = ""
    model_calls: int = 0
    error: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "name": self.name,
            "passed": self.passed,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "database": self.database,
            "model_calls": self.model_calls,
            "stats": self.stats,
            "failures": [f.to_json() for f in self.failures],
            "transcript": [
                {
                    "at": ln.at,
                    "who": ln.who,
                    "text": ln.text,
                    "chat": ln.chat,
                    **({"ok": ln.ok} if ln.ok is not None else {}),
                }
                for ln in self.lines
            ],
        }


@dataclass
class AgentHandle:
    spec: AgentSpec
    agent_id: int
    instance: str
    wid: str
    webhook_token: str
    api_token: str


@dataclass
class Window:
    """What one step is judged on: everything from its start to the next step's start."""

    index: int
    step: Step
    agent: AgentHandle
    chat: str
    fake_start: int
    event_start: int
    answers: list[str] = field(default_factory=list)
    closed: bool = False


def describe(index: int, step: Step) -> str:
    """`step 3 (buyer: "Can the owner do 1.5M?")`: how failures name a step."""
    value: Any = getattr(step, step.action)
    if step.action in ("buyer", "phone"):
        value = value.text if value.text is not None else value.type
    elif step.action == "operator":
        value = f"toggle {value.toggle}" if value.toggle else f"send {value.send!r}"
    elif step.action in ("redeliver",):
        value = value.id
    elif step.action == "pause":
        value = _duration(value)
    elif step.action == "deliver":
        value = value.fixture or value.payload.get("typeWebhook", "payload")
    elif not isinstance(value, str):
        value = ", ".join(f"{k}={v}" for k, v in value.model_dump(exclude_defaults=True).items())
    text = str(value)
    return f'step {index + 1} ({step.action}: "{text[:60]}")'


def _duration(value: timedelta) -> str:
    seconds = value.total_seconds()
    if seconds >= 86400 and seconds % 86400 == 0:
        return f"{seconds / 86400:g}d"
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    return f"{seconds:g}s"


class Runner:
    def __init__(
        self,
        sf: ScenarioFile,
        settings: Settings,
        box: Sandbox,
        provider: Provider,
        fake: FakeGreenApi,
        clock: SimulatedClock,
    ) -> None:
        self.sf = sf
        self.scenario = sf.scenario
        self.settings = settings
        self.box = box
        self.store: Store = box.store
        self.fake = fake
        self.clock = clock
        self.started = clock.now()
        self.model = ScenarioModel(provider, during_generation=self._during_generation)
        self.result = Result(str(sf.path), sf.scenario.name, database=box.database)
        self.agents: list[AgentHandle] = []
        self.delivered: dict[str, tuple[AgentHandle, dict[str, Any]]] = {}
        self.held: dict[str, tuple[AgentHandle, dict[str, Any]]] = {}
        self.windows: list[Window] = []
        self.in_generation: list[tuple[int, Step]] = []
        self.switches: list[Switch] = []
        self.answers: dict[str, int] = {}
        self.observer = Observer(box.store, fake)
        self.echoed: set[str] = set()
        self.client: TestClient | None = None
        self.worker: TurnWorker | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the runner's event loop (the worker's tasks and clients live there)."""
        assert self.loop is not None
        return self.loop.run_until_complete(work)

    def new_worker(self, rt: Runtime) -> TurnWorker:
        """A turn worker as a newly started process would have (a fresh owner id)."""
        return TurnWorker(
            rt,
            self.model,
            only_process=not self.box.distributed,
            owner=f"replay:{secrets.token_hex(4)}",
        )

    # --- setup -------------------------------------------------------------------------------

    def setup_agents(self) -> None:
        for n, spec in enumerate(self.scenario.setup.agents):
            instance = spec.instance_id or str(7700000001 + n)
            api_token, webhook_token = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
            agent = add_agent(
                self.store,
                name=spec.name,
                instance_id=instance,
                api_token=api_token,
                webhook_token=webhook_token,
                number=spec.number,
                api_url=self.fake.url,
                timezone=spec.timezone,
                persona=Persona.model_validate(spec.persona),
            )
            if not spec.phone_takeover:
                set_phone_takeover(self.store, agent.agent_id, False)
            self.fake.instances[instance] = api_token
            handle = AgentHandle(
                spec,
                agent.agent_id,
                instance,
                f"{agent.whatsapp_number}@c.us",
                webhook_token,
                api_token,
            )
            self.agents.append(handle)
            if spec.listings is not None:
                self._import(handle, spec.listings)

    def _import(self, agent: AgentHandle, listings: str | list[dict[str, Any]]) -> None:
        if isinstance(listings, str):
            import_properties(self.store, agent.agent_id, self.sf.resolve(listings))
            return
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "listings.yaml"
            path.write_text(yaml.safe_dump(listings, allow_unicode=True), "utf-8")
            import_properties(self.store, agent.agent_id, path)

    def agent(self, name: str | None) -> AgentHandle:
        if name is None:
            return self.agents[0]
        for handle in self.agents:
            if name in (handle.spec.name, handle.instance):
                return handle
        raise ScenarioError(f"no agent {name!r} in the setup")

    def agent_of_instance(self, instance: str) -> AgentHandle | None:
        return next((a for a in self.agents if a.instance == instance), None)

    # --- the clock ---------------------------------------------------------------------------

    def offset(self) -> float:
        return (self.clock.now() - self.started).total_seconds()

    async def run_until(self, target: datetime | None) -> None:
        """Work every turn due up to `target` (None: until no turn is left), moving the clock."""
        assert self.worker is not None
        for _ in range(MAX_SETTLE_ROUNDS):
            await self.worker.work_due()
            self.harvest()
            due = next_due(self.store)
            if due is None or (target is not None and due > target):
                break
            self.clock.advance_to(due)
        else:
            raise ScenarioError(f"turns still due after {MAX_SETTLE_ROUNDS} rounds")
        if target is not None:
            self.clock.advance_to(target)
        if self.scenario.setup.echo:
            self.echo_all()
            await self.worker.work_due()
            self.harvest()

    # --- steps -------------------------------------------------------------------------------

    async def play(self) -> None:
        timeline = self.scenario.timeline
        for index, step in enumerate(timeline):
            if step.while_generating:
                self.in_generation.append((index, step))
                continue
            gap = self.scenario.setup.gap if index else timedelta(0)
            await self.run_until(self.clock.now() + (step.after if step.after is not None else gap))
            self.close_window()
            self.fail_unrun_generation_steps(index)
            await self.do(index, step)
        await self.run_until(None)
        self.close_window()
        self.fail_unrun_generation_steps(len(timeline))

    def fail_unrun_generation_steps(self, before: int) -> None:
        for index, step in self.in_generation:
            self.result.failures.append(
                Failure(
                    describe(index, step),
                    "while_generating",
                    "to run during a model call",
                    f"no model call happened before step {before + 1}",
                )
            )
        self.in_generation.clear()

    async def _during_generation(self) -> None:
        """The `while_generating` steps, inside a model call. They stand for other processes (a
        webhook, the operator, the agent's phone) and make blocking calls (a takeover waits for
        the conversation's send guard), so they run on a thread and event loop of their own:
        the worker's loop goes on meanwhile, and another turn holding a guard can finish."""
        waiting, self.in_generation = self.in_generation, []
        if waiting:
            await asyncio.to_thread(asyncio.run, self._do_each(waiting))

    async def _do_each(self, steps: list[tuple[int, Step]]) -> None:
        for index, step in steps:
            self.close_window()
            await self.do(index, step)

    def open_window(self, index: int, step: Step, agent: AgentHandle, chat: str) -> Window:
        self.harvest()
        window = Window(
            index, step, agent, chat, len(self.fake.requests), self.observer.last_event()
        )
        self.windows.append(window)
        return window

    def close_window(self) -> None:
        """Judge every step whose window ends now (a step and the `while_generating` steps
        that ran inside it)."""
        self.harvest()
        for window in self.windows:
            if window.closed:
                continue
            window.closed = True
            where = describe(window.index, window.step)
            expected = window.step.expect.webhook if window.step.expect else None
            if "rejected" in window.answers and expected != "rejected":
                self._checked(
                    [
                        Failure(
                            where, "webhook", "every delivery accepted", ", ".join(window.answers)
                        )
                    ]
                )
            if window.step.expect is not None:
                observed = self.observe(
                    window.agent, window.chat, window.fake_start, window.event_start, window.answers
                )
                self._checked(evaluate(where, window.step.expect, observed), window.step.expect)

    def _checked(
        self, failures: list[Failure], expect: Expect | None = None, final: bool = False
    ) -> None:
        self.result.failures.extend(failures)
        for failure in failures:
            self.line("check", failure.headline, ok=False)
        if not failures and expect is not None:
            self.line("check", ("at the end: " if final else "") + summarize(expect), ok=True)

    async def do(self, index: int, step: Step) -> None:
        await _STEP_HANDLERS[step.action](self, index, step)

    async def do_pause(self, index: int, step: Step) -> None:
        window = self.open_window(index, step, self.agents[0], self.default_chat())
        assert step.pause is not None
        self.line("system", f"(time passes: {_duration(step.pause)})", window.chat)
        await self.run_until(self.clock.now() + step.pause)

    async def do_echo(self, index: int, step: Step) -> None:
        self.open_window(index, step, self.agents[0], self.default_chat())
        self.echo_all() if step.echo == "all" else self.echo_last()

    async def do_greenapi(self, index: int, step: Step) -> None:
        fault = step.greenapi
        assert fault is not None
        self.open_window(index, step, self.agents[0], self.default_chat())
        self.fake.script(fault.method, *[_fault_answer(fault.fail) for _ in range(fault.times)])
        self.line(
            "system",
            f"(Green API will answer {fault.fail} to the next {fault.times} "
            f"{fault.method} call(s))",
        )

    async def do_model(self, index: int, step: Step) -> None:
        fault = step.model
        assert fault is not None
        self.open_window(index, step, self.agents[0], self.default_chat())
        if fault.says is not None:
            self.model.say(fault.says, fault.times)
            self.line("system", f"(the model will say {fault.says!r})")
        else:
            assert fault.fail is not None
            self.model.fail(fault.fail, fault.times)
            self.line("system", f"(the model will fail: {fault.fail} x{fault.times})")

    def default_chat(self) -> str:
        return payloads.chat_id(self.scenario.setup.buyer.phone)

    async def do_buyer(self, index: int, step: Step) -> None:
        message = step.buyer
        assert message is not None
        agent = self.agent(message.to)
        setup = self.scenario.setup.buyer
        chat = payloads.chat_id(message.from_ or setup.phone)
        name = message.name or (setup.name if chat == self.default_chat() else "Buyer")
        try:
            data = payloads.message_data(message.type, message.text, message.caption)
        except ValueError as exc:
            raise ScenarioError(f"{describe(index, step)}: {exc}") from None
        payload = payloads.incoming(
            instance=agent.instance,
            wid=agent.wid,
            chat=chat,
            name=name,
            id_message=message.id or f"RPL{index + 1:04d}",
            at=self.clock.now(),
            data=data,
        )
        window = self.open_window(index, step, agent, chat)
        said = (
            message.text
            if message.type == "textMessage"
            else f"[{message.type}] {message.text or message.caption or ''}".strip()
        )
        if step.hold:
            self.held[payload["idMessage"]] = (agent, payload)
            self.line("system", f"(Green API holds back {payload['idMessage']}: {said})", chat)
            return
        self.line("buyer", said or "", chat)
        self.post(agent, payload, window)

    async def do_deliver(self, index: int, step: Step) -> None:
        delivery = step.deliver
        assert delivery is not None
        raw = (
            delivery.payload
            if delivery.payload is not None
            else self.sf.fixture(delivery.fixture or "")
        )
        payload = json.loads(json.dumps(raw))
        body = (
            payload["body"]
            if "receiptId" in payload and isinstance(payload.get("body"), dict)
            else payload
        )
        instance = str(body.get("instanceData", {}).get("idInstance", ""))
        agent = (
            self.agent(delivery.agent)
            if delivery.agent
            else self.agent_of_instance(instance) or self.agents[0]
        )
        if isinstance(body.get("instanceData"), dict):
            body["instanceData"]["idInstance"] = int(agent.instance)
        chat = str(
            body.get("senderData", {}).get("chatId") or body.get("chatId") or self.default_chat()
        )
        window = self.open_window(index, step, agent, chat)
        signer = self.agent(delivery.token_of) if delivery.token_of else agent
        kind = f"{body.get('typeWebhook')}/{body.get('messageData', {}).get('typeMessage', '-')}"
        key = str(body.get("idMessage") or f"DELIVERY{index + 1}")
        if step.hold:
            self.held[key] = (agent, payload)
            self.line("system", f"(Green API holds back {key}: {kind})", chat)
            return
        text = payloads_text(body)
        self.line(
            "buyer" if body.get("typeWebhook") == "incomingMessageReceived" else "system",
            f"[{kind}] {text}".strip(),
            chat,
        )
        self.post(agent, payload, window, key=key, signer=signer)

    async def do_redeliver(self, index: int, step: Step) -> None:
        again = step.redeliver
        assert again is not None
        if again.id not in self.delivered:
            raise ScenarioError(f"{describe(index, step)}: nothing was delivered as {again.id!r}")
        agent, payload = self.delivered[again.id]
        window = self.open_window(index, step, agent, _chat_of(payload, self.default_chat()))
        how = "at once" if again.concurrent else "one after another"
        self.line(
            "system", f"(Green API delivers {again.id} again, {again.times}x {how})", window.chat
        )
        if again.concurrent and again.times > 1:
            with ThreadPoolExecutor(max_workers=min(again.times, 32)) as pool:
                list(
                    pool.map(
                        lambda _: self.post(agent, payload, window, key=again.id),
                        range(again.times),
                    )
                )
        else:
            for _ in range(again.times):
                self.post(agent, payload, window, key=again.id)

    async def do_release(self, index: int, step: Step) -> None:
        assert step.release is not None
        if step.release not in self.held:
            raise ScenarioError(f"{describe(index, step)}: nothing is held as {step.release!r}")
        agent, payload = self.held.pop(step.release)
        chat = _chat_of(payload, self.default_chat())
        window = self.open_window(index, step, agent, chat)
        self.line("buyer", f"(late) {payloads_text(_body(payload))}", chat)
        self.post(agent, payload, window, key=step.release)

    async def do_operator(self, index: int, step: Step) -> None:
        action = step.operator
        assert action is not None and self.client is not None
        agent = self.agent(action.agent)
        chat = payloads.chat_id(action.buyer or self.scenario.setup.buyer.phone)
        window = self.open_window(index, step, agent, chat)
        conversation = self.conversation_id(agent, chat)
        if conversation is None:
            raise ScenarioError(f"{describe(index, step)}: no conversation with {chat} yet")
        headers = {"Authorization": f"Bearer {self._admin_token()}"}
        if action.toggle is not None:
            mode = action.toggle.upper()
            self.line("system", f"operator switches the chat to {mode} ({action.reason})", chat)
            answer = self.client.post(
                "/api/conversations/toggle-mode",
                headers=headers,
                json={"conversation_id": conversation, "mode": mode, "reason": action.reason},
            )
            if mode == "HUMAN" and answer.status_code == 200:
                self.switches.append(Switch(conversation, "HUMAN", time.monotonic()))
            elif answer.status_code == 200:
                self.switches.append(Switch(conversation, "AI", time.monotonic()))
        else:
            self.line("human", f"(operator API) {action.send}", chat)
            answer = self.client.post(
                f"/api/conversations/{conversation}/messages",
                headers=headers,
                json={"text": action.send, "idempotency_key": f"replay:{index}"},
            )
            if answer.status_code == 200:
                self.switches.append(Switch(conversation, "HUMAN", time.monotonic()))
        window.answers.append(str(answer.status_code))
        if answer.status_code != 200:
            self.line("system", f"operator API answered {answer.status_code}: {answer.text}", chat)

    async def do_phone(self, index: int, step: Step) -> None:
        message = step.phone
        assert message is not None
        agent = self.agent(message.agent)
        chat = payloads.chat_id(message.buyer or self.scenario.setup.buyer.phone)
        window = self.open_window(index, step, agent, chat)
        payload = self._outgoing(
            "outgoingMessageReceived", agent, chat, f"PHONE{index + 1:04d}", message.text
        )
        self.line("human", f"(typed on the phone) {message.text}", chat)
        status = self.post(agent, payload, window)
        conversation = self.conversation_id(agent, chat)
        if status == "stored" and agent.spec.phone_takeover and conversation is not None:
            self.switches.append(Switch(conversation, "HUMAN", time.monotonic()))

    async def do_status(self, index: int, step: Step) -> None:
        update = step.status
        assert update is not None
        sends = self.accepted_sends()
        target = (
            sends[-1]
            if update.of == "last" and sends
            else next((r for r in sends if r.id_message == update.of), None)
        )
        if target is None:
            raise ScenarioError(f"{describe(index, step)}: no sent message {update.of!r}")
        agent = self.agent_of_instance(target.instance) or self.agents[0]
        chat = str(target.body.get("chatId"))
        window = self.open_window(index, step, agent, chat)
        payload = payloads.status(
            instance=agent.instance,
            wid=agent.wid,
            chat=chat,
            id_message=str(target.id_message),
            at=self.clock.now(),
            value=update.status,
        )
        self.line("system", f"(Green API: message {target.id_message} {update.status})", chat)
        self.post(agent, payload, window)

    def accepted_sends(self) -> list[Recorded]:
        return [r for r in self.fake.sent("sendMessage") if r.id_message]

    def echo_last(self) -> None:
        sends = self.accepted_sends()
        if sends:
            self._echo(sends[-1])

    def echo_all(self) -> None:
        for record in self.accepted_sends():
            if record.id_message not in self.echoed:
                self._echo(record)

    def _outgoing(
        self, kind: str, agent: AgentHandle, chat: str, id_message: str, text: str
    ) -> dict[str, Any]:
        """A message from the agent's side: typed on the phone, or the echo of our send."""
        return payloads.outgoing(
            kind,
            instance=agent.instance,
            wid=agent.wid,
            chat=chat,
            name=self.scenario.setup.buyer.name,
            agent_name=agent.spec.name,
            id_message=id_message,
            at=self.clock.now(),
            text=text,
        )

    def _echo(self, record: Recorded) -> None:
        assert record.id_message is not None
        self.echoed.add(record.id_message)
        agent = self.agent_of_instance(record.instance) or self.agents[0]
        chat = str(record.body.get("chatId"))
        payload = self._outgoing(
            "outgoingAPIMessageReceived",
            agent,
            chat,
            record.id_message,
            str(record.body.get("message", "")),
        )
        window = self.windows[-1] if self.windows else None
        self.line("system", f"(Green API echoes our message {record.id_message})", chat)
        self.post(agent, payload, window)

    # --- the webhook -------------------------------------------------------------------------

    def post(
        self,
        agent: AgentHandle,
        payload: dict[str, Any],
        window: Window | None,
        key: str | None = None,
        signer: AgentHandle | None = None,
    ) -> str:
        """Deliver `payload` as Green API would, with the webhook token of `signer` (default:
        the agent it is for); return the answer's status (`rejected` for any non-200)."""
        assert self.client is not None
        token = (signer or agent).webhook_token
        answer = self.client.post(
            "/webhook/greenapi", json=payload, headers={"Authorization": f"Bearer {token}"}
        )
        if answer.status_code == 200:
            status = str(answer.json().get("status"))
        else:
            status = "rejected"
            self.line("system", f"webhook answered {answer.status_code}: {answer.text[:200]}")
        self.answers[status] = self.answers.get(status, 0) + 1
        if window is not None:
            window.answers.append(status)
        self.delivered.setdefault(key or str(_body(payload).get("idMessage")), (agent, payload))
        return status

    def conversation_id(self, agent: AgentHandle, chat: str) -> int | None:
        with self.store.read() as tx:
            found = tx.scalar(
                "SELECT conversation_id FROM conversations WHERE agent_id = :a AND chat_id = :c",
                {"a": agent.agent_id, "c": chat},
            )
        return None if found is None else int(found)

    # --- what happened -----------------------------------------------------------------------

    def line(self, who: str, text: str, chat: str = "", ok: bool | None = None) -> None:
        self.result.lines.append(Line(round(self.offset(), 3), who, text, chat, ok))

    def harvest(self) -> None:
        """Add to the transcript what the system did since the last look."""
        for who, text, chat in self.observer.harvest():
            self.line(who, text, chat)

    def observe(
        self, agent: AgentHandle, chat: str, fake_start: int, event_start: int, answers: list[str]
    ) -> Observed:
        conversation = self.conversation_id(agent, chat)
        return self.observer.observe(
            agent.agent_id, agent.instance, conversation, chat, fake_start, event_start, answers
        )

    def final_checks(self) -> None:
        for expect in self.scenario.final_expectations:
            agent = self.agent(expect.agent)
            chat = payloads.chat_id(expect.buyer or self.scenario.setup.buyer.phone)
            observed = self.observe(agent, chat, 0, 0, [])
            self._checked(evaluate("at the end", expect, observed), expect, final=True)
        violations = check_invariants(self.store, self.fake, self.switches)
        for violation in violations:
            self.result.failures.append(
                Failure("invariant", violation.invariant, "to hold", violation.detail)
            )
            self.line("check", f"invariant {violation.invariant}: {violation.detail}", ok=False)
        self.result.stats = self.observer.stats(self.answers)

    def _admin_token(self) -> str:
        token = self.settings.admin_token
        assert token is not None
        return token.get_secret_value()


class ScenarioError(Exception):
    """The scenario cannot be played as written (not an expectation that failed)."""


_STEP_HANDLERS: dict[str, Callable[[Runner, int, Step], Awaitable[None]]] = {
    "buyer": Runner.do_buyer,
    "deliver": Runner.do_deliver,
    "redeliver": Runner.do_redeliver,
    "release": Runner.do_release,
    "pause": Runner.do_pause,
    "operator": Runner.do_operator,
    "phone": Runner.do_phone,
    "echo": Runner.do_echo,
    "status": Runner.do_status,
    "greenapi": Runner.do_greenapi,
    "model": Runner.do_model,
}
"""What each kind of step does (scenario.ACTIONS: one handler each)."""
assert set(_STEP_HANDLERS) == set(ACTIONS), "a step kind without a handler"


def _body(payload: dict[str, Any]) -> dict[str, Any]:
    body = payload.get("body")
    return body if "receiptId" in payload and isinstance(body, dict) else payload


def _chat_of(payload: dict[str, Any], default: str) -> str:
    body = _body(payload)
    return str(body.get("senderData", {}).get("chatId") or body.get("chatId") or default)


def payloads_text(body: dict[str, Any]) -> str:
    return message_text(body.get("messageData")) or ""


def _fault_answer(fail: int | str) -> Scripted:
    if fail == "timeout":
        return Scripted(504, {"message": "timeout"}, delay=SEND_TIMEOUT_S * 2)
    if fail == "timeout_after_send":
        answer = {"idMessage": f"{LATE_PREFIX}{secrets.token_hex(8).upper()}"}
        return Scripted(200, answer, delay=SEND_TIMEOUT_S * 2)
    if fail == 429:
        return Scripted(429, {"message": "Too Many Requests"}, headers={"Retry-After": "0"})
    return Scripted(int(fail), {"message": "server error"})


@contextmanager
def _serving(settings: Settings, box: Sandbox) -> Iterator[TestClient]:
    app = create_app(settings, store=box.store, coordinator=box.coordinator, work_turns=False)
    with TestClient(app) as client:
        yield client


@contextmanager
def open_runner(sf: ScenarioFile, settings: Settings, provider: Provider) -> Iterator[Runner]:
    """A runner with everything set up and nothing played yet: its sandbox, fake Green API,
    simulated clock, agents, in-process server and turn worker. Drive it with `runner.run(...)`
    (one event loop for the runner's life); everything is torn down on exit."""
    settings = settings.model_copy(
        update={
            "debounce_seconds": sf.scenario.setup.debounce.total_seconds(),
            "admin_token": settings.admin_token or SecretStr(secrets.token_urlsafe(24)),
            # the fake's journal shows a send at once: a send in doubt is resolved quickly
            "greenapi_journal_lag_seconds": min(settings.greenapi_journal_lag_seconds, 0.3),
        }
    )
    with ExitStack() as stack:
        box = stack.enter_context(sandbox(settings, Path(sf.path).stem))
        fake = stack.enter_context(FakeGreenApi({}))
        clock = stack.enter_context(simulated(scenario_start(sf.scenario.setup)))
        runner = Runner(sf, settings, box, provider, fake, clock)
        loop = asyncio.new_event_loop()
        stack.callback(loop.close)
        runner.loop = loop
        runner.setup_agents()
        runner.client = stack.enter_context(_serving(settings, box))
        http = httpx.AsyncClient(timeout=httpx.Timeout(SEND_TIMEOUT_S))
        stack.callback(lambda: loop.run_until_complete(http.aclose()))
        greenapi = GreenApiClient(http, attempts=4, backoff_initial=0.001, backoff_max=0.01)
        rt = Runtime(settings, box.store, box.coordinator, greenapi)
        runner.worker = runner.new_worker(rt)
        yield runner


def run_scenario(sf: ScenarioFile, settings: Settings, provider: Provider) -> Result:
    """Play `sf` on a fresh sandbox of the configured backends; never raises for the scenario's
    own problems (they are in the result)."""
    began = time.perf_counter()
    result = Result(str(sf.path), sf.scenario.name)
    try:
        with open_runner(sf, settings, provider) as runner:
            result = runner.result
            runner.run(runner.play())
            runner.final_checks()
            result.model_calls = runner.model.calls
    except ScenarioError as exc:
        result.error = str(exc)
    result.seconds = time.perf_counter() - began
    return result
