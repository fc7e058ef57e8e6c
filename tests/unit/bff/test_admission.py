"""Admission control: a bounded number of screens fan out at once; the rest wait their turn
within their deadline, or are refused with 503 ``overloaded``."""

import asyncio

import pytest

from bff.admission import Admission
from bff.errors import BFFError
from clients import set_deadline
from clients.deadline import deadline_var

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
            deadline_var.reset(token)

    assert refused.value.status == 503
    assert refused.value.code == "overloaded"
    assert refused.value.headers == {"Retry-After": "1"}
    assert (admission.in_flight, admission.waiting, admission.refused) == (0, 0, 1)
