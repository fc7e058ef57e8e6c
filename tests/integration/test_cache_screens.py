"""The response cache end to end: real BFF servers on loopback, the simulator behind them.

Downstream calls are counted by the simulator (``/__sim/stats``), so each test states exactly
how many calls a scenario costs. Time is a manual clock handed to ``create_app``: a test steps
past a TTL instead of sleeping through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from support import ManualClock, RedisServer, Simulator, settings_for, wait_until

from bff.app import create_app
from clients.cache_layer import CacheLayer
from simulator import BackgroundServer

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

PROFILE = "/v1/users/1/profile"
PROFILE_CALLS = ("/users/1", "/carts/user/1", "/users/1/posts", "/users/1/todos")
ADMIN_TOKEN = "test-admin-token"


class Bffs:
    """Starts BFF servers with the cache on, each with its own clock unless given one."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._started: list[tuple[BackgroundServer, httpx.Client]] = []
        self._apps: dict[int, FastAPI] = {}

    def start(self, clock: ManualClock | None = None, **overrides: Any) -> httpx.Client:
        values: dict[str, Any] = {"cache_enabled": True, "admin_token": ADMIN_TOKEN, **overrides}
        app = create_app(settings_for(self.sim.url, **values), clock=clock or ManualClock())
        server = BackgroundServer(app)
        server.__enter__()
        client = httpx.Client(base_url=server.url, timeout=30)
        self._started.append((server, client))
        self._apps[id(client)] = app
        return client

    def cache_of(self, client: httpx.Client) -> CacheLayer:
        cache: CacheLayer = self._apps[id(client)].state.cache
        return cache

    def close(self) -> None:
        for server, client in reversed(self._started):
            client.close()
            server.__exit__(None, None, None)


@pytest.fixture
def bffs(sim: Simulator) -> Iterator[Bffs]:
    started = Bffs(sim)
    yield started
    started.close()


def counts(sim: Simulator, *routes: str) -> dict[str, int]:
    return {route: sim.path_count(route) for route in routes}


def sections(response: httpx.Response) -> dict[str, Any]:
    result: dict[str, Any] = response.json()["meta"]["sections"]
    return result


async def get_concurrently(base_url: str, path: str, n: int, **kwargs: Any) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=n)
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
            return list(await asyncio.gather(*(client.get(path, **kwargs) for _ in range(n))))

    return await run()


async def test_a_cold_burst_makes_one_call_per_resource_and_a_warm_request_none(
    bffs: Bffs, sim: Simulator
) -> None:
    bff = bffs.start()

    responses = await get_concurrently(str(bff.base_url), PROFILE, 100)

    assert {response.status_code for response in responses} == {200}
    assert len({response.content for response in responses}) == 1, "one answer for everyone"
    assert counts(sim, *PROFILE_CALLS) == dict.fromkeys(PROFILE_CALLS, 1)
    assert sim.stats()["total"] == len(PROFILE_CALLS)

    warm = bff.get(PROFILE)

    assert warm.status_code == 200
    assert sim.stats()["total"] == len(PROFILE_CALLS), "within the TTL: no downstream call"
    assert all(entry["status"] == "ok" for entry in sections(warm).values())
    assert warm.headers["cache-status"].count("BFF; hit") == len(PROFILE_CALLS)
    assert "cache=hit" in warm.headers["server-timing"]


async def test_past_the_ttl_stale_is_served_while_exactly_one_refresh_runs(
    bffs: Bffs, sim: Simulator
) -> None:
    clock = ManualClock()
    policy = {"ttl": 10, "stale_while_revalidate": 60, "stale_if_error": 0}
    bff = bffs.start(clock, cache_policies={"users.get": policy})
    first = bff.get(PROFILE)
    assert sim.path_count("/users/1") == 1

    clock.advance(15)
    stale = bff.get(PROFILE)

    user = sections(stale)["user"]
    assert user["status"] == "stale"
    assert user["age"] == pytest.approx(15)
    assert stale.json()["user"] == first.json()["user"]
    assert stale.json()["meta"]["partial"] is False
    assert "x-bff-partial" not in stale.headers
    assert stale.headers["cache-control"] == "public, max-age=0"
    assert 'BFF; hit; ttl=-5; detail="users GET /users/1"' in stale.headers["cache-status"]

    # Whether each of these lands before or after the refresh has finished, it is served at
    # once from the entry, and none of them starts a second refresh.
    burst = await get_concurrently(str(bff.base_url), PROFILE, 20)

    assert {sections(response)["user"]["status"] for response in burst} <= {"stale", "ok"}
    assert all(response.json()["user"] == first.json()["user"] for response in burst)
    assert wait_until(lambda: sim.path_count("/users/1") == 2), "one background refresh"

    refreshed = bff.get(PROFILE)

    assert sections(refreshed)["user"]["status"] == "ok"
    assert sim.path_count("/users/1") == 2, "exactly one refresh, and its answer is cached"


