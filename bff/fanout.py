"""Running a screen's sections concurrently, and telling required failures from optional ones.

A screen is a handful of downstream calls. The frontend waits for the slowest one, not the sum,
so they run together; but they do not matter equally. A *required* section (the user of a
profile page) fails the whole request with its own status. An *optional* one (their todos)
degrades to null plus a typed entry in ``meta.sections``, so the page still renders.

``gather`` uses a TaskGroup rather than bare ``asyncio.gather``: when a required section fails,
its siblings are cancelled at once instead of running on, holding pooled connections, for an
answer nobody will read.

A section served (wholly or partly) from a stale cache entry is ``stale``, with the age of its
oldest part: present, so not a failure, but the frontend may say "as of a minute ago".

A failed section's status is the failure's own ``code`` (``timeout``, ``rate_limited``,
``circuit_open``, ``bad_response``, ``unavailable``, ``not_found``, ``unauthorized``), or
``error`` for any kind the contract does not name; it carries the downstream, its HTTP status,
the attempts really made and whether asking again may help. ``Sections.meta()`` is the one place
that decides a response is partial, so it also flags the response header (``X-BFF-Partial``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Hashable, Iterable
from typing import Any, TypeVar, get_args, overload

from bff.observability import mark_partial
from clients import DownstreamError
from clients.context import current_scope, enter, scope_var
from clients.record import CallRecord
from schemas.responses import Meta, SectionStatus, SectionStatusName

T = TypeVar("T")
T1 = TypeVar("T1")
T2 = TypeVar("T2")
T3 = TypeVar("T3")
T4 = TypeVar("T4")
K = TypeVar("K", bound=Hashable)

_OK = SectionStatus(status="ok")
_SERVED = frozenset({"ok", "stale"})
_ALL_OK: dict[tuple[str, ...], Meta] = {}
"""The meta of a screen whose every section is `ok`, by its section names (a handful)."""
_STATUS_NAMES: frozenset[str] = frozenset(get_args(SectionStatusName))


def section_status(exc: DownstreamError) -> SectionStatus:
    """The frontend-facing account of one failed downstream call."""
    name = exc.code if exc.code in _STATUS_NAMES else "error"
    return SectionStatus(
        status=name,
        downstream=exc.service,
        http_status=exc.status,
        attempts=exc.attempts,
        retryable=exc.retryable,
        detail=exc.detail,
    )


def served_status(calls: list[CallRecord]) -> SectionStatus:
    """``ok``, or ``stale`` when any of the section's calls was served from a stale entry."""
    stale = [call for call in calls if call.cache == "stale"]
    if not stale:
        return _OK
    oldest = max(stale, key=lambda call: call.cache_age)
    failed = next((call for call in stale if call.stale_if_error), None)
    if failed is None:
        return SectionStatus(
            status="stale",
            downstream=oldest.service,
            age=round(oldest.cache_age, 3),
            detail="served from cache while it is refreshed",
        )
    return SectionStatus(
        status="stale",
        downstream=failed.service,
        http_status=failed.status,
        age=round(oldest.cache_age, 3),
        detail=f"the downstream failed ({failed.stale_cause}); served from cache",
    )


