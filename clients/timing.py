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
    duration: float = 0.0
    outcome: str = "cancelled"
    """`ok`, a `DownstreamError.code`, or `cancelled` when a sibling's failure stopped it."""
    status: int | None = None
    attempts: int = 0
    """Network attempts started (retries and hedges included; 0 when none was made)."""
    cache: str | None = None
    """For the cache step: `hit`, `miss`, `stale`...; None when the call was not cacheable."""


calls_var: ContextVar[list[CallTiming] | None] = ContextVar("downstream_calls", default=None)
"""The current request's calls, or None outside a request (then nothing is collected)."""

current_call: ContextVar[CallTiming | None] = ContextVar("current_downstream_call", default=None)
"""The call the pipeline is running in this task, while timings are collected."""
