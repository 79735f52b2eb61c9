"""A loopback fake of Green API's HTTP API: a real HTTP server that records every request and
answers like Green API, or with scripted failures (429 with Retry-After, 5xx, slow answers).
`GET lastOutgoingMessages` lists the texts it accepted (after `journal_lag` seconds, as Green
API's journal lags), `GET showMessagesQueue` an empty queue.

It is trusted because tests drive it with the official `whatsapp-api-client-python` client and
get the answers Green API documents (tests/test_greenapi.py).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from replay.loopback import Answer, LoopbackServer

_PATH = re.compile(
    r"^/waInstance(?P<instance>[^/]+)/(?P<method>[A-Za-z]+)/(?P<token>[^/?]+)(?:\?.*)?$"
)

Scripted = Answer  # the name the tests use for a scripted answer


@dataclass
class Recorded:
    instance: str
    method: str
    token: str
    body: dict[str, Any]
    at: float  # time.monotonic() when the request arrived
    answered: int = 0  # the status it got
    id_message: str | None = None  # the idMessage it got, when accepted
    wall: float = field(default_factory=time.time)  # wall-clock arrival, to order with the DB


class FakeGreenApi(LoopbackServer):
    """`FakeGreenApi(instances={"1101000001": "token"})`; `.url` is the host to point clients at."""

    def __init__(self, instances: dict[str, str], port: int = 0) -> None:
        super().__init__(port)
        self.instances = dict(instances)
        self.requests: list[Recorded] = []
        self._script: dict[str, deque[Answer]] = {}
        self._lock = threading.Lock()
        self.journal_lag = 0.0
        """Seconds before an accepted send shows in `lastOutgoingMessages`."""

    def script(self, method: str, *answers: Answer) -> None:
        """Queue answers for `method`; once used up, it answers like Green API again."""
        with self._lock:
            self._script.setdefault(method, deque()).extend(answers)

    def clear_script(self, method: str) -> None:
        """Drop the answers still queued for `method`: it answers like Green API from now on."""
        with self._lock:
            self._script.pop(method, None)

    def sent(self, method: str = "sendMessage") -> list[Recorded]:
        """Requests to `method` that Green API would have accepted (answered 200)."""
        with self._lock:
            return [r for r in self.requests if r.method == method and r.answered == 200]

    def answer(self, path: str, headers: dict[str, str], body: Any) -> Answer:
        match = _PATH.match(path)
        if not match:
            return Answer(404, {"message": "not found"})
        record = Recorded(
            match["instance"], match["method"], match["token"], body or {}, time.monotonic()
        )
        with self._lock:
            self.requests.append(record)
            queue = self._script.get(record.method)
            scripted = queue.popleft() if queue else None
        reply = scripted or self._documented_answer(record)
        record.answered = reply.status
        if isinstance(reply.body, dict) and reply.status == 200:
            record.id_message = reply.body.get("idMessage")
        return reply

    def _documented_answer(self, record: Recorded) -> Answer:
        if self.instances.get(record.instance) != record.token:
            return Answer(401, "Unauthorized")
        if record.method == "lastOutgoingMessages":
            return Answer(200, self._journal(record.instance))
        if record.method == "showMessagesQueue":
            return Answer(200, [])
        if "chatId" not in record.body:
            return Answer(400, {"message": "Validation failed. Details: 'chatId' is required"})
        if record.method in ("sendMessage", "sendFileByUrl"):
            return Answer(200, {"idMessage": secrets.token_hex(10).upper()})
        if record.method == "readChat":
            return Answer(200, {"setRead": True})
        return Answer(404, {"message": f"unknown method {record.method}"})

    def _journal(self, instance: str) -> list[dict[str, Any]]:
        shown_before = time.monotonic() - self.journal_lag
        with self._lock:
            sent = [
                r
                for r in self.requests
                if r.instance == instance
                and r.method == "sendMessage"
                and r.answered == 200
                and r.id_message
                and r.at <= shown_before
            ]
        return [
            {
                "type": "outgoing",
                "idMessage": r.id_message,
                "timestamp": int(r.wall),
                "typeMessage": "textMessage",
                "chatId": r.body.get("chatId"),
                "textMessage": r.body.get("message"),
                "statusMessage": "sent",
                "sendByApi": True,
            }
            for r in reversed(sent)
        ]


def main() -> None:
    """Run the fake from a shell: `python -m replay.fake_greenapi --instance ID --token TOKEN`."""
    import argparse

    parser = argparse.ArgumentParser(description="A loopback fake of Green API's HTTP API.")
    parser.add_argument("--instance", required=True, help="idInstance it accepts")
    parser.add_argument("--token", required=True, help="apiTokenInstance it accepts")
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    args = parser.parse_args()
    fake = FakeGreenApi({args.instance: args.token}, port=args.port)
    fake.start()
    print(f"fake Green API on {fake.url} (Ctrl-C to stop); requests are printed below", flush=True)
    seen = 0
    try:
        while True:
            time.sleep(0.2)
            for record in fake.requests[seen:]:
                print(f"{record.method} {record.answered} {json.dumps(record.body)}", flush=True)
            seen = len(fake.requests)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
