"""Every `curl` example in the README and docs/, run as curl would send it (issue 16.4: `-d`
without a content type is form-encoded, which the operator API refuses with 422)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from execution.conversations import find_or_create_conversation
from execution.coordination import Coordinator
from execution.settings import load_settings
from execution.store import Store
from replay.fake_greenapi import FakeGreenApi
from serve import create_app
from tests.webhooks import ROOT, agent_for

ADMIN = "admin-token-for-readme-0123456789"
README_CONVERSATION = "12"


def readme_curls() -> list[str]:
    """The curl commands of the README and docs/, continuation lines joined, comments
    dropped."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    text = "\n".join(p.read_text("utf-8") for p in pages).replace("\\\n", " ")
    return [
        line.split("   #")[0].strip()
        for line in text.splitlines()
        if line.strip().startswith("curl ")
    ]


def as_curl_sends(command: str) -> dict[str, Any]:
    """Method, path, headers and body, with curl's own defaults (`-d` means POST and, without
    a content type, application/x-www-form-urlencoded)."""
    words = shlex.split(command)[1:]
    request: dict[str, Any] = {"method": "GET", "headers": {}, "body": None, "url": ""}
    items = iter(words)
    for word in items:
        if word == "-H":
            name, _, value = next(items).partition(":")
            request["headers"][name.strip()] = value.strip()
        elif word == "-X":
            request["method"] = next(items)
        elif word in ("-d", "--data"):
            request["body"] = next(items)
            request["method"] = "POST" if request["method"] == "GET" else request["method"]
        else:
            request["url"] = word
    if request["body"] is not None and "Content-Type" not in request["headers"]:
        request["headers"]["Content-Type"] = "application/x-www-form-urlencoded"
    return request


def test_the_readme_has_curl_examples() -> None:
    assert len(readme_curls()) >= 4


@pytest.fixture
def client(backend: tuple[Store, Coordinator]) -> Iterator[tuple[TestClient, int]]:
    store, coordinator = backend
    with FakeGreenApi({"7700000001": "api-token-secret"}) as fake:
        agent = agent_for(store, "7700000001", api_url=fake.url)
        cid = find_or_create_conversation(store, agent, "6598765432@c.us").conversation_id
        app = create_app(load_settings(admin_token=ADMIN), store=store, coordinator=coordinator,
                         work_turns=False)  # fmt: skip
        with TestClient(app) as test_client:
            yield test_client, cid


@pytest.mark.parametrize("command", readme_curls())
def test_each_readme_curl_example_works_as_written(
    client: tuple[TestClient, int], command: str
) -> None:
    test_client, cid = client
    request = as_curl_sends(command.replace("$TOKEN", ADMIN))
    path = re.sub(r"^(?:https?://)?localhost:8000", "", request["url"])
    path = path.replace(f"/{README_CONVERSATION}/", f"/{cid}/")
    body = request["body"]
    if body is not None:
        body = body.replace(f": {README_CONVERSATION},", f": {cid},")
    answer = test_client.request(request["method"], path, headers=request["headers"], content=body)
    assert answer.status_code == 200, (command, answer.status_code, answer.text)
