"""What the replicas of the BFF (pods, and ``BFF_WORKERS`` processes) tell each other through Redis.

The shared tier (``shared_cache.py``) shares answers; this shares the events every replica must
act on, over Redis pub/sub:

* **Purges.** ``POST /admin/cache/purge`` reaches one replica; it publishes the prefix, and every
  replica (itself included) drops its in-process entries, then acknowledges on a list named for
  that purge. The purge answers how many replicas acknowledged within ``ACK_WAIT``: a replica that
  did not hear it is not counted, so the figure is never larger than the truth.
* **Missed purges.** Pub/sub does not queue: a replica cut off from Redis may have missed one.
  So whenever the subscription is (re)established, the replica drops its in-process tier (its
  first subscription, at startup, finds it empty anyway).
* **Rate-limit cool-downs.** A cool-down one replica starts (a 429, ``X-RateLimit-Remaining: 0``;
  ``cooldown.py``) is published with its time left and kept as a key with that expiry
  (``PX``), so replicas that subscribe later (a new pod, a reconnect) read the ones still running.
  Each replica applies it to its own ``Cooldown`` on its own clock: one Redis round trip after the
  first 429, no replica spends the shared limit any more.

Circuit breakers are *not* shared, on purpose (as in Envoy, where each host keeps its own
outlier detection): a breaker judges the path from this replica to the downstream, and one
replica's broken network must not stop the healthy ones.

Redis is never a dependency: while it is down each replica keeps its own cool-downs and cache,
announcements are dropped (counted in ``bff_cache_tier_errors_total``), and the listener
reconnects every ``retry`` seconds. Nothing here runs on a request's path except the purge
endpoint's own publish and the fire-and-forget announcement of a new cool-down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Iterable, Mapping
from typing import Any

from redis.exceptions import RedisError

from clients.cache import CacheCounters, ResponseCache
from clients.cooldown import Cooldown
from clients.shared_cache import connect

logger = logging.getLogger("bff.replicas")

PURGES = "bff:purge:v1"
"""Channel of purges: ``{"id", "prefix", "from"}``."""
ACKS = "bff:purge:ack:v1:"
"""List (per purge id) where each replica that purged pushes its id."""
COOLDOWNS = "bff:cooldown:v1"
"""Channel of cool-downs: ``{"origin", "ms", "from"}``; the key ``COOLDOWNS:<origin>`` holds the
running one, expiring with it."""

ACK_WAIT = 1.0
"""Seconds a purge waits for the replicas that received it to acknowledge."""
_ACK_POLL = 0.005
_ACK_KEEP_MS = 10_000
_LISTEN_SECONDS = 1.0


class ReplicaLink:
    """This replica's subscription to the others: one background listener task, and the
    publishing side of purges and cool-downs. Built and closed by the app's lifespan."""

    def __init__(
        self,
        url: str,
        *,
        cache: ResponseCache,
        cooldowns: Iterable[Cooldown],
        counters: CacheCounters,
        timeout: float = 0.25,
        retry: float = 5.0,
    ) -> None:
        # The health check notices a silent network partition on the subscription (the
        # listener pings).
        self._redis = connect(url, timeout, health_check_interval=max(1, round(retry)))
        self.id = f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"
        """Names this replica in acknowledgements and lets it ignore its own announcements."""
        self._cache = cache
        self._cooldowns: dict[str, Cooldown] = {}
        for cooldown in cooldowns:
            self._cooldowns.setdefault(cooldown.name, cooldown)
        self._counters = counters
        self._retry = retry
        self._listener: asyncio.Task[None] | None = None
        self._announcing: set[asyncio.Task[None]] = set()
        self._alone = False
        """Logged as not connected, and not subscribed since (one warning per outage)."""
        self.listening = False
        """True while subscribed: purges and cool-downs published now reach this replica."""
        self.reconnects = 0
        """Subscriptions established after a lost one (each dropped the in-process tier)."""

    def start(self) -> None:
        """Start listening (in the background: startup never waits for Redis) and announcing."""
        for cooldown in self._cooldowns.values():
            cooldown.announce = self._announce
        self._listener = asyncio.get_running_loop().create_task(self._listen())

    async def aclose(self) -> None:
        for cooldown in self._cooldowns.values():
            cooldown.announce = None
        tasks = [*self._announcing, *([self._listener] if self._listener else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._redis.aclose()

    # Purges

    async def purge(self, prefix: str) -> int:
        """Tell every replica to drop its in-process entries under ``prefix`` (this one has
        already: the caller purged it); returns how many replicas purged, this one included."""
        purge_id = os.urandom(8).hex()
        message = json.dumps({"id": purge_id, "prefix": prefix, "from": self.id})
        # Read before publishing: whether this replica's own listener will acknowledge.
        listening = self.listening
        try:
            receivers = int(await self._redis.publish(PURGES, message))
            acked = await self._acknowledged(ACKS + purge_id, receivers)
        except (RedisError, OSError) as exc:
            self._failed("purge broadcast", exc)
            return 1
        return acked if listening else acked + 1

    async def _acknowledged(self, key: str, expected: int) -> int:
        # Real time, not the app's (injectable) clock: this waits on the network.
        give_up = time.monotonic() + ACK_WAIT
        while True:
            acked = int(await self._redis.llen(key))
            if acked >= expected or time.monotonic() >= give_up:
                return acked
            await asyncio.sleep(_ACK_POLL)

    async def _on_purge(self, data: Mapping[str, Any]) -> None:
        prefix = data.get("prefix")
        purge_id = data.get("id")
        if not isinstance(prefix, str) or not isinstance(purge_id, str):
            return
        dropped = self._cache.purge(prefix)
        if data.get("from") != self.id:
            logger.info("cache purged by another replica: prefix=%r in_process=%d", prefix, dropped)
        key = ACKS + purge_id
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.rpush(key, self.id)
                pipe.pexpire(key, _ACK_KEEP_MS)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            self._failed("purge acknowledgement", exc)

    # Cool-downs

    def _announce(self, origin: str, seconds: float) -> None:
        if not self.listening:
            return  # Redis is down: this replica keeps its cool-down to itself
        task = asyncio.get_running_loop().create_task(self._publish_cooldown(origin, seconds))
        self._announcing.add(task)
        task.add_done_callback(self._announcing.discard)

    async def _publish_cooldown(self, origin: str, seconds: float) -> None:
        ms = max(1, int(seconds * 1000))
        message = json.dumps({"origin": origin, "ms": ms, "from": self.id})
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.set(f"{COOLDOWNS}:{origin}", ms, px=ms)
                pipe.publish(COOLDOWNS, message)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            self._failed("cool-down announcement", exc)

    def _on_cooldown(self, data: Mapping[str, Any]) -> None:
        if data.get("from") == self.id:
            return
        cooldown = self._cooldowns.get(str(data.get("origin")))
        ms = data.get("ms")
        if cooldown is not None and isinstance(ms, int):
            cooldown.start(ms / 1000, announce=False)

    async def _running_cooldowns(self) -> None:
        """The cool-downs other replicas started before this one subscribed."""
        origins = list(self._cooldowns)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for origin in origins:
                    pipe.pttl(f"{COOLDOWNS}:{origin}")
                left = await pipe.execute()
        except (RedisError, OSError) as exc:
            self._failed("reading running cool-downs", exc)
            return
        for origin, ms in zip(origins, left, strict=True):
            if isinstance(ms, int) and ms > 0:
                self._cooldowns[origin].start(ms / 1000, announce=False)

    # The listener

    async def _listen(self) -> None:
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(PURGES, COOLDOWNS)
                # Subscribed: from now on nothing is missed. Before: anything may have been.
                dropped = self._cache.purge("")
                if self.reconnects or dropped:
                    logger.warning(
                        "subscribed to the other replicas again; dropped %d in-process entries "
                        "(a purge may have been missed)",
                        dropped,
                    )
                self.listening = True
                self._alone = False
                await self._running_cooldowns()
                while True:
                    message = await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=_LISTEN_SECONDS
                    )
                    if message is not None:
                        await self._dispatch(message)
            except (RedisError, OSError) as exc:
                if self.listening:
                    self.reconnects += 1
                    self._failed("subscription", exc)
                elif not self._alone:
                    self._failed("subscription", exc)
                else:
                    self._counters.tier_errors += 1
                self._alone = True
            finally:
                self.listening = False
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
            await asyncio.sleep(self._retry)

    async def _dispatch(self, message: Mapping[str, Any]) -> None:
        channel = message.get("channel")
        channel = channel.decode() if isinstance(channel, bytes) else channel
        try:
            data = json.loads(message.get("data") or b"")
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        if channel == PURGES:
            await self._on_purge(data)
        elif channel == COOLDOWNS:
            self._on_cooldown(data)

    def _failed(self, operation: str, exc: Exception) -> None:
        self._counters.tier_errors += 1
        if operation == "subscription":
            logger.warning(
                "not connected to the other replicas (%s: %s); acting alone, retrying in %.3gs",
                operation,
                type(exc).__name__,
                self._retry,
            )
        else:
            logger.warning("%s failed (%s); acting alone", operation, type(exc).__name__)
