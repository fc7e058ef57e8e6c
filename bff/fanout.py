"""Running a screen's sections concurrently, and telling required failures from optional ones.

A screen is a handful of downstream calls. The frontend waits for the slowest one, not the sum,
so they run together; but they do not matter equally. A *required* section (the user of a
profile page) fails the whole request with its own status. An *optional* one (their todos)
degrades to null plus a typed entry in ``meta.sections``, so the page still renders.

``gather`` uses a TaskGroup rather than bare ``asyncio.gather``: when a required section fails,
its siblings are cancelled at once instead of running on, holding pooled connections, for an
answer nobody will read. It runs only the calls that need running: a section whose call the
in-memory cache holds fresh is served when the section is declared (``Pending.fresh``), so a warm
screen makes no task at all, and a screen with one call left awaits it in its own task.

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
from collections.abc import Awaitable, Callable, Coroutine, Generator, Hashable, Iterable
from typing import Any, Generic, TypeVar, get_args, overload

from bff.observability import mark_partial
from clients import DownstreamError
from clients.base import Pending
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


class Ready(Generic[T]):
    """A section's answer, known when the section was declared: awaiting it yields nothing to
    the event loop, and `gather` takes its value without a task."""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, T]:
        return self.value
        yield  # a generator that returns at once


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

    def required(self, name: str, call: Awaitable[T]) -> Awaitable[T]:
        """A section the screen cannot do without, to await: its failure propagates."""
        ready = self._ready(name, call)
        return ready if ready is not None else self._required(name, call)

    def optional(self, name: str, call: Awaitable[T]) -> Awaitable[T | None]:
        """A section the screen can show without, to await: its failure becomes null."""
        ready = self._ready(name, call)
        return ready if ready is not None else self._optional(name, call)

    def _ready(self, name: str, call: Awaitable[T]) -> Ready[T] | None:
        """The section served now if its one call is a fresh cache hit (see `Pending`)."""
        hit = served_now(call, self._calls.setdefault(name, []))
        if hit is None:
            return None
        self.ok(name)
        return Ready(hit[0])

    async def _required(self, name: str, call: Awaitable[T]) -> T:
        try:
            value = await self.assemble(name, call)
        except DownstreamError as exc:
            self._record(name, section_status(exc))
            raise
        self.ok(name)
        return value

    async def _optional(self, name: str, call: Awaitable[T]) -> T | None:
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
async def gather(a: Awaitable[T1], /) -> tuple[T1]: ...
@overload
async def gather(a: Awaitable[T1], b: Awaitable[T2], /) -> tuple[T1, T2]: ...
@overload
async def gather(a: Awaitable[T1], b: Awaitable[T2], c: Awaitable[T3], /) -> tuple[T1, T2, T3]: ...
@overload
async def gather(
    a: Awaitable[T1], b: Awaitable[T2], c: Awaitable[T3], d: Awaitable[T4], /
) -> tuple[T1, T2, T3, T4]: ...
async def gather(*calls: Awaitable[Any]) -> tuple[Any, ...]:
    """Run the calls concurrently; on the first failure cancel the rest and raise it alone."""
    return tuple(await gather_all(calls))


async def gather_all(calls: Iterable[Awaitable[T]]) -> list[T]:
    """``gather`` for calls of one type. Answers known already (a `Ready` section, a `Pending`
    call the cache holds fresh) are taken as they are; one call left is awaited in this task;
    only two or more get tasks of their own."""
    results: list[Any] = []
    waiting: list[tuple[int, Awaitable[T]]] = []
    for index, call in enumerate(calls):
        if isinstance(call, Ready):
            results.append(call.value)
            continue
        if (hit := served_now(call, current_scope().section)) is not None:
            results.append(hit[0])
            continue
        results.append(None)
        waiting.append((index, call))
    if len(waiting) == 1:
        index, call = waiting[0]
        results[index] = await call
    elif waiting:
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [(index, group.create_task(_coroutine(call))) for index, call in waiting]
        except BaseExceptionGroup as group_error:
            raise _first_leaf(group_error) from None
        for index, task in tasks:
            results[index] = task.result()
    return results


def served_now(call: Awaitable[T], section: list[CallRecord] | None) -> tuple[T] | None:
    """The answer of a `Pending` call the cache holds fresh, boxed and recorded (in `section`
    too); None for anything that must be awaited."""
    return call.fresh(section) if isinstance(call, Pending) else None


def _coroutine(call: Awaitable[T]) -> Coroutine[Any, Any, T]:
    """A task runs a coroutine: a `Pending` call (or any other awaitable) is wrapped in one."""
    if asyncio.iscoroutine(call):
        return call

    async def awaited() -> T:
        return await call

    return awaited()


def _first_leaf(group_error: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group_error.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


async def fetch_each(
    keys: Iterable[K], fetch: Callable[[K], Awaitable[T]], *, concurrency: int
) -> dict[K, T | DownstreamError]:
    """Dynamic fan-out: one call per distinct key, at most ``concurrency`` at a time.

    A cart may list the same product twice and a hundred products at once; deduplicating saves
    calls and the semaphore keeps one screen from taking the whole connection pool. Failures are
    returned per key, so the caller decides what a missing item means. Keys whose call the cache
    holds fresh are answered at once, without a task or a turn at the semaphore.
    """
    unique = list(dict.fromkeys(keys))
    section = current_scope().section
    answers: dict[K, T | DownstreamError] = {}
    missing: list[tuple[K, Awaitable[T]]] = []
    for key in unique:
        call = fetch(key)
        if (hit := served_now(call, section)) is not None:
            answers[key] = hit[0]
        else:
            missing.append((key, call))
    if missing:
        limit = asyncio.Semaphore(concurrency)

        async def one(call: Awaitable[T]) -> T | DownstreamError:
            async with limit:
                try:
                    return await call
                except DownstreamError as exc:
                    return exc

        results = await gather_all([one(call) for _, call in missing])
        answers.update(zip((key for key, _ in missing), results, strict=True))
    return {key: answers[key] for key in unique}
