"""The real service's rate limit, on demand: express-rate-limit's fixed window per client.

DummyJSON limits every client IP to 100 requests per 10 s. Every answer carries
`X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds, rounded up);
past the limit it answers 429 with `Retry-After` (the window, in whole seconds: always 10 there)
and `{"message": "request limit exceeded, please wait a few seconds"}`. Requests past the limit
still count, as in express-rate-limit's memory store.

Off by default (the real service skips it in development too). Switched on with
`PUT /__sim/rate-limit {"limit": 100, "window_s": 10}` or `--rate-limit 100 --rate-window 10`.
The window runs on an injectable clock, so a test can step through windows without sleeping;
`X-RateLimit-Reset` is the wall time at which the window ends.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

LIMIT_MESSAGE = "request limit exceeded, please wait a few seconds"
_KEYS = frozenset({"limit", "window_s"})


class InvalidRateLimit(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class RateLimit:
    limit: int
    window_s: float

    def to_json(self) -> dict[str, Any]:
        return {"limit": self.limit, "window_s": self.window_s}


def parse_rate_limit(raw: object) -> RateLimit:
    if not isinstance(raw, Mapping):
        raise InvalidRateLimit('expected a JSON object {"limit": n, "window_s": seconds}')
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise InvalidRateLimit(f"unknown field(s): {', '.join(unknown)}")
    limit, window = raw.get("limit"), raw.get("window_s", 10)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1_000_000:
        raise InvalidRateLimit("'limit' must be an integer between 1 and 1000000")
    if (
        isinstance(window, bool)
        or not isinstance(window, int | float)
        or not 0.001 <= window <= 3600
    ):
        raise InvalidRateLimit("'window_s' must be a number of seconds between 0.001 and 3600")
    return RateLimit(limit, float(window))


@dataclass(slots=True)
class _Window:
    started: float
    hits: int = 0


@dataclass(slots=True)
class Verdict:
    """What the limiter says about one request: its headers, and whether it is refused."""

    headers: list[tuple[bytes, bytes]]
    refused: bool
    retry_after: int


@dataclass(slots=True)
class RateLimiter:
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    dated: bool = False
    """Send a `Date` header from `wall` (with the server's own turned off): a test on a manual
    clock then gets a `X-RateLimit-Reset` and a `Date` that agree, whatever the real time."""
    config: RateLimit | None = None
    refused: int = 0
    """Requests answered 429 since the last reset of the stats."""
    _windows: dict[str, _Window] = field(default_factory=dict)

    def configure(self, config: RateLimit | None) -> None:
        self.config = config
        self._windows.clear()

    def hit(self, client: str) -> Verdict | None:
        config = self.config
        if config is None:
            return None
        now = self.clock()
        window = self._windows.get(client)
        if window is None or now >= window.started + config.window_s:
            window = self._windows[client] = _Window(now)
        window.hits += 1
        left = max(0, config.limit - window.hits)
        ends_in = window.started + config.window_s - now
        reset = math.ceil(self.wall() + ends_in)
        headers = [
            (b"x-ratelimit-limit", str(config.limit).encode()),
            (b"x-ratelimit-remaining", str(left).encode()),
            (b"x-ratelimit-reset", str(reset).encode()),
        ]
        if self.dated:
            headers.append((b"date", formatdate(self.wall(), usegmt=True).encode()))
        refused = window.hits > config.limit
        if refused:
            self.refused += 1
        return Verdict(headers, refused, math.ceil(config.window_s))

    def to_json(self) -> dict[str, Any]:
        config = self.config.to_json() if self.config is not None else None
        return {"config": config, "refused": self.refused}
