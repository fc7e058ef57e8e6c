"""Retrying an idempotent downstream call, within the request's deadline and the service's budget.

tenacity makes the decisions (its `AsyncRetrying` loop, with our wait and stop strategies); this
module says what they are:

* only idempotent calls are retried (`GET`/`HEAD`, or any call carrying an `Idempotency-Key`), and
  only on errors marked `retryable` (connect errors, resets, read timeouts, 429, 502, 503, 504;
  never an exhausted pool, never a circuit that is open);
* the wait is `Retry-After` when the downstream sent one, else exponential backoff with full
  jitter (`RetryPolicy`);
* it gives up, keeping the last error, when the attempts are used up; when `Retry-After` is longer
  than the policy accepts (fail fast: the frontend is told when to come back instead); when the
  wait plus a minimal attempt would not fit before the request's deadline (so no sleep or attempt
  starts that the deadline would cut off); when the service's breaker has opened meanwhile; when
  the service's rate-limit cool-down would outlast the wait (`cooldown.py`: no call goes out
  during it; a retry that waited out its own 429's `Retry-After` is the first call after it); or
  when the service's retry budget is spent (checked last, so a token is only spent on a retry
  that really happens).

The first attempt is not made through tenacity: it runs on every call, and a tenacity loop costs
~30 µs of CPU even when the first attempt succeeds. Only a failed first attempt enters the loop,
which replays that failure as its own first attempt so tenacity decides about it like any other.
A failed attempt's response is already closed: the pipeline sends without streaming, so httpx has
read the body and returned the connection to the pool before the error is even raised.
"""

import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from clients.breaker import CircuitBreaker
from clients.budget import RetryBudget
from clients.context import remaining
from clients.cooldown import Cooldown
from clients.errors import DownstreamError
from clients.policies import RetryPolicy

T = TypeVar("T")

logger = logging.getLogger("clients.retry")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD"})
IDEMPOTENCY_KEY = "idempotency-key"

Sleep = Callable[[float], Awaitable[None]]


def is_idempotent(method: str, headers: Mapping[str, str] | None) -> bool:
    """Safe to send twice: the method says so, or the caller made it so with an idempotency key
    (the downstream then deduplicates; see the IETF draft "The Idempotency-Key HTTP Header")."""
    if method in IDEMPOTENT_METHODS:
        return True
    return bool(headers) and any(name.lower() == IDEMPOTENCY_KEY for name in headers or ())


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, DownstreamError) and exc.retryable


def _failure(retry_state: RetryCallState) -> DownstreamError:
    outcome = retry_state.outcome
    assert outcome is not None
    exc = outcome.exception()
    assert isinstance(exc, DownstreamError)  # the retry predicate let only these through
    return exc


class Backoff(wait_base):
    """`Retry-After` when given, else full jitter: uniform in [0, min(max, base * 2**(n-1))]."""

    def __init__(self, policy: RetryPolicy, rand: Callable[[], float] = random.random) -> None:
        self._policy = policy
        self._rand = rand

    def __call__(self, retry_state: RetryCallState) -> float:
        retry_after = _failure(retry_state).retry_after
        if retry_after is not None:
            return retry_after
        policy = self._policy
        ceiling = min(
            policy.backoff_max, policy.backoff_base * 2.0 ** (retry_state.attempt_number - 1)
        )
        return self._rand() * ceiling


class GiveUp(stop_base):
    """Whether to stop retrying now (see the module docstring for the rules, in order)."""

    def __init__(
        self,
        policy: RetryPolicy,
        budget: RetryBudget,
        breaker: CircuitBreaker,
        cooldown: Cooldown | None = None,
    ) -> None:
        self._policy = policy
        self._budget = budget
        self._breaker = breaker
        self._cooldown = cooldown
        self.waited_out = 0.0
        """The end of the cool-down the coming wait outlasts (see `Cooldown.check`)."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        policy = self._policy
        if retry_state.attempt_number >= policy.attempts:
            return True
        retry_after = _failure(retry_state).retry_after
        if retry_after is not None and retry_after > policy.retry_after_max:
            return True
        left = remaining()
        if left is not None and left - retry_state.upcoming_sleep < policy.min_attempt_time:
            return True
        if not self._breaker.allows_retry():
            return True
        cooldown = self._cooldown
        if cooldown is not None:
            if cooldown.remaining > retry_state.upcoming_sleep:
                return True
            self.waited_out = cooldown.until
        return not self._budget.try_spend()


def _log_retry(retry_state: RetryCallState) -> None:
    exc = _failure(retry_state)
    logger.debug(
        "retrying %s in %.3fs after %s (attempt %d failed)",
        exc.service,
        retry_state.upcoming_sleep,
        exc.code,
        retry_state.attempt_number,
    )


async def retry_call(
    attempt: Callable[[], Awaitable[T]],
    first: DownstreamError,
    *,
    policy: RetryPolicy,
    budget: RetryBudget,
    breaker: CircuitBreaker,
    sleep: Sleep,
    rand: Callable[[], float] = random.random,
    cooldown: Cooldown | None = None,
    service: str = "",
) -> T:
    """Retry a call whose first attempt failed with `first`; returns or raises like `attempt`.

    The error finally raised carries in `attempts` the number of network attempts really made.
    """
    give_up = GiveUp(policy, budget, breaker, cooldown)
    retrying = AsyncRetrying(
        stop=give_up,
        wait=Backoff(policy, rand),
        retry=retry_if_exception(_retryable),
        sleep=sleep,
        before_sleep=_log_retry,
        reraise=True,
    )
    made = first.attempts
    replay: DownstreamError | None = first
    try:
        async for try_ in retrying:
            with try_:
                if replay is not None:
                    failed, replay = replay, None
                    raise failed
                try:
                    if cooldown is not None:
                        # Another call may have started (or extended) a cool-down meanwhile.
                        cooldown.check(service, waited_out=give_up.waited_out)
                    result = await attempt()
                except DownstreamError as exc:
                    made += exc.attempts
                    raise
                return result
    except DownstreamError as exc:
        exc.attempts = made
        raise
    raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover
