"""The picture proxy at the edge: it reaches only allow-listed picture paths, passes only
pictures, keeps its streams apart from the screens, and lets go of frontends that leave or stop
reading. Real sockets throughout; the simulator stands in for both picture hosts."""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from serve_support import bff_serve
from support import (
    Simulator,
    assert_problem,
    pool_in_use,
    settings_for,
    simulator_media_origins,
    wait_until,
)

from bff.app import create_app
from simulator import BackgroundServer, create_simulator_app
from simulator.data import QUOTED_SLUG_PRODUCTS

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

MiB = 1024 * 1024

# Every API route of the downstream contract (docs/reference/downstream.md), as concrete paths, plus
# the simulator's control routes and the API host's other generated routes.
API_ROUTES = (
    "users/1",
    "users",
    "users/search",
    "users/1/carts",
    "users/1/posts",
    "users/1/todos",
    "products/1",
    "products",
    "products/search",
    "products/categories",
    "products/category-list",
    "products/category/beauty",
    "carts/1",
    "carts/user/1",
    "posts",
    "posts/search",
    "posts/1",
    "posts/1/comments",
    "todos",
    "quotes/random",
    "quotes/1",
    "recipes/1",
    "recipes/search",
    "auth/login",
    "auth/me",
    "auth/refresh",
    "__sim/stats",
    "__sim/faults",
    "http/200",
    "image/8",
)
# Ways a path under /v1/media/ might try to reach them.
WRAPPINGS = (
    "{route}",
    "icon/../{route}",
    "icon/%2e%2e/{route}",
    "icon/..%2f{route}",
    "product-images/..%2F..%2F{route}",
    "product-images/%2E%2E/%2E%2E/{route}",
    "icon/x/..\\..\\{route}",
    "icon/{route}",
    "product-images/{route}",
    "/{route}",
    "http://127.0.0.1/{route}",
)
QUERY = "?select=username,password&limit=0&q=a&delay=0"


def _raw_get(url: str, target: str, headers: str = "") -> tuple[int, str, bytes]:
    """Send a request line exactly as written (httpx would normalise dot segments away)."""
    parsed = httpx.URL(url)
    assert parsed.port is not None
    with socket.create_connection((parsed.host, parsed.port), timeout=10) as conn:
        conn.sendall(
            f"GET {target} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n".encode()
        )
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    content_type = next(
        (
            line.split(":", 1)[1].strip()
            for line in lines
            if line.lower().startswith("content-type")
        ),
        "",
    )
    return status, content_type, body


def _metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of a Prometheus text exposition."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    prefix = f"{name}{{{wanted}}} " if labels else f"{name} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    raise AssertionError(f"no sample {prefix!r}")


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def media_bff(sim: Simulator) -> Iterator[tuple[FastAPI, str]]:
    """A BFF whose icon origin passes `bytes` on (the simulator pads pictures to that size) and
    with a third origin, `data`, mistakenly pointed at a JSON route of the API."""
    origins: dict[str, Any] = simulator_media_origins(sim.url, icon=["bytes"])
    origins["data"] = f"{sim.url}/quotes"
    app = create_app(settings_for(sim.url, media_origins=origins, max_concurrent_streams=16))
    with BackgroundServer(app) as server:
        yield app, server.url


def test_no_media_path_or_query_reaches_an_api_route(sim: Simulator) -> None:
    """With the shipped origins (both picture prefixes on the API's own host, as in `make run`),
    every API route, wrapped every way a path might climb out of its prefix, answers a picture
    or a problem, and the simulator's API sees no call at all."""
    with BackgroundServer(create_app(settings_for(sim.url))) as server:
        seen: set[tuple[int, str]] = set()
        for route in API_ROUTES:
            for wrapping in WRAPPINGS:
                target = "/v1/media/" + wrapping.format(route=route)
                for query in ("", QUERY):
                    status, content_type, body = _raw_get(server.url, target + query)
                    assert status != 200 or content_type.startswith("image/"), target
                    assert content_type == "application/problem+json" or content_type.startswith(
                        "image/"
                    ), (target, content_type)
                    assert b"password" not in body
                    seen.add((status, content_type))

    paths = sim.stats()["paths"]
    assert paths, "the allowed picture paths were fetched"
    assert all(path.startswith(("/icon/", "/product-images/")) for path in paths), paths
    assert all("password" not in path and "select" not in path for path in paths)
    assert {status for status, _ in seen} <= {200, 400, 404}


def test_a_path_under_no_prefix_is_404_without_any_call(
    media_bff: tuple[FastAPI, str], sim: Simulator
) -> None:
    _, url = media_bff

    assert_problem(httpx.get(f"{url}/v1/media/users/1"), 404)
    assert_problem(httpx.get(f"{url}/v1/media/icon"), 404)
    assert sim.stats()["total"] == 0


def test_quoted_slugs_of_the_real_catalogue_are_encoded_not_refused(
    media_bff: tuple[FastAPI, str], sim: Simulator
) -> None:
    _, url = media_bff

    for product_id, slug in QUOTED_SLUG_PRODUCTS.items():
        response = httpx.get(f"{url}/v1/products/{product_id}/image")
        assert response.status_code == 200, (product_id, response.text)
        assert response.headers["content-type"] == "image/webp"
        assert response.content[:4] == b"RIFF"
        assert any(slug in path for path in sim.stats()["paths"]), slug


@pytest.mark.parametrize(
    ("target", "origin_path"),
    [
        ("/v1/media/product-images/fragrances/dior-j'adore/1.webp", "dior-j'adore/1.webp"),
        ("/v1/media/product-images/fragrances/dior-j%27adore/1.webp", "dior-j'adore/1.webp"),
        ("/v1/media/product-images/a/salt-&-pepper,(mill)/1.webp", "salt-&-pepper,(mill)/1.webp"),
        ("/v1/media/product-images/a/caf%C3%A9%20cr%C3%A8me/1.webp", "café crème/1.webp"),
    ],
)
def test_legal_path_characters_reach_the_origin_intact(
    media_bff: tuple[FastAPI, str], sim: Simulator, target: str, origin_path: str
) -> None:
    _, url = media_bff

    status, content_type, _ = _raw_get(url, target)

    assert (status, content_type) == (200, "image/webp")
    assert [path for path in sim.stats()["paths"] if path.endswith(origin_path)]


def test_only_the_query_parameters_an_origin_names_are_passed_on(
    media_bff: tuple[FastAPI, str], sim: Simulator
) -> None:
    _, url = media_bff

    product = httpx.get(f"{url}/v1/media/product-images/a/b/1.webp", params={"bytes": 5000})
    icon = httpx.get(f"{url}/v1/media/icon/a/40", params={"bytes": 5000, "delay": 3000})

    assert product.status_code == icon.status_code == 200
    assert len(product.content) < 5000, "product-images names no parameter"
    assert len(icon.content) == 5000, "icon names `bytes`"
    assert icon.elapsed.total_seconds() < 3, "`delay` was not passed on"


def test_an_origin_answer_that_is_not_a_picture_is_502(
    media_bff: tuple[FastAPI, str], sim: Simulator
) -> None:
    _, url = media_bff

    json_answer = httpx.get(f"{url}/v1/media/data/1")
    sim.faults({"path": "/icon/*", "mode": "status", "status": 204})
    no_content = httpx.get(f"{url}/v1/media/icon/a/40")

    assert_problem(json_answer, 502)
    assert json_answer.json()["type"] == "urn:bff:problem:bad-response"
    assert "quote" not in json_answer.text
    assert_problem(no_content, 502)


