"""Admission control over real sockets: past ``BFF_MAX_CONCURRENT_SCREENS`` a screen waits
before fanning out, and one that cannot start before its deadline is refused, uncalled."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pytest
from support import Simulator, assert_problem, wait_until

pytestmark = pytest.mark.integration


def test_a_screen_that_cannot_start_in_time_is_refused_without_calling_anything(
    start_bff: Callable[..., httpx.Client], sim: Simulator
) -> None:
    bff = start_bff(max_concurrent_screens=1)
    sim.faults({"path": "/users/1", "mode": "delay", "delay_ms": 1500})
    results: list[httpx.Response] = []
    holder = threading.Thread(target=lambda: results.append(bff.get("/v1/users/1/profile")))
    holder.start()
    try:
        assert wait_until(lambda: sim.path_count("/users/1") == 1), "the first screen is in"

        refused = bff.get("/v1/users/2/profile", headers={"X-Request-Timeout": "0.2"})

        body = assert_problem(refused, 503)
        assert body["type"] == "urn:bff:problem:overloaded"
        assert refused.headers["retry-after"] == "1"
        assert sim.path_count("/users/2") == 0, "refused before any downstream call"
    finally:
        holder.join()
    assert results[0].status_code == 200, "the admitted screen finished normally"
    assert bff.get("/v1/users/2/profile").status_code == 200, "the slot was given back"
    assert "bff_admission_refused_total 1.0" in bff.get("/metrics").text.splitlines()
