"""Typed failures of downstream calls.

The tree of exceptions, all raised by `clients/` and nothing else:

* DownstreamError
  + NotFound      - 404: the thing asked for does not exist.
  + BadRequest    - 400/422: the downstream rejected our request (bad id, bad paging, bad login).
  + Unauthorized  - 401/403: missing, expired or invalid credentials.
  + RateLimited   - 429: slow down; `retry_after` says for how long, when the downstream said.
  + Unavailable   - 5xx, refused or reset connections, an exhausted connection pool.
    + CircuitOpen - the breaker is failing fast without calling the downstream.
  + Timeout       - the downstream did not answer in time, or the request's deadline has passed.
  + BadResponse   - a 2xx body that is not JSON or not the expected shape, or an unexpected status.

httpx and Pydantic exceptions never escape `clients/`: they are chained as `__cause__` for logs and
debugging, while callers (and `bff/errors.py`, which maps these to HTTP once) see only this tree.
`detail` is safe to show to a frontend: at most the downstream's short JSON `message`, never its raw
body, never a token. `code` is stable and names the failure in partial responses.

`retryable` tells the pipeline whether another attempt of the same call may succeed; `retry_after`
is how long the downstream (or the breaker) asked us to wait, when it said; `attempts` is how many
network attempts the call really made before giving up. `local` marks failures that happened on
the BFF's side before the downstream was reached (an exhausted pool, a deadline already passed, a
request that could not be built): the circuit breaker holds those against nobody.
"""

from typing import ClassVar


class DownstreamError(Exception):
    """A downstream call failed: `service` names the downstream, `status` its HTTP status if any."""

    code: ClassVar[str] = "downstream_error"
    retryable: bool = False

    def __init__(
        self,
        service: str,
        detail: str,
        *,
        status: int | None = None,
        retryable: bool | None = None,
        attempts: int = 1,
        retry_after: float | None = None,
        local: bool = False,
    ) -> None:
        super().__init__(f"{service}: {detail}")
        self.service = service
        self.detail = detail
        self.status = status
        self.attempts = attempts
        self.retry_after = retry_after
        self.local = local
        # Instances may differ from their kind's default: a 503 is worth retrying, a 500 is not.
        if retryable is not None:
            self.retryable = retryable

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(service={self.service!r}, status={self.status!r}, "
            f"detail={self.detail!r}, attempts={self.attempts!r})"
        )


class NotFound(DownstreamError):
    code = "not_found"


class BadRequest(DownstreamError):
    code = "bad_request"


class Unauthorized(DownstreamError):
    code = "unauthorized"


class RateLimited(DownstreamError):
    code = "rate_limited"
    retryable = True

    def __init__(
        self,
        service: str,
        detail: str,
        *,
        status: int | None = 429,
        retry_after: float | None = None,
        retryable: bool | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(
            service,
            detail,
            status=status,
            retryable=retryable,
            attempts=attempts,
            retry_after=retry_after,
        )


class Unavailable(DownstreamError):
    code = "unavailable"
    retryable = True


class CircuitOpen(Unavailable):
    """Raised by the circuit breaker instead of calling a failing service.

    `retry_after` is the time left until the breaker lets a probe through. Not retryable within
    the request: the breaker's whole point is to not call.
    """

    code = "circuit_open"
    retryable = False


class Timeout(DownstreamError):
    """No answer in time.

    `by_deadline` is true when the request's own deadline, not the downstream's timeout, cut the
    attempt short: a frontend asking for a 50 ms answer says nothing about the downstream's
    health, so the circuit breaker does not count such timeouts (otherwise any client could open
    every breaker by sending tiny `X-Request-Timeout`s).
    """

    code = "timeout"
    retryable = True

    def __init__(
        self,
        service: str,
        detail: str,
        *,
        status: int | None = None,
        retryable: bool | None = None,
        attempts: int = 1,
        local: bool = False,
        by_deadline: bool = False,
    ) -> None:
        super().__init__(
            service, detail, status=status, retryable=retryable, attempts=attempts, local=local
        )
        self.by_deadline = by_deadline


class BadResponse(DownstreamError):
    code = "bad_response"
