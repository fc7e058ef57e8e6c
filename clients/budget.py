"""The retry budget of one downstream service: a token bucket that retries and hedges draw from.

Every call deposits `ratio` of a token and time adds `min_per_second` tokens per second; a retry
(or a hedged second attempt) needs a whole token. So over any run, retries are at most
`ratio * calls + min_per_second * seconds + the starting balance`, which is what lets the soak test
assert a hard bound on downstream load. The balance is capped at `min_per_second * window`
tokens (at least one), so a long quiet spell cannot bank a storm of retries.

It is the shape of Finagle's RetryBudget (percentCanRetry 20 %, minRetriesPerSec 10) with a
bucket instead of expiring deposits: cheaper to update on every call, and as easy to reason about.
The clock is injectable so tests are exact and instantaneous. No lock: the event loop is the only
caller, and no method awaits.
"""

import time
from collections.abc import Callable

from clients.policies import BudgetPolicy


class RetryBudget:
    __slots__ = ("_balance", "_cap", "_clock", "_last", "_rate", "_ratio", "denied")

    def __init__(
        self, policy: BudgetPolicy, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ratio = policy.ratio
        self._rate = policy.min_per_second
        self._cap = max(1.0, policy.min_per_second * policy.window)
        self._clock = clock
        # Start full, as Finagle does: a process that just started may retry at once.
        self._balance = self._cap
        self._last = clock()
        self.denied = 0
        """Retries and hedges refused so far (for metrics)."""

    @property
    def balance(self) -> float:
        """Tokens available now (read-only, for tests and metrics)."""
        self._accrue()
        return self._balance

    def deposit(self) -> None:
        """Account for one call (its first attempt); runs on every call, so it stays tiny."""
        balance = self._balance + self._ratio
        self._balance = balance if balance < self._cap else self._cap

    def try_spend(self) -> bool:
        """Take one token for a retry or a hedge; False means the budget is spent: do not retry."""
        self._accrue()
        if self._balance < 1.0:
            self.denied += 1
            return False
        self._balance -= 1.0
        return True

    def _accrue(self) -> None:
        now = self._clock()
        elapsed = now - self._last
        self._last = now
        if elapsed > 0:
            self._balance = min(self._cap, self._balance + elapsed * self._rate)
