"""The deadline contextvar: set once per incoming request, seen by every fan-out branch."""

import asyncio
from collections.abc import Iterator

import pytest

from clients import deadline_var, remaining, set_deadline


@pytest.fixture(autouse=True)
def clean_deadline() -> Iterator[None]:
    token = deadline_var.set(None)
    yield
    deadline_var.reset(token)


def test_no_deadline_by_default() -> None:
    assert remaining() is None


def test_set_and_reset() -> None:
    token = set_deadline(10)
    left = remaining()
    assert left is not None
    assert 9 < left <= 10
    deadline_var.reset(token)
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


def test_gathered_tasks_share_the_deadline() -> None:
    async def screen() -> list[float | None]:
        set_deadline(5)

        async def branch() -> float | None:
            return remaining()

        return list(await asyncio.gather(branch(), branch()))

    results = asyncio.run(screen())
    assert all(r is not None and 4 < r <= 5 for r in results)
    assert remaining() is None