def test_a_failing_downstream_is_covered_by_stale_data_until_it_expires(
    bffs: Bffs, sim: Simulator
) -> None:
    clock = ManualClock()
    policy = {"ttl": 10, "stale_while_revalidate": 0, "stale_if_error": 60}
    bff = bffs.start(clock, cache_policies={"users.get": policy}, retry_attempts=1)
    first = bff.get(PROFILE)
    sim.faults({"path": "/users/1", "status": 503})

    clock.advance(30)
    covered = bff.get(PROFILE)

    assert covered.status_code == 200
    assert covered.json()["user"] == first.json()["user"]
    assert sections(covered)["user"] == {
        "status": "stale",
        "downstream": "users",
        "httpStatus": 503,
        "attempts": None,
        "retryable": None,
        "detail": "the downstream failed (unavailable); served from cache",
        "age": pytest.approx(30),
    }
    assert covered.headers["cache-control"] == "public, max-age=0"
    assert "BFF; fwd=stale; fwd-status=503; ttl=-20" in covered.headers["cache-status"]
    assert sim.path_count("/users/1") == 2, "the failed call was made, once"

    clock.advance(41)  # 71 s old: past ttl + stale_if_error
    expired = bff.get(PROFILE)

    assert expired.status_code == 502
    assert expired.headers["content-type"] == "application/problem+json"
    assert sim.path_count("/users/1") == 3


def test_errors_are_never_cached(bffs: Bffs, sim: Simulator) -> None:
    bff = bffs.start()
    sim.faults({"path": "/users/1", "status": 503})
    assert bff.get(PROFILE).status_code == 502
    sim.clear()

    assert bff.get(PROFILE).status_code == 200
    assert sim.path_count("/users/1") == 1, "the 503 was not kept: the call was made again"


def test_a_partial_screen_is_not_stored_by_anyone(bffs: Bffs, sim: Simulator) -> None:
    bff = bffs.start(retry_attempts=1)
    sim.faults({"path": "/users/1/todos", "status": 503})

    response = bff.get(PROFILE)

    assert response.status_code == 200
    assert response.json()["meta"]["partial"] is True
    assert response.headers["cache-control"] == "no-store"


def test_a_screen_revalidates_with_its_etag(bffs: Bffs, sim: Simulator) -> None:
    bff = bffs.start()
    first = bff.get(PROFILE)
    etag = first.headers["etag"]
    assert etag.startswith('"'), "a strong validator (not W/)"
    assert etag.endswith('"')
    assert first.headers["cache-control"].startswith("public, max-age=")

    unchanged = bff.get(PROFILE, headers={"If-None-Match": etag})
    weak_form = bff.get(PROFILE, headers={"If-None-Match": f'"nope", W/{etag}'})
    other = bff.get(PROFILE, headers={"If-None-Match": '"something-else"'})

    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    assert unchanged.headers["cache-control"] == first.headers["cache-control"]
    assert "x-request-id" in unchanged.headers
    assert weak_form.status_code == 304
    assert other.status_code == 200
    assert other.content == first.content
    assert other.headers["etag"] == etag, "same bytes, same tag"


