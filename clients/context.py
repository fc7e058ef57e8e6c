"""Per-request values that the pipeline forwards downstream, set by the BFF's middleware.

Kept in `clients/` rather than `bff/` because imports flow `bff -> clients`: the middleware writes
the value, every downstream call reads it, and neither imports the other's internals.
"""

from asyncio import Future
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The incoming request's id, sent downstream as `X-Request-ID` so logs join across hops."""

owned_work_var: ContextVar[list[Future[Any]] | None] = ContextVar("owned_work", default=None)
"""Work a request started that may outlive it: shared (single-flight) calls and background
refreshes, which go on for the cache when their starter stops waiting. Admission
(`bff/admission.py`) keeps the request's slot until they end, so callers that give up at once
(a tiny `X-Request-Timeout`) cannot pile up unbounded downstream work behind them."""