def test_an_origin_refusing_the_frontends_query_is_the_frontends_error(
    media_bff: tuple[FastAPI, str],
) -> None:
    _, url = media_bff

    response = httpx.get(f"{url}/v1/media/icon/a/40", params={"bytes": "lots"})

    assert_problem(response, 400)
    assert httpx.get(f"{url}/v1/media/icon/a/99999").status_code == 400


def test_the_request_deadline_bounds_the_wait_for_the_origin(
    media_bff: tuple[FastAPI, str], sim: Simulator
) -> None:
    _, url = media_bff
    sim.faults({"path": "/product-images/*", "mode": "delay", "delay_ms": 4000})

    started = time.monotonic()
    response = httpx.get(
        f"{url}/v1/products/2/image", headers={"X-Request-Timeout": "1"}, timeout=10
    )
    took = time.monotonic() - started

    assert_problem(response, 504)
    assert took < 1.2, f"answered after {took:.2f}s"


def test_media_calls_are_seen_like_any_other(
    media_bff: tuple[FastAPI, str], sim: Simulator
) -> None:
    _, url = media_bff
    sim.faults({"path": "/icon/*", "mode": "reset", "after_bytes": 300_000})

    ok = httpx.get(f"{url}/v1/media/product-images/a/b/1.webp")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{url}/v1/media/icon/a/40", params={"bytes": MiB})

    assert ok.headers["server-timing"].startswith("media.product-images;dur=")
    services = {
        entry["service"]: entry for entry in httpx.get(f"{url}/status.json").json()["services"]
    }
    assert services["media.product-images"]["breaker"] == "closed"
    assert "media.icon" in services
    product = {"service": "media.product-images", "operation": "media.product-images.get"}
    icon = {"service": "media.icon", "operation": "media.icon.get"}

    def calls(labels: dict[str, str], outcome: str) -> float:
        text = httpx.get(f"{url}/metrics").text
        try:
            return _metric(text, "bff_downstream_calls_total", **labels, outcome=outcome)
        except AssertionError:
            return 0

    assert calls(product, "ok") == 1
    # The cut is noticed on the BFF's side a moment after the frontend saw it.
    assert wait_until(lambda: calls(icon, "unavailable") == 1), "a cut body is a failure"
    assert calls(icon, "ok") == 0


def _open_without_reading(url: str, target: str) -> socket.socket:
    """A frontend that asks for a picture and never reads it: a small receive buffer, so the
    BFF's writes block soon instead of filling megabytes of kernel memory."""
    parsed = httpx.URL(url)
    assert parsed.port is not None
    conn = socket.socket()
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    conn.connect((parsed.host, parsed.port))
    conn.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return conn


def test_streams_that_nobody_reads_cannot_take_the_screens_connections(
    media_bff: tuple[FastAPI, str], sim: Simulator
) -> None:
    """200 frontends hold large pictures open without reading: 16 get a stream slot (the
    fixture's cap), the others a 503 at once, and every screen still answers from its own pool."""
    app, url = media_bff
    target = f"/v1/media/icon/a/8?bytes={512 * MiB}"
    holders = [_open_without_reading(url, target) for _ in range(200)]
    try:
        media = app.state.media
        assert wait_until(lambda: media.open_streams == 16 and media.refused == 184, within=20)

        for user_id in range(1, 11):
            started = time.monotonic()
            screen = httpx.get(f"{url}/v1/users/{user_id}/profile", timeout=10)
            assert screen.status_code == 200, screen.text
            # Well under the 2 s pool timeout: no screen waited for a connection.
            assert time.monotonic() - started < 1.5

        metrics = httpx.get(f"{url}/metrics").text
        assert _metric(metrics, "bff_streams_open") == 16
        assert _metric(metrics, "bff_streams_refused_total") == 184
        assert _metric(metrics, "bff_stream_pool_connections", state="in_use") == 16
        assert _metric(metrics, "bff_downstream_pool_connections", state="waiting") == 0
        refused = httpx.get(f"{url}/v1/media/icon/a/8")
        assert_problem(refused, 503)
        assert refused.headers["retry-after"] == "1"
    finally:
        for conn in holders:
            conn.close()
    assert wait_until(lambda: media.open_streams == 0, within=2), "slots free within 2 s"
    assert wait_until(lambda: pool_in_use(app.state.media_http) == 0, within=2)