async def test_two_users_never_see_each_others_cached_me(bffs: Bffs, sim: Simulator) -> None:
    bff = bffs.start()
    users = {"emilys": "emilyspass", "michaelw": "michaelwpass"}
    tokens = {}
    for username, password in users.items():
        login = bff.post("/v1/auth/login", json={"username": username, "password": password})
        assert login.status_code == 200
        assert login.headers["cache-control"] == "no-store"
        tokens[username] = login.json()["accessToken"]

    async def run() -> list[tuple[str, httpx.Response]]:
        async with httpx.AsyncClient(base_url=str(bff.base_url), timeout=30) as client:

            async def me(username: str) -> tuple[str, httpx.Response]:
                auth = {"Authorization": f"Bearer {tokens[username]}"}
                return username, await client.get("/v1/me", headers=auth)

            return await asyncio.gather(*(me(name) for name in list(users) * 25))

    for username, response in await run():
        assert response.status_code == 200
        assert response.json()["user"]["username"] == username
        assert response.headers["cache-control"].startswith("private, ")
        # Accept-Encoding joins it on bodies large enough to compress (bff/compression.py).
        vary = [part.strip() for part in response.headers["vary"].split(",")]
        assert vary[0] == "Authorization"
        assert set(vary) <= {"Authorization", "Accept-Encoding"}
    assert sim.path_count("/auth/me") == 2, "cached, but one entry per user"


def test_purging_needs_the_admin_token_and_drops_entries(bffs: Bffs, sim: Simulator) -> None:
    bff = bffs.start()
    bff.get(PROFILE)
    assert sim.path_count("/users/1") == 1

    missing = bff.post("/admin/cache/purge", json={"prefix": "users:/users/1?"})
    wrong = bff.post(
        "/admin/cache/purge", json={}, headers={"Authorization": "Bearer not-the-token"}
    )
    assert missing.status_code == wrong.status_code == 401
    assert wrong.headers["content-type"] == "application/problem+json"
    assert ADMIN_TOKEN not in wrong.text

    purged = bff.post(
        "/admin/cache/purge",
        json={"prefix": "users:/users/1?"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert purged.status_code == 200
    assert purged.json() == {
        "prefix": "users:/users/1?",
        "inProcess": 1,
        "shared": 0,
        "replicas": 1,
    }

    bff.get(PROFILE)
    assert counts(sim, *PROFILE_CALLS) == {
        "/users/1": 2,
        "/carts/user/1": 1,
        "/users/1/posts": 1,
        "/users/1/todos": 1,
    }


def test_admin_endpoints_are_off_without_a_token(bffs: Bffs) -> None:
    bff = bffs.start(admin_token=None)

    response = bff.post("/admin/cache/purge", headers={"Authorization": "Bearer anything"})

    assert response.status_code == 403


def test_caching_off_means_every_call_goes_downstream(bffs: Bffs, sim: Simulator) -> None:
    bff = bffs.start(cache_enabled=False)

    first = bff.get(PROFILE)
    bff.get(PROFILE)

    assert sim.path_count("/users/1") == 2
    assert first.headers["cache-control"] == "public, no-cache"
    assert first.headers["cache-status"].count("fwd=bypass") == len(PROFILE_CALLS)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


def test_replicas_share_warm_answers_through_redis_and_survive_its_loss(
    bffs: Bffs, sim: Simulator, redis_server: RedisServer
) -> None:
    # A generous timeout: this test is about sharing, not Redis latency on a busy CI machine
    # (a first connection slower than the default 0.25 s would pause the tier for 5 s).
    shared = {"cache_redis_url": redis_server.url, "cache_redis_timeout": 5.0}
    first = bffs.start(**shared)
    second = bffs.start(**shared)

    warmed = first.get(PROFILE)
    assert sim.stats()["total"] == len(PROFILE_CALLS)

    from_redis = second.get(PROFILE)

    assert from_redis.status_code == 200
    assert from_redis.json() == warmed.json()
    assert sim.stats()["total"] == len(PROFILE_CALLS), "the second replica called nothing"
    assert from_redis.headers["cache-status"].count("BFF; hit") == len(PROFILE_CALLS)

    redis_server.stop()
    other = "/v1/users/2/profile"
    on_first = first.get(other)
    on_second = second.get(other)
    again = second.get(PROFILE)

    assert on_first.status_code == on_second.status_code == again.status_code == 200
    assert sim.path_count("/users/2") == 2, "no shared tier: each replica fetched for itself"
    assert sim.path_count("/users/1") == 1, "the in-process tier still serves"
    assert bffs.cache_of(second).counters.tier_errors >= 1, "the outage is counted"
