"""Admission control: a bounded number of screens fan out at once; the rest wait their turn
within their deadline, or are refused with 503 ``overloaded``."""

import asyncio

import pytest

from bff.admission import Admission
from bff.errors import BFFError
from clients import scope_var, set_deadline
from clients.cache import SingleFlight

pytestmark = pytest.mark.anyio


async def test_requests_beyond_the_limit_wait_for_a_slot_in_arrival_order() -> None:
    admission = Admission(1)
    order: list[str] = []
    release = asyncio.Event()

    async def first() -> None:
        async with admission.slot():
            order.append("first in")
            await release.wait()
        order.append("first out")

    async def later(name: str) -> None:
        async with admission.slot():
            order.append(f"{name} in")

    holder = asyncio.create_task(first())
    await asyncio.sleep(0)
    waiters = [asyncio.create_task(later(name)) for name in ("second", "third")]
    await asyncio.sleep(0)
    assert (admission.in_flight, admission.waiting) == (1, 2)

    release.set()
    await asyncio.gather(holder, *waiters)

    assert order == ["first in", "first out", "second in", "third in"]
    assert (admission.in_flight, admission.waiting, admission.refused) == (0, 0, 0)


async def test_a_request_that_cannot_start_before_its_deadline_is_refused() -> None:
    admission = Admission(1)
    async with admission.slot():
        token = set_deadline(0.01)
        try:
            with pytest.raises(BFFError) as refused:
                async with admission.slot():
                    pytest.fail("admitted past the limit")
        finally:
            scope_var.reset(token)

    assert refused.value.status == 503
    assert refused.value.code == "overloaded"
    assert refused.value.headers == {"Retry-After": "1"}
    assert (admission.in_flight, admission.waiting, admission.refused) == (0, 0, 1)


async def test_a_slot_is_held_until_the_shared_calls_its_request_started_have_ended() -> None:
    admission = Admission(1)
    flights = SingleFlight()
    done = asyncio.Event()

    async with admission.slot():
        # The request gives up waiting at once; the shared call goes on for the cache.
        flights.start("users:/users/1?", done.wait)

    assert (admission.in_flight, admission.lingering) == (0, 1)
    later = asyncio.create_task(_enter(admission))
    await asyncio.sleep(0)
    assert not later.done(), "no new screen while the abandoned call runs"

    done.set()
    await later
    assert (admission.in_flight, admission.lingering, admission.waiting) == (0, 0, 0)


async def test_a_request_whose_calls_ended_frees_its_slot_at_once() -> None:
    admission = Admission(1)
    flights = SingleFlight()

    async with admission.slot():
        await flights.run("users:/users/1?", _answer)

    assert admission.lingering == 0
    await _enter(admission)


async def _answer() -> int:
    return 1


async def _enter(admission: Admission) -> None:
    async with admission.slot():
        pass
