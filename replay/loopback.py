"""A JSON-over-HTTP server on 127.0.0.1 for fakes of remote APIs (Green API, Anthropic)."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


@dataclass
class Answer:
    status: int
    body: dict[str, Any] | list[Any] | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class LoopbackServer:
    """Subclasses implement `answer(path, headers, body) -> Answer`; this serves it."""

    def __init__(self, port: int = 0) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, path: str, headers: dict[str, str], body: Any) -> Answer:
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._serve(server.answer(self.path, dict(self.headers), None))

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_unparsed": raw.decode(errors="replace")}
                self._serve(server.answer(self.path, dict(self.headers), body))

            def _serve(self, answer: Answer) -> None:
                if answer.delay:
                    time.sleep(answer.delay)
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
                pass  # quiet: request lines may carry secrets

        return Handler


class QueuedLoopback(LoopbackServer):
    """A fake model API: answers `POST {path}` with queued answers in order and records every
    request (body and lower-cased headers). Subclasses say what a wrong path or an empty queue
    gets, in their API's error shape."""

    path = "/"

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._answers: deque[Answer] = deque()
        self._lock = threading.Lock()

    def queue(self, *answers: Answer) -> None:
        with self._lock:
            self._answers.extend(answers)

    def not_found(self, path: str) -> Answer:
        raise NotImplementedError

    def nothing_queued(self) -> Answer:
        raise NotImplementedError

    def answer(self, path: str, headers: dict[str, str], body: Any) -> Answer:
        with self._lock:
            self.requests.append(body)
            self.headers.append({k.lower(): v for k, v in headers.items()})
            if path != self.path:
                return self.not_found(path)
            if not self._answers:
                return self.nothing_queued()
            return self._answers.popleft()
