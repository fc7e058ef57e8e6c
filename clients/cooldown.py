"""The rate-limit cool-down of a downstream origin: once it says "slow down", stop calling it.

A rate-limited API (DummyJSON: express-rate-limit, 100 requests per 10 s per client) answers 429
with `Retry-After` past its limit, and announces the limit on every answer with
`X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`. Every call sent before the
window ends is refused anyway and, worse, counted against the *next* window. So the first 429, or
an answer saying `X-RateLimit-Remaining: 0`, starts a cool-down for the whole origin until the
window ends (a rate limit counts a client's requests to a host, whichever API they are for: all of
DummyJSON's share one budget, so the services of one origin share one cool-down); meanwhile no call
is sent: the pipeline raises `CoolingDown` at once (a stale cached copy stands in where there is
one, else the frontend gets 503 with the time left as `Retry-After`, so it counts down). The same
idea as Envoy's and gRPC's handling of `Retry-After`/`grpc-retry-pushback-ms`, applied to every
caller of the service rather than to one call's retry.

How long: `Retry-After` of a 429 (seconds or an HTTP date); else `X-RateLimit-Reset`, which
express-rate-limit sends as epoch seconds (compared with the answer's own `Date` header when it has
one, so a skewed clock on either side does not matter) and the IETF draft's `RateLimit-Reset` as
seconds left (values below 10^9 are read that way). A 429 that says neither starts no cool-down:
not knowing the window, the retry step's backoff and budget handle it. Never longer than
`CooldownPolicy.max_seconds`, so a broken header cannot silence a service for a day.

A step of the pipeline between the breaker and the retries (`clients/base.py`); the retry step also
gives up rather than wait past a cool-down, and each retry attempt checks it again.

One instance per origin, shared by the clients of its services (`Downstreams.build`); with Redis,
shared by the replicas too (`replicas.py`): a cool-down this process starts is `announce`d to them,
and theirs arrive through `start(..., announce=False)`, each counted on the local clock from the
time left, so replicas need no common clock. The clock is
injectable (the app's `create_app(clock=...)`), so tests step through windows without sleeping. No
lock: every method runs to completion on the event loop.
"""

import contextlib
import logging
import math
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import httpx

from clients.errors import CoolingDown
from clients.policies import CooldownPolicy
from clients.translate import parse_retry_after

logger = logging.getLogger("clients.cooldown")

_EPOCH_THRESHOLD = 1e9
"""`X-RateLimit-Reset` values above this are epoch seconds (2001 onwards), below it seconds left."""


class Cooldown:
    __slots__ = ("_clock", "_policy", "_until", "_wall", "announce", "name", "refused", "started")

    def __init__(
        self,
        name: str,
        policy: CooldownPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        """The origin (or service) it guards, for logs."""
        self._policy = policy
        self._clock = clock
        self._wall = wall
        self._until = 0.0
        self.started = 0
        """Cool-downs started so far (for metrics)."""
        self.refused = 0
        """Calls refused so far because a cool-down was running (for metrics)."""
        self.announce: Callable[[str, float], None] | None = None
        """Told (origin, seconds) when this process starts or extends a cool-down, so the other
        replicas can observe it too; it must not block or raise."""

    @property
    def remaining(self) -> float:
        """Seconds until calls may go out again; 0 when they may now."""
        if not self._until:
            return 0.0
        left = self._until - self._clock()
        return left if left > 0 else 0.0

    @property
    def active(self) -> bool:
        return self.remaining > 0

    @property
    def until(self) -> float:
        """When the current cool-down ends, on the injected clock (0: none)."""
        return self._until

    def check(self, service: str, *, waited_out: float = 0.0) -> None:
        """Raise `CoolingDown` while a cool-down runs; the hot path is one comparison.

        `waited_out` is the end of a cool-down the caller already waited out (a retry that slept
        its own 429's `Retry-After`): only a cool-down ending later refuses it.
        """
        until = self._until
        if not until:
            return
        left = until - self._clock()
        if left <= 0:
            self._until = 0.0
            return
        if until <= waited_out:
            return
        self.refused += 1
        raise self._error(service, left)

    def error(self, service: str) -> CoolingDown | None:
        """The error of a call stopped by the running cool-down, or None when none runs (for a
        caller that stopped waiting while another call waits the cool-down out)."""
        left = self.remaining
        return self._error(service, left) if left > 0 else None

    def _error(self, service: str, left: float) -> CoolingDown:
        return CoolingDown(
            service,
            f"{self.name} is rate limiting us; not called for another {left:.3g}s",
            status=None,
            retry_after=left,
            attempts=0,
        )

    def observe(self, response: httpx.Response) -> None:
        """Start (or extend) a cool-down when an answer says the limit is reached."""
        if not self._policy.enabled:
            return
        headers = response.headers
        if response.status_code == 429:
            seconds = parse_retry_after(headers.get("retry-after"))
            if seconds is None:
                seconds = self._reset_seconds(response)
        else:
            left = headers.get("x-ratelimit-remaining")
            if left is None or left.strip() != "0":
                return
            seconds = self._reset_seconds(response)
        if seconds is not None:
            self.start(seconds)

    def start(self, seconds: float, *, announce: bool = True) -> None:
        """Start or extend the cool-down; `announce=False` for one learned from another replica
        (it is not echoed back)."""
        seconds = min(seconds, self._policy.max_seconds)
        if not seconds > 0:
            return
        until = self._clock() + seconds
        if until <= self._until:
            return
        if not self.active:
            self.started += 1
            logger.warning(
                "%s is rate limiting: no calls for %.3gs (cool-down%s)",
                self.name,
                seconds,
                "" if announce else ", from another replica",
            )
        self._until = until
        if announce and self.announce is not None:
            self.announce(self.name, seconds)

    def _reset_seconds(self, response: httpx.Response) -> float | None:
        raw = response.headers.get("x-ratelimit-reset") or response.headers.get("ratelimit-reset")
        if raw is None:
            return None
        try:
            value = float(raw.strip())
        except ValueError:
            return None
        if not math.isfinite(value) or value < 0:
            return None
        if value < _EPOCH_THRESHOLD:
            return value
        now = self._wall()
        date = response.headers.get("date")
        if date is not None:
            with contextlib.suppress(TypeError, ValueError, IndexError):
                now = parsedate_to_datetime(date).timestamp()
        return max(0.0, value - now)
