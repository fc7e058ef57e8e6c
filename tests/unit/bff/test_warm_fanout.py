"""A warm screen's fan-out: calls the in-memory cache holds fresh are served when their section is
declared, recorded exactly like an awaited hit, and need no task; the rest run as before."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx
from support import USER, ManualClock

from bff.fanout import Sections, fetch_each, gather
from clients import BadRequest, ServicePolicy, UsersClient, enter, scope_var
from clients.base import Pending, Refused
from clients.cache import CachePolicy, ResponseCache
from clients.cache_layer import CacheLayer
from clients.context import RequestScope
from clients.policies import RetryPolicy
from clients.record import CallRecord

pytestmark = pytest.mark.anyio

BASE_URL = "http://down.test"
POSTS = {"posts": [], "total": 0, "skip": 0, "limit": 10}
CACHED = {"users.get": CachePolicy(ttl=30), "users.posts": CachePolicy(ttl=30)}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(100.0)


@pytest.fixture
def users(http: httpx.AsyncClient, clock: ManualClock) -> UsersClient:
    policy = ServicePolicy(base_url=BASE_URL, timeout=5.0, retry=RetryPolicy(attempts=1))
    return UsersClient(http, policy, cache=CacheLayer(ResponseCache(clock=clock), CACHED))


@pytest.fixture
def downstream() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        router.get("/users/1").respond(json=USER)
        router.get("/users/1/posts").respond(json=POSTS)
        router.get("/users/1/todos").respond(json={"todos": [], "total": 0, "skip": 0, "limit": 9})
        yield router


@pytest.fixture
async def calls() -> AsyncIterator[list[CallRecord]]:
    """A request's scope collecting call records, as the middleware opens one."""
    records: list[CallRecord] = []
    token = enter(RequestScope(request_id="req-1", calls=records))
    yield records
    scope_var.reset(token)


class CountingTasks:
    """Counts the tasks the loop creates while it is installed."""

    def __init__(self) -> None:
        self.created = 0
        self._loop = asyncio.get_running_loop()
        self._previous = self._loop.get_task_factory()

    def __enter__(self) -> CountingTasks:
        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
            self.created += 1
            return asyncio.Task(coro, loop=loop, **kwargs)

        self._loop.set_task_factory(factory)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._loop.set_task_factory(self._previous)


def fields(record: CallRecord) -> tuple[object, ...]:
    return (
        record.operation,
        record.outcome,
        record.cache,
        record.attempts,
        record.cache_ttl,
        record.private,
    )


async def screen(users: UsersClient) -> tuple[Any, ...]:
    sections = Sections("user", "posts", "todos")
    return (
        *await gather(
            sections.required("user", users.get(1)),
            sections.optional("posts", users.posts(1, limit=10)),
            sections.optional("todos", users.todos(1, limit=9)),
        ),
        sections.meta(),
    )


async def test_a_warm_screen_makes_no_task_and_records_its_hits(
    users: UsersClient, downstream: respx.MockRouter, calls: list[CallRecord]
) -> None:
    await screen(users)  # cold: users.get and users.posts are cached; todos has no policy
    cold = len(calls)

    with CountingTasks() as tasks:
        user, posts, todos, meta = await screen(users)

    assert tasks.created == 0, "two hits served at once, the one uncached call awaited in place"
    assert (user.id, posts.total, todos.total) == (1, 0, 0)
    assert downstream.calls.call_count == 4, "three calls cold, then the uncached one alone"
    warm = calls[cold:]
    assert [fields(record) for record in warm] == [
        ("users.get", "ok", "hit", 0, 30, False),
        ("users.posts", "ok", "hit", 0, 30, False),
        ("users.todos", "ok", None, 1, None, False),
    ]
    assert meta.partial is False
    assert {name: status.status for name, status in meta.sections.items()} == dict.fromkeys(
        ("user", "posts", "todos"), "ok"
    )


async def test_a_hit_served_at_once_is_recorded_as_an_awaited_hit_is(
    users: UsersClient, downstream: respx.MockRouter, calls: list[CallRecord]
) -> None:
    await users.get(1)
    awaited = await users.get(1)
    section: list[CallRecord] = []
    call = users.get(1)
    assert isinstance(call, Pending)

    served = call.fresh(section)

    assert served == (awaited,)
    _, awaited_hit, served_hit = calls
    assert fields(served_hit) == fields(awaited_hit) == ("users.get", "ok", "hit", 0, 30, False)
    assert served_hit.cache_age == awaited_hit.cache_age == 0
    assert section == [served_hit], "the section's record, for its stale or ok status"


async def test_a_stale_entry_is_not_served_at_once(
    users: UsersClient, downstream: respx.MockRouter, calls: list[CallRecord], clock: ManualClock
) -> None:
    await users.get(1)
    clock.advance(31)
    recorded = len(calls)

    assert users.get(1).fresh(None) is None
    assert len(calls) == recorded, "nothing recorded for a call that must still be made"


async def test_a_screen_with_one_call_left_awaits_it_without_a_task(
    users: UsersClient, downstream: respx.MockRouter, calls: list[CallRecord]
) -> None:
    await users.get(1)
    with CountingTasks() as tasks:
        sections = Sections("user", "todos")
        user, todos = await gather(
            sections.required("user", users.get(1)),
            sections.optional("todos", users.todos(1, limit=9)),  # no cache policy
        )
    assert tasks.created == 0
    assert user.id == 1
    assert todos is not None
    assert [(record.operation, record.cache) for record in calls[1:]] == [
        ("users.get", "hit"),
        ("users.todos", None),
    ]


async def test_a_refused_call_fails_its_section_when_awaited(calls: list[CallRecord]) -> None:
    sections = Sections("main", "bad")
    refused = Refused(BadRequest("products", "invalid category slug"))

    main, bad = await gather(
        sections.required("main", asyncio.sleep(0, result=1)),
        sections.optional("bad", refused),
    )

    assert (main, bad) == (1, None)
    status = sections.meta().sections["bad"]
    assert (status.status, status.downstream) == ("error", "products")


async def test_fetch_each_answers_cached_keys_at_once(
    users: UsersClient, downstream: respx.MockRouter, calls: list[CallRecord]
) -> None:
    await users.get(1)
    with CountingTasks() as tasks:
        found = await fetch_each([1, 1], users.get, concurrency=2)
    assert tasks.created == 0
    assert list(found) == [1]
    assert calls[-1].cache == "hit"
