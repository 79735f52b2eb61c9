"""Throwaway PostgreSQL and Redis servers on loopback, for the tests and the benchmarks (here,
beside the loopback fakes of remote APIs, so that benchmarks never import the tests).

Both are started from the installed binaries into a temporary folder and stopped (folder removed)
on `stop()`. PostgreSQL refuses to run as root, so under root it runs as the `postgres` user.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

START_TIMEOUT_S = 30.0


class ServerUnavailable(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerUnavailable(f"server exited with {process.returncode}: {_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise ServerUnavailable(f"server did not listen on {port} in {START_TIMEOUT_S}s: {_tail(log)}")


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-800:]
    except OSError:
        return "(no log)"


def _pg_bindir() -> Path:
    found = shutil.which("pg_config")
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False)
        bindir = Path(out.stdout.strip())
        if (bindir / "initdb").exists():
            return bindir
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        raise ServerUnavailable("PostgreSQL binaries (initdb) not found: install postgresql")
    return Path(candidates[-1]).parent


class ThrowawayPostgres:
    """`initdb` + `postgres` on 127.0.0.1:<free port>, trust auth, fsync off (it is throwaway)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="wa-pg-"))
        self.process: subprocess.Popen[bytes] | None = None
        self._as_user: Sequence[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> ThrowawayPostgres:
        bindir = _pg_bindir()
        data = self.dir / "data"
        log = self.dir / "initdb.log"
        with open(log, "wb") as out:
            options = "-U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync".split()
            command = [*self._as_user, str(bindir / "initdb"), "-D", str(data), *options]
            result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
        if result.returncode != 0:
            raise ServerUnavailable(f"initdb failed: {_tail(log)}")
        atexit.register(self.stop)  # even if the caller never reaches its own stop()
        return self.start_server()

    def start_server(self) -> ThrowawayPostgres:
        """Start (or restart, after `stop_server`) the server on the same port and data."""
        bindir = _pg_bindir()
        server_log = self.dir / "server.log"
        with open(server_log, "ab") as log_file:
            where = ["-D", str(self.dir / "data"), "-p", str(self.port), "-k", str(self.dir)]
            fast = (  # a throwaway database: nothing needs to survive a crash
                "-h 127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                " -c max_connections=200 -c shared_buffers=256MB".split()
            )
            command = [*self._as_user, str(bindir / "postgres"), *where, *fast]
            self.process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
        _wait_for_port(self.port, self.process, server_log)
        self._wait_ready(server_log)
        return self

    def stop_server(self) -> None:
        """Stop the server (fast: clients are disconnected), keeping its data: the database
        is down until `start_server`."""
        if self.process and self.process.poll() is None:
            pg_ctl = [*self._as_user, str(_pg_bindir() / "pg_ctl"), "-D", str(self.dir / "data")]
            subprocess.run(
                [*pg_ctl, *"stop -m fast -w -t 15".split()], capture_output=True, check=False
            )
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _wait_ready(self, log: Path) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with psycopg.connect(self.admin_url, connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise ServerUnavailable(
                        f"PostgreSQL never accepted connections: {_tail(log)}"
                    ) from exc
                time.sleep(0.1)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        self.stop_server()
        shutil.rmtree(self.dir, ignore_errors=True)


class ThrowawayRedis:
    """`redis-server` on 127.0.0.1:<free port>, no persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="wa-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> ThrowawayRedis:
        atexit.register(self.stop)
        return self.start_server()

    def start_server(self) -> ThrowawayRedis:
        """Start (or restart, after `stop_server`) on the same port, empty (no persistence)."""
        binary = shutil.which("redis-server")
        if not binary:
            raise ServerUnavailable("redis-server not found: apt-get install -y redis-server")
        log = self.dir / "redis.log"
        with open(log, "ab") as log_file:
            where = ["--port", str(self.port), "--dir", str(self.dir)]
            options = "--bind 127.0.0.1 --appendonly no --daemonize no".split()
            command = [binary, *where, *options, "--save", ""]  # "": no snapshots
            self.process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
        _wait_for_port(self.port, self.process, log)
        return self

    def stop_server(self, *, kill: bool = False) -> None:
        """Stop the server (`kill`: SIGKILL, as a crash); everything it held is gone."""
        if self.process and self.process.poll() is None:
            self.process.kill() if kill else self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stop(self) -> None:
        self.stop_server()
        shutil.rmtree(self.dir, ignore_errors=True)
