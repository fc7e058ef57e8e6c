"""A real ``bff serve`` process, stopped with SIGTERM the way Kubernetes stops a pod.

Expected: ``/readyz`` answers 503 at once while the server keeps serving (new requests too) for
the drain; a request already in flight, slower than the drain, still completes with 200 during
the grace period; then the process closes its pool and exits. Everything runs on 127.0.0.1,
every wait is bounded and polls a condition.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import httpx
import pytest
from support import Simulator, bff_serve, wait_until

pytestmark = pytest.mark.integration

DRAIN_SECONDS = 2.5
SLOW_MS = 4000  # longer than the drain: the in-flight request ends during uvicorn's grace period
CLOSED_POOL = "shutdown complete: downstream connection pool closed"


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
