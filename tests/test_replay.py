"""`wa replay`: scenarios through the whole system. The scenario library on both backends, a
broken expectation's exit code and diff, clear errors for bad files, reports, cassettes of a
real model (a loopback fake of Anthropic's API, driven by the real SDK), `--from-db` export,
and the invariant checks themselves catching what they are for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cli import app
from execution.send_whatsapp_message import send_whatsapp_message
from execution.settings import load_settings
from orchestrator.providers.scripted import ScriptedProvider
from replay.engine import Runner, open_runner
from replay.from_db import anonymiser
from replay.invariants import check_invariants
from replay.scenario import Step, load_scenario
from tests.conftest import fresh_postgres_database
from tests.fake_anthropic import FakeAnthropic, message, text_block, tool_use

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "tests" / "scenarios"
LISTINGS = ROOT / "replay" / "scenarios" / "demo_listings.yaml"
runner = CliRunner()


@pytest.fixture(autouse=True)
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WA_TMP_DIR", str(tmp_path / "scratch"))
    monkeypatch.delenv("WA_DATABASE_URL", raising=False)
    monkeypatch.delenv("WA_REDIS_URL", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("WA_LLM", "scripted")


def scenario(tmp_path: Path, timeline: list[dict[str, Any]], name: str = "s", **extra: Any) -> Path:
    path = tmp_path / f"{name}.yaml"
    data = {"name": name, "setup": {"agents": [{"name": "Sarah Tan", "listings": str(LISTINGS),
                                                "persona": {"assistant_name": "Ava"}}]},
            "timeline": timeline, **extra}  # fmt: skip
    path.write_text(yaml.safe_dump(data), "utf-8")
    return path


def wa(*args: str) -> Any:
    return runner.invoke(app, list(args))


# --- the library, on both backends --------------------------------------------------------------


def library_env(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WA_", "ANTHROPIC_"))}
    env |= {"WA_TMP_DIR": str(tmp_path), "WA_LLM": "scripted", "COLUMNS": "120"}
    if backend == "postgres+redis":
        env["WA_DATABASE_URL"] = fresh_postgres_database(
            request.getfixturevalue("postgres_server"), migrated=False
        )
        env["WA_REDIS_URL"] = request.getfixturevalue("redis_server").url
    return env


@pytest.mark.parametrize("backend", ["sqlite+inprocess", "postgres+redis"])
def test_the_scenario_library_passes(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    files = sorted(LIBRARY.glob("*.yaml"))
    assert len(files) >= 40, "the library holds at least 40 scenarios"
    done = subprocess.run(
        [sys.executable, "-m", "cli", "replay", str(LIBRARY), "--report", str(tmp_path / "r.json")],
        env=library_env(request, backend, tmp_path), capture_output=True, text=True,
        timeout=900, cwd=ROOT,
    )  # fmt: skip
    print(done.stdout[-3000:])  # the summary, in the test log
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-5000:]
    assert f"{len(files)} passed, 0 failed" in done.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    expected = "PostgreSQL + Redis" if backend == "postgres+redis" else "SQLite + in-process"
    assert report["backend"] == expected
    assert all(r["passed"] for r in report["results"]) and len(report["results"]) == len(files)


# --- failures people can read ---------------------------------------------------------------------


def test_a_broken_expectation_exits_1_with_a_readable_diff(tmp_path: Path) -> None:
    path = scenario(tmp_path, [
        {"buyer": "3 bedroom condo in Tampines under 1.6M",
         "expect": {"replies": 1, "reply": {"equals": "Treasure at Tampines is S$9."}}},
        {"buyer": "Can the owner do 1.5M?", "expect": {"mode": "ai"}},
    ])  # fmt: skip
    result = wa("replay", str(path), "--report", str(tmp_path / "report.json"))
    assert result.exit_code == 1
    out = " ".join(result.stdout.split())  # Rich wraps long lines
    assert "0 passed, 1 failed" in out
    assert 'step 1 (buyer: "3 bedroom condo in Tampines under 1.6M"): reply equals' in out
    assert "-Treasure at Tampines is S$9." in result.stdout  # the diff: expected ...
    assert "+I found one listing that fits:" in result.stdout  # ... against what was sent
    assert 'step 2 (buyer: "Can the owner do 1.5M?"): mode: expected ai, got human' in out
    report = json.loads((tmp_path / "report.json").read_text())
    [failed] = report["results"]
    assert not failed["passed"] and [f["check"] for f in failed["failures"]] == [
        "reply equals", "mode"]  # fmt: skip


def test_a_passing_scenario_prints_its_transcript_and_exits_0(tmp_path: Path) -> None:
    path = scenario(tmp_path, [{"buyer": "Hi", "expect": {"replies": 1, "mode": "ai"}}])
    result = wa("replay", str(path))
    assert result.exit_code == 0, result.stdout
    assert "Buyer" in result.stdout and "I'm Ava" in result.stdout
    assert "1 passed, 0 failed" in result.stdout


@pytest.mark.parametrize(
    ("timeline", "message"),
    [
        ([{"buyer": "hi", "phone": "hello"}], "timeline[1] (buyer: 'hi')"),
        ([{"buyer": "hi", "expect": {"replys": 1}}], "replys"),
        ([{"pause": "three days"}], "not a duration"),
        ([{"release": "X"}], "nothing is held as 'X'"),
        ([{"buyer": {"text": "hi", "type": "carrierPigeon"}}], "no shorthand for 'carrierPigeon'"),
        ([{"pause": "1h", "while_generating": True}], "no `pause` while_generating"),
    ],
)
def test_a_bad_scenario_gets_a_clear_error(
    tmp_path: Path, timeline: list[dict[str, Any]], message: str
) -> None:
    result = wa("replay", str(scenario(tmp_path, timeline)))
    assert result.exit_code == 1
    assert message in " ".join((result.stdout + result.stderr).split())


def test_not_yaml_and_missing_files_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    result = wa("replay", str(bad))
    assert result.exit_code == 1 and "bad.yaml is not valid YAML" in result.stderr
    result = wa("replay", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 1 and "no such scenario file" in result.stderr


def test_a_while_generating_step_that_never_ran_fails(tmp_path: Path) -> None:
    path = scenario(tmp_path, [
        {"pause": "1s"},
        {"phone": "hello", "while_generating": True},
        {"pause": "1s"},
    ])  # fmt: skip
    result = wa("replay", str(path))
    assert result.exit_code == 1
    assert "no model call happened before step 3" in " ".join(result.stdout.split())


# --- the invariant checks catch what they are for -------------------------------------------------


@contextmanager
def after_a_buyer_message(tmp_path: Path, text: str) -> Iterator[Runner]:
    """A live replay in which the buyer wrote `text` and everything due has run, with no
    invariant broken yet (what each test below then breaks on purpose)."""
    sf = load_scenario(scenario(tmp_path, [{"pause": "1s"}]))
    with open_runner(sf, load_settings(), ScriptedProvider()) as live:
        live.run(live.do(0, Step.model_validate({"buyer": text})))
        live.run(live.run_until(None))
        assert check_invariants(live.store, live.fake, live.switches) == []
        yield live


def ai_send(live: Runner, text: str, key: str, **options: Any) -> None:
    assert live.worker is not None
    cid = live.conversation_id(live.agents[0], "6590000001@c.us")
    assert cid is not None
    live.run(send_whatsapp_message(live.worker.rt, cid, text, sender="AI", idempotency_key=key,
                                   **options))  # fmt: skip


def test_invariant_2_catches_an_assistant_message_after_a_takeover(tmp_path: Path) -> None:
    with after_a_buyer_message(tmp_path, "Hi") as live:
        live.run(live.do(1, Step.model_validate({"operator": {"toggle": "human"}})))
        assert check_invariants(live.store, live.fake, live.switches) == []
        ai_send(live, "Psst, still here!", "sneaky", force=True)
        found = check_invariants(live.store, live.fake, live.switches)
    [violation] = [v for v in found if v.invariant == "2 no reply after takeover"]
    assert "Psst, still here!" in violation.detail


def test_invariant_1_catches_two_assistant_messages_for_one_buyer_message(tmp_path: Path) -> None:
    with after_a_buyer_message(tmp_path, "Hi") as live:
        ai_send(live, "And another thing", "turn:1:1:again")
        [violation] = check_invariants(live.store, live.fake, live.switches)
    assert violation.invariant == "1 one reply per turn"


def test_invariant_4_catches_a_handoff_never_sent(tmp_path: Path) -> None:
    with after_a_buyer_message(tmp_path, "Can the owner do 1.5M?") as live:
        with live.store.transaction() as tx:  # as if the process died before the send
            tx.execute("UPDATE messages SET status = 'pending' WHERE idempotency_key LIKE "
                       "'%:handoff'")  # fmt: skip
        [violation] = check_invariants(live.store, live.fake, live.switches)
        assert violation.invariant == "4 nothing lost" and "handoff" in violation.detail
        assert check_invariants(live.store, live.fake, live.switches, settled=False) == []
        live.run(live.do(1, Step.model_validate({"phone": "Hi, Sarah here"})))
        assert check_invariants(live.store, live.fake, live.switches) == []  # she took over


# --- cassettes ------------------------------------------------------------------------------------

KEY = "sk-ant-cassette-test-key-0123456789"


def claude_answers(claude: FakeAnthropic) -> None:
    claude.queue(
        message(tool_use("toolu_1", "search_properties", location="tampines", bedrooms=3),
                stop="tool_use"),
        message(text_block(f"Treasure at Tampines, 3BR high floor fits: S$1,580,000, 3 bedrooms. "
                           f"(debug: {KEY})")),
    )  # fmt: skip


def test_a_recorded_cassette_replays_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enquiry = {"buyer": "3 bedroom condo in Tampines under 1.6M",
               "expect": {"replies": 1, "reply": {"contains": "Treasure"}}}  # fmt: skip
    path = scenario(tmp_path, [enquiry])
    cassette = tmp_path / "s.cassette.json"
    with FakeAnthropic() as claude:
        claude_answers(claude)
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", claude.url)
        result = wa("replay", str(path), "--llm", "anthropic", "--record")
        assert result.exit_code == 0, result.stdout
        assert len(claude.requests) == 2 and KEY in json.dumps(claude.headers[0])
        monkeypatch.delenv("ANTHROPIC_API_KEY")
        monkeypatch.delenv("ANTHROPIC_BASE_URL")
        recorded = cassette.read_text()
        assert KEY not in recorded and "<scrubbed>" in recorded
        assert json.loads(recorded)["provider"] == "anthropic"
        offline = wa("replay", str(path))  # no key, no model: the cassette answers
        assert offline.exit_code == 0, offline.stdout
        assert len(claude.requests) == 2
    data = json.loads(recorded)
    data["calls"].append(data["calls"][-1])  # one answer too many: the cassette no longer fits
    cassette.write_text(json.dumps(data))
    unused = wa("replay", str(path))
    assert unused.exit_code == 1
    assert "1 of 3 recorded answers were not used" in " ".join(unused.stdout.split())
    data["calls"] = data["calls"][:1]  # one too few: the model is called more than recorded
    cassette.write_text(json.dumps(data))
    short = wa("replay", str(path))
    assert short.exit_code == 1
    assert "called more often than recorded" in " ".join(short.stdout.split())


def test_record_needs_a_real_model(tmp_path: Path) -> None:
    result = wa("replay", str(scenario(tmp_path, [{"buyer": "Hi"}])), "--record")
    assert result.exit_code == 1 and "--record needs a real model" in result.stderr


# --- --from-db ------------------------------------------------------------------------------------


def test_a_stored_conversation_becomes_an_anonymised_scenario_that_replays(tmp_path: Path) -> None:
    demo = wa("demo", "--json")
    assert demo.exit_code == 0, demo.stdout
    kept = json.loads(demo.stdout)["replay"]["database"]
    exported = tmp_path / "exported.yaml"
    env = {"WA_DATABASE_URL": f"sqlite:///{kept}"}
    result = runner.invoke(app, ["replay", "--from-db", "1", "-o", str(exported)], env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    text = exported.read_text()
    for personal in ("Alex", "6580000001", "Sarah", "9123 4567", "6591234567"):
        assert personal not in text, personal
    data = yaml.safe_load(text)
    buyer_steps = [s for s in data["timeline"] if "buyer" in s]
    assert [s["expect"]["replies"] for s in buyer_steps] == [1, 1, 1, 0, 1]
    assert buyer_steps[2]["expect"]["viewings"] == 1
    assert buyer_steps[-1]["expect"]["escalation"] == "negotiation"
    assert any("phone" in s for s in data["timeline"])
    assert any(s.get("operator", {}).get("toggle") == "ai" for s in data["timeline"])
    assert data["expect"] == {"mode": "human"}
    replayed = wa("replay", str(exported))
    assert replayed.exit_code == 0, replayed.stdout


def test_a_failed_human_send_is_exported_as_the_takeover_it_made_not_as_a_message(
    tmp_path: Path,
) -> None:
    """Issue 16.10: a send by the agent that Green API refused never reached the buyer; the
    scenario must not replay it as delivered."""
    from execution.store import open_store

    demo = wa("demo", "--json")
    kept = json.loads(demo.stdout)["replay"]["database"]
    with open_store(f"sqlite:///{kept}") as store, store.transaction() as tx:
        tx.execute(
            "INSERT INTO messages (agent_id, conversation_id, direction, sender_type, text, "
            "status, idempotency_key, created_at) SELECT agent_id, conversation_id, 'out', "
            "'HUMAN', 'Never arrived', 'failed', 'op:1:x', "
            "(SELECT MAX(created_at) FROM messages WHERE conversation_id = 1) "
            "FROM conversations WHERE conversation_id = 1"
        )
    exported = tmp_path / "exported.yaml"
    env = {"WA_DATABASE_URL": f"sqlite:///{kept}"}
    result = runner.invoke(app, ["replay", "--from-db", "1", "-o", str(exported)], env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    timeline = yaml.safe_load(exported.read_text())["timeline"]
    sends = [s["operator"]["send"] for s in timeline if "send" in s.get("operator", {})]
    assert "Never arrived" not in sends
    assert any("was failed" in s.get("note", "") for s in timeline)
    assert wa("replay", str(exported)).exit_code == 0


def test_from_db_of_a_missing_conversation_is_a_clear_error(tmp_path: Path) -> None:
    assert wa("demo", "--json").exit_code == 0
    result = wa("replay", "--from-db", "999")
    assert result.exit_code == 1 and "999" in result.stderr


def test_the_anonymiser_removes_names_numbers_and_addresses() -> None:
    clean = anonymiser("Alex Lim", "Sarah Tan")
    said = clean("Hi Sarah, I'm alex LIM: call +65 9876-5432 or 98765432, or mail a.lim@mail.sg")
    assert said == ("Hi Agent, I'm Buyer: call +65 9000 0000 or +65 9000 0000, or mail "
                    "someone@example.com")  # fmt: skip


def test_the_readme_example_is_a_library_scenario() -> None:
    readme = (ROOT / "docs" / "replay.md").read_text()
    start = readme.index("```yaml\nname: negotiation after a search") + len("```yaml\n")
    example = readme[start : readme.index("```", start)]
    assert (LIBRARY / "readme_example.yaml").read_text() == example
