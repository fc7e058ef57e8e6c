"""One screen's trace: the request, each downstream call, each HTTP attempt, and the downstream
receiving the W3C ``traceparent`` of the attempt that called it, on both transports.

The spans go to the SDK's in-memory exporter through a provider handed to ``create_app``: no
global provider is set, so this app's spans are the only ones it sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from starlette.types import ASGIApp, Receive, Scope, Send
from support import in_process, settings_for

from bff.app import create_app
from simulator import BackgroundServer, create_simulator_app

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

# What the frontend sends: its own trace, which the BFF's spans must join.
FRONTEND_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
FRONTEND_SPAN_ID = "00f067aa0ba902b7"
FRONTEND_TRACEPARENT = f"00-{FRONTEND_TRACE_ID}-{FRONTEND_SPAN_ID}-01"

PROFILE_CALLS = {
    "users.get": "/users/1",
    "carts.by_user": "/carts/user/1",
    "users.posts": "/users/1/posts",
    "users.todos": "/users/1/todos",
}


class TraceparentRecorder:
    """The simulator, noting the ``traceparent`` header of every data request it receives."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.seen: list[tuple[str, str | None]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/__sim"):
            value = dict(scope["headers"]).get(b"traceparent")
            self.seen.append((scope["path"], value.decode() if value else None))
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def recording_simulator() -> Iterator[tuple[str, TraceparentRecorder]]:
    recorder = TraceparentRecorder(create_simulator_app())
    with BackgroundServer(recorder) as server:
        yield server.url, recorder


@pytest.fixture
def downstream(
    recording_simulator: tuple[str, TraceparentRecorder],
) -> Iterator[tuple[str, TraceparentRecorder, httpx.Client]]:
    url, recorder = recording_simulator
    with httpx.Client(base_url=url) as control:
        control.delete("/__sim/faults").raise_for_status()
        recorder.seen.clear()
        yield url, recorder, control
        control.delete("/__sim/faults").raise_for_status()


async def _traced_profile(
    url: str, http_transport: str, headers: dict[str, str]
) -> tuple[httpx.Response, list[ReadableSpan]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    settings = settings_for(url, http_transport=http_transport, cache_enabled=True)
    app = create_app(settings, tracer_provider=provider)

    async def scenario() -> httpx.Response:
        async with in_process(app) as (client, _):
            return await client.get("/v1/users/1/profile", headers=headers)

    response = await scenario()
    spans = list(exporter.get_finished_spans())
    provider.shutdown()
    return response, spans


def _attr(span: ReadableSpan, name: str) -> Any:
    assert span.attributes is not None
    return span.attributes.get(name)


async def test_a_screen_traces_its_calls_and_attempts_and_propagates_traceparent(
    downstream: tuple[str, TraceparentRecorder, httpx.Client], http_transport: str
) -> None:
    url, recorder, control = downstream
    # The todos call fails once with a 503 and is retried: one call, two attempts.
    control.put(
        "/__sim/faults",
        json={"rules": [{"path": "/users/1/todos", "status": 503, "times": 1}]},
    ).raise_for_status()

    response, spans = await _traced_profile(
        url, http_transport, {"traceparent": FRONTEND_TRACEPARENT}
    )

    assert response.status_code == 200, response.text
    assert response.json()["meta"]["partial"] is False

    # The request: one server span, joined to the frontend's trace.
    servers = [s for s in spans if s.kind is SpanKind.SERVER]
    assert len(servers) == 1
    server = servers[0]
    assert server.name == "GET /v1/users/{user_id}/profile"
    assert server.parent is not None
    assert f"{server.parent.span_id:016x}" == FRONTEND_SPAN_ID
    assert {f"{s.context.trace_id:032x}" for s in spans} == {FRONTEND_TRACE_ID}

    # Each logical downstream call: a child of the request, with what the pipeline decided.
    calls = {
        _attr(s, "bff.downstream.operation"): s
        for s in spans
        if s.kind is SpanKind.INTERNAL and _attr(s, "bff.downstream.service")
    }
    assert set(calls) == set(PROFILE_CALLS)
    for operation, path in PROFILE_CALLS.items():
        call = calls[operation]
        assert call.parent is not None
        assert call.parent.span_id == server.context.span_id
        assert call.name == operation
        assert _attr(call, "bff.downstream.service") == operation.split(".")[0]
        assert _attr(call, "bff.downstream.path") == path
        assert _attr(call, "bff.downstream.cache") == "miss"
        assert _attr(call, "bff.downstream.outcome") == "ok"
        assert _attr(call, "bff.downstream.attempts") == (2 if operation == "users.todos" else 1)
        assert call.status.status_code is StatusCode.UNSET

    # Each HTTP attempt: a client span under its call; the retried call has two.
    attempts = [s for s in spans if s.kind is SpanKind.CLIENT]
    by_call: dict[str, list[ReadableSpan]] = {operation: [] for operation in PROFILE_CALLS}
    for attempt in attempts:
        assert attempt.parent is not None
        [operation] = [op for op, c in calls.items() if c.context.span_id == attempt.parent.span_id]
        by_call[operation].append(attempt)
    assert {op: len(found) for op, found in by_call.items()} == {
        "users.get": 1,
        "carts.by_user": 1,
        "users.posts": 1,
        "users.todos": 2,
    }
    assert sorted(a.status.status_code.name for a in by_call["users.todos"]) == ["ERROR", "UNSET"]

    # The downstream saw, on every request, the traceparent of the attempt that sent it.
    attempt_ids = {f"{a.context.span_id:016x}" for a in attempts}
    assert sorted(path for path, _ in recorder.seen) == sorted(
        [*PROFILE_CALLS.values(), "/users/1/todos"]
    )
    for path, traceparent in recorder.seen:
        assert traceparent is not None, f"no traceparent reached {path}"
        version, trace_id, parent_id, _flags = traceparent.split("-")
        assert (version, trace_id) == ("00", FRONTEND_TRACE_ID)
        assert parent_id in attempt_ids


async def test_a_failed_call_is_an_error_span_with_its_code(
    downstream: tuple[str, TraceparentRecorder, httpx.Client], http_transport: str
) -> None:
    url, _, control = downstream
    control.put(
        "/__sim/faults", json={"rules": [{"path": "/users/1/posts", "status": 404}]}
    ).raise_for_status()

    response, spans = await _traced_profile(url, http_transport, {})

    assert response.status_code == 200
    [posts] = [s for s in spans if _attr(s, "bff.downstream.operation") == "users.posts"]
    assert _attr(posts, "bff.downstream.outcome") == "not_found"
    assert _attr(posts, "http.response.status_code") == 404
    assert posts.status.status_code is StatusCode.ERROR
    assert posts.status.description == "not_found"
    # Without a traceparent from the frontend, the BFF starts the trace.
    [server] = [s for s in spans if s.kind is SpanKind.SERVER]
    assert server.parent is None


async def test_without_a_provider_nothing_is_traced_or_propagated(
    downstream: tuple[str, TraceparentRecorder, httpx.Client], http_transport: str
) -> None:
    url, recorder, _ = downstream
    app = create_app(settings_for(url, http_transport=http_transport))

    async def scenario() -> httpx.Response:
        async with in_process(app) as (client, _):
            return await client.get("/v1/users/1/profile")

    assert (await scenario()).status_code == 200
    assert len(recorder.seen) == 4
    assert {traceparent for _, traceparent in recorder.seen} == {None}
