"""Streaming passthrough and the NDJSON export, over real sockets, with the pool checked after."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message
from support import (
    Simulator,
    assert_problem,
    pool_in_use,
    settings_for,
    simulator_media_origins,
    wait_until,
)

from bff.app import create_app
from simulator import BackgroundServer

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

MiB = 1024 * 1024


@pytest.fixture
def streaming_bff(sim: Simulator) -> Iterator[tuple[FastAPI, str]]:
    """A BFF whose app object the test keeps, to look at its connection pool."""
    app = create_app(
        settings_for(
            sim.url,
            export_page_size=20,
            # Room for the hundred concurrent streams of the disconnect test.
            max_concurrent_streams=100,
            media_origins=simulator_media_origins(sim.url, icon=["bytes"]),
        )
    )
    with BackgroundServer(app) as server:
        yield app, server.url


def _in_use(app: FastAPI) -> int:
    return pool_in_use(app.state.http) + pool_in_use(app.state.media_http)


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def test_product_image_is_passed_through_byte_for_byte(
    streaming_bff: tuple[FastAPI, str], sim: Simulator
) -> None:
    app, url = streaming_bff
    product = sim.control.get("/products/1").json()
    path = httpx.URL(product["thumbnail"]).path
    direct = sim.control.get(path)

    response = httpx.get(f"{url}/v1/products/1/image")

    assert response.status_code == 200
    assert response.content == direct.content
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["content-length"] == str(len(direct.content))
    assert "set-cookie" not in response.headers
    assert response.headers["x-request-id"]
    assert _in_use(app) == 0


def test_user_avatar_is_streamed(streaming_bff: tuple[FastAPI, str], sim: Simulator) -> None:
    _, url = streaming_bff

    response = httpx.get(f"{url}/v1/users/1/avatar")

    assert response.status_code == 200
    assert response.content.startswith(b"\x89PNG")
    assert sim.route_count("/icon/{seed}/{size}") == 1


def test_missing_image_index_is_404(streaming_bff: tuple[FastAPI, str]) -> None:
    _, url = streaming_bff

    assert_problem(httpx.get(f"{url}/v1/products/1/image", params={"index": 99}), 404)
    assert_problem(httpx.get(f"{url}/v1/products/99999/image"), 404)


def _raw_get(url: str, target: str) -> bytes:
    """Send a request line exactly as written: httpx would normalise the dot segments away."""
    host, port = httpx.URL(url).host, httpx.URL(url).port
    assert port is not None
    with socket.create_connection((host, port), timeout=5) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "target",
    [
        "/v1/media/../users/1",
        "/v1/media/icon/../../users/1",
        "/v1/media/%2e%2e/users/1",
        "/v1/media/icon%2Femilys/64",
        "/v1/media/icon%5cemilys/64",
        "/v1/media/http://evil.example/x.png",
        "/v1/media//evil.example/x.png",
        "/v1/media/icon/emilys/64%00",
    ],
)
def test_media_paths_that_try_to_escape_are_400(
    streaming_bff: tuple[FastAPI, str], sim: Simulator, target: str
) -> None:
    _, url = streaming_bff

    raw = _raw_get(url, target)

    assert raw.startswith(b"HTTP/1.1 400 "), raw[:200]
    assert b"application/problem+json" in raw
    assert sim.stats()["total"] == 0, "nothing was fetched"


def test_media_route_passes_a_plain_path_and_query(
    streaming_bff: tuple[FastAPI, str], sim: Simulator
) -> None:
    _, url = streaming_bff

    response = httpx.get(f"{url}/v1/media/icon/a/40", params={"bytes": 5000, "delay": 4000})

    assert response.status_code == 200
    assert len(response.content) == 5000
    # Only the parameter the origin's configuration names is passed on.
    assert sim.stats()["paths"] == {"/icon/a/40": 1}


def test_200_mib_stream_keeps_memory_flat(streaming_bff: tuple[FastAPI, str]) -> None:
    """Simulator, BFF and client share this process: if any of them buffered the body, the
    process's resident memory would grow by about the body's size."""
    app, url = streaming_bff
    size = 200 * MiB
    baseline = _rss_bytes()
    peak = baseline
    received = 0
    with httpx.stream(
        "GET", f"{url}/v1/media/icon/s/8", params={"bytes": size}, timeout=60
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-length"] == str(size)
        for chunk in response.iter_raw(256 * 1024):
            received += len(chunk)
            peak = max(peak, _rss_bytes())

    assert received == size
    growth = peak - baseline
    assert growth < 30 * MiB, f"RSS grew by {growth / MiB:.1f} MiB while streaming 200 MiB"
    assert wait_until(lambda: _in_use(app) == 0)


async def test_clients_that_disconnect_mid_stream_leave_no_busy_connection(
    streaming_bff: tuple[FastAPI, str],
) -> None:
    app, url = streaming_bff

    async def read_a_little_then_leave() -> None:
        async with httpx.AsyncClient(timeout=30) as client:
            request = client.build_request(
                "GET", f"{url}/v1/media/icon/s/8", params={"bytes": 20 * MiB}
            )
            response = await client.send(request, stream=True)
            assert response.status_code == 200
            async for _ in response.aiter_raw(64 * 1024):
                break
            await response.aclose()

    async def hundred_clients() -> None:
        await asyncio.gather(*(read_a_little_then_leave() for _ in range(100)))

    await hundred_clients()

    assert wait_until(lambda: _in_use(app) == 0), f"{_in_use(app)} pooled connections still busy"
    # And the pool still serves.
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{url}/v1/products/1/image")).status_code == 200


def test_downstream_reset_mid_stream_ends_the_response_and_is_logged(
    streaming_bff: tuple[FastAPI, str], sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    app, url = streaming_bff
    sim.faults({"path": "/icon/*", "mode": "reset", "after_bytes": 300_000})
    received: list[int] = []

    def read_all() -> None:
        with httpx.stream("GET", f"{url}/v1/media/icon/s/8", params={"bytes": 4 * MiB}) as response:
            assert response.status_code == 200
            received.extend(len(chunk) for chunk in response.iter_raw())

    with caplog.at_level(logging.WARNING, logger="bff.streaming"):
        with pytest.raises(httpx.RemoteProtocolError):
            read_all()

        assert 0 < sum(received) < 4 * MiB, "the frontend sees a truncated body, not a complete one"
        assert wait_until(lambda: "broke off mid-stream" in caplog.text)
    assert wait_until(lambda: _in_use(app) == 0)


def test_export_streams_the_whole_catalogue_as_ndjson(
    streaming_bff: tuple[FastAPI, str], sim: Simulator
) -> None:
    _, url = streaming_bff
    total = sim.control.get("/products", params={"limit": 1}).json()["total"]
    sim.clear()

    with httpx.stream("GET", f"{url}/v1/export/products.ndjson") as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/x-ndjson"
        lines = [json.loads(line) for line in response.iter_lines()]

    assert [line["id"] for line in lines] == sorted(line["id"] for line in lines)
    assert len(lines) == total
    assert {"id", "title", "price", "category"} <= set(lines[0])
    assert sim.route_count("/products") == -(-total // 20)


def test_export_ends_with_an_error_line_when_a_page_fails(
    streaming_bff: tuple[FastAPI, str], sim: Simulator
) -> None:
    _, url = streaming_bff
    sim.faults({"path": "/products", "mode": "malformed", "every": 2})

    with httpx.stream("GET", f"{url}/v1/export/products.ndjson") as response:
        lines = [json.loads(line) for line in response.iter_lines()]

    assert response.status_code == 200
    assert len(lines) == 21
    error = lines[-1]["error"]
    assert error["status"] == 502
    assert error["code"] == "bad_response"
    assert error["exported"] == 20


def test_export_first_page_failure_is_a_problem(
    streaming_bff: tuple[FastAPI, str], sim: Simulator
) -> None:
    _, url = streaming_bff
    sim.faults({"path": "/products", "mode": "malformed"})

    assert_problem(httpx.get(f"{url}/v1/export/products.ndjson"), 502)


async def test_export_fetches_the_next_page_only_after_the_previous_was_sent(
    sim: Simulator,
) -> None:
    """Backpressure: while the frontend's socket accepts nothing, paging stops."""
    app = create_app(settings_for(sim.url, export_page_size=10))
    observed: dict[str, int] = {}

    async def scenario() -> None:
        async with app.router.lifespan_context(app) as state:
            bodies = 0
            blocked = asyncio.Event()
            release = asyncio.Event()

            async def send(message: Message) -> None:
                nonlocal bodies
                if message["type"] == "http.response.body" and message.get("body"):
                    bodies += 1
                    if bodies == 2:
                        blocked.set()
                        await release.wait()

            async def receive() -> Message:
                await asyncio.Event().wait()
                return {"type": "http.disconnect"}

            scope = {
                "type": "http",
                "asgi": {"version": "3.0", "spec_version": "2.3"},
                "http_version": "1.1",
                "method": "GET",
                "scheme": "http",
                "path": "/v1/export/products.ndjson",
                "raw_path": b"/v1/export/products.ndjson",
                "root_path": "",
                "query_string": b"",
                "headers": [(b"host", b"bff.test")],
                "client": ("127.0.0.1", 1),
                "server": ("127.0.0.1", 80),
                "state": dict(state or {}),
            }
            task = asyncio.create_task(app(scope, receive, send))
            await blocked.wait()
            observed["while_blocked"] = await asyncio.to_thread(sim.route_count, "/products")
            release.set()
            await task
            observed["at_end"] = await asyncio.to_thread(sim.route_count, "/products")

    await scenario()

    assert observed["while_blocked"] == 2, "page 1 sent, page 2 fetched and waiting to be sent"
    assert observed["at_end"] == 20
