"""The door's pure rules: relative redirects, declared bodies, refusals on the socket, and a
connection cap that fits the descriptor limit."""

from __future__ import annotations

import json
import resource

import pytest

from bff.edge import declared_length, relative_location
from bff.server import EdgeLimits, fit_connections, problem_bytes
from bff.settings import Settings


@pytest.mark.parametrize(
    ("location", "relative"),
    [
        ("http://evil.example/v1/home", "/v1/home"),
        ("https://evil.example:8443/v1/home?q=1", "/v1/home?q=1"),
        ("//evil.example/v1/home", "/v1/home"),
        ("http://evil.example", "/"),
        ("/v1/home?q=1", "/v1/home?q=1"),
    ],
)
def test_a_location_keeps_only_its_path_and_query(location: str, relative: str) -> None:
    assert relative_location(location) == relative


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([], (None, False)),
        ([(b"content-length", b"0")], (0, False)),
        ([(b"content-length", b"12")], (12, True)),
        ([(b"transfer-encoding", b"chunked")], (None, True)),
    ],
)
def test_a_body_is_declared_by_its_length_or_its_chunking(
    headers: list[tuple[bytes, bytes]], expected: tuple[int | None, bool]
) -> None:
    assert declared_length({"headers": headers}) == expected


def test_a_refusal_on_the_socket_is_a_closing_problem_json_answer() -> None:
    raw = problem_bytes(503, "full", retry_after=1)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 503 Service Unavailable"
    assert "content-type: application/problem+json" in lines
    assert "connection: close" in lines
    assert "retry-after: 1" in lines
    assert f"content-length: {len(body)}" in lines
    problem = json.loads(body)
    assert problem["status"] == 503
    assert problem["type"] == "urn:bff:problem:service-unavailable"
    assert f"x-request-id: {problem['requestId']}" in lines


def test_the_connection_cap_is_lowered_to_fit_the_descriptor_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limits = {"soft": 1024, "hard": 1024}
    monkeypatch.setattr(resource, "getrlimit", lambda _: (limits["soft"], limits["hard"]))
    monkeypatch.setattr(resource, "setrlimit", lambda _, value: limits.update(soft=value[0]))

    fitted = fit_connections(EdgeLimits(max_connections=2000), pool_connections=100)

    # 1024 - (64 operations + 256 lingering + 100 pool + 64 reserved)
    assert fitted.max_connections == 540


def test_the_descriptor_limit_is_raised_when_the_hard_limit_allows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limits = {"soft": 1024, "hard": 65536}
    monkeypatch.setattr(resource, "getrlimit", lambda _: (limits["soft"], limits["hard"]))
    monkeypatch.setattr(resource, "setrlimit", lambda _, value: limits.update(soft=value[0]))

    fitted = fit_connections(EdgeLimits(max_connections=2000), pool_connections=100)

    assert fitted.max_connections == 2000
    assert limits["soft"] == 2000 + 64 + 256 + 100 + 64


def test_the_operations_port_must_differ_from_the_public_one() -> None:
    with pytest.raises(ValueError, match="BFF_OPS_PORT must differ"):
        Settings(_env_file=None, port=8000, ops_port=8000)  # type: ignore[call-arg]
