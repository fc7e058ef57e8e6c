"""The incoming request's deadline, shared with every downstream call it causes.

A middleware sets it once per frontend request; the pipeline reads it before each attempt so that
neither a slow call nor a retry outlives the frontend's patience. It is a contextvar because
`asyncio.gather` copies the context into each task: every fan-out branch sees the same deadline.
"""

import time
from contextvars import ContextVar, Token

deadline_var: ContextVar[float | None] = ContextVar("downstream_deadline", default=None)
"""Absolute deadline on the `time.monotonic()` clock, or None for no deadline."""


def set_deadline(seconds: float | None) -> Token[float | None]:
    """Start a budget of `seconds` from now (None clears it); `deadline_var.reset(token)` undoes."""
    return deadline_var.set(None if seconds is None else time.monotonic() + seconds)


def remaining() -> float | None:
    """Seconds left (zero or negative once passed), or None when no deadline is set."""
    deadline = deadline_var.get()
    return None if deadline is None else deadline - time.monotonic()
