"""OpenTelemetry traces: a span per incoming request, per downstream call and per HTTP attempt.

Off by default, and then free: nothing is instrumented, and the request pipeline reads one
context variable per call. The standard ``OTEL_*`` variables turn it on (read by ``bff serve``
and ``bff demo``, never by ``create_app`` itself, so tests and embedders choose explicitly):

* ``OTEL_TRACES_EXPORTER``: ``otlp`` (OTLP over HTTP/protobuf, the exporter this package ships),
  ``console`` (spans as JSON on stdout), or the name of any installed exporter entry point
  (``otlp_proto_grpc`` once ``opentelemetry-exporter-otlp-proto-grpc`` is installed); several
  are comma-separated. Unset or ``none``: no tracing. The spec's default is ``otlp``; here it is
  off, so a BFF without a collector does not try to reach one on every batch.
* ``OTEL_SDK_DISABLED=true`` wins over everything: no tracing.
* The exporter, sampler, batching and resource read their own variables:
  ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``..._TRACES_ENDPOINT``), ``OTEL_EXPORTER_OTLP_HEADERS``,
  ``OTEL_TRACES_SAMPLER``/``..._ARG``, ``OTEL_BSP_*``, ``OTEL_SERVICE_NAME`` (default ``bff``),
  ``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_PROPAGATORS`` (default W3C ``traceparent`` + baggage).

Everything is per app: ``install_tracing`` instruments one FastAPI instance and its one shared
client with one ``TracerProvider``, and sets no global provider, so apps built side by side (as
tests do) never see each other's spans. The spans:

* server: one per incoming request, named by method and route template (FastAPI's instrumentation;
  its per-message ``http send``/``http receive`` spans are left out, and so are the probes and
  the metrics scrape);
* ``users.get`` (internal): one per logical downstream call, with its service, operation, cache
  status, attempts and outcome (``clients/tracing.py``, opened by the request pipeline);
* client: one per HTTP attempt beneath it (httpx's instrumentation of the shared client, on
  whichever transport ``BFF_HTTP_TRANSPORT`` chose), which also sends ``traceparent`` downstream.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from importlib.metadata import entry_points
from typing import Any

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Tracer
from starlette.types import ASGIApp, Receive, Scope, Send

from bff import __version__
from clients.context import narrowed, scope_var

logger = logging.getLogger("bff.tracing")

EXPORTER_ENTRY_POINTS = "opentelemetry_traces_exporter"
DEFAULT_SERVICE_NAME = "bff"

# Probes, scrapes and the status page's refreshes come every few seconds: a trace each is noise.
UNTRACED_PATHS = ("/healthz$", "/readyz$", "/metrics$", r"/status(\.json)?$")

_OTLP_BY_PROTOCOL = {"http/protobuf": "otlp_proto_http", "grpc": "otlp_proto_grpc"}


def _env_true(name: str, environ: Mapping[str, str]) -> bool:
    return environ.get(name, "").strip().lower() == "true"


def _exporter_name(name: str, environ: Mapping[str, str]) -> str:
    """``otlp`` means the protocol the OTLP variables ask for, HTTP/protobuf unless told."""
    if name != "otlp":
        return name
    protocol = (
        environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    ).strip()
    try:
        return _OTLP_BY_PROTOCOL[protocol]
    except KeyError:
        raise ValueError(f"unsupported OTLP protocol {protocol!r} for traces") from None


def _exporter(name: str, environ: Mapping[str, str]) -> SpanExporter:
    """The installed exporter of that name, built with no arguments (it reads its own env)."""
    resolved = _exporter_name(name, environ)
    found = entry_points(group=EXPORTER_ENTRY_POINTS, name=resolved)
    if not found:
        installed = ", ".join(sorted(ep.name for ep in entry_points(group=EXPORTER_ENTRY_POINTS)))
        raise ValueError(
            f"OTEL_TRACES_EXPORTER={name}: no trace exporter {resolved!r} is installed "
            f"(installed: {installed}; `otlp` and `console` always work)"
        )
    exporter_class = next(iter(found)).load()
    exporter: SpanExporter = exporter_class()
    return exporter


def _resource() -> Resource:
    """The SDK's resource from the environment, named ``bff`` unless the environment names it."""
    detected = Resource.create({SERVICE_VERSION: __version__})
    if str(detected.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        return detected.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    return detected


def provider_from_env(environ: Mapping[str, str] | None = None) -> TracerProvider | None:
    """A tracer provider exporting where the ``OTEL_*`` variables say, or None: tracing off.

    A misspelt exporter fails here, at startup, rather than silently tracing nowhere.
    """
    environ = os.environ if environ is None else environ
    if _env_true("OTEL_SDK_DISABLED", environ):
        return None
    names = [n.strip() for n in environ.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    names = [n for n in names if n.lower() != "none"]
    if not names:
        return None
    exporters = [_exporter(name, environ) for name in names]
    # Flushed and shut down at process exit (each uvicorn worker is its own process).
    provider = TracerProvider(resource=_resource())
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    logger.info("tracing on: exporting spans to %s", ", ".join(names))
    return provider


class _CallTracerMiddleware:
    """Hands the app's tracer to the request pipeline for the duration of each request."""

    def __init__(self, app: ASGIApp, *, tracer: Tracer) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = narrowed(tracer=self.tracer)
        try:
            await self.app(scope, receive, send)
        finally:
            scope_var.reset(token)


def _excluded_urls() -> str:
    """Ours, plus whatever the instrumentation's own variables exclude."""
    extra = os.environ.get("OTEL_PYTHON_FASTAPI_EXCLUDED_URLS") or os.environ.get(
        "OTEL_PYTHON_EXCLUDED_URLS"
    )
    return ",".join([*UNTRACED_PATHS, *([extra] if extra else [])])


def install_tracing(app: FastAPI, provider: TracerProvider) -> None:
    """Trace this app's requests, downstream calls and HTTP attempts with ``provider``.

    Call it from ``create_app``, before the app starts. The shared client does not exist yet
    (the lifespan builds it), so it is instrumented as soon as the lifespan has built it.
    Metrics are left to ``/metrics``: the instrumentations get a no-op meter provider.
    """
    meters = NoOpMeterProvider()
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        meter_provider=meters,
        excluded_urls=_excluded_urls(),
        exclude_spans=["receive", "send"],
    )
    app.add_middleware(_CallTracerMiddleware, tracer=provider.get_tracer("clients", __version__))

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan_with_traced_client(app: Any) -> AsyncIterator[Any]:
        async with inner(app) as state:
            http = (state or {}).get("http")
            if http is not None:
                HTTPXClientInstrumentor.instrument_client(
                    http, tracer_provider=provider, meter_provider=meters
                )
            yield state

    app.router.lifespan_context = lifespan_with_traced_client
