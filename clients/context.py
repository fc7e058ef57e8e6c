"""Per-request values that the pipeline forwards downstream, set by the BFF's middleware.

Kept in `clients/` rather than `bff/` because imports flow `bff -> clients`: the middleware writes
the value, every downstream call reads it, and neither imports the other's internals.
"""

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The incoming request's id, sent downstream as `X-Request-ID` so logs join across hops."""
