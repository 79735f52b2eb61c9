"""The Green API client against a loopback fake, and the fake against the official client."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from whatsapp_api_client_python import API

from execution.greenapi import MAX_MESSAGE_CHARS, GreenApiClient, Instance
from execution.greenapi_errors import (
    GreenApiAuthError,
    GreenApiInDoubt,
    GreenApiQuotaError,
    GreenApiUnavailable,
    GreenApiValidationError,
    redact,
)
from replay.fake_greenapi import FakeGreenApi, Scripted

INSTANCE_ID = "1101000001"
TOKEN = "d75b3a66374942c5b3c019c698abc2067e151558acbd412345"
PERSON = "6591234567@c.us"
GROUP = "120363043968066561@g.us"


@pytest.fixture
def fake() -> Iterator[FakeGreenApi]:
    with FakeGreenApi({INSTANCE_ID: TOKEN}) as server:
        yield server


def instance(fake: FakeGreenApi, token: str = TOKEN) -> Instance:
    return Instance(api_url=fake.url, instance_id=INSTANCE_ID, api_token=token)


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


async def with_client(fn, **options):  # type: ignore[no-untyped-def]
    options = {"backoff_initial": 0.01, "backoff_max": 0.05} | options
    async with GreenApiClient(**options) as client:
        return await fn(client)


# --- the fake is trustworthy: the official client gets Green API's documented answers --------


def test_official_client_against_the_fake(fake: FakeGreenApi) -> None:
    api = API.GreenAPI(INSTANCE_ID, TOKEN, host=fake.url)
    sent = api.sending.sendMessage(PERSON, "Hello from the official client")
    assert sent.code == 200 and isinstance(sent.data["idMessage"], str)
    file = api.sending.sendFileByUrl(GROUP, "https://example.com/brochure.pdf", "brochure.pdf")
    assert file.code == 200 and file.data["idMessage"]
    journal = api.journals.lastOutgoingMessages(minutes=5)
    assert journal.code == 200 and journal.data[0]["idMessage"] == sent.data["idMessage"]
    assert journal.data[0]["textMessage"] == "Hello from the official client"
    assert journal.data[0]["chatId"] == PERSON and journal.data[0]["sendByApi"] is True
    queue = api.queues.showMessagesQueue()
    assert queue.code == 200 and queue.data == []
    read = api.marking.readChat(PERSON)
    assert read.code == 200 and read.data == {"setRead": True}
    wrong = API.GreenAPI(INSTANCE_ID, "not-the-token", host=fake.url).sending.sendMessage(
        PERSON, "x"
    )
    assert wrong.code == 401
    assert [(r.method, r.body.get("chatId")) for r in fake.requests] == [
        ("sendMessage", PERSON),
        ("sendFileByUrl", GROUP),
        ("lastOutgoingMessages", None),
        ("showMessagesQueue", None),
        ("readChat", PERSON),
        ("sendMessage", PERSON),
    ]


# --- our client ------------------------------------------------------------------------------


@pytest.mark.parametrize("chat_id", [PERSON, GROUP])
def test_send_message_request_is_exactly_what_green_api_expects(
    fake: FakeGreenApi, chat_id: str
) -> None:
    message_id = run(with_client(lambda c: c.send_message(instance(fake), chat_id, "Hi there")))
    [request] = fake.requests
    assert (request.instance, request.method, request.token) == (INSTANCE_ID, "sendMessage", TOKEN)
    assert request.body == {"chatId": chat_id, "message": "Hi there"}
    assert message_id and request.answered == 200


def test_send_file_and_read_chat(fake: FakeGreenApi) -> None:
    async def both(client: GreenApiClient) -> tuple[str, bool]:
        file_id = await client.send_file_by_url(
            instance(fake), PERSON, "https://example.com/plan.pdf", "plan.pdf", caption="Floor plan"
        )
        return file_id, await client.read_chat(instance(fake), PERSON, "BAE5F4886F6F2D05")

    file_id, read = run(with_client(both))
    assert file_id and read is True
    assert fake.requests[0].body == {
        "chatId": PERSON, "urlFile": "https://example.com/plan.pdf", "fileName": "plan.pdf",
        "caption": "Floor plan",
    }  # fmt: skip
    assert fake.requests[1].body == {"chatId": PERSON, "idMessage": "BAE5F4886F6F2D05"}


def test_429_then_200_delivers_exactly_once_and_honours_retry_after(fake: FakeGreenApi) -> None:
    fake.script(
        "sendMessage", Scripted(429, {"message": "Too Many Requests"}, {"Retry-After": "0.3"})
    )
    message_id = run(with_client(lambda c: c.send_message(instance(fake), PERSON, "once")))
    assert [r.answered for r in fake.requests] == [429, 200]
    assert len(fake.sent()) == 1 and message_id
    waited = fake.requests[1].at - fake.requests[0].at
    assert waited >= 0.29  # Retry-After, not the 10 ms backoff


def test_5xx_and_connection_trouble_are_retried(fake: FakeGreenApi) -> None:
    from execution.metrics import GREENAPI_ERRORS

    before = GREENAPI_ERRORS.labels("http_5xx")._value.get()
    fake.script("sendMessage", Scripted(502, "Bad Gateway"), Scripted(503, ""))
    assert run(with_client(lambda c: c.send_message(instance(fake), PERSON, "x")))
    assert [r.answered for r in fake.requests] == [502, 503, 200]
    assert GREENAPI_ERRORS.labels("http_5xx")._value.get() - before == 2  # both in /metrics


def test_retries_give_up_with_a_clear_error(fake: FakeGreenApi) -> None:
    fake.script("sendMessage", *[Scripted(500, "boom")] * 3)
    with pytest.raises(GreenApiUnavailable, match="failed 3 times") as caught:
        run(with_client(lambda c: c.send_message(instance(fake), PERSON, "x"), attempts=3))
    assert len(fake.requests) == 3 and caught.value.status == 500


def test_a_long_rate_limit_is_waited_out_not_given_up_after_five_tries(
    fake: FakeGreenApi,
) -> None:
    """Issue 15.3: 40 s of 429s muted the assistant (5 tries, then a handoff). 429s are now
    retried for the rate-limit budget (shortened here), other failures for `attempts`."""
    fake.script("sendMessage", *[Scripted(429, "slow down")] * 8)
    sent = run(with_client(lambda c: c.send_message(instance(fake), PERSON, "x"),
                           attempts=3, rate_limit_budget=30))  # fmt: skip
    assert sent and [r.answered for r in fake.requests] == [429] * 8 + [200]


def test_a_rate_limit_longer_than_the_budget_gives_up_clearly(fake: FakeGreenApi) -> None:
    fake.script("sendMessage", *[Scripted(429, "slow down")] * 1000)
    with pytest.raises(GreenApiUnavailable, match="HTTP 429") as caught:
        run(with_client(lambda c: c.send_message(instance(fake), PERSON, "x"),
                        attempts=2, rate_limit_budget=0.5))  # fmt: skip
    assert caught.value.status == 429 and len(fake.requests) > 2  # past the 2 tries


def test_a_send_answered_too_late_is_in_doubt_and_never_sent_again_blindly(
    fake: FakeGreenApi,
) -> None:
    fake.script("sendMessage", Scripted(200, {"idMessage": "LATE"}, delay=1.0))

    async def send(client: GreenApiClient) -> str:
        return await client.send_message(instance(fake), PERSON, "x")

    async def go() -> str:
        async with httpx.AsyncClient(timeout=0.2) as http:
            return await with_client(send, http=http)

    with pytest.raises(GreenApiInDoubt, match="may have been carried out"):
        run(go())
    assert len(fake.sent()) == 1  # Green API has it once: not sent a second time


def test_a_send_in_doubt_is_found_in_the_journal_instead_of_sent_again(
    fake: FakeGreenApi,
) -> None:
    fake.script("sendMessage", Scripted(200, {"idMessage": "LATE"}, delay=1.0))
    began = time.time()

    async def send(client: GreenApiClient) -> str:
        async def confirm() -> dict[str, Any] | None:
            found = await client.find_sent(instance(fake), PERSON, "x", began, set())
            return {"idMessage": found} if found else None

        return await client.send_message(instance(fake), PERSON, "x", confirm=confirm)

    async def go() -> str:
        async with httpx.AsyncClient(timeout=0.2) as http:
            return await with_client(send, http=http)

    assert run(go()) == "LATE"  # the id Green API gave the one send it took
    assert len(fake.sent()) == 1


def test_a_send_in_doubt_that_never_arrived_is_sent_again(fake: FakeGreenApi) -> None:
    fake.script("sendMessage", Scripted(504, {"message": "timeout"}, delay=1.0))
    looked: list[str] = []

    async def send(client: GreenApiClient) -> str:
        async def confirm() -> dict[str, Any] | None:
            found = await client.find_sent(instance(fake), PERSON, "x", time.time(), set())
            looked.append(str(found))
            return None

        return await client.send_message(instance(fake), PERSON, "x", confirm=confirm)

    async def go() -> str:
        async with httpx.AsyncClient(timeout=0.2) as http:
            return await with_client(send, http=http)

    assert run(go()) != "LATE" and looked == ["None"]
    assert len(fake.sent()) == 1  # the second attempt: the first never reached Green API


def test_a_slow_read_receipt_is_simply_retried(fake: FakeGreenApi) -> None:
    fake.script("readChat", Scripted(200, {"setRead": True}, delay=1.0))

    async def read(client: GreenApiClient) -> bool:
        return await client.read_chat(instance(fake), PERSON)

    async def go() -> bool:
        async with httpx.AsyncClient(timeout=0.2) as http:
            return await with_client(read, http=http)

    assert run(go()) is True
    assert len([r for r in fake.requests if r.method == "readChat"]) == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, GreenApiAuthError), (403, GreenApiAuthError), (466, GreenApiQuotaError),
     (400, GreenApiValidationError)],
)  # fmt: skip
def test_client_errors_are_typed_and_never_retried(
    fake: FakeGreenApi, status: int, error: type[Exception]
) -> None:
    fake.script("sendMessage", Scripted(status, {"message": "no"}))
    with pytest.raises(error):
        run(with_client(lambda c: c.send_message(instance(fake), PERSON, "x")))
    assert len(fake.requests) == 1


def test_wrong_token_is_a_clear_error_without_the_token(fake: FakeGreenApi) -> None:
    bad = "0123456789abcdef-wrong-token"
    with pytest.raises(GreenApiAuthError, match="check the instance id and API token") as caught:
        run(with_client(lambda c: c.send_message(instance(fake, bad), PERSON, "x")))
    assert bad not in str(caught.value) and "***" in str(caught.value)


def test_unreachable_host_is_retried_then_reported() -> None:
    from replay.throwaway import free_port

    down = Instance(
        api_url=f"http://127.0.0.1:{free_port()}", instance_id=INSTANCE_ID, api_token=TOKEN
    )
    with pytest.raises(GreenApiUnavailable, match="unreachable") as caught:
        run(with_client(lambda c: c.send_message(down, PERSON, "x"), attempts=2))
    import traceback

    printed = "".join(traceback.format_exception(caught.value))
    assert TOKEN not in printed and "***" in printed


def test_messages_over_the_limit_are_refused_before_sending(fake: FakeGreenApi) -> None:
    with pytest.raises(GreenApiValidationError, match="20000"):
        run(
            with_client(
                lambda c: c.send_message(instance(fake), PERSON, "x" * (MAX_MESSAGE_CHARS + 1))
            )
        )
    assert fake.requests == []
    run(with_client(lambda c: c.send_message(instance(fake), PERSON, "x" * MAX_MESSAGE_CHARS)))
    assert len(fake.sent()) == 1


def test_no_log_line_contains_the_token(
    fake: FakeGreenApi, caplog: pytest.LogCaptureFixture
) -> None:
    fake.script("sendMessage", Scripted(429, "slow down"), Scripted(401, "no"))
    with caplog.at_level(logging.DEBUG), pytest.raises(GreenApiAuthError):
        run(with_client(lambda c: c.send_message(instance(fake), PERSON, "x")))
    assert "waInstance" in caplog.text  # httpx did log the requests...
    assert TOKEN not in caplog.text  # ...with the token redacted


def test_redact() -> None:
    url = f"https://api.green-api.com/waInstance{INSTANCE_ID}/sendMessage/{TOKEN}"
    assert redact(f"POST {url} 200") == (
        f"POST https://api.green-api.com/waInstance{INSTANCE_ID}/sendMessage/*** 200"
    )
    assert repr(Instance("https://x", INSTANCE_ID, TOKEN)).count(TOKEN) == 0
