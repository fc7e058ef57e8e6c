"""Per-service call policy, as plain data in one place.

Settings build one `ServicePolicy` per downstream service; the pipeline only reads them. Each
resilience mechanism has its own small frozen record here (the logic lives in `retry.py`,
`budget.py`, `breaker.py`, `cooldown.py` and `hedging.py`), so a test or another deployment can
build a policy by hand without settings, and one service can differ from the others without code
changes.

The records' own defaults are conservative on purpose: a `ServicePolicy` built by hand makes one
attempt, never hedges and keeps a breaker with the usual Hystrix-style thresholds; `Settings` turns
on what the deployment wants (three attempts by default).
"""

import math
from dataclasses import dataclass, field
from urllib.parse import urlsplit


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When and how soon to try an idempotent call again.

    `attempts` counts the first one (1 = no retries). The wait before retry n is drawn uniformly
    from [0, min(backoff_max, backoff_base * 2**(n-1))] ("full jitter", which spreads a burst of
    failed callers best; see the AWS architecture blog's "Exponential Backoff And Jitter"), unless
    the downstream sent `Retry-After`: that is waited exactly when it is at most `retry_after_max`
    and fits in the request's deadline; a longer one fails the call at once, because holding a
    frontend request for many seconds is worse than telling it when to come back.
    `min_attempt_time` is the least time a retry must have left after its wait, so no retry starts
    that could only be cut off by the deadline.
    """

    attempts: int = 1
    backoff_base: float = 0.05
    backoff_max: float = 1.0
    retry_after_max: float = 2.0
    min_attempt_time: float = 0.05

    def __post_init__(self) -> None:
        _check(1 <= self.attempts <= 10, f"attempts must be 1..10, got {self.attempts!r}")
        _check(_positive(self.backoff_base), "backoff_base must be positive")
        _check(self.backoff_max >= self.backoff_base, "backoff_max must be >= backoff_base")
        _check(self.retry_after_max >= 0, "retry_after_max must not be negative")
        _check(self.min_attempt_time >= 0, "min_attempt_time must not be negative")


@dataclass(frozen=True, slots=True)
class BudgetPolicy:
    """How much retry (and hedge) traffic one service may receive on top of its calls.

    Retries may add at most `ratio` of the service's calls, plus `min_per_second` so that a quiet
    service can still retry; unused allowance is kept for at most `window` seconds' worth of the
    floor. This is Finagle's RetryBudget and gRPC's retry throttling idea: in an outage every call
    fails, and without a budget every caller multiplies its load by the number of attempts.
    """

    ratio: float = 0.2
    min_per_second: float = 10.0
    window: float = 10.0

    def __post_init__(self) -> None:
        _check(0 <= self.ratio <= 1, f"ratio must be 0..1, got {self.ratio!r}")
        _check(
            math.isfinite(self.min_per_second) and self.min_per_second >= 0,
            "min_per_second must not be negative",
        )
        _check(_positive(self.window), "window must be positive")


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """When to stop calling a failing service, and for how long.

    The breaker opens when, over the last `window` seconds and at least `min_calls` attempts, the
    share of failed attempts reaches `failure_ratio` (Hystrix's defaults: 50 % of at least 20 in
    10 s), or after `consecutive_failures` failures in a row (0 turns that rule off), which catches
    a dead service that gets too little traffic to reach `min_calls`. It stays open for
    `open_seconds`, then lets one probe through.
    """

    failure_ratio: float = 0.5
    min_calls: int = 20
    window: float = 10.0
    consecutive_failures: int = 10
    open_seconds: float = 5.0

    def __post_init__(self) -> None:
        _check(0 < self.failure_ratio <= 1, "failure_ratio must be in (0, 1]")
        _check(self.min_calls >= 1, "min_calls must be at least 1")
        _check(_positive(self.window), "window must be positive")
        _check(self.consecutive_failures >= 0, "consecutive_failures must not be negative")
        _check(_positive(self.open_seconds), "open_seconds must be positive")


@dataclass(frozen=True, slots=True)
class HedgePolicy:
    """Whether to send a second, parallel attempt when the first is slower than usual.

    Off by default: hedging trades extra load for tail latency, which only pays for idempotent,
    cheap calls to a service with a long tail. When on, the second attempt starts once the first
    has run for the `quantile` of the service's last `samples` successful latencies (at least
    `min_delay`), and only after `min_samples` have been seen, so a cold start never doubles load.
    """

    enabled: bool = False
    quantile: float = 0.95
    samples: int = 100
    min_samples: int = 20
    min_delay: float = 0.005

    def __post_init__(self) -> None:
        _check(0 < self.quantile < 1, "quantile must be in (0, 1)")
        _check(self.samples >= 1, "samples must be at least 1")
        _check(1 <= self.min_samples <= self.samples, "min_samples must be 1..samples")
        _check(self.min_delay >= 0, "min_delay must not be negative")


@dataclass(frozen=True, slots=True)
class CooldownPolicy:
    """How a service's rate limit is respected (`clients/cooldown.py`).

    After a 429 or an answer with `X-RateLimit-Remaining: 0`, no call goes to the service until
    its window ends, as its headers say, for at most `max_seconds` (a guard against a broken or
    hostile header). A 429 that does not say when is retried with backoff like a 503, within the
    retry budget. `enabled=False` turns it off.
    """

    enabled: bool = True
    max_seconds: float = 60.0

    def __post_init__(self) -> None:
        _check(_positive(self.max_seconds), "max_seconds must be positive")


@dataclass(frozen=True)
class ServicePolicy:
    """How to call one downstream service.

    `base_url` is the only origin the service's client ever sends to (paths are appended to it), and
    `timeout` bounds each attempt as a whole, in seconds; the request's deadline may shorten it
    further. `connect_timeout` and `pool_timeout` bound opening a connection and waiting for a free
    pooled one within that attempt (each is also cut to the attempt's timeout).
    """

    base_url: str
    timeout: float
    connect_timeout: float = 2.0
    pool_timeout: float = 2.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    budget: BudgetPolicy = field(default_factory=BudgetPolicy)
    breaker: BreakerPolicy = field(default_factory=BreakerPolicy)
    hedge: HedgePolicy = field(default_factory=HedgePolicy)
    cooldown: CooldownPolicy = field(default_factory=CooldownPolicy)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an absolute http(s) URL, got {self.base_url!r}")
        if parts.query or parts.fragment:
            raise ValueError("base_url must not carry a query or fragment")
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, got {self.timeout!r}")
        _check(_positive(self.connect_timeout), "connect_timeout must be positive")
        _check(_positive(self.pool_timeout), "pool_timeout must be positive")
        # Paths start with "/", so a trailing slash here would double it.
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
