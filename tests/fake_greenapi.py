"""A loopback fake of Green API's HTTP API: a real HTTP server that records every request and
answers like Green API, or with scripted failures (429 with Retry-After, 5xx, slow answers).

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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PATH = re.compile(r"^/waInstance(?P<instance>[^/]+)/(?P<method>[A-Za-z]+)/(?P<token>[^/?]+)$")


@dataclass
class Recorded:
    instance: str
    method: str
    token: str
    body: dict[str, Any]
    at: float  # time.monotonic() when the request arrived
    answered: int = 0  # the status it got


@dataclass
class Scripted:
    status: int
    body: dict[str, Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FakeGreenApi:
    """`FakeGreenApi(instances={"1101000001": "token"})`; `.url` is the host to point clients at."""

    def __init__(self, instances: dict[str, str], port: int = 0) -> None:
        self.instances = dict(instances)
        self.requests: list[Recorded] = []
        self._script: dict[str, deque[Scripted]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeGreenApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeGreenApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, method: str, *answers: Scripted) -> None:
        """Queue answers for `method`; once used up, it answers like Green API again."""
        with self._lock:
            self._script.setdefault(method, deque()).extend(answers)

    def sent(self, method: str = "sendMessage") -> list[Recorded]:
        """Requests to `method` that Green API would have accepted (answered 200)."""
        with self._lock:
            return [r for r in self.requests if r.method == method and r.answered == 200]

    def _answer(self, record: Recorded) -> Scripted:
        with self._lock:
            queue = self._script.get(record.method)
            if queue:
                return queue.popleft()
        if self.instances.get(record.instance) != record.token:
            return Scripted(401, "Unauthorized")
        if "chatId" not in record.body:
            return Scripted(400, {"message": "Validation failed. Details: 'chatId' is required"})
        if record.method in ("sendMessage", "sendFileByUrl"):
            return Scripted(200, {"idMessage": secrets.token_hex(10).upper()})
        if record.method == "readChat":
            return Scripted(200, {"setRead": True})
        return Scripted(404, {"message": f"unknown method {record.method}"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                match = _PATH.match(self.path)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_unparsed": raw.decode(errors="replace")}
                if not match:
                    self._send(Scripted(404, {"message": "not found"}))
                    return
                record = Recorded(
                    match["instance"], match["method"], match["token"], body, time.monotonic()
                )
                with fake._lock:
                    fake.requests.append(record)
                answer = fake._answer(record)
                if answer.delay:
                    time.sleep(answer.delay)
                record.answered = answer.status
                self._send(answer)

            def _send(self, answer: Scripted) -> None:
                payload = (
                    answer.body.encode()
                    if isinstance(answer.body, str)
                    else json.dumps(answer.body if answer.body is not None else {}).encode()
                )
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: request lines carry the token

        return Handler


def main() -> None:
    """Run the fake from a shell: `python -m tests.fake_greenapi --instance ID --token TOKEN`."""
    import argparse

    parser = argparse.ArgumentParser(description="A loopback fake of Green API's HTTP API.")
    parser.add_argument("--instance", required=True, help="idInstance it accepts")
    parser.add_argument("--token", required=True, help="apiTokenInstance it accepts")
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    args = parser.parse_args()
    fake = FakeGreenApi({args.instance: args.token}, port=args.port).start()
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
