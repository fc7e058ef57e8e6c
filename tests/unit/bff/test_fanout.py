"""Sections and concurrent gathering: required failures propagate, optional ones degrade."""

from __future__ import annotations

import asyncio

import pytest

from bff.fanout import Sections, fetch_each, gather
from clients import NotFound, Timeout, Unavailable

pytestmark = pytest.mark.anyio


async def _value(value: int) -> int:
    return value


async def _fail(exc: Exception) -> int:
    raise exc


async def test_optional_failure_becomes_null_and_a_typed_status() -> None:
    async def scenario() -> tuple[int, int | None, Sections]:
        sections = Sections("main", "extra")
        main, extra = await gather(
            sections.required("main", _value(1)),
            sections.optional("extra", _fail(Timeout("posts", "posts did not answer in time"))),
        )
        return main, extra, sections

    main, extra, sections = await scenario()

    assert (main, extra) == (1, None)
    meta = sections.meta()
    assert meta.partial is True
    assert meta.sections["main"].status == "ok"
    extra_status = meta.sections["extra"]
    assert extra_status.status == "timeout"
    assert extra_status.downstream == "posts"
    assert extra_status.detail == "posts did not answer in time"


async def test_required_failure_propagates_and_cancels_siblings() -> None:
    cancelled = asyncio.Event()

    async def slow() -> int:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return 0

    async def scenario() -> None:
        sections = Sections("main", "slow")
        await gather(
            sections.required("main", _fail(NotFound("users", "User with id '9' not found"))),
            sections.optional("slow", slow()),
        )

    with pytest.raises(NotFound):
        await scenario()
    assert cancelled.is_set()


def test_sections_never_reached_are_skipped_in_declared_order() -> None:
    sections = Sections("a", "b", "c")
    sections.ok("c")

    meta = sections.meta()

    assert list(meta.sections) == ["a", "b", "c"]
    assert [s.status for s in meta.sections.values()] == ["skipped", "skipped", "ok"]
    assert meta.partial is True


def test_undeclared_section_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="undeclared"):
        Sections("a").ok("b")


async def test_all_optional_sections_failing_raises_the_first_error() -> None:
    async def scenario() -> None:
        sections = Sections("a", "b")
        await gather(
            sections.optional("a", _fail(Unavailable("users", "503"))),
            sections.optional("b", _fail(Unavailable("posts", "503"))),
        )
        sections.raise_if_all_failed()

    with pytest.raises(Unavailable):
        await scenario()


async def test_fetch_each_deduplicates_and_bounds_concurrency() -> None:
    calls: list[int] = []
    running = 0
    peak = 0

    async def fetch(key: int) -> int:
        nonlocal running, peak
        calls.append(key)
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)
        running -= 1
        if key == 3:
            raise NotFound("products", "gone")
        return key * 10

    results = await fetch_each([1, 2, 2, 3, 1, 4, 5], fetch, concurrency=2)

    assert sorted(calls) == [1, 2, 3, 4, 5]
    assert peak <= 2
    assert results[1] == 10
    assert isinstance(results[3], NotFound)