class Sections:
    """The outcome of each section of one screen, in the order the screen declares them."""

    def __init__(self, *names: str) -> None:
        self._names = names
        self._status: dict[str, SectionStatus] = {}
        self._errors: list[DownstreamError] = []
        self._calls: dict[str, list[CallRecord]] = {}

    def _record(self, name: str, status: SectionStatus) -> None:
        if name not in self._names:
            raise ValueError(f"undeclared section {name!r}")
        self._status[name] = status

    async def required(self, name: str, call: Awaitable[T]) -> T:
        """Await a section the screen cannot do without: its failure propagates."""
        try:
            value = await self.assemble(name, call)
        except DownstreamError as exc:
            self._record(name, section_status(exc))
            raise
        self.ok(name)
        return value

    async def optional(self, name: str, call: Awaitable[T]) -> T | None:
        """Await a section the screen can show without: its failure becomes null."""
        try:
            value = await self.assemble(name, call)
        except DownstreamError as exc:
            self._record(name, section_status(exc))
            self._errors.append(exc)
            return None
        self.ok(name)
        return value

    async def assemble(self, name: str, call: Awaitable[T]) -> T:
        """Await (part of) a section, noting the downstream calls made for it, so that `ok`
        can tell a section served from stale cache entries. For a section assembled from
        several calls (a fan-out), failures are the caller's to judge (then `ok` or `fail`)."""
        calls = self._calls.setdefault(name, [])
        token = enter(current_scope().for_section(calls))
        try:
            return await call
        finally:
            scope_var.reset(token)

    def ok(self, name: str) -> None:
        """Mark a section served when its data was assembled from several calls (or none)."""
        self._record(name, served_status(self._calls.get(name, [])))

    def fail(self, name: str, exc: DownstreamError, *, detail: str | None = None) -> None:
        """Mark a section failed when its data was assembled from several calls."""
        status = section_status(exc)
        if detail is not None:
            status = status.model_copy(update={"detail": detail})
        self._record(name, status)
        self._errors.append(exc)

    def raise_if_all_failed(self) -> None:
        """A screen made only of optional sections has nothing to show when all of them failed:
        that is an error of the whole request, with the first failure's status."""
        if self._errors and len(self._errors) == len(self._names):
            raise self._errors[0]

    def meta(self) -> Meta:
        """Sections never reached (a dependency failed first) are reported as skipped."""
        status = self._status
        if len(status) == len(self._names) and all(entry is _OK for entry in status.values()):
            # The usual answer, one (frozen) instance per screen: a warm screen's rendering is
            # then found by identity (`bff/http_caching.py`).
            meta = _ALL_OK.get(self._names)
            if meta is None:
                meta = _ALL_OK[self._names] = Meta(
                    partial=False, sections=dict.fromkeys(self._names, _OK)
                )
            return meta
        sections = {
            name: self._status.get(name, SectionStatus(status="skipped")) for name in self._names
        }
        partial = any(status.status not in _SERVED for status in sections.values())
        if partial:
            mark_partial()
        return Meta(partial=partial, sections=sections)


@overload
async def gather(a: Coroutine[Any, Any, T1], /) -> tuple[T1]: ...
@overload
async def gather(a: Coroutine[Any, Any, T1], b: Coroutine[Any, Any, T2], /) -> tuple[T1, T2]: ...
@overload
async def gather(
    a: Coroutine[Any, Any, T1], b: Coroutine[Any, Any, T2], c: Coroutine[Any, Any, T3], /
) -> tuple[T1, T2, T3]: ...
@overload
async def gather(
    a: Coroutine[Any, Any, T1],
    b: Coroutine[Any, Any, T2],
    c: Coroutine[Any, Any, T3],
    d: Coroutine[Any, Any, T4],
    /,
) -> tuple[T1, T2, T3, T4]: ...
async def gather(*calls: Coroutine[Any, Any, Any]) -> tuple[Any, ...]:
    """Run the calls concurrently; on the first failure cancel the rest and raise it alone."""
    return tuple(await gather_all(list(calls)))


async def gather_all(calls: list[Coroutine[Any, Any, T]]) -> list[T]:
    """``gather`` for a list of calls of one type."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]
    except BaseExceptionGroup as group_error:
        raise _first_leaf(group_error) from None
    return [task.result() for task in tasks]


def _first_leaf(group_error: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group_error.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


async def fetch_each(
    keys: Iterable[K], fetch: Callable[[K], Awaitable[T]], *, concurrency: int
) -> dict[K, T | DownstreamError]:
    """Dynamic fan-out: one call per distinct key, at most ``concurrency`` at a time.

    A cart may list the same product twice and a hundred products at once; deduplicating saves
    calls and the semaphore keeps one screen from taking the whole connection pool. Failures are
    returned per key, so the caller decides what a missing item means.
    """
    unique = list(dict.fromkeys(keys))
    limit = asyncio.Semaphore(concurrency)

    async def one(key: K) -> T | DownstreamError:
        async with limit:
            try:
                return await fetch(key)
            except DownstreamError as exc:
                return exc

    results = await gather_all([one(key) for key in unique])
    return dict(zip(unique, results, strict=True))
