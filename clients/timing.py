"""What each downstream call of one incoming request took, for the `Server-Timing` header.

The BFF's middleware puts a fresh list in `calls_var` per request; the pipeline appends one
`CallTiming` per downstream call (appended when the call starts, so the order is the code's order
rather than the network's) and fills it in when the call ends. A list in a contextvar, rather than
a contextvar per value, because fan-out branches run in tasks with *copies* of the context: they
all see, and append to, the same list object.

`current_call` names the call in progress within the pipeline, so that a step deep inside (each
attempt, a later cache) can note something about it (one more attempt, a cache hit) without
threading a parameter through every step's signature. It is only set while a request collects
timings.
"""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(slots=True)
class CallTiming:
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


section_calls_var: ContextVar[list[CallTiming] | None] = ContextVar(
    "section_downstream_calls", default=None
)
"""The calls of the screen section being fetched (see `bff.fanout.Sections`), so that a section
served from a stale cache entry can say so; None outside a section."""

calls_var: ContextVar[list[CallTiming] | None] = ContextVar("downstream_calls", default=None)
"""The current request's calls, or None outside a request (then nothing is collected)."""

current_call: ContextVar[CallTiming | None] = ContextVar("current_downstream_call", default=None)
"""The call the pipeline is running in this task, while timings are collected."""
