"""The optional shared cache tier (Redis), behind the in-process one.

Several BFF processes or replicas share warm answers through it. It is an optimisation, never a
dependency: every operation has a short timeout, every failure is counted and logged, and after a
failure the tier is skipped for a while, so a Redis outage costs the BFF neither errors nor the
latency of a connection attempt per call.

Values are stored as ``<wall-clock time>\\n<JSON>``: the time lets another process compute the
entry's age on its own clock, and the JSON is what the downstream model serializes to, so
the reader decodes it with the same model as a fresh answer.

**One replica loads a cold key** (``load_once``): the replica whose miss comes first takes a short
lease on the key (``SET NX PX``) and calls the downstream; the others poll the tier for the answer
it writes. While its call is out, the holder renews the lease every third of its length (the
watchdog of Redisson's locks), so a slow downstream or a busy event loop never hands the key to a
second caller: the others wait as a request waits on single-flight in one process, until the answer
comes or their own deadline ends. They call the downstream themselves only when the holder failed
(it releases the lease without an answer) or died (it stops renewing, and the lease expires on its
own): a replica that dies holding one costs the others at most one lease of waiting, never a
deadlock. Within one process, single-flight (``cache.py``) already makes this one lease attempt per
key.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis.asyncio as redis
from pydantic import TypeAdapter
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from clients.cache import CacheCounters, Clock, Entry

logger = logging.getLogger("bff.cache")

T = TypeVar("T")

NAMESPACE = "bff:cache:v1:"
LEASES = "bff:lease:v1:"

POLL_SECONDS = 0.02
"""How often a replica waiting for another's load looks for its answer."""

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
"""Delete a lease only if it is still ours: it may have expired and been taken by another."""

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
"""Extend a lease only if it is still ours; 0 when it is not (then the holder stops renewing)."""


def no_retries() -> Retry:
    """redis-py retries a failed command ten times with backoff by default: seconds of latency per
    call while Redis is down. The tier's promise is one short attempt, then a pause. One
    immediate retry on a connection error only: after a Redis restart the pool's old connections
    fail on first use, and a fresh one then succeeds (while Redis is down, both are refused at
    once); a timeout is never retried."""
    return Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))


def connect(url: str, timeout: float, **options: Any) -> redis.Redis:
    """A Redis client as the tier and the replica link use it: every command and connect bounded
    by `timeout`, and `no_retries`."""
    return redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=no_retries(), **options
    )


