"""Issue 15: fuzzing with a fixed budget, on both backends. Green API payloads (every fixture
type: ours and Green API's published ones) mutated by hypothesis: wrong types, missing and
extra fields, huge strings, deep nesting, lone surrogates, NUL bytes, invalid UTF-8, cut
bodies, wrong tokens. And schemathesis over the operator API's OpenAPI schema, valid and
invalid requests. Nothing answers 500 (a 503 only with its JSON body, when storage is down,
which it never is here) and nothing logs a traceback.

The CI budget is fixed and derandomized; a deeper run by hand:

    WA_FUZZ_EXAMPLES=2000 python3 -m pytest tests/test_fuzz.py -q
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st

from execution.conversations import find_or_create_conversation
from execution.coordination import Coordinator
from execution.settings import load_settings
from execution.store import Store
from replay.fake_greenapi import FakeGreenApi
from serve import create_app
from tests.webhooks import (
    OWN_FIXTURES,
    agent_for,
    bearer,
    instance_of,
    shared_fixtures,
)

ADMIN = "admin-token-for-fuzzing-0123456789"
DEEP = int(os.environ.get("WA_FUZZ_EXAMPLES") or 0)
BUDGET = hypothesis.settings(
    max_examples=DEEP or 150,
    deadline=None,
    derandomize=not DEEP,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],  # a failure is reported as found: no shrinking
)
API_BUDGET = hypothesis.settings(BUDGET, max_examples=DEEP or 40)

FIXTURES: list[Path] = sorted(OWN_FIXTURES.glob("*.json")) + shared_fixtures()
PAYLOADS = [json.loads(path.read_text(encoding="utf-8")) for path in FIXTURES]


def _instance(payload: dict[str, Any]) -> str | None:
    try:
        return instance_of(payload)
    except (KeyError, TypeError):
        return None


class Traceback(logging.Handler):
    """Collects every log record that carries an exception (a traceback in the log)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.seen.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture
def tracebacks() -> Iterator[Traceback]:
    handler = Traceback()
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)


@pytest.fixture
def app_client(backend: tuple[Store, Coordinator]) -> Iterator[tuple[TestClient, Store]]:
    store, coordinator = backend
    instances = {i for p in PAYLOADS if (i := _instance(p))} | {"7700000001"}
    with FakeGreenApi(dict.fromkeys(instances, "api-token-secret")) as fake:
        for instance in instances:
            agent_for(store, instance, api_url=fake.url)
        yield from _serving(store, coordinator)


def _serving(store: Store, coordinator: Coordinator) -> Iterator[tuple[TestClient, Store]]:
    unlimited = {
        f"rate_limit_{scope}": "off"
        for scope in (
            "webhook_per_address",
            "webhook_per_agent",
            "api_per_address",
            "api_per_agent",
        )
    }
    settings = load_settings(debounce_seconds=0, admin_token=ADMIN, **unlimited)  # fmt: skip
    app = create_app(settings, store=store, coordinator=coordinator, work_turns=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, store


# --- Green API payloads, mutated ------------------------------------------------------------

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.just("\ud800"),
    st.just("a\x00b"),
    st.just("\udfff\ud800 pair reversed"),
    st.integers(1_000, 300_000).map(lambda n: "x" * n),
)
JSON_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | HOSTILE_TEXT,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside `value` (keys and list indexes)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: _replace(v, rest, new) if k == head else v for k, v in value.items()}
    return [_replace(v, rest, new) if i == head else v for i, v in enumerate(value)]


def _delete(value: Any, path: tuple[Any, ...]) -> Any:
    head, rest = path[0], path[1:]
    if rest:
        if isinstance(value, dict):
            return {k: _delete(v, rest) if k == head else v for k, v in value.items()}
        return [_delete(v, rest) if i == head else v for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != head}
    return [v for i, v in enumerate(value) if i != head]


NEST = "wa-fuzz-nest-{depth}"
"""A placeholder for JSON nested `depth` deep, put in after serializing (json.dumps recurses)."""


def _unnest(body: bytes) -> bytes:
    for depth in (30, 200, 5_000):
        placeholder = json.dumps(NEST.format(depth=depth)).encode()
        body = body.replace(placeholder, b'{"d":' * depth + b'"bottom"' + b"}" * depth)
    return body


