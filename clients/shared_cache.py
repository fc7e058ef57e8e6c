"""The optional shared cache tier (Redis), behind the in-process one.

Several BFF processes or replicas share warm answers through it. It is an optimisation, never a
dependency: every operation has a short timeout, every failure is counted and logged, and after a
failure the tier is skipped for a while, so a Redis outage costs the BFF neither errors nor the
latency of a connection attempt per call.

Values are stored as ``<wall-clock time>\\n<JSON>``: the time lets another process compute the
entry's age on its own clock, and the JSON is what the downstream model serializes to, so
the reader decodes it with the same model as a fresh answer.
"""

from __future__ import annotations

import logging
import time
from typing import Any, TypeVar

import redis.asyncio as redis
from pydantic import TypeAdapter
from redis.exceptions import RedisError

from clients.cache import CacheCounters, Clock, Entry

logger = logging.getLogger("bff.cache")

T = TypeVar("T")

NAMESPACE = "bff:cache:v1:"


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
    ) -> None:
        self._redis = redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
        )
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
