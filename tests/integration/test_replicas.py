"""Several replicas behave as one: real ``bff serve`` processes sharing a real redis-server.

Three replicas on loopback ports serve most of the module's tests (starting them is most of what
these tests cost), each test finding them as if new: all subscribed, every tier empty. The
rate-limit test starts three of its own (the cool-down it starts would outlast it), and the last
test one replica with two workers; each of those has a redis-server of its own. All run against
the shared simulator, whose ``/__sim/stats`` count the downstream calls. Every wait polls a
condition with a bound; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from support import RedisServer, ServeProcess, Simulator, bff_serves, wait_until

from simulator import BackgroundServer

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

ADMIN_TOKEN = "test-admin-token"
PROFILE_CALLS = ("/users/{id}", "/carts/user/{id}", "/users/{id}/posts", "/users/{id}/todos")


def profile(user: int) -> str:
    return f"/v1/users/{user}/profile"


def profile_calls(sim: Simulator, user: int) -> dict[str, int]:
    return {path: sim.path_count(path.format(id=user)) for path in PROFILE_CALLS}


ONE_EACH = dict.fromkeys(PROFILE_CALLS, 1)
NONE = dict.fromkeys(PROFILE_CALLS, 0)


@pytest.fixture(scope="module")
def _redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_server(_redis_server: RedisServer) -> RedisServer:
    """The module's redis-server, running (an outage test stops and restarts it) and empty."""
    if _redis_server.process is None:
        _redis_server.start()
    with redis.Redis.from_url(_redis_server.url) as direct:
        direct.flushdb()
    return _redis_server


def replica_settings(redis_server: RedisServer) -> dict[str, str]:
    return {
        "cache_enabled": "true",
        "cache_redis_url": redis_server.url,
        # Reconnect fast after the outage test's restart.
        "cache_redis_retry_seconds": "0.3",
        # A replica answering 100 requests at once, on a 2-core machine shared with two more
        # replicas, the simulator and the test, can lag its event loop past the default 0.25 s:
        # a Redis answer read late would count as an outage and turn the tier off, hiding what
        # these tests are about. (A real outage here is a refused connection, not a timeout.)
        "cache_redis_timeout": "2",
        "admin_token": ADMIN_TOKEN,
        "max_concurrent_screens": "200",
    }


@pytest.fixture(scope="module")
def _replicas(
    simulator_server: BackgroundServer,
    _redis_server: RedisServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[ServeProcess]]:
    directory = tmp_path_factory.mktemp("replicas")
    settings = replica_settings(_redis_server)
    with bff_serves(simulator_server.url, directory, 3, **settings) as serves:
        yield serves


@pytest.fixture
def replicas(
    _replicas: list[ServeProcess], redis_server: RedisServer, sim: Simulator
) -> list[ServeProcess]:
    """The module's replicas as if new: all subscribed, their in-process tiers purged (and
    Redis's emptied by ``redis_server``). No test on them leaves other state behind (the
    rate-limit test, whose cool-down would outlast it, has replicas of its own)."""
    assert wait_until(lambda: purge(_replicas[0]) == 3, within=10), "not all subscribed"
    sim.clear()
    return _replicas


@pytest.fixture
def own_redis_server() -> Iterator[RedisServer]:
    """A redis-server of the test's own, for replicas of the test's own: the module's replicas,
    subscribed to the module's, would answer their purges and hear their cool-downs."""
    with RedisServer() as server:
        yield server


@pytest.fixture
def own_replicas(
    sim: Simulator, own_redis_server: RedisServer, tmp_path: Path
) -> Iterator[list[ServeProcess]]:
    with bff_serves(sim.url, tmp_path, 3, **replica_settings(own_redis_server)) as serves:
        assert wait_until(lambda: purge(serves[0]) == 3, within=10), "not all subscribed"
        sim.clear()
        yield serves


def purge(serve: ServeProcess, prefix: str = "") -> int:
    """Purge through ``serve``; the number of replicas that say they purged."""
    response = httpx.post(
        serve.url + "/admin/cache/purge",
        json={"prefix": prefix},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    replicas: int = response.json()["replicas"]
    return replicas


def get(serve: ServeProcess, path: str) -> httpx.Response:
    return httpx.get(serve.url + path, timeout=10)


async def get_concurrently(urls: list[str], n: int) -> list[httpx.Response]:
    """``n`` concurrent requests to each of ``urls``, each on its own connection."""

    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=n * len(urls))
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            requests = [client.get(url) for url in urls for _ in range(n)]
            return list(await asyncio.gather(*requests))

    return await run()


def cooling_down(serve: ServeProcess, service: str) -> bool:
    response = serve.get("/status.json")
    if response is None:
        return False
    (row,) = [row for row in response.json()["services"] if row["service"] == service]
    return bool(row["coolDownSeconds"])


def test_a_purge_through_one_replica_empties_every_replica(
    replicas: list[ServeProcess], sim: Simulator, redis_server: RedisServer
) -> None:
    first, second, third = replicas
    assert get(first, profile(1)).status_code == 200
    assert profile_calls(sim, 1) == ONE_EACH
    # The others warm their in-process tier from Redis: no call of their own.
    for serve in (second, third):
        assert get(serve, profile(1)).status_code == 200
    assert profile_calls(sim, 1) == ONE_EACH

    assert purge(first, "users:") == 3
    assert purge(first, "carts:") == 3
    sim.clear()

    # The second replica's copies are gone: it calls again (and refills Redis).
    assert get(second, profile(1)).status_code == 200
    assert profile_calls(sim, 1) == ONE_EACH
    # Without Redis's copy, the third replica has only its own tier, which the purge emptied.
    with redis.Redis.from_url(redis_server.url) as direct:
        direct.flushdb()
    assert get(third, profile(1)).status_code == 200
    assert profile_calls(sim, 1) == dict.fromkeys(PROFILE_CALLS, 2)


