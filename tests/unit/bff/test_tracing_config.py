"""Tracing is off unless the standard ``OTEL_*`` variables turn it on, and then exports where
they say. (The span tree itself: tests/integration/test_tracing_spans.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from support import in_process, settings_for

from bff.app import create_app
from bff.tracing import provider_from_env

pytestmark = pytest.mark.anyio


@pytest.fixture
def providers() -> Iterator[list[TracerProvider]]:
    made: list[TracerProvider] = []
    yield made
    for provider in made:
        provider.shutdown()


def _exporters(provider: TracerProvider) -> list[object]:
    processors = provider._active_span_processor._span_processors
    return [processor._batch_processor._exporter for processor in processors]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"OTEL_TRACES_EXPORTER": "none"},
        {"OTEL_TRACES_EXPORTER": " "},
        {"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"},
        {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "TRUE"},
    ],
)
def test_tracing_is_off_unless_an_exporter_is_named_and_the_sdk_enabled(
    environ: dict[str, str],
) -> None:
    assert provider_from_env(environ) is None


def test_otlp_exports_over_http_to_the_configured_endpoint(
    monkeypatch: pytest.MonkeyPatch, providers: list[TracerProvider]
) -> None:
    # The exporter and the resource read the process environment themselves.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.test:4318")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "bff-eu")
    provider = provider_from_env({"OTEL_TRACES_EXPORTER": "otlp"})
    assert provider is not None
    providers.append(provider)

    [exporter] = _exporters(provider)
    assert isinstance(exporter, OTLPSpanExporter)
    assert exporter._endpoint == "http://collector.test:4318/v1/traces"
    assert provider.resource.attributes["service.name"] == "bff-eu"


def test_console_and_otlp_together_and_the_default_service_name(
    monkeypatch: pytest.MonkeyPatch, providers: list[TracerProvider]
) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    provider = provider_from_env({"OTEL_TRACES_EXPORTER": "console,otlp_proto_http"})
    assert provider is not None
    providers.append(provider)

    assert [type(e) for e in _exporters(provider)] == [ConsoleSpanExporter, OTLPSpanExporter]
    assert provider.resource.attributes["service.name"] == "bff"
    assert provider.resource.attributes["service.version"]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"OTEL_TRACES_EXPORTER": "jaegre"}, "no trace exporter 'jaegre' is installed"),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "no trace exporter 'otlp_proto_grpc' is installed",
        ),
        (
            {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"},
            "unsupported OTLP protocol 'http/json'",
        ),
    ],
)
def test_an_exporter_that_cannot_be_had_fails_at_startup(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        provider_from_env(environ)


def test_an_app_without_a_provider_installs_no_instrumentation() -> None:
    app = create_app(settings_for("http://down.test"))
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)


async def test_probes_and_scrapes_are_not_traced_but_screens_are() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(
        settings_for("http://down.test"),
        transport=httpx.MockTransport(lambda request: httpx.Response(503)),
        tracer_provider=provider,
    )

    async def scenario() -> None:
        async with in_process(app) as (client, _):
            for path in ("/healthz", "/readyz", "/metrics", "/status.json", "/status"):
                assert (await client.get(path)).status_code == 200, path
            assert not exporter.get_finished_spans()
            await client.get("/v1/users/1/profile")

    await scenario()
    assert {span.name for span in exporter.get_finished_spans()} >= {
        "GET /v1/users/{user_id}/profile",
        "users.get",
    }
    provider.shutdown()
