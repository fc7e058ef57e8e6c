"""The middleware's one observation hook: a `RequestRecord` per finished request, once."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bff.observability import (
    UNMATCHED_ROUTE,
    RequestContextMiddleware,
    RequestRecord,
    _budget,
    mark_partial,
)
from clients import current_scope
from clients.record import CallRecord


def observed_app(tmp_path: Path, *observers: object) -> FastAPI:
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware, request_timeout=5.0, observers=observers)

    @app.get("/things/{thing_id}")
    async def thing(thing_id: int) -> dict[str, int]:
        calls = current_scope().calls
        assert calls is not None
        calls.append(
            CallRecord("users", "GET", f"/users/{thing_id}", "users.get", 0.01, "ok", attempts=1)
        )
        mark_partial()
        return {"id": thing_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    (tmp_path / "hello.txt").write_text("hello")
    app.mount("/static", StaticFiles(directory=tmp_path), name="static")
    return app


async def fetch(app: FastAPI, *requests: tuple[str, str]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://bff.test") as client:
        return [await client.request(method, url) for method, url in requests]


@pytest.mark.anyio
async def test_each_request_is_observed_once_with_its_route_template(tmp_path: Path) -> None:
    records: list[RequestRecord] = []
    app = observed_app(tmp_path, records.append)

    (response,) = await fetch(app, ("GET", "/things/42"))

    assert response.status_code == 200
    (record,) = records
    assert record.route == "/things/{thing_id}"
    assert record.method == "GET"
    assert record.status == 200
    assert record.partial is True
    assert record.request_id == response.headers["x-request-id"]
    assert record.duration > 0
    assert [(call.service, call.operation) for call in record.calls] == [("users", "users.get")]


@pytest.mark.anyio
async def test_unmatched_mounted_and_failed_requests_have_bounded_routes(tmp_path: Path) -> None:
    records: list[RequestRecord] = []
    app = observed_app(tmp_path, records.append)

    responses = await fetch(
        app,
        ("GET", "/no/such/path/123"),
        ("GET", "/static/hello.txt"),
        ("GET", "/boom"),
        ("DELETE", "/things/1"),
    )

    assert [response.status_code for response in responses] == [404, 200, 500, 405]
    assert [(record.route, record.status) for record in records] == [
        (UNMATCHED_ROUTE, 404),
        ("/static/{path}", 200),
        ("/boom", 500),
        ("/things/{thing_id}", 405),
    ]
    assert all(not record.partial and not record.calls for record in records)


@pytest.mark.anyio
async def test_a_failing_observer_fails_neither_the_request_nor_the_others(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    records: list[RequestRecord] = []

    def broken(record: RequestRecord) -> None:
        raise ValueError("observer bug")

    app = observed_app(tmp_path, broken, records.append)

    (response,) = await fetch(app, ("GET", "/things/1"))

    assert response.status_code == 200
    assert len(records) == 1
    assert any("request observer" in record.getMessage() for record in caplog.records)
    assert any(record.levelno == logging.ERROR for record in caplog.records)


@pytest.mark.parametrize(
    ("header", "budget"),
    [
        (None, 10.0),
        ("2.5", 2.5),
        ("0.001", 0.05),  # raised to the floor: shorter starts calls nobody waits for
        ("60", 10.0),  # lowers, never raises
        ("0", 10.0),  # unusable values are ignored
        ("-1", 10.0),
        ("nan", 10.0),
        ("soon", 10.0),
    ],
)
def test_the_request_deadline_has_a_floor(header: str | None, budget: float) -> None:
    headers = [] if header is None else [(b"x-request-timeout", header.encode())]
    scope = {"type": "http", "headers": headers}

    assert _budget(scope, 10.0, 0.05) == budget
