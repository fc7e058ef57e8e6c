"""A real ``bff serve`` process, stopped with SIGTERM the way Kubernetes stops a pod.

Expected: ``/readyz`` answers 503 at once while the server keeps serving (new requests too) for
the drain; a request already in flight, slower than the drain, still completes with 200 during
the grace period; then the process closes its pool and exits. Everything runs on 127.0.0.1,
every wait is bounded and polls a condition.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from support import Simulator, free_port, wait_until

pytestmark = pytest.mark.integration

DRAIN_SECONDS = 2.5
SLOW_MS = 4000  # longer than the drain: the in-flight request ends during uvicorn's grace period
CLOSED_POOL = "shutdown complete: downstream connection pool closed"


class ServeProcess:
    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def get(self, path: str) -> httpx.Response | None:
        """One request on a new connection; None when nothing answers."""
        try:
            return httpx.get(self.url + path, timeout=5)
        except httpx.TransportError:
            return None

    def status(self, path: str) -> int | None:
        response = self.get(path)
        return None if response is None else response.status_code


@contextmanager
def bff_serve(
    sim: Simulator, tmp_path: Path, *args: str, **settings: str
) -> Iterator[ServeProcess]:
    """``bff serve`` in its own process (settings from the environment, as in production), in an
    empty directory so no ``.env`` file is read; killed if a test leaves it running."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BFF_", "OTEL_"))}
    env.update(
        BFF_DOWNSTREAM_URL=sim.url,
        BFF_HOST="127.0.0.1",
        BFF_PORT=str(port),
        BFF_CACHE_ENABLED="false",
        **{f"BFF_{name.upper()}": value for name, value in settings.items()},
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "bff.cli", "serve", *args],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    serve = ServeProcess(process, f"http://127.0.0.1:{port}", log)
    try:
        started = wait_until(
            lambda: process.poll() is not None or serve.status("/readyz") == 200, within=60
        )
        assert started, serve.output()
        assert process.poll() is None, serve.output()
        yield serve
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_sigterm_drains_then_finishes_in_flight_requests_then_closes_the_pool(
    sim: Simulator, tmp_path: Path
) -> None:
    with bff_serve(
        sim, tmp_path, shutdown_drain_seconds=str(DRAIN_SECONDS), shutdown_grace_seconds="20"
    ) as serve:
        sim.faults({"path": "/users/1", "mode": "delay", "delay_ms": SLOW_MS})
        slow: list[httpx.Response] = []
        in_flight = threading.Thread(
            target=lambda: slow.append(httpx.get(serve.url + "/v1/users/1/profile", timeout=30))
        )
        in_flight.start()
        assert wait_until(lambda: sim.stats()["paths"].get("/users/1", 0) == 1, within=10)

        serve.process.send_signal(signal.SIGTERM)

        # At once: not ready, but still serving, new connections and screens included.
        readiness: list[httpx.Response] = []
        assert wait_until(
            lambda: (
                (r := serve.get("/readyz")) is not None
                and r.status_code == 503
                and not readiness.append(r)
            ),
            within=DRAIN_SECONDS,
        ), serve.output()
        assert readiness[0].json()["status"] == "draining"
        assert set(readiness[0].json()["breakers"].values()) == {"closed"}
        assert serve.status("/v1/users/2/profile") == 200
        assert serve.status("/healthz") == 200

        in_flight.join(timeout=30)
        assert [r.status_code for r in slow] == [200], serve.output()
        assert slow[0].json()["user"]["id"] == 1

        serve.process.wait(timeout=30)
        output = serve.output()
        # uvicorn re-raises the SIGTERM it handled once it has shut down, as a server should.
        assert serve.process.returncode == -signal.SIGTERM, output
        assert "timeout graceful shutdown exceeded" not in output, "nothing was cancelled"
        assert output.count(CLOSED_POOL) == 1, output


def test_workers_each_serve_with_their_own_pool_and_all_stop_on_sigterm(
    sim: Simulator, tmp_path: Path
) -> None:
    with bff_serve(sim, tmp_path, "--workers", "2") as serve:
        assert wait_until(lambda: serve.output().count("Application startup complete") == 2)
        for _ in range(4):
            assert serve.status("/v1/users/1/profile") == 200

        serve.process.send_signal(signal.SIGTERM)
        serve.process.wait(timeout=30)
        output = serve.output()
        assert output.count("Started server process") == 2, output
        assert output.count(CLOSED_POOL) == 2, output
