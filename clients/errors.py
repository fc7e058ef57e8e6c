"""Typed failures of downstream calls, and what each one *means*.

The tree of exceptions, all raised by `clients/` and nothing else:

* DownstreamError
  + NotFound      - 404: the thing asked for does not exist.
  + BadRequest    - 400/422: the downstream rejected the request (bad id, bad paging, bad login).
  + Unauthorized  - 401/403 (and an auth API's "invalid token" answers): credentials refused.
  + RateLimited   - 429: slow down; `retry_after` says for how long, when the downstream said.
    + CoolingDown - not called: the service asked us to slow down and its window has not ended.
  + Unavailable   - 5xx, refused or reset connections, an exhausted connection pool.
    + CircuitOpen - the breaker is failing fast without calling the downstream.
  + Timeout       - the downstream did not answer in time, or the request's deadline has passed.
  + BadResponse   - a 2xx body that is not JSON or not the expected shape, or an unexpected status.

httpx and Pydantic exceptions never escape `clients/`: they are chained as `__cause__` for logs and
debugging, while callers (and `bff/errors.py`, which maps these to HTTP once) see only this tree.
`detail` is safe to show to a frontend: at most the downstream's short JSON `message`, never its raw
body, never a token. `code` is stable and names the failure in partial responses.

What a failure means is data on the error, read by every step that must judge it, so no step keeps
its own list of codes:

* `fault` - whose fault it is (`Fault`). Only `DOWNSTREAM` faults count against a circuit breaker.
  `CALLER` faults (the frontend's own credentials or input were refused) become a 4xx for the
  frontend and are never retried, never covered by a stale copy and never held against the
  downstream: otherwise any anonymous client could open the `auth` breaker for every user by
  sending forged tokens. `NONE` is a sane answer of a healthy downstream (404, 429, a refusal of
  the BFF's own request); `LOCAL` is no news at all (the call never reached the downstream, or the
  caller's own short deadline cut it off).
* `retryable` - whether another attempt of the same call may succeed.
* `stale_ok` - whether a stale cached copy may stand in: yes when the downstream is sick, slow or
  busy; never for its real answers (404, 401, 400), which a stale copy would contradict.
* `retry_after` is how long the downstream (or the breaker, or a cool-down) asked us to wait, when
  it said; `attempts` is how many network attempts the call really made before giving up.

Instances may differ from their kind's defaults (a 503 is worth retrying, a 500 is not; a 401 on a
call that carried no caller credentials is the BFF's problem, not the caller's), so every one of
these can be overridden per instance.
"""

from enum import StrEnum
from typing import ClassVar


class Fault(StrEnum):
    """Whose fault a failed call is; see the module docstring."""

    DOWNSTREAM = "downstream"
    CALLER = "caller"
    NONE = "none"
    LOCAL = "local"


class DownstreamError(Exception):
    """A downstream call failed: `service` names the downstream, `status` its HTTP status if any."""

    code: ClassVar[str] = "downstream_error"
    retryable: bool = False
    fault: Fault = Fault.DOWNSTREAM
    stale_ok: bool = False

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
        fault: Fault | None = None,
    ) -> None:
        super().__init__(f"{service}: {detail}")
        self.service = service
        self.detail = detail
        self.status = status
        self.attempts = attempts
        self.retry_after = retry_after
        if retryable is not None:
            self.retryable = retryable
        if local:
            fault = Fault.LOCAL
        if fault is not None:
            self.fault = fault
            if fault is Fault.CALLER:
                # The caller's credentials or input stay bad however often we ask, and a copy
                # cached for the same credentials would hide that they are bad now.
                self.retryable = False
                self.stale_ok = False

    @property
    def local(self) -> bool:
        """The failure happened on the BFF's side before the downstream was reached (an
        exhausted pool, a deadline already passed, a request that could not be built)."""
        return self.fault is Fault.LOCAL

    @property
    def callers_fault(self) -> bool:
        return self.fault is Fault.CALLER

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(service={self.service!r}, status={self.status!r}, "
            f"detail={self.detail!r}, attempts={self.attempts!r})"
        )


class NotFound(DownstreamError):
    code = "not_found"
    fault = Fault.NONE


class BadRequest(DownstreamError):
    """The downstream refused the request as built. By default the BFF's own doing (a bug or a
    contract drift: 502 for the frontend); `Fault.CALLER` when it refused what the caller sent."""

    code = "bad_request"
    fault = Fault.NONE


class Unauthorized(DownstreamError):
    """Credentials refused. `Fault.CALLER` when they were the caller's own (a 401 for the
    frontend); with the default `Fault.NONE` the downstream refused the BFF itself, which no
    frontend can fix (502)."""

    code = "unauthorized"
    fault = Fault.NONE


class RateLimited(DownstreamError):
    code = "rate_limited"
    retryable = True
    fault = Fault.NONE
    stale_ok = True

    def __init__(
        self,
        service: str,
        detail: str,
        *,
        status: int | None = 429,
        retry_after: float | None = None,
        retryable: bool | None = None,
        attempts: int = 1,
        fault: Fault | None = None,
    ) -> None:
        super().__init__(
            service,
            detail,
            status=status,
            retryable=retryable,
            attempts=attempts,
            retry_after=retry_after,
            fault=fault,
        )


class CoolingDown(RateLimited):
    """Raised by a service's cool-down instead of calling it while its rate-limit window lasts.

    `retry_after` is the time left in the window. Not retryable within the request, and no news
    about the downstream's health (it was not called)."""

    retryable = False
    fault = Fault.LOCAL


class Unavailable(DownstreamError):
    code = "unavailable"
    retryable = True
    stale_ok = True


class CircuitOpen(Unavailable):
    """Raised by the circuit breaker instead of calling a failing service.

    `retry_after` is the time left until the breaker lets a probe through. Not retryable within
    the request: the breaker's whole point is to not call.
    """

    code = "circuit_open"
    retryable = False
    fault = Fault.LOCAL


class Timeout(DownstreamError):
    """No answer in time.

    `by_deadline` is true when the request's own deadline, not the downstream's timeout, cut the
    attempt short: a frontend asking for a 50 ms answer says nothing about the downstream's
    health, so such a timeout is no news (`Fault.LOCAL`) and the breaker does not count it
    (otherwise any client could open every breaker by sending tiny `X-Request-Timeout`s).
    """

    code = "timeout"
    retryable = True
    stale_ok = True

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
            service,
            detail,
            status=status,
            retryable=retryable,
            attempts=attempts,
            local=local,
            fault=Fault.LOCAL if by_deadline else None,
        )
        self.by_deadline = by_deadline

    @classmethod
    def deadline_passed(cls, service: str, detail: str) -> "Timeout":
        """The request's deadline ended before this call could start or be answered: no attempt
        was made for it, so nothing to retry, and no news about the downstream."""
        return cls(service, detail, retryable=False, attempts=0, local=True, by_deadline=True)


class BadResponse(DownstreamError):
    code = "bad_response"
    stale_ok = True