class SharedCacheTier:
    def __init__(
        self,
        url: str,
        *,
        counters: CacheCounters,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        timeout: float = 0.25,
        pause_after_failure: float = 5.0,
        lease: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        timer: Clock = time.monotonic,
    ) -> None:
        self._redis = connect(url, timeout)
        self.lease = lease
        """Seconds a replica that dies while loading a cold key makes the others wait at most (a
        live one renews its lease while its call is out)."""
        self._sleep = sleep
        # Real time for waiting on another replica (``clock`` may be a test's manual one,
        # which dates entries); tests replace both ``sleep`` and ``timer``.
        self._timer = timer
        self._counters = counters
        self._clock = clock
        self._wall_clock = wall_clock
        self._pause = pause_after_failure
        self._paused_until = 0.0

    @property
    def available(self) -> bool:
        """False while the tier is being skipped after a failure."""
        return self._clock() >= self._paused_until

    def _failed(self, operation: str, exc: Exception) -> None:
        self._counters.tier_errors += 1
        if self.available:
            logger.warning(
                "shared cache tier unavailable (%s: %s); using the in-process tier only for %.0fs",
                operation,
                type(exc).__name__,
                self._pause,
            )
        self._paused_until = self._clock() + self._pause

    async def get(self, key: str, adapter: TypeAdapter[T]) -> Entry[T] | None:
        if not self.available:
            return None
        try:
            raw = await self._redis.get(NAMESPACE + key)
        except (RedisError, OSError) as exc:
            self._failed("get", exc)
            return None
        if raw is None:
            return None
        try:
            data = raw.encode() if isinstance(raw, str) else raw
            stamp, _, body = data.partition(b"\n")
            age = max(0.0, self._wall_clock() - float(stamp))
            value = adapter.validate_json(body)
        except ValueError:
            # An entry written by an incompatible version: a miss, not an error.
            return None
        return Entry(value, self._clock() - age)

    async def put(self, key: str, adapter: TypeAdapter[T], value: T, retention: float) -> None:
        if not self.available:
            return
        body = f"{self._wall_clock():.6f}\n".encode() + adapter.dump_json(value, by_alias=True)
        try:
            await self._redis.set(NAMESPACE + key, body, px=max(1, int(retention * 1000)))
        except (RedisError, OSError) as exc:
            self._failed("set", exc)

    async def load_once(
        self,
        key: str,
        adapter: TypeAdapter[T],
        load: Callable[[], Awaitable[T]],
        *,
        fresh_for: float,
        retention: float,
        wait: float | None,
    ) -> T:
        """The value of a missed ``key``, loaded by one replica for all: see the module docstring.

        The loaded value is written to the tier before the lease is released, so a replica that
        finds the lease gone finds the answer too. ``fresh_for`` is the key's TTL: an entry older
        than that (the stale copy a refresh replaces) is not the answer being waited for.
        ``wait`` bounds the wait for another replica's load (the caller's deadline); None waits
        as long as that replica holds the lease.
        """
        lease_key = LEASES + key
        token = os.urandom(8).hex()
        give_up = None if wait is None else self._timer() + max(0.0, wait)
        while True:
            held = await self._acquire(lease_key, token)
            if held is None:
                break  # no tier: load alone
            if held:
                return await self._load_holding(
                    key, adapter, load, lease_key, token, retention, fresh_for
                )
            if give_up is not None and self._timer() >= give_up:
                break
            await self._sleep(POLL_SECONDS)
            if (entry := await self._joined(key, adapter, fresh_for)) is not None:
                return entry.value
        return await self._stored(key, adapter, load, retention)

    async def _load_holding(
        self,
        key: str,
        adapter: TypeAdapter[T],
        load: Callable[[], Awaitable[T]],
        lease_key: str,
        token: str,
        retention: float,
        fresh_for: float,
    ) -> T:
        """Load ``key`` under our lease, renewing it until the answer is in the tier."""
        renewing = asyncio.get_running_loop().create_task(self._renew(lease_key, token))
        try:
            # The holder before us may have written it just before we took the lease.
            if (entry := await self._joined(key, adapter, fresh_for)) is not None:
                return entry.value
            return await self._stored(key, adapter, load, retention)
        finally:
            renewing.cancel()
            await self._release(lease_key, token)

    async def _renew(self, lease_key: str, token: str) -> None:
        """Keep our lease alive while the load runs: every third of its length, so two missed
        renewals in a row still leave it held. Stops when the lease is no longer ours (it expired
        under a stalled loop and another replica took it) or the tier fails."""
        period = self.lease / 3
        px = max(1, int(self.lease * 1000))
        while True:
            await self._sleep(period)
            if not self.available:
                return
            try:
                if not await self._redis.eval(_RENEW, 1, lease_key, token, px):
                    return
            except (RedisError, OSError) as exc:
                self._failed("renew", exc)
                return

    async def _joined(self, key: str, adapter: TypeAdapter[T], ttl: float) -> Entry[T] | None:
        """Another replica's answer for ``key``, if it is in the tier (counted as a join)."""
        entry = await self._fresh(key, adapter, ttl)
        if entry is not None:
            self._counters.lease_joins += 1
        return entry

    async def _stored(
        self,
        key: str,
        adapter: TypeAdapter[T],
        load: Callable[[], Awaitable[T]],
        retention: float,
    ) -> T:
        """Our own load, written to the tier for the others."""
        value = await load()
        await self.put(key, adapter, value, retention)
        return value

    async def _fresh(self, key: str, adapter: TypeAdapter[T], ttl: float) -> Entry[T] | None:
        entry = await self.get(key, adapter)
        if entry is None or self._clock() - entry.stored_at > ttl:
            return None
        return entry

    async def _acquire(self, lease_key: str, token: str) -> bool | None:
        """True: the lease is ours; False: another replica holds it; None: the tier is down."""
        if not self.available:
            return None
        try:
            taken = await self._redis.set(
                lease_key, token, nx=True, px=max(1, int(self.lease * 1000))
            )
        except (RedisError, OSError) as exc:
            self._failed("lease", exc)
            return None
        return bool(taken)

    async def _release(self, lease_key: str, token: str) -> None:
        if not self.available:
            return  # it expires on its own
        try:
            await self._redis.eval(_RELEASE, 1, lease_key, token)
        except (RedisError, OSError) as exc:
            self._failed("release", exc)

    async def purge(self, prefix: str = "") -> int:
        """Delete the shared entries whose key starts with ``prefix``; returns how many."""
        dropped = 0
        try:
            keys: list[Any] = []
            async for key in self._redis.scan_iter(match=_glob_escape(NAMESPACE + prefix) + "*"):
                keys.append(key)
                if len(keys) >= 500:
                    dropped += await self._redis.unlink(*keys)
                    keys.clear()
            if keys:
                dropped += await self._redis.unlink(*keys)
        except (RedisError, OSError) as exc:
            self._failed("purge", exc)
        return dropped

    async def aclose(self) -> None:
        await self._redis.aclose()


def _glob_escape(text: str) -> str:
    return "".join("\\" + char if char in "*?[]\\" else char for char in text)
