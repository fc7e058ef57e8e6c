"""The record of one downstream call: who, what, how long, how it ended and how it was served.

The pipeline (`clients/base.py`) creates one per call of a request that collects them, passes it
explicitly through its steps (each attempt counts itself on it, the cache step says how it
served), and appends it to the request's list (`RequestScope.calls`), from which the BFF derives
`Server-Timing`, `Cache-Status`, `Cache-Control`, section statuses, metrics, spans and logs. A
shared or background call (single-flight, a refresh) that may outlive its starter counts on a
record of its own, so it never writes into a record that was already returned.
"""

from dataclasses import dataclass


@dataclass(slots=True)
class CallRecord:
    """One downstream call: who, what, how long, and how it ended."""

    service: str
    method: str
    path: str
    operation: str | None = None
    """The typed client's name for the call (`users.get`): bounded, so fit for metric labels and
    the key of its cache policy; None for calls made without one."""
    duration: float = 0.0
    outcome: str = "cancelled"
    """`ok`, a `DownstreamError.code`, or `cancelled` when a sibling's failure stopped it."""
    status: int | None = None
    callers_fault: bool = False
    """The call failed because the caller's own credentials or input were refused
    (`Fault.CALLER`): no sign of trouble downstream."""
    attempts: int = 0
    """Network attempts started (retries and hedges included; 0 when none was made)."""
    cache: str | None = None
    """How the cache step served it: `hit`, `miss` or `stale`; None when the call skipped the
    cache step (not a GET, no cache policy, or the cache is off)."""
    cache_age: float = 0.0
    """Seconds since the served answer was fetched from the downstream (0 for a fresh fetch)."""
    cache_ttl: float | None = None
    """Seconds the answer was fresh for in all (the policy's TTL), when cached."""
    private: bool = False
    """The call carried the caller's credentials: its answer is that user's alone."""
    stale_cause: str | None = None
    """For a stale answer standing in for a failed call (stale-if-error): the failure's code
    (`unavailable`, `timeout`...); `status` then holds its HTTP status, if any."""

    @property
    def stale_if_error(self) -> bool:
        """The stale answer stands in for a failed call (rather than awaiting a refresh)."""
        return self.stale_cause is not None

    @property
    def fresh_for(self) -> float | None:
        """Seconds the answer stays fresh from now (negative once stale); None if uncached."""
        if self.cache_ttl is None:
            return None
        return self.cache_ttl - self.cache_age