def test_frontends_leaving_at_once_stop_the_origin_reads() -> None:
    """200 frontends leave a 1 GiB download at the same instant: the origin sends well under
    1 MiB per stream after that, and every stream slot is free within 2 s.

    Its own simulator and BFF with small socket send buffers: 200 streams parked on
    autotuned buffers would cost this one process gigabytes of copying before anyone leaves."""
    with BackgroundServer(create_simulator_app(), send_buffer=64 * 1024) as origin:
        settings = settings_for(
            origin.url,
            max_concurrent_streams=200,
            # Opening 200 streams in one process takes seconds; that is not what is measured.
            downstream_timeout=30,
            request_timeout=30,
            media_origins=simulator_media_origins(origin.url, icon=["bytes"]),
        )
        app = create_app(settings)
        with BackgroundServer(app, send_buffer=64 * 1024) as server:
            target = f"/v1/media/icon/a/8?bytes={1024 * MiB}"
            clients = [_open_without_reading(server.url, target) for _ in range(200)]
            media = app.state.media
            for conn in clients:
                conn.settimeout(30)
                assert conn.recv(4096).startswith(b"HTTP/1.1 200 ")
            assert media.open_streams == 200

            stats = app_stats(origin.url)
            before = stats()
            for conn in clients:
                # Linger 0: the close resets the connection at once, as a killed frontend.
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
            assert wait_until(lambda: media.open_streams == 0, within=2), "slots free in 2 s"
            assert wait_until(lambda: pool_in_use(app.state.media_http) == 0, within=2)
            after = stats()

    per_stream = (after - before) / 200
    print(f"origin bytes after 200 frontends left: {per_stream / 1024:.1f} KiB per stream")
    assert per_stream < MiB, f"{per_stream / MiB:.2f} MiB read per stream after they left"


def app_stats(url: str) -> Callable[[], int]:
    def picture_bytes() -> int:
        value: int = httpx.get(f"{url}/__sim/stats").json()["pictureBytes"]
        return value

    return picture_bytes


async def test_memory_returns_after_a_burst_of_streams(sim: Simulator, tmp_path: Path) -> None:
    """100 concurrent pictures read to the end through a real `bff serve`: afterwards its
    resident memory is back within 30 MiB of where it was before the burst (relay buffers are
    bounded, and given back to the system: see bff/memory.py). 8 MiB each, to keep the suite
    fast; 50 MiB each measure the same."""
    origins = json.dumps(simulator_media_origins(sim.url, icon=["bytes"]))
    with bff_serve(
        sim.url, tmp_path, media_origins=origins, max_concurrent_streams="100"
    ) as served:

        async def read_one(client: httpx.AsyncClient) -> int:
            async with client.stream(
                "GET", f"{served.url}/v1/media/icon/a/8", params={"bytes": 8 * MiB}
            ) as response:
                assert response.status_code == 200
                return sum([len(chunk) async for chunk in response.aiter_raw()])

        async def burst(streams: int) -> list[int]:
            limits = httpx.Limits(max_connections=streams)
            async with httpx.AsyncClient(timeout=60, limits=limits) as client:
                return await asyncio.gather(*(read_one(client) for _ in range(streams)))

        await burst(1)  # the code paths and the pool exist once
        before = served.rss_bytes()
        sizes = await burst(100)
        after = served.rss_bytes()

    assert sizes == [8 * MiB] * 100
    growth = after - before
    print(f"bff serve RSS {before / MiB:.1f} MiB before the burst, {after / MiB:.1f} MiB after")
    assert growth < 30 * MiB, f"RSS {growth / MiB:.1f} MiB above its level before the burst"
