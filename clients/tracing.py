"""The trace span of one logical downstream call: the parent of its HTTP attempts.

A screen's trace reads best as "the request, then each call it made, then each attempt of that
call": a retried or hedged call is one operation that cost several round trips, and a cache hit
is an operation that cost none. The HTTP attempts get their own spans from httpx's
instrumentation (beneath this one, as the current span while the pipeline runs); this span says
what the pipeline decided: the service, the call's name, how the cache served it, how many
attempts it took and how it ended.

Tracing is the app's choice, not the clients': the BFF puts its tracer in the request's scope
(`RequestScope.tracer`) when tracing is on (`bff/tracing.py`). When it is off the pipeline does
nothing else: no span, not even a no-op one.
"""

from contextvars import Token
from dataclasses import dataclass

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

from clients.record import CallRecord

ATTRIBUTE_PREFIX = "bff.downstream."


@dataclass(slots=True)
class CallSpan:
    """An open logical-call span, current in this task until `close` is called."""

    span: trace.Span
    token: Token[context.Context]

    def close(self, entry: CallRecord) -> None:
        """Detach the span, annotate it with what `entry` says about the call, and end it."""
        context.detach(self.token)
        span = self.span
        span.set_attribute(ATTRIBUTE_PREFIX + "attempts", entry.attempts)
        span.set_attribute(ATTRIBUTE_PREFIX + "outcome", entry.outcome)
        if entry.cache is not None:
            span.set_attribute(ATTRIBUTE_PREFIX + "cache", entry.cache)
        if entry.status is not None:
            span.set_attribute("http.response.status_code", entry.status)
        if entry.outcome not in ("ok", "cancelled"):
            # The error's code (`timeout`, `unavailable`...), never its detail: it may quote a body.
            span.set_status(Status(StatusCode.ERROR, entry.outcome))
        span.end()


def open_call_span(tracer: Tracer, entry: CallRecord) -> CallSpan:
    """Start the span of the call `entry` describes and make it current in this task."""
    name = entry.operation or f"{entry.service} {entry.method}"
    attributes: dict[str, str] = {
        ATTRIBUTE_PREFIX + "service": entry.service,
        ATTRIBUTE_PREFIX + "path": entry.path,
        "http.request.method": entry.method,
    }
    if entry.operation is not None:
        attributes[ATTRIBUTE_PREFIX + "operation"] = entry.operation
    span = tracer.start_span(name, kind=SpanKind.INTERNAL, attributes=attributes)
    return CallSpan(span, context.attach(trace.set_span_in_context(span)))
