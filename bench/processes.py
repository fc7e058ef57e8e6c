"""Servers under test, each in its own process so that /proc tells its CPU time apart.

CPU per request comes from ``/proc/<pid>/stat`` (user + system time) rather than from requests
per second alone: on a shared machine the wall clock is noisy, while the CPU a server spent on
its requests barely depends on what else runs.
"""

from __future__ import annotations

import http.client
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Self

REPO = Path(__file__).resolve().parent.parent
# What a run leaves behind for a person to read (server logs, py-spy samples), git-ignored:
# bench/results holds only the summaries a run is published with.
RAW_DIR = REPO / "bench" / "out"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_READY_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 10.0
# What a server's log holds when a request raised instead of answering.
EXCEPTION_MARKERS = ("Traceback (most recent call last)", "Exception in ASGI application")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def raise_open_files_limit() -> int:
    """1,000 client connections plus the pool need more descriptors than the usual 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may contain spaces; the fields after it are fixed.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def uvicorn_argv(app: str, port: int) -> list[str]:
    """The same server options ``bff serve`` uses: uvloop, httptools, no access log."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--app-dir",
        str(REPO),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
        "--timeout-keep-alive",
        "30",
    ]


@dataclass
class Server:
    """One server process on a loopback port, its output in ``log_path``."""

    name: str
    argv: Sequence[str]
    port: int
    log_path: Path
    env: Mapping[str, str] = field(default_factory=dict)
    cpus: frozenset[int] | None = None
    """CPUs the process is pinned to (``python -m bench --pin``); None: wherever it runs."""
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)
    _scanned: int = field(default=0, init=False, repr=False)
    """How far `exceptions_logged` has read the log (a BFF with its access log writes a line
    per request: tens of MiB in a run, too much to read again after every run)."""
    _exceptions: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError(f"{self.name} is not running")
        return self._process.pid

    def spawn(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # Appending: a restarted server keeps the log of its earlier life.
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            list(self.argv),
            cwd=REPO,
            env={**os.environ, **self.env},
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        if self.cpus:
            os.sched_setaffinity(self._process.pid, self.cpus)

    def wait_ready(self) -> None:
        """Wait until the server answers HTTP (any status), or fail with its log."""
        deadline = time.monotonic() + _READY_TIMEOUT_S
        while True:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at startup:\n{self.log_tail()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/__bench_ready")
                connection.getresponse().read()
                connection.close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} did not start:\n{self.log_tail()}") from None
                time.sleep(0.05)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def restart(self) -> None:
        self.stop(force=True)
        self.spawn()
        self.wait_ready()

    def wait_idle(self, *, within: float = 10.0) -> bool:
        """Wait until the server stops spending CPU (say on requests the last run left queued
        behind it), so that it does not slow down the next variant's run; False if it never did."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            before = self.cpu_seconds()
            time.sleep(0.25)
            if self.cpu_seconds() - before <= 0.01:
                return True
        return False

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - 64 * 1024))
            tail = log.read().decode(errors="replace")
        return "\n".join(tail.splitlines()[-lines:])

    def exceptions_logged(self) -> int:
        """Exceptions in the log so far (an ASGI error line and its traceback count once).
        Reads only what was written since the last call, up to its last complete line."""
        if self.log_path.exists():
            with self.log_path.open("rb") as log:
                log.seek(self._scanned)
                new = log.read()
            complete = new[: new.rfind(b"\n") + 1]
            self._scanned += len(complete)
            text = complete.decode(errors="replace")
            for marker in EXCEPTION_MARKERS:
                self._exceptions[marker] = self._exceptions.get(marker, 0) + text.count(marker)
        return max((self._exceptions.get(marker, 0) for marker in EXCEPTION_MARKERS), default=0)

    def stop(self, *, force: bool = False) -> None:
        """SIGTERM (uvicorn's graceful shutdown), or SIGKILL with ``force`` for a server that
        would otherwise finish a backlog nobody is waiting for."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL if force else signal.SIGTERM)
            try:
                self._process.wait(_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(_STOP_TIMEOUT_S)
        if self._log is not None:
            self._log.close()
            self._log = None


class Servers:
    """Start several servers at once (startup dominates short runs) and stop them all."""

    def __init__(self, servers: Sequence[Server]) -> None:
        self.servers = list(servers)

    def __enter__(self) -> Self:
        try:
            for server in self.servers:
                server.spawn()
            for server in self.servers:
                server.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __getitem__(self, name: str) -> Server:
        for server in self.servers:
            if server.name == name:
                return server
        raise KeyError(name)
