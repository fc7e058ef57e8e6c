"""A real ``bff serve`` process for the tests of the door (importable as ``serve_support``).

The door's limits live in the server process (``bff/server.py``) and are measured on it (its
RSS, its open descriptors), so these tests run the production command, not an in-thread server.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from support import free_port, wait_until

MiB = 1024 * 1024


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    ops_port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ops_url(self) -> str:
        return f"http://127.0.0.1:{self.ops_port}"

    def rss_bytes(self) -> int:
        """The server's resident memory now, from /proc."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS line")

    def open_descriptors(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def bff_serve(downstream_url: str, tmp_path: Path, **settings: str) -> Iterator[Served]:
    """``bff serve`` with an operations port, settings from the environment, in an empty
    directory (no ``.env``); stopped (SIGTERM, then killed) when the block ends."""
    port, ops_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BFF_", "OTEL_"))}
    env.update(
        BFF_DOWNSTREAM_URL=downstream_url,
        BFF_HOST="127.0.0.1",
        BFF_PORT=str(port),
        BFF_OPS_PORT=str(ops_port),
        BFF_CACHE_ENABLED="false",
        **{f"BFF_{name.upper()}": value for name, value in settings.items()},
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "bff.cli", "serve"],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    served = Served(process, port, ops_port, log)

    def ready() -> bool:
        try:
            return httpx.get(served.ops_url + "/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        started = wait_until(lambda: process.poll() is not None or ready(), within=60)
        assert started, served.output()
        assert process.poll() is None, served.output()
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Answer:
    head: bytes
    body: bytes
    sent: int
    """Bytes of the request the client managed to send before it stopped."""

    @property
    def status(self) -> int:
        return int(self.head.split(b" ", 2)[1])

    def header(self, name: str) -> str | None:
        for line in self.head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == name.lower().encode():
                return value.strip().decode("latin-1")
        return None


def send_until_answered(
    sock: socket.socket, head: bytes, chunk: bytes, total: int, *, within: float = 30.0
) -> Answer:
    """Send ``head``, then ``chunk`` after chunk up to ``total`` bytes, stopping as soon as the
    server answers (or closes): the test never holds the whole body, and the server shows how
    early it refused. Then read the answer to the end (the server closes after it)."""
    sock.sendall(head)
    sock.setblocking(False)
    sent = len(head)
    deadline = time.monotonic() + within
    view = memoryview(chunk)
    while sent - len(head) < total and time.monotonic() < deadline:
        readable, writable, _ = select.select([sock], [sock], [], 1.0)
        if readable:
            break
        if writable:
            try:
                sent += sock.send(view)
            except (BlockingIOError, InterruptedError):
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
    sock.setblocking(True)
    sock.settimeout(max(1.0, deadline - time.monotonic()))
    data = b""
    try:
        while True:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
    except ConnectionResetError:
        pass  # the server closed with part of our request unread: what it said is in `data`
    head_bytes, _, body = data.partition(b"\r\n\r\n")
    return Answer(head_bytes, body, sent)
