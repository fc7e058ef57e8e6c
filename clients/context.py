"""The one request context: what a frontend request shares with every downstream call it causes.

The BFF's middleware opens one `RequestScope` per frontend request; the pipeline reads it once per
downstream call. Everything else the pipeline needs travels as arguments (the call, its
`CallRecord`), so this is the only context variable of the request path, and it is one because
it cannot be an argument: a request's calls are made by typed clients several frames below
routes that never see the request's deadline, id or tracer, and `asyncio` copies the context
into each fan-out task, so every branch sees the same scope without any signature carrying it.

The scope is immutable: a narrower context (a fan-out section, a shared call freed from its
starter's deadline, a fresh budget for a long export's next page) is a new scope set in that
task's own copy of the context, never a change another task could see. What many tasks of one
request add to (its call records, the work that may outlive it, what the answer turned out to
be) are containers that the narrower scopes share by reference.

Kept in `clients/` rather than `bff/` because imports flow `bff -> clients`: the middleware
writes the scope, every downstream call reads it, and neither imports the other's internals.
"""

import time
from asyncio import Future
from contextvars import ContextVar, Token
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from clients.record import CallRecord

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer


@dataclass(slots=True)
class ResponseNotes:
    """What the request's handlers learned about the answer, for the headers the middleware
    and the HTTP caching derive from it."""

    partial: bool = False
    """Some section is missing or stale (``X-BFF-Partial``, no shared caching)."""
    personal: bool = False
    """Built with the caller's credentials: never stored by any cache."""


@dataclass(slots=True)
class RequestScope:
    """One frontend request as its downstream calls see it. Never changed once current (not
    frozen only because a frozen dataclass costs a `setattr` per field to build, and a screen
    builds one per section): a narrower context is a copy."""

    request_id: str | None = None
    """Sent downstream as `X-Request-ID` and logged, so logs join across hops."""
    deadline: float | None = None
    """Absolute deadline on the `time.monotonic()` clock, or None for none. Every attempt and
    retry of the request's calls ends by it."""
    tracer: "Tracer | None" = None
    """The app's tracer when tracing is on (`bff/tracing.py`): each call opens a span."""
    calls: list[CallRecord] | None = None
    """The request's call records in the code's order; None outside a request (nothing is
    collected, and the pipeline builds no record)."""
    section: list[CallRecord] | None = None
    """The records of the screen section being assembled (`bff/fanout.py`), so a section served
    from stale entries can say so; None outside a section."""
    owned: list[Future[Any]] | None = None
    """Work the request started that may outlive it (shared calls, refreshes), held against its
    admission slot until it ends (`bff/admission.py`); None outside a request."""
    notes: ResponseNotes | None = None
    """None outside a request: nothing to note."""

    def for_section(self, section: list[CallRecord]) -> "RequestScope":
        """This scope for one screen section's calls (built per section, so spelled out rather
        than through `dataclasses.replace`, which costs several times more)."""
        return RequestScope(
            self.request_id, self.deadline, self.tracer, self.calls, section, self.owned, self.notes
        )

    def remaining(self) -> float | None:
        """Seconds left (zero or negative once passed), or None when there is no deadline."""
        deadline = self.deadline
        return None if deadline is None else deadline - time.monotonic()


_OUTSIDE = RequestScope()

scope_var: ContextVar[RequestScope] = ContextVar("request_scope", default=_OUTSIDE)
"""The current request's scope; outside a request, an empty one (no deadline, nothing kept)."""


def current_scope() -> RequestScope:
    return scope_var.get()


def enter(scope: RequestScope) -> Token[RequestScope]:
    """Make `scope` current in this task; `scope_var.reset(token)` undoes."""
    return scope_var.set(scope)


def narrowed(**changes: Any) -> Token[RequestScope]:
    """Make a copy of the current scope with `changes` current in this task (a section, a new
    deadline, a shared call's freedom from its starter's deadline)."""
    return scope_var.set(replace(scope_var.get(), **changes))


def remaining() -> float | None:
    """Seconds left of the current request's deadline, or None when it has none."""
    return scope_var.get().remaining()


def set_deadline(seconds: float | None) -> Token[RequestScope]:
    """Start a budget of `seconds` from now in this task (None clears it)."""
    return narrowed(deadline=None if seconds is None else time.monotonic() + seconds)
