"""The error tree: stable codes, retry hints, and the helpers that build safe details."""

from datetime import UTC, datetime

import pytest

from clients import (
    BadRequest,
    BadResponse,
    CircuitOpen,
    DownstreamError,
    NotFound,
    RateLimited,
    Timeout,
    Unauthorized,
    Unavailable,
)
from clients.translate import parse_retry_after

KINDS = {
    NotFound: ("not_found", False),
    BadRequest: ("bad_request", False),
    Unauthorized: ("unauthorized", False),
    RateLimited: ("rate_limited", True),
    Unavailable: ("unavailable", True),
    Timeout: ("timeout", True),
    BadResponse: ("bad_response", False),
    CircuitOpen: ("circuit_open", False),
}


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
def test_codes_and_retry_defaults(kind: type[DownstreamError]) -> None:
    code, retryable = KINDS[kind]
    error = kind("users", "something")
    assert (error.code, error.retryable) == (code, retryable)
    assert isinstance(error, DownstreamError)


def test_codes_are_unique() -> None:
    codes = [kind.code for kind in KINDS]
    assert len(set(codes)) == len(codes)


def test_circuit_open_is_an_unavailable() -> None:
    assert issubclass(CircuitOpen, Unavailable)


def test_instance_can_override_retryable() -> None:
    assert Unavailable("users", "500", status=500, retryable=False).retryable is False
    assert Unavailable.retryable is True


def test_attributes_str_and_repr() -> None:
    error = NotFound("users", "User with id '9' not found", status=404, attempts=3)
    assert (error.service, error.status, error.attempts) == ("users", 404, 3)
    assert str(error) == "users: User with id '9' not found"
    assert repr(error) == (
        "NotFound(service='users', status=404, detail=\"User with id '9' not found\", attempts=3)"
    )


def test_rate_limited_carries_retry_after() -> None:
    error = RateLimited("products", "slow down", retry_after=10.0)
    assert (error.status, error.retry_after) == (429, 10.0)


NOW = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("10", 10.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("-3", 0.0),
        ("Wed, 01 Jan 2025 12:00:30 GMT", 30.0),
        ("Wed, 01 Jan 2025 11:00:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == expected