@st.composite
def mutated_payloads(draw: st.DrawFn) -> bytes:
    """A fixture with one to three mutations, serialized; sometimes broken as bytes too."""
    payload: Any = draw(st.sampled_from(PAYLOADS))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(payload)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "add", "nest", "text"]))
        if action == "replace":
            payload = _replace(payload, path, draw(JSON_VALUE))
        elif action == "delete" and path:
            payload = _delete(payload, path)
        elif action == "add":
            target = draw(st.sampled_from([p for p in paths if _is_dict(payload, p)] or [()]))
            extra = {draw(st.text(min_size=1, max_size=12)): draw(JSON_VALUE)}
            if _is_dict(payload, target):
                payload = _replace(payload, target, _at(payload, target) | extra)
        elif action == "nest":
            depth = draw(st.sampled_from([30, 200, 5_000]))
            payload = _replace(payload, path, NEST.format(depth=depth))
        else:
            payload = _replace(payload, path, draw(HOSTILE_TEXT))
    body = json.dumps(payload, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    body = _unnest(body)
    broken = draw(st.sampled_from(["none", "none", "none", "cut", "bad-utf8", "nul"]))
    if broken == "cut":
        body = body[: draw(st.integers(0, max(0, len(body) - 1)))]
    elif broken == "bad-utf8":
        at = draw(st.integers(0, len(body)))
        body = body[:at] + b"\xff\xfe\xc3" + body[at:]
    elif broken == "nul":
        body = body.replace(b'"', b'"\x00', 1)
    return body


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _is_dict(value: Any, path: tuple[Any, ...]) -> bool:
    return isinstance(_at(value, path), dict)


def _acceptable(status: int, body: bytes) -> bool:
    if status < 500:
        return True
    try:  # a deliberate 503 (storage unavailable) says so; anything else >= 500 is a bug
        return status == 503 and "error" in json.loads(body)
    except ValueError:
        return False


def test_mutated_green_api_payloads_never_get_a_500_or_a_traceback(
    app_client: tuple[TestClient, Store], tracebacks: Traceback
) -> None:
    client, _ = app_client
    statuses: dict[int, int] = {}

    @BUDGET
    @given(body=mutated_payloads(), token=st.sampled_from(["right", "right", "right", "wrong"]))
    def post(body: bytes, token: str) -> None:
        headers = bearer() if token == "right" else bearer("wrong-token")
        answer = client.post(
            "/webhook/greenapi",
            content=body,
            headers=headers | {"content-type": "application/json"},
        )
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        assert _acceptable(answer.status_code, answer.content), (answer.status_code, answer.text)
        assert tracebacks.seen == [], tracebacks.seen

    post()
    assert statuses.get(200, 0) > 0 and sum(statuses.values()) >= BUDGET.max_examples // 2
    print(f"webhook fuzz statuses: {dict(sorted(statuses.items()))}")


# --- the operator API, by its OpenAPI schema -------------------------------------------------


@pytest.fixture
def api_schema(app_client: tuple[TestClient, Store]) -> Any:
    """The schema, read from the app itself, with a conversation (id 1) for the paths to hit."""
    client, store = app_client
    agent_id = agent_for(store, "7700000001")
    find_or_create_conversation(store, agent_id, "6598765432@c.us")
    return schemathesis.openapi.from_asgi("/openapi.json", client.app, headers=_admin())


API_STATUSES: Counter[int] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_statuses() -> Iterator[None]:
    yield
    if API_STATUSES:  # shown with -s: the figures of a deeper run
        print(f"operator API fuzz statuses: {dict(sorted(API_STATUSES.items()))}")


def _admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN}"}


operator_api = schemathesis.pytest.from_fixture("api_schema")


@operator_api.parametrize()
@API_BUDGET
def test_the_operator_api_never_answers_500_or_logs_a_traceback(
    case: schemathesis.Case, tracebacks: Traceback
) -> None:
    answer = case.call(headers=_admin())
    API_STATUSES[answer.status_code] += 1
    assert _acceptable(answer.status_code, answer.content), (case.path, answer.status_code)
    assert tracebacks.seen == [], tracebacks.seen
