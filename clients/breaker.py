"""The circuit breaker of one downstream service.

Closed, it counts the outcome of every network attempt in a sliding time window (one-second-ish
buckets, so old outcomes age out without a timer) and opens when the failure ratio or the run of
consecutive failures reaches its policy's threshold. Open, it refuses calls at once with
`CircuitOpen` (no network, and the error says how long until it tries again). After `open_seconds`
it is half-open: exactly one call goes through as a probe; its success closes the breaker, its
failure opens it again, and a probe that ends without a verdict (cancelled, or a local error)
hands the probe to the next call.

What counts is the error's own `fault` (`clients/errors.py`): attempts that show the downstream
is unwell (`Fault.DOWNSTREAM`: 5xx, refused or reset connections, timeouts of its own, unusable
bodies) are failures; answers that show it is well (2xx, and `Fault.NONE` or `Fault.CALLER`: 404,
400, 401/403, 429, an auth API's "invalid token") are successes, so no caller can open a breaker
for everyone by sending forged tokens or bad input. `Fault.LOCAL` is no news: failures on our side
(exhausted pool, deadline already passed), timeouts cut short by the frontend's own deadline,
calls the breaker or a cool-down refused. Attempts rather than calls are counted, so a retried
failure is two samples of the downstream's health, and a probe's retry is refused once the probe
has failed.

One instance per service, owned by that service's client (built by `Downstreams` in the app's
lifespan). The clock is injectable so tests are exact and instantaneous. No lock: every method
runs to completion on the event loop without awaiting.
"""

import logging
import time
from collections.abc import Callable
from enum import StrEnum

from clients.errors import CircuitOpen, DownstreamError, Fault
from clients.policies import BreakerPolicy

logger = logging.getLogger("clients.breaker")

_BUCKETS = 10
# While a probe is in flight, other callers are told to come back after about this long.
_PROBE_RETRY_AFTER = 1.0


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


def verdict(exc: DownstreamError) -> bool | None:
    """True: the attempt shows the downstream failing; False: it answered sanely; None: no news."""
    fault = exc.fault
    if fault is Fault.LOCAL:
        return None
    return fault is Fault.DOWNSTREAM


class CircuitBreaker:
    __slots__ = (
        "_calls",
        "_clock",
        "_consecutive",
        "_epoch",
        "_failures",
        "_open_until",
        "_policy",
        "_probing",
        "_state",
        "_width",
        "service",
        "transitions",
    )

    def __init__(
        self,
        service: str,
        policy: BreakerPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self._policy = policy
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._open_until = 0.0
        self._probing = False
        self._consecutive = 0
        self._width = policy.window / _BUCKETS
        self._calls = [0] * _BUCKETS
        self._failures = [0] * _BUCKETS
        self._epoch = int(clock() / self._width)
        self.transitions = dict.fromkeys(BreakerState, 0)
        """State changes so far, by the state entered (for metrics)."""

    @property
    def state(self) -> BreakerState:
        """The state as a caller would find it now (read-only; for metrics and tests)."""
        if self._state is BreakerState.OPEN and self._clock() >= self._open_until:
            return BreakerState.HALF_OPEN
        return self._state

    @property
    def retry_after(self) -> float:
        """Seconds until the breaker lets a probe through; 0 when it would let a call through."""
        if self._state is BreakerState.OPEN:
            return max(0.0, self._open_until - self._clock())
        if self._state is BreakerState.HALF_OPEN and self._probing:
            return _PROBE_RETRY_AFTER
        return 0.0

    def acquire(self) -> bool:
        """Admit one call or raise `CircuitOpen`; True means the call is the half-open probe,
        and the caller must `release` it when the call ends."""
        if self._state is BreakerState.CLOSED:
            return False
        if self._state is BreakerState.OPEN:
            left = self._open_until - self._clock()
            if left > 0:
                raise self._refusal(left)
            self._state = BreakerState.HALF_OPEN
            self.transitions[BreakerState.HALF_OPEN] += 1
            logger.info("circuit of %s is half-open: sending one probe", self.service)
        if self._probing:
            raise self._refusal(_PROBE_RETRY_AFTER)
        self._probing = True
        return True

    def release(self) -> None:
        """The probe's call ended; if it gave no verdict, the next call becomes the probe."""
        self._probing = False

    def allows_retry(self) -> bool:
        """Whether a call already admitted may make another attempt: not once the breaker opened
        (a failed probe, or failures of other calls in the meantime)."""
        return self._state is not BreakerState.OPEN

    def record(self, exc: DownstreamError) -> None:
        """Count a failed attempt according to `verdict`."""
        failed = verdict(exc)
        if failed is True:
            self.record_failure()
        elif failed is False:
            self.record_success()

    def record_success(self) -> None:
        state = self._state
        if state is BreakerState.CLOSED:
            self._consecutive = 0
            self._calls[self._slot()] += 1
        elif state is BreakerState.HALF_OPEN:
            self._close()
        # Open: a straggler admitted before the breaker opened; the probe decides, not it.

    def record_failure(self) -> None:
        state = self._state
        if state is BreakerState.CLOSED:
            slot = self._slot()
            self._calls[slot] += 1
            self._failures[slot] += 1
            self._consecutive += 1
            self._check_thresholds()
        elif state is BreakerState.HALF_OPEN:
            self._open("the probe failed")

    def _check_thresholds(self) -> None:
        policy = self._policy
        if policy.consecutive_failures and self._consecutive >= policy.consecutive_failures:
            self._open(f"{self._consecutive} consecutive failures")
            return
        calls = sum(self._calls)
        if calls >= policy.min_calls:
            failures = sum(self._failures)
            if failures >= policy.failure_ratio * calls:
                self._open(f"{failures} of {calls} attempts failed")

    def _slot(self) -> int:
        """The current bucket, clearing the ones that aged out since the last outcome."""
        epoch = int(self._clock() / self._width)
        if epoch != self._epoch:
            for step in range(1, min(epoch - self._epoch, _BUCKETS) + 1):
                index = (self._epoch + step) % _BUCKETS
                self._calls[index] = 0
                self._failures[index] = 0
            self._epoch = epoch
        return epoch % _BUCKETS

    def _open(self, reason: str) -> None:
        self._state = BreakerState.OPEN
        self.transitions[BreakerState.OPEN] += 1
        self._probing = False
        self._open_until = self._clock() + self._policy.open_seconds
        logger.warning(
            "circuit of %s opened for %.3gs: %s", self.service, self._policy.open_seconds, reason
        )

    def _close(self) -> None:
        self._state = BreakerState.CLOSED
        self.transitions[BreakerState.CLOSED] += 1
        self._probing = False
        self._consecutive = 0
        for index in range(_BUCKETS):
            self._calls[index] = 0
            self._failures[index] = 0
        logger.info("circuit of %s closed: the probe succeeded", self.service)

    def _refusal(self, retry_after: float) -> CircuitOpen:
        return CircuitOpen(
            self.service,
            f"circuit open after repeated failures of {self.service}; not called",
            retry_after=retry_after,
            attempts=0,
        )