def test_a_rate_limit_seen_by_one_replica_stops_them_all(
    own_replicas: list[ServeProcess], sim: Simulator
) -> None:
    first, second, third = own_replicas
    sim.faults({"path": "/users/1", "status": 429, "retry_after": 5, "times": 1})
    refused = get(first, profile(1))
    assert refused.status_code == 429 or refused.status_code >= 500, refused.text
    assert sim.path_count("/users/1") == 1
    # One Redis round trip: the others know before any request of theirs goes out.
    assert wait_until(lambda: cooling_down(second, "users") and cooling_down(third, "users"))
    sim.clear()

    answers = [get(serve, profile(user)) for serve in (second, third) for user in (2, 3)]
    assert sim.stats()["total"] == 0, sim.stats()
    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert 0 < int(answer.headers["Retry-After"]) <= 5


async def test_a_cold_screen_asked_of_every_replica_at_once_costs_one_call_per_resource(
    replicas: list[ServeProcess], sim: Simulator
) -> None:
    # Slow enough that all 300 requests arrive while the first calls are out.
    sim.faults({"path": "/users/7", "mode": "delay", "delay_ms": 300})
    answers = await get_concurrently([serve.url + profile(7) for serve in replicas], 100)
    assert [a.status_code for a in answers] == [200] * 300
    assert {a.json()["user"]["id"] for a in answers} == {7}
    assert profile_calls(sim, 7) == ONE_EACH


def subscribed(serve: ServeProcess) -> bool:
    response = serve.get("/metrics")
    return response is not None and "\nbff_replicas_subscribed 1.0\n" in response.text


def test_replicas_serve_through_a_redis_outage_and_share_again_after_it(
    replicas: list[ServeProcess], sim: Simulator, redis_server: RedisServer
) -> None:
    assert all(subscribed(serve) for serve in replicas)
    redis_server.stop()
    users = itertools.count(10)
    served: dict[int, int] = {}  # user -> the replica whose in-process tier holds it
    for index, serve in enumerate(replicas):
        for _ in range(3):
            user = next(users)
            assert get(serve, profile(user)).status_code == 200, serve.output()
            served[user] = index
    assert wait_until(lambda: not any(subscribed(serve) for serve in replicas))
    # Alone: a purge reaches only the replica that got it.
    assert [purge(serve, "products:") for serve in replicas] == [1, 1, 1]

    redis_server.start()
    assert wait_until(lambda: all(subscribed(serve) for serve in replicas), within=10)
    # Each may have missed a purge while it was cut off: it dropped its in-process tier.
    for user, index in served.items():
        assert sim.path_count(f"/users/{user}") == 1
        assert get(replicas[index], profile(user)).status_code == 200
        assert sim.path_count(f"/users/{user}") == 2, f"user {user} on replica {index + 1}"
    assert purge(replicas[0]) == 3

    def shared(user: int) -> bool:
        """One replica's answer spares the others their calls again."""
        assert get(replicas[0], profile(user)).status_code == 200
        before = profile_calls(sim, user)
        assert get(replicas[1], profile(user)).status_code == 200
        assert get(replicas[2], profile(user)).status_code == 200
        return profile_calls(sim, user) == before == ONE_EACH

    assert wait_until(lambda: shared(next(users)), within=10)


async def test_two_workers_on_one_host_share_like_two_replicas(
    sim: Simulator, own_redis_server: RedisServer, tmp_path: Path
) -> None:
    redis_server = own_redis_server
    settings = replica_settings(redis_server)
    with bff_serves(sim.url, tmp_path, 1, "--workers", "2", **settings) as (serve,):
        assert wait_until(lambda: serve.output().count("Application startup complete") == 2)
        assert wait_until(lambda: purge(serve) == 2, within=10), "not both subscribed"
        sim.clear()

        sim.faults({"path": "/users/7", "mode": "delay", "delay_ms": 300})
        answers = await get_concurrently([serve.url + profile(7)], 200)
        assert [a.status_code for a in answers] == [200] * 200
        assert profile_calls(sim, 7) == ONE_EACH

        assert purge(serve) == 2
        with redis.Redis.from_url(redis_server.url) as direct:
            direct.flushdb()
        sim.clear()
        # The purge reached both (2 acknowledged); the next answers are cold again, one call.
        answers = await get_concurrently([serve.url + profile(7)], 20)
        assert [a.status_code for a in answers] == [200] * 20
        assert profile_calls(sim, 7) == ONE_EACH

        sim.faults({"path": "/users/1", "status": 429, "retry_after": 5, "times": 1})
        get(serve, profile(1))
        assert sim.path_count("/users/1") == 1
        # Each fresh connection may reach either worker: all of several reads agree.
        assert wait_until(lambda: all(cooling_down(serve, "users") for _ in range(10)))
        sim.clear()
        answers = [get(serve, profile(user)) for user in range(20, 30)]
        assert sim.stats()["total"] == 0, sim.stats()
        assert {a.status_code for a in answers} == {503}
        spawned = children(serve.process.pid)  # the two workers and multiprocessing's tracker
        assert len(spawned) >= 2, spawned
    # Killed with the test's end by their process group: none is left serving on its own.
    assert wait_until(lambda: not any(alive(pid) for pid in spawned)), spawned


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def alive(pid: int) -> bool:
    """Running, or stopped: not gone and not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"
