"""Translation from the wire (httpx responses and exceptions) into the typed errors of `errors.py`.

Kept apart from the pipeline so the mapping reads as one table, and so that detail strings are built
in one place that never echoes a raw body or a token.
"""

import json
import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from pydantic import ValidationError

from clients.errors import (
    BadRequest,
    BadResponse,
    DownstreamError,
    Fault,
    NotFound,
    RateLimited,
    Timeout,
    Unauthorized,
    Unavailable,
)

MESSAGE_LIMIT = 200
"""Longest downstream `message` we pass on; anything longer is truncated."""

_MESSAGE_BODY_LIMIT = 64 * 1024
_RETRYABLE_STATUSES = frozenset({502, 503, 504})
# A JWT-shaped string: redacted in case a downstream ever echoes a token in its error message.
_JWT = re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]*")


def error_for_status(
    service: str, response: httpx.Response, *, for_caller: bool = False
) -> DownstreamError:
    """The typed error for a non-2xx response.

    `for_caller` says the call carried the frontend's own credentials or input (a bearer token,
    a login): a 400/401/403 then refuses *them*, which is the caller's fault (a 4xx for the
    frontend, never an outage). Without it the downstream refused the BFF's own request, which
    no frontend can fix.
    """
    status = response.status_code
    detail = downstream_message(response) or _generic_detail(response)
    fault = Fault.CALLER if for_caller else None
    if status in (400, 422):
        return BadRequest(service, detail, status=status, fault=fault)
    if status in (401, 403):
        return Unauthorized(service, detail, status=status, fault=fault)
    if status == 404:
        return NotFound(service, detail, status=status)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimited(service, detail, status=status, retry_after=retry_after)
    if 500 <= status <= 599:
        # A 503 may say when to come back (RFC 9110 10.2.3); the retry step honours it.
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return Unavailable(
            service,
            detail,
            status=status,
            retryable=status in _RETRYABLE_STATUSES,
            retry_after=retry_after,
        )
    return BadResponse(service, f"unexpected status {_status_text(response)}", status=status)


def error_for_transport(
    service: str, exc: httpx.HTTPError, timeout: float, *, by_deadline: bool = False
) -> DownstreamError:
    """The typed error for an exception raised while sending or receiving.

    `by_deadline` says the attempt's `timeout` was cut short by the request's deadline.
    """
    kind = type(exc).__name__
    if isinstance(exc, httpx.PoolTimeout):
        # Waiting longer for a free connection makes the congestion worse: not retryable. And
        # `local`: the pool is shared by every service, so its exhaustion is not this one's fault.
        return Unavailable(
            service, f"connection pool exhausted ({kind})", retryable=False, local=True
        )
    if isinstance(exc, httpx.TimeoutException):
        return Timeout(
            service, f"no answer within {timeout:.3g}s ({kind})", by_deadline=by_deadline
        )
    if isinstance(exc, httpx.DecodingError):
        return BadResponse(service, f"undecodable response body ({kind})")
    if isinstance(exc, httpx.LocalProtocolError):
        # httpx refused to send what we built (e.g. an invalid header): our bug, not an outage.
        return BadRequest(service, f"request could not be sent ({kind})", local=True)
    if isinstance(exc, httpx.TooManyRedirects):
        return BadResponse(service, f"too many redirects ({kind})")
    # Refused, reset or half-closed connections: the request did not complete, so an idempotent
    # call may safely be tried again (the retry step only retries idempotent methods).
    return Unavailable(service, f"connection failed ({kind})")


def error_for_validation(service: str, model_name: str, exc: ValidationError) -> BadResponse:
    """A BadResponse naming the first mismatch, without the offending input values."""
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    if not errors:
        return BadResponse(service, f"response is not a valid {model_name}")
    first = errors[0]
    loc = ".".join(str(part) for part in first["loc"]) or "body"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return BadResponse(
        service, f"response is not a valid {model_name}: {loc}: {first['msg']}{more}"
    )


def downstream_message(response: httpx.Response) -> str | None:
    """The `message` string of a JSON error body, shortened and scrubbed; None for anything else."""
    content = response.content
    if not content or len(content) > _MESSAGE_BODY_LIMIT or content.lstrip()[:1] != b"{":
        return None
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        return None
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message.strip():
        return None
    message = _JWT.sub("[redacted]", " ".join(message.split()))
    if len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 1] + "…"
    return message


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _generic_detail(response: httpx.Response) -> str:
    return f"downstream answered {_status_text(response)}"


def _status_text(response: httpx.Response) -> str:
    phrase = response.reason_phrase
    return f"{response.status_code} {phrase}" if phrase else str(response.status_code)
