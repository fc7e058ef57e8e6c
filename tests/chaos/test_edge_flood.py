"""A slow-header flood (slowloris) against a real ``bff serve``: probes keep answering.

Hundreds of connections each send a request line and then one header byte at a time, and
reconnect whenever the server drops them, as an attacker would. Throughout, ``/healthz`` on the
operations port answers within a second, the server's descriptors stay under its connection cap,
and the public port never hangs: a connection there is served or refused at once. Bounded:
``EDGE_FLOOD_CONNECTIONS`` (default 600) connections for ``EDGE_FLOOD_SECONDS`` (default 6).
Run by hand with ``EDGE_FLOOD_CONNECTIONS=10000`` for the figure in the README.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import socket
import time
from collections import Counter
from collections.abc import Iterator
from multiprocessing.queues import Queue
from pathlib import Path

import pytest
from serve_support import Served, bff_serve

from bff.server import MAX_LINGERING, OPS_MAX_CONNECTIONS
from simulator import BackgroundServer

pytestmark = pytest.mark.chaos

CONNECTIONS = int(os.environ.get("EDGE_FLOOD_CONNECTIONS", "600"))
SECONDS = float(os.environ.get("EDGE_FLOOD_SECONDS", "6"))
# By default half the flood is refused at the cap, the other half held until the header timeout.
CAP = int(os.environ.get("EDGE_FLOOD_CAP", str(max(100, CONNECTIONS // 2))))
HEADER_TIMEOUT = 2.0
BYTE_EVERY = 0.5
PROBE_EVERY = 0.1
PROBE_LIMIT = 1.0


@pytest.fixture
def served(simulator_server: BackgroundServer, tmp_path: Path) -> Iterator[Served]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = CONNECTIONS + 512
    if soft < wanted:
        assert hard == resource.RLIM_INFINITY or hard >= wanted, "raise the hard fd limit"
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    try:
        with bff_serve(
            simulator_server.url,
            tmp_path,
            max_connections=str(CAP),
            header_timeout=str(HEADER_TIMEOUT),
            log_level="warning",
        ) as server:
            yield server
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def _slow_client(port: int, until: float, outcomes: Counter[str]) -> None:
    """One attacker connection after another: a request line, then a byte per interval; after
    a refusal or a timeout it waits one interval and comes back."""
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            outcomes["connect_failed"] += 1
            await asyncio.sleep(BYTE_EVERY)
            continue
        try:
            writer.write(b"GET /v1/home HTTP/1.1\r\nHost: bff\r\nX-Slow: ")
            while time.monotonic() < until:
                try:
                    answer = await asyncio.wait_for(reader.read(64), BYTE_EVERY)
                except TimeoutError:
                    writer.write(b"a")
                    continue
                outcomes[answer[9:12].decode() or "closed"] += 1
                break
        except OSError:
            outcomes["reset"] += 1
        finally:
            writer.close()
        await asyncio.sleep(BYTE_EVERY)


async def _attack(port: int, until: float) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    await asyncio.gather(*(_slow_client(port, until, outcomes) for _ in range(CONNECTIONS)))
    return outcomes


def _attacker_process(port: int, until: float, results: Queue[dict[str, int]]) -> None:
    """The flood runs in a process of its own: its event loop is busy, and the probes'
    timings must be the server's, not the flood's. (So it runs its own loop with asyncio.run,
    not pytest's anyio plugin: no test runs in that process.)"""
    results.put(dict(asyncio.run(_attack(port, until))))


def _probe(port: int, path: str) -> tuple[float, bytes]:
    """Seconds until the answer, and its status (``RST`` for a connection reset: a refusal
    closed at once when too many refused connections were already lingering)."""
    started = time.monotonic()
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        try:
            sock.sendall(
                b"GET %s HTTP/1.1\r\nHost: bff\r\nConnection: close\r\n\r\n" % path.encode()
            )
            while piece := sock.recv(4096):
                answer += piece
        except ConnectionResetError:
            answer = b"HTTP/1.1 RST"
    return time.monotonic() - started, answer[9:12]


def test_probes_answer_within_a_second_through_a_slow_header_flood(served: Served) -> None:
    until = time.monotonic() + SECONDS
    results: Queue[dict[str, int]] = multiprocessing.get_context("spawn").Queue()
    attacker = multiprocessing.get_context("spawn").Process(
        target=_attacker_process, args=(served.port, until, results)
    )
    attacker.start()
    probes: list[tuple[float, bytes]] = []
    public: list[tuple[float, bytes]] = []
    fds: list[int] = []
    try:
        time.sleep(1.0)  # the flood is on (connecting takes a moment); then probe until it ends
        while time.monotonic() < until:
            probes.append(_probe(served.ops_port, "/healthz"))
            public.append(_probe(served.port, "/healthz"))
            fds.append(served.open_descriptors())
            time.sleep(PROBE_EVERY)
        outcomes = Counter(results.get(timeout=60))
    finally:
        attacker.join(timeout=60)
        if attacker.is_alive():
            attacker.kill()
    slowest = max(seconds for seconds, _ in probes)
    print(
        f"{CONNECTIONS} slow connections for {SECONDS:.0f} s (cap {CAP}): "
        f"{len(probes)} probes, slowest {slowest * 1000:.0f} ms; public port answers "
        f"{Counter(status.decode() for _, status in public)}, slowest "
        f"{max(s for s, _ in public) * 1000:.0f} ms; attacker outcomes {dict(outcomes)}; "
        f"server descriptors at most {max(fds)}"
    )
    assert probes
    assert all(status == b"200" for _, status in probes)
    assert slowest < PROBE_LIMIT
    # The public port never hangs: a probe there is served, or refused at once at the cap.
    assert {status for _, status in public} <= {b"200", b"503", b"RST"}
    assert max(seconds for seconds, _ in public) < PROBE_LIMIT
    # The cap held: the server never had more descriptors than it allows itself...
    assert max(fds) <= CAP + OPS_MAX_CONNECTIONS + MAX_LINGERING + 100 + 64
    # ...and it refused the excess at once and timed out the slow ones it had taken.
    assert outcomes["503"] > 0
    assert outcomes["408"] > 0
