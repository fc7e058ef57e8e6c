"""The request scope: set once per incoming request, seen by every fan-out branch; narrower
scopes (a section, a shared call, a new deadline) stay in the task that made them."""

import asyncio
from collections.abc import Iterator

import pytest

from clients import RequestScope, current_scope, enter, narrowed, remaining, scope_var, set_deadline
from clients.cache import SingleFlight
from clients.context import ResponseNotes
from clients.record import CallRecord

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def clean_deadline() -> Iterator[None]:
    token = enter(RequestScope())
    yield
    scope_var.reset(token)


def test_no_deadline_by_default() -> None:
    assert remaining() is None


def test_set_and_reset() -> None:
    token = set_deadline(10)
    left = remaining()
    assert left is not None
    assert 9 < left <= 10
    scope_var.reset(token)
    assert remaining() is None


def test_none_clears() -> None:
    set_deadline(10)
    set_deadline(None)
    assert remaining() is None


def test_passed_deadline_is_not_positive() -> None:
    set_deadline(0)
    left = remaining()
    assert left is not None
    assert left <= 0


async def test_gathered_tasks_share_the_deadline() -> None:
    set_deadline(5)

    async def branch() -> float | None:
        return remaining()

    results = await asyncio.gather(branch(), branch())
    assert all(r is not None and 4 < r <= 5 for r in results)


async def test_a_narrower_scope_shares_what_the_request_collects_and_stays_in_its_task() -> None:
    calls: list[CallRecord] = []
    notes = ResponseNotes()
    enter(RequestScope(request_id="req-1", deadline=None, calls=calls, notes=notes))
    section: list[CallRecord] = []

    async def in_a_section() -> None:
        narrowed(section=section)
        scope = current_scope()
        assert scope.request_id == "req-1"
        scope.calls.append(
            CallRecord("users", "GET", "/users/1")
        ) if scope.calls is not None else None
        if scope.notes is not None:
            scope.notes.partial = True

    await asyncio.gather(in_a_section())

    outer = current_scope()
    assert outer.section is None, "the section's scope stayed in its task"
    assert [call.path for call in calls] == ["/users/1"], "the request's list is shared"
    assert notes.partial, "so are its notes"


async def test_a_shared_call_outlives_its_starters_deadline_but_keeps_its_request_id() -> None:
    enter(RequestScope(request_id="req-2"))
    set_deadline(0.5)
    flights = SingleFlight()

    async def load() -> tuple[str | None, float | None]:
        return current_scope().request_id, remaining()

    request_id, left = await flights.start("key", load)
    assert request_id == "req-2", "its log lines still join the request that started it"
    assert left is None, "no one caller's deadline ends a call others may join"
    left_here = remaining()
    assert left_here is not None, "the starter's own deadline is untouched"
    assert left_here <= 0.5


def test_outside_a_request_nothing_is_collected_or_noted() -> None:
    scope = current_scope()
    assert (scope.calls, scope.section, scope.owned, scope.notes) == (None, None, None, None)
