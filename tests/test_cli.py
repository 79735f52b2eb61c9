"""The `wa` command through Typer's CliRunner, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app

runner = CliRunner()

ADD = [
    "agents",
    "add",
    "--name",
    "Sarah Tan",
    "--instance-id",
    "1101000001",
    "--api-token",
    "api-secret-123456",
    "--webhook-token",
    "hook-secret-123456",
    "--number",
    "+65 9123 4567",
]


def wa(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def wa_json(*args: str) -> object:
    code, out, err = wa(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_db_init_says_what_it_did(cli_env: str, tmp_path: Path, monkeypatch) -> None:
    code, out, _ = wa("db", "init")
    assert code == 0 and "up to date" in out  # cli_env's database is already migrated
    status = wa_json("db", "status")
    assert all(m["applied"] for m in status["migrations"])


def test_db_init_on_an_empty_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WA_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    code, _, err = wa("agents", "list")
    assert code == 1 and "wa db init" in err
    first = wa_json("db", "init")
    assert first["applied"] and first["total"] == len(first["applied"])
    assert wa_json("db", "init")["applied"] == []


def test_add_list_and_persona(cli_env: str) -> None:
    added = wa_json(*ADD)
    assert added["agent_id"] >= 1
    assert added["whatsapp_number"] == "6591234567"
    code, out, _ = wa("agents", "list")
    assert code == 0 and "Sarah Tan" in out
    listed = wa_json("agents", "list")
    assert [a["name"] for a in listed] == ["Sarah Tan"]
    raw = json.dumps(listed) + out
    assert "api-secret" not in raw and "hook-secret" not in raw  # secrets are never printed

    changed = wa_json(
        "agents",
        "persona",
        "Sarah Tan",
        "--assistant-name",
        "Ava",
        "--style",
        "friendly",
        "--tone",
        "8",
        "--flag",
        "warm",
        "--flag",
        "short",
        "--instruction",
        "Use the buyer's name.",
    )
    assert changed["persona"] == {
        "assistant_name": "Ava",
        "style": "friendly",
        "tone": 8,
        "flags": ["warm", "short"],
        "instruction": "Use the buyer's name.",
    }
    again = wa_json("agents", "persona", str(added["agent_id"]), "--tone", "3")
    assert again["persona"]["tone"] == 3 and again["persona"]["assistant_name"] == "Ava"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["agents", "persona", "Nobody", "--tone", "3"], "no agent 'Nobody'"),
        (["agents", "persona", "Sarah Tan", "--style", "grumpy"], "persona style"),
        (["agents", "persona", "Sarah Tan", "--tone", "11"], "persona tone"),
        (["agents", "persona", "Sarah Tan", "--flag", "loud"], "persona flags"),
        ([*ADD], "already exists"),
        ([*ADD[:-1], "12"], "not a phone number"),
        (["properties", "show", "999"], "no property 999"),
        (["properties", "search", "--agent", "Nobody"], "no agent"),
        (["properties", "import", "missing.csv", "--agent", "Sarah Tan"], "cannot read"),
    ],
)
def test_expected_errors_are_one_red_line(cli_env: str, args: list[str], fragment: str) -> None:
    wa_json(*ADD)
    code, out, err = wa(*args)
    assert code == 1
    assert fragment in err
    assert err.strip().count("\n") == 0 and err.startswith("Error:")
    assert "Traceback" not in out + err


def test_timezone_and_api_url_validation(cli_env: str) -> None:
    code, _, err = wa(*ADD, "--timezone", "Mars/Olympus")
    assert code == 1 and "unknown timezone" in err
    code, _, err = wa(*ADD, "--api-url", "ftp://x")
    assert code == 1 and "http(s) URL" in err


def test_import_search_show(cli_env: str, tmp_path: Path) -> None:
    wa_json(*ADD)
    listings = tmp_path / "listings.csv"
    listings.write_text(
        "ref,title,location,price,type,bedrooms,availability,key_selling_points\n"
        "T1,Tampines 3BR,Tampines Street 81,1250000,condo,3,available,Near MRT;High floor\n"
        "T2,Tampines 4BR,Tampines Avenue 5,1650000,condo,4,available,\n"
        "B1,Bishan 3BR,Bishan Street 21,990000,HDB,3,sold,\n"
    )
    code, out, _ = wa("properties", "import", str(listings), "--agent", "Sarah Tan")
    assert code == 0 and "Imported 3 listing(s)" in out and "3 new" in out
    result = wa_json("properties", "import", str(listings), "--agent", "Sarah Tan")
    assert (result["created"], result["updated"]) == (0, 3)

    found = wa_json(
        "properties",
        "search",
        "--agent",
        "Sarah Tan",
        "--location",
        "tampnes",
        "--max-price",
        "1500000",
    )
    assert [p["external_ref"] for p in found] == ["T1"]
    assert found[0]["match_score"] > 0.5
    by_type = wa_json("properties", "search", "--agent", "Sarah Tan", "--type", "hdb")
    assert [p["external_ref"] for p in by_type] == ["B1"]
    code, out, _ = wa("properties", "search", "--agent", "Sarah Tan", "--location", "tampines")
    assert code == 0 and "Tampines 3BR" in out and "Bishan" not in out
    code, out, _ = wa("properties", "search", "--agent", "Sarah Tan", "--location", "Kuala Lumpur")
    assert code == 0 and "No listings match" in out

    shown = wa_json("properties", "show", str(found[0]["property_id"]))
    assert shown["key_selling_points"] == ["Near MRT", "High floor"]
    code, out, _ = wa("properties", "show", str(found[0]["property_id"]))
    assert code == 0 and "High floor" in out


def test_import_reports_bad_rows_and_writes_nothing(cli_env: str, tmp_path: Path) -> None:
    wa_json(*ADD)
    listings = tmp_path / "bad.csv"
    listings.write_text(
        "title,location,price,type\nGood,Bishan,1000,condo\nBad,Bishan,lots,condo\n"
    )
    code, _, err = wa("properties", "import", str(listings), "--agent", "Sarah Tan")
    assert code == 1
    assert "row 2 (line 3): price" in err and "nothing imported" in err
    assert wa_json("properties", "search", "--agent", "Sarah Tan") == []


def test_search_rejects_bad_options(cli_env: str) -> None:
    wa_json(*ADD)
    code, _, err = wa("properties", "search", "--agent", "Sarah Tan", "--availability", "gone")
    assert code == 2 and "gone" in err  # Typer's usage error
    code, _, err = wa(
        "properties", "search", "--agent", "Sarah Tan", "--min-price", "5", "--max-price", "1"
    )
    assert code == 1 and "min price is above max price" in err


def test_demo_runs_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WA_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.setenv("WA_TMP_DIR", str(tmp_path))
    first = wa_json("demo")
    assert first["migrations_applied"] and first["import"]["created"] >= 30
    second = wa_json("demo")
    assert second["migrations_applied"] == [] and second["import"]["created"] == 0
    assert second["agent"]["agent_id"] == first["agent"]["agent_id"]
    said = []
    for run in (first["replay"], second["replay"]):
        assert run["passed"] and run["failures"] == [], run["failures"]
        said.append([line["text"] for line in run["transcript"] if line["who"] == "assistant"])
        assert run["stats"]["webhooks_duplicate"] == 2 and run["stats"]["escalations"] == 1
    assert said[0] == said[1] and len(said[0]) == 4  # greeting, listing, viewing, handoff
    assert "Treasure at Tampines" in said[0][1] and "request to view" in said[0][2]
    code, out, _ = wa("demo")
    assert code == 0 and "What the safety checks did" in out and "FAIL" not in out


def test_standalone_module_help() -> None:
    import subprocess
    import sys

    for module in ("execution.agents", "execution.properties", "execution.db"):
        done = subprocess.run(
            [sys.executable, "-m", module, "--help"], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        assert "Usage" in done.stdout


def test_a_database_that_is_down_is_one_red_line(tmp_path: Path) -> None:
    """Issue 16.8: `wa db status` with PostgreSQL down printed the pool's retries first."""
    import os
    import subprocess
    import sys

    from replay.throwaway import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("WA_")}
    env["WA_DATABASE_URL"] = f"postgresql://wa@127.0.0.1:{free_port()}/wa"
    done = subprocess.run([sys.executable, "-m", "cli", "db", "status"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert done.returncode == 1
    assert len(lines) == 1 and lines[0].startswith("Error: cannot connect to PostgreSQL"), lines


# --- wa send / set-mode / conversations against the fake Green API -------------------------


@pytest.fixture
def green(cli_env: str, monkeypatch: pytest.MonkeyPatch):
    from replay.fake_greenapi import FakeGreenApi

    with FakeGreenApi({"1101000001": "api-secret-123456"}) as fake:
        monkeypatch.setenv("WA_GREENAPI_URL", fake.url)
        wa_json(*ADD)
        yield fake


def test_send_to_a_number_takes_over_and_reaches_green_api(green) -> None:
    result = wa_json("send", "--agent", "Sarah Tan", "--to", "+65 9000 0001", "Hi, Sarah here")
    assert result["status"] == "sent" and result["green_message_ids"]
    [request] = green.requests
    assert request.body == {"chatId": "6590000001@c.us", "message": "Hi, Sarah here"}
    shown = wa_json("conversations", "show", str(result["conversation_id"]))
    assert shown["conversation"]["current_mode"] == "HUMAN"  # an operator's send takes over
    assert [m["sender_type"] for m in shown["messages"]] == ["HUMAN"]
    assert [e["kind"] for e in shown["events"]] == ["mode_change"]


def test_send_set_mode_and_list_from_the_shell(green) -> None:
    first = wa_json("send", "--agent", "1", "--to", "6590000002", "hello", "--no-takeover")
    cid = str(first["conversation_id"])
    assert wa_json("conversations", "list", "--mode", "ai")[0]["conversation_id"] == int(cid)
    code, out, _ = wa("set-mode", cid, "human", "--reason", "agent wants it")
    assert code == 0 and "now HUMAN" in out
    code, out, _ = wa("set-mode", cid, "human", "--reason", "again")
    assert code == 0 and "already HUMAN" in out
    code, _, err = wa("send", cid, "AI says hi", "--as", "ai")
    assert code == 1 and "discarded" in err and "HUMAN mode" in err
    assert wa_json("send", cid, "Handing you over", "--as", "ai", "--force")["status"] == "sent"
    code, out, _ = wa("conversations", "show", cid)
    assert code == 0 and "Handing you over" in out and "discarded" in out
    back = wa_json("set-mode", cid, "ai", "--reason", "done")
    assert back["mode"] == "AI" and back["mode_version"] == 2


def test_send_errors_are_one_line_without_the_token(green) -> None:
    from replay.fake_greenapi import Scripted

    green.script("sendMessage", Scripted(401, "Unauthorized"))
    code, out, err = wa("send", "--agent", "Sarah Tan", "--to", "6590000003", "x")
    assert code == 1 and "refused the credentials" in err
    # said once, as the process prints it (pytest's log capture would hide a log line here)
    import os
    import subprocess
    import sys

    green.script("sendMessage", Scripted(401, "Unauthorized"))
    done = subprocess.run(
        [sys.executable, "-m", "cli", "send", "--agent", "Sarah Tan", "--to", "6590000004", "y"],
        capture_output=True, text=True, timeout=60, check=False, env=dict(os.environ),
    )  # fmt: skip
    assert done.returncode == 1 and done.stderr.count("refused the credentials") == 1, done.stderr
    assert "api-secret-123456" not in done.stdout + done.stderr
    assert "api-secret-123456" not in out + err
    for args, fragment in (
        (["send", "hello"], "usage: wa send"),
        (["send", "--agent", "Sarah Tan", "6590000003", "x"], "--agent and --to together"),
        (["send", "999", "x"], "no conversation 999"),
        (["send", "--agent", "Sarah Tan", "--to", "abc", "x"], "not a phone number"),
        (["set-mode", "999", "human", "--reason", "x"], "no conversation 999"),
        (["conversations", "show", "999"], "no conversation 999"),
    ):
        code, _, err = wa(*args)
        assert code == 1 and fragment in err, (args, err)


def test_the_command_table_says_what_each_command_says_of_itself() -> None:
    """`wa --help` lists the commands from cli.COMMANDS without importing them: each line must
    be the first paragraph of the command's own help, and every command must load."""
    import cli

    for name, (_, line) in cli.COMMANDS.items():
        command = cli.load_command(name)
        own = (command.short_help or command.help or "").strip().split("\n\n")[0]
        assert " ".join(own.split()) == line, name
    listed = CliRunner().invoke(app, ["--help"])
    assert listed.exit_code == 0
    assert all(name in listed.stdout for name in cli.COMMANDS)


def test_wa_help_imports_no_server_model_client_or_database_driver() -> None:
    import subprocess
    import sys

    probe = (
        "import sys; sys.argv = ['wa', '--help']; import cli\n"
        "try:\n    cli.app()\nexcept SystemExit:\n    pass\n"
        "heavy = ['fastapi', 'anthropic', 'openai', 'psycopg', 'pydantic', 'httpx']\n"
        "print([m for m in heavy if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout[-500:]


def test_filters_take_the_forms_imports_take_and_json_is_always_an_object(
    cli_env: str, tmp_path: Path
) -> None:
    wa_json(*ADD)
    listings = tmp_path / "listings.csv"
    listings.write_text(
        "ref,title,location,price,type,bedrooms\n"
        "T1,Tampines 3BR,Tampines Street 81,1250000,condo,3\n"
        "T2,Tampines 4BR,Tampines Avenue 5,1650000,condo,4\n"
    )
    assert wa("properties", "import", str(listings), "--agent", "Sarah Tan")[0] == 0
    search = ["properties", "search", "--agent", "Sarah Tan"]
    written = wa_json(*search, "--max-price", "1.5M", "--min-price", "S$1,000,000")
    assert [p["external_ref"] for p in written] == ["T1"]  # type: ignore[index]
    assert written == wa_json(*search, "--max-price", "1500000", "--min-price", "1000k")
    code, _, err = wa(*search, "--max-price", "lots")
    assert code == 1 and "--max-price: 'lots' is not a price" in err and "Traceback" not in err
    assert wa_json("conversations", "list", "--mode", "HUMAN") == []  # any case
    assert wa("set-mode", "999", "AI", "--reason", "x")[2].count("no conversation") == 1
    calm = wa_json("escalation", "check", "hello there")
    assert calm == {"escalate": False, "trigger": None, "evidence": None, "layer": None}
    urgent = wa_json("escalation", "check", "can I speak to a person?")
    assert urgent["escalate"] is True and urgent["trigger"] == "human_request"  # type: ignore[index]
    switched = wa_json("agents", "phone-takeover", "Sarah Tan", "off")
    assert switched == {"agent_id": 1, "name": "Sarah Tan", "phone_takeover": "off"}


def test_tables_show_timestamps_to_the_minute_and_text_as_written() -> None:
    from datetime import UTC, datetime

    from execution.cli_support import console, print_table

    with console.capture() as captured:
        print_table(
            "T",
            ["when", "stored", "said"],
            [(datetime(2026, 12, 5, 21, 20, 33, tzinfo=UTC), "2026-12-04 09:05:59.123+00:00",
              "[bold]not markup[/]"), (None, "2026-13-45 99:99:99", "")],
        )  # fmt: skip
    shown = captured.get()
    assert "05 Dec 21:20" in shown and "04 Dec 09:05" in shown and ":33" not in shown
    assert "[bold]not markup[/]" in shown and "2026-13-45 99:99:99" in shown


def test_help_shows_a_type_only_where_a_value_is_taken() -> None:
    shown = CliRunner().invoke(app, ["conversations", "list", "--help"]).stdout
    assert "<bool>" not in shown and "<int range>" in shown and "--json" in shown
