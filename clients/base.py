"""The one request pipeline that every typed client calls through.

A downstream call passes through these steps, outermost first, each a named method below so that
caching, single-flight, the circuit breaker and retries each fill one step without reshaping the
others:

1. `_cached`        - cache lookup (GET calls with a cache policy; `cache_layer.py`), where
                      concurrent identical misses also share one call (single-flight)
2. `_guarded`       - circuit breaker per service (`breaker.py`): refuse at once while open
3. `_cooled`        - rate-limit cool-down per origin (`cooldown.py`): no call while the
                      origin's rate-limit window lasts
4. `_with_retries`  - retries of idempotent calls within the deadline and budget (`retry.py`)
5. `_attempt`       - one send and decode, bounded as a whole by min(policy timeout, deadline);
                      hedged (`hedging.py`) when the service's policy asks for it

What a failure means (whose fault, retryable, may a stale copy stand in) is an attribute of the
error (`errors.py`), which each step reads instead of keeping its own list of codes. A call that
carries the frontend's own credentials or input (`for_caller`) turns a refusal into the caller's
fault, and a typed client may `classify` its API's odd answers (the auth API's 500 "invalid
signature") before the generic translation does.

Every step returns the decoded (frozen, shareable) model, so the cache and its single-flight can
hand one result to many callers. Every failure leaves as a `DownstreamError` (see `errors.py`),
and is logged once, in `request`, with the request id, the service, its code and the attempts made.

The call's record (`record.py`) is an argument of every step: the attempt counts itself on it,
the cache step says how it served. A load that may outlive this call (single-flight, a refresh)
gets a record of its own. The request itself (deadline, id, tracer, where records go) is the one
context variable, read once per call (`context.py`).

The happy path is on every call, so it stays lean: no tenacity loop, no task, no lock and no
allocation beyond the request itself unless something fails (or the request collects records,
which costs one small record per call). A typed client's method returns its call unmade
(`Pending`), so a screen's fan-out can serve the calls the in-memory cache holds fresh on the
spot, before any coroutine or task is made for them.
"""

import asyncio
import inspect
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from time import perf_counter
from types import MappingProxyType
from typing import Any, ClassVar, Generic, NoReturn, TypeVar, cast

import anyio
import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from clients.breaker import CircuitBreaker
from clients.budget import RetryBudget
from clients.cache import CachePolicy, Outcome
from clients.cache_layer import CacheLayer
from clients.context import RequestScope, current_scope, remaining
from clients.cooldown import Cooldown
from clients.errors import (
    BadRequest,
    BadResponse,
    CircuitOpen,
    CoolingDown,
    DownstreamError,
    Fault,
    Timeout,
)
from clients.hedging import LatencyWindow, hedged
from clients.policies import ServicePolicy
from clients.record import CallRecord
from clients.retry import Sleep, is_idempotent, retry_call
from clients.sender import Sender
from clients.tracing import CallSpan, open_call_span
from clients.translate import error_for_status, error_for_transport, error_for_validation

T = TypeVar("T")

logger = logging.getLogger("clients.downstream")

Params = Mapping[str, str | int]
"""Query parameters; values are encoded by httpx, never concatenated into the path."""

Classifier = Callable[[str, httpx.Response], DownstreamError | None]
"""A typed client's reading of its API's non-2xx answers: the error for (service, response), or
None to leave it to the generic translation (`translate.error_for_status`)."""

_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie"})

DEADLINE_HEADER = "X-Request-Timeout"
"""Sent on every attempt: the seconds this attempt will wait, so the next hop can stop working on
an answer nobody will read. The same header the BFF itself honours from frontends, so BFFs (or any
service that honours it) can be chained."""

# Characters with no place in a relative path: query/fragment delimiters (use `params`), backslashes
# (some servers read them as "/"), whitespace and control characters.
_UNSAFE_PATH = re.compile(r"[?#\\\s\x00-\x1f\x7f]")
# Request ids are forwarded only if they are a plain header token: a malformed id is dropped rather
# than failing the call or smuggling a header.
_HEADER_TOKEN = re.compile(r"[\x21-\x7e]{1,200}")


_IDENTITY = {"Accept-Encoding": "identity"}
_DEADLINE_NAME = DEADLINE_HEADER.lower()


@dataclass(slots=True)
class Call:
    """One downstream call as the pipeline steps see it; the cache derives its key from it.
    Never changed once built (not frozen only because a frozen dataclass costs a `setattr` per
    field to build, and every call builds one)."""

    method: str
    url: str
    path: str
    operation: str | None = None
    params: Params | None = None
    json: object | None = None
    headers: Mapping[str, str] | None = None
    stream: str | None = None
    """For a streamed GET, the media type prefix its body must have (`image/`): the attempt
    then ends at the response headers and hands over the open response (see `stream`)."""
    for_caller: bool = False
    """The call carries the frontend's own credentials or input: a refusal is the caller's fault."""
    classify: Classifier | None = None


class Pending(Generic[T]):
    """A downstream call, built and not yet made: what a typed client's method returns.

    Awaiting it runs the pipeline (each await is one call, as with `request`). Before that, a
    fan-out may ask `fresh`: a call whose answer the in-memory cache holds fresh is then served
    on the spot, recorded like any hit, with no coroutine and no task. That is every call of a
    warm screen (`bff/fanout.py`), whose fan-out then never leaves the handler's own step."""

    __slots__ = ("_call", "_client", "_model")

    def __init__(
        self, client: "DownstreamClient", call: Call, model: type[T] | TypeAdapter[T]
    ) -> None:
        self._client = client
        self._call = call
        self._model = model

    def __await__(self) -> Generator[Any, None, T]:
        return self._client._value(self._call, self._model).__await__()

    def fresh(self, section: list[CallRecord] | None) -> tuple[T] | None:
        """The answer, boxed, if the in-memory cache holds it fresh (the call is then made and
        recorded, its record also in `section`); None when it must be awaited."""
        return cast("tuple[T] | None", self._client._fresh(self._call, section))


class Refused:
    """A call refused before it is made (its input is malformed): awaiting it raises `error`,
    as the call itself would have, so a fan-out section reports it as its own failure."""

    __slots__ = ("error",)

    def __init__(self, error: DownstreamError) -> None:
        self.error = error

    def __await__(self) -> Generator[Any, None, NoReturn]:
        raise self.error
        yield  # a generator: awaiting it raises at the await, not here


class DownstreamClient:
    """Calls one downstream service through the shared pooled `httpx.AsyncClient`.

    It never owns the AsyncClient (the app's lifespan does), so many of these can share one pool.
    It does own its service's resilience state (circuit breaker, retry budget, recent latencies),
    because there is exactly one of these per service in a `Downstreams`; the `cache` is the
    app's, shared by all services, and the rate-limit `cooldown` its origin's, shared by the
    services behind it. `breaker`, `budget`, `cooldown`, `clock`, `sleep` and `rand`
    can be injected so tests control time and chance.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        service: str,
        policy: ServicePolicy,
        breaker: CircuitBreaker | None = None,
        budget: RetryBudget | None = None,
        cooldown: Cooldown | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        cache: CacheLayer | None = None,
    ) -> None:
        self._http = http
        self._cache = cache
        self.service = service
        self.policy = policy
        # One clock for every piece of time-keeping state, so a test that injects it steps
        # through breaker windows, budgets and cool-downs without sleeping.
        clock = clock or time.monotonic
        self.breaker = breaker or CircuitBreaker(service, policy.breaker, clock=clock)
        self.budget = budget or RetryBudget(policy.budget, clock=clock)
        self.cooldown = cooldown or Cooldown(service, policy.cooldown, clock=clock)
        self._sleep = sleep
        self._rand = rand
        self._latencies = LatencyWindow(policy.hedge) if policy.hedge.enabled else None
        self.hedges = 0
        """Hedged second attempts started so far (for metrics)."""
        # The usual attempt's timeout, built once; only a deadline-shortened attempt needs its own.
        self._timeout = self._httpx_timeout(policy.timeout)
        self._timeout_dict = self._timeout.as_dict()
        self._sender = Sender(http, policy.base_url)

    def get(
        self,
        path: str,
        model: type[T] | TypeAdapter[T],
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        operation: str | None = None,
        for_caller: bool | None = None,
        classify: Classifier | None = None,
    ) -> Pending[T]:
        return self.request(
            "GET",
            path,
            model,
            params=params,
            headers=headers,
            operation=operation,
            for_caller=for_caller,
            classify=classify,
        )

    def post(
        self,
        path: str,
        model: type[T] | TypeAdapter[T],
        *,
        json: object | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        operation: str | None = None,
        for_caller: bool | None = None,
        classify: Classifier | None = None,
    ) -> Pending[T]:
        return self.request(
            "POST",
            path,
            model,
            params=params,
            json=json,
            headers=headers,
            operation=operation,
            for_caller=for_caller,
            classify=classify,
        )

    def request(
        self,
        method: str,
        path: str,
        model: type[T] | TypeAdapter[T],
        *,
        params: Params | None = None,
        json: object | None = None,
        headers: Mapping[str, str] | None = None,
        operation: str | None = None,
        for_caller: bool | None = None,
        classify: Classifier | None = None,
    ) -> Pending[T]:
        """The call of `path` on this service, its 2xx body decoded into `model`: returned
        unmade (`Pending`), made when awaited.

        `model` is a Pydantic model class or, for other shapes such as `list[Category]`, a
        `TypeAdapter` built once by the caller (building one per call would be slow).
        `operation` names the call (`products.get`) for its cache policy and for metrics.
        `for_caller` says the call carries the frontend's own credentials or input (default:
        whether `headers` carry credentials); `classify` reads this API's non-2xx answers first.
        """
        if for_caller is None:
            for_caller = bool(headers) and any(
                name.lower() in _CREDENTIAL_HEADERS for name in headers or ()
            )
        call = Call(
            method.upper(),
            self._url(path),
            path,
            operation,
            params=params,
            json=json,
            headers=headers,
            for_caller=for_caller,
            classify=classify,
        )
        return Pending(self, call, model)

    async def _value(self, call: Call, model: type[T] | TypeAdapter[T]) -> T:
        result, _ = await self._observed(call, model)
        return result

    def _fresh(self, call: Call, section: list[CallRecord] | None) -> tuple[Any] | None:
        """`call` served from a fresh in-memory entry and recorded as `_observed` records a hit
        (one record, its span, its cache fields); None, with nothing recorded, otherwise."""
        cache = self._cache
        if cache is None:
            return None
        policy = cache.policy(call.operation, call.method)
        if policy is None:
            return None
        started = perf_counter()
        key, private = cache.key(self.service, call.path, call.params, call.headers)
        outcome = cache.fresh(key, policy)
        if outcome is None:
            return None
        scope = current_scope()
        if scope.calls is not None:
            record, span = self._open_record(call, scope, scope.calls, section)
            _note_served(record, outcome, private)
            record.outcome = "ok"
            record.duration = perf_counter() - started
            if span is not None:
                span.close(record)
        return (outcome.value,)

    async def stream(
        self,
        path: str,
        *,
        expect: str,
        params: Params | None = None,
        operation: str | None = None,
    ) -> tuple[httpx.Response, CallRecord | None]:
        """Open a streaming GET of `path` through the same steps as any call (breaker, retries of
        a failed open, deadline, metrics, logs), returning once the headers are in.

        The deadline bounds the wait for the headers only; each later read of the body gets the
        policy's timeout, since a large body may rightly take longer than a screen's deadline. A
        2xx whose `Content-Type` does not start with `expect`, or that has no body, is a
        `BadResponse`: the caller never relays what its contract does not name. The caller owns
        the open response and must close it; the call's record (None outside a request) is
        returned so the caller can report a body that broke off after the headers.
        """
        call = Call(
            "GET",
            self._url(path),
            path,
            operation,
            params=params,
            # Pictures are compressed already: identity keeps Content-Length true end to end
            # and spares the origin compressing what cannot shrink.
            headers=_IDENTITY,
            stream=expect,
        )
        return await self._observed(call, httpx.Response)

    async def _observed(
        self, call: Call, model: type[T] | TypeAdapter[T]
    ) -> tuple[T, CallRecord | None]:
        """Run the pipeline for `call`, recording it for the request's timings, metrics, span and
        log when the request collects them."""
        scope = current_scope()
        calls = scope.calls
        if calls is None:
            try:
                return await self._cached(call, model, None), None
            except DownstreamError as exc:
                self.log_failure(call.method, call.path, exc, scope.request_id)
                raise
        record, span = self._open_record(call, scope, calls, scope.section)
        started = perf_counter()
        try:
            result = await self._cached(call, model, record)
            record.outcome = "ok"
        except DownstreamError as exc:
            record.outcome = exc.code
            record.status = exc.status
            record.callers_fault = exc.callers_fault
            self.log_failure(call.method, call.path, exc, scope.request_id)
            raise
        finally:
            record.duration = perf_counter() - started
            if span is not None:
                span.close(record)
        return result, record

    def _open_record(
        self,
        call: Call,
        scope: RequestScope,
        calls: list[CallRecord],
        section: list[CallRecord] | None,
    ) -> tuple[CallRecord, CallSpan | None]:
        """The call's record, in the request's list and its section's, and its span when the
        request is traced."""
        record = CallRecord(self.service, call.method, call.path, call.operation)
        calls.append(record)
        if section is not None:
            section.append(record)
        span = open_call_span(scope.tracer, record) if scope.tracer is not None else None
        return record, span

    def _url(self, path: str) -> str:
        """Append `path` to the service's base URL, refusing anything that could leave it.

        Credentials such as bearer tokens travel with these calls, so a path must never be able to
        point at another host (or, via dot segments, outside the base URL's own path).
        """
        segments = path.split("/")
        if (
            not path.startswith("/")
            or path.startswith("//")
            or _UNSAFE_PATH.search(path)
            or "." in segments
            or ".." in segments
        ):
            raise ValueError(f"path must be a plain relative path starting with '/', got {path!r}")
        return self.policy.base_url + path

    async def _cached(
        self, call: Call, model: type[T] | TypeAdapter[T], record: CallRecord | None
    ) -> T:
        """Cache lookup, for GET calls whose operation has a cache policy.

        Fresh answers come from memory (or the shared tier); concurrent identical misses share
        one downstream call; stale copies stand in per the policy. The key holds a hash of the
        call's credentials, if any, so one user's answer is never served to another. How the
        answer was served is noted on the call's record (Server-Timing, Cache-Status,
        Cache-Control and the screen's section statuses are derived from it).
        """
        cache = self._cache
        policy = cache.policy(call.operation, call.method) if cache is not None else None
        if policy is None or cache is None:
            return await self._guarded(call, model, record)
        key, private = cache.key(self.service, call.path, call.params, call.headers)
        outcome = cache.fresh(key, policy)
        if outcome is None:
            outcome = await self._missed(cache, call, model, record, key, policy)
        if record is not None:
            _note_served(record, outcome, private)
        return cast(T, outcome.value)

    async def _missed(
        self,
        cache: CacheLayer,
        call: Call,
        model: type[T] | TypeAdapter[T],
        record: CallRecord | None,
        key: str,
        policy: CachePolicy,
    ) -> Outcome[T]:
        """No fresh answer in memory: the shared tier, a stale copy or a load, as the cache
        decides."""
        # The load may run as a shared or background call (single-flight, a refresh) that
        # outlives this one: it counts its attempts on a record of its own, and this call takes
        # over those made while it waited for them. Built only if the load runs (not on a hit).
        loads: list[CallRecord] = []

        def load() -> Awaitable[T]:
            own = CallRecord(self.service, call.method, call.path, call.operation)
            loads.append(own)
            return self._guarded(call, model, own)

        def expired() -> DownstreamError:
            # The shared call this caller waits for goes on for the cache. If it ran into a
            # rate limit and waits it out, that is this caller's answer (503, Retry-After);
            # otherwise a timeout that counts the attempts made for it, and that asking again
            # may well cure (from the cache the shared call fills).
            cooling = self.cooldown.error(self.service)
            if cooling is not None:
                return cooling
            return Timeout(
                self.service,
                "no answer before the request deadline (the shared call goes on for the cache)",
                attempts=sum(own.attempts for own in loads),
                local=True,
                by_deadline=True,
            )

        try:
            return await cache.fetch(key, policy=policy, model=model, load=load, expired=expired)
        finally:
            if loads and record is not None:
                record.attempts += sum(own.attempts for own in loads)

    async def _guarded(
        self, call: Call, model: type[T] | TypeAdapter[T], record: CallRecord | None
    ) -> T:
        """Circuit breaker: raise `CircuitOpen` without calling while the service's breaker is
        open; when it is half-open, this call may be the one probe, released when it ends.

        Outcomes are recorded per attempt, in `_attempt`, where each one's cause is known.
        """
        if not self.breaker.acquire():
            return await self._cooled(call, model, record)
        try:
            return await self._cooled(call, model, record)
        finally:
            self.breaker.release()

    def _cooled(
        self, call: Call, model: type[T] | TypeAdapter[T], record: CallRecord | None
    ) -> Awaitable[T]:
        """Rate-limit cool-down: raise `CoolingDown` without calling while the origin's window
        lasts (a 429 or `X-RateLimit-Remaining: 0` started it; see `cooldown.py`)."""
        self.cooldown.check(self.service)
        return self._with_retries(call, model, record)

    async def _with_retries(
        self, call: Call, model: type[T] | TypeAdapter[T], record: CallRecord | None
    ) -> T:
        """Retries: the first attempt directly, then `retry_call` (tenacity) if it failed with a
        retryable error and the call is idempotent. See `retry.py` for the rules. Each retry
        checks the cool-down again: another call may have started one meanwhile."""
        self.budget.deposit()
        try:
            return await self._try(call, model, record)
        except DownstreamError as exc:
            if not (
                exc.retryable
                and self.policy.retry.attempts > 1
                and is_idempotent(call.method, call.headers)
            ):
                raise
            first = exc
        return await retry_call(
            lambda: self._try(call, model, record),
            first,
            policy=self.policy.retry,
            budget=self.budget,
            breaker=self.breaker,
            cooldown=self.cooldown,
            service=self.service,
            sleep=self._sleep,
            rand=self._rand,
        )

    def _try(
        self, call: Call, model: type[T] | TypeAdapter[T], record: CallRecord | None
    ) -> Awaitable[T]:
        """One attempt, hedged when the policy asks, the call is idempotent and the service's
        recent latencies are known."""
        if (
            self._latencies is None
            or call.stream is not None
            or not is_idempotent(call.method, call.headers)
        ):
            return self._attempt(call, model, record)
        delay = self._latencies.delay()
        if delay is None:
            return self._attempt(call, model, record)
        return hedged(
            lambda: self._attempt(call, model, record), delay=delay, may_hedge=self._may_hedge
        )

    def _may_hedge(self) -> bool:
        """A hedge is a retry that starts early: the same deadline, breaker and budget rules."""
        left = remaining()
        if left is not None and left < self.policy.retry.min_attempt_time:
            return False
        if not (self.breaker.allows_retry() and self.budget.try_spend()):
            return False
        self.hedges += 1
        return True

    async def _attempt(
        self, call: Call, model: type[T] | TypeAdapter[T], record: CallRecord | None
    ) -> T:
        """One send and decode: the only step that touches the network.

        httpx's timeouts bound each connect, read, write and pool wait separately, so a body
        trickled a byte at a time would never trip them; `asyncio.timeout` bounds the attempt as
        a whole. Its outcome is recorded by the breaker here, where the cause is known.
        """
        timeout, by_deadline = self._attempt_timeout()
        if record is not None:
            record.attempts += 1
        started = perf_counter() if self._latencies is not None else 0.0
        try:
            async with asyncio.timeout(timeout):
                response = await self._send(call, timeout, by_deadline)
                self.cooldown.observe(response)
                if call.stream is not None:
                    result = cast(T, await self._opened(call, response, call.stream))
            if call.stream is None:
                result = self._decode(call, response, model)
        except TimeoutError:
            exc = Timeout(self.service, f"no answer within {timeout:.3g}s", by_deadline=by_deadline)
            self.breaker.record(exc)
            raise exc from None
        except DownstreamError as exc:
            self.breaker.record(exc)
            raise
        self.breaker.record_success()
        if self._latencies is not None:
            self._latencies.add(perf_counter() - started)
        return result

    def _attempt_timeout(self) -> tuple[float, bool]:
        """This attempt's timeout, and whether the request's remaining deadline set it (rather
        than the policy's timeout)."""
        budget = remaining()
        if budget is None or budget >= self.policy.timeout:
            return self.policy.timeout, False
        if budget <= 0:
            raise Timeout.deadline_passed(self.service, "request deadline exceeded before sending")
        return budget, True

    def _httpx_timeout(self, timeout: float) -> httpx.Timeout:
        """Read and write get the attempt's whole timeout; connecting and waiting for a pooled
        connection keep their own, shorter limits (a dead host should fail in 2 s, not 5)."""
        policy = self.policy
        return httpx.Timeout(
            timeout,
            connect=min(policy.connect_timeout, timeout),
            pool=min(policy.pool_timeout, timeout),
        )

    def _headers(self, call: Call, timeout: float) -> list[tuple[str, str]]:
        headers = list(call.headers.items()) if call.headers else []
        names = {name.lower() for name, _ in headers} if headers else frozenset()
        request_id = current_scope().request_id
        if (
            request_id is not None
            and "x-request-id" not in names
            and _HEADER_TOKEN.fullmatch(request_id)
        ):
            headers.append(("X-Request-ID", request_id))
        if _DEADLINE_NAME not in names:
            headers.append((DEADLINE_HEADER, f"{timeout:.3f}"))
        return headers

    async def _send(self, call: Call, seconds: float, by_deadline: bool) -> httpx.Response:
        """Send without streaming, so the body is read and the connection is back in the pool
        (also when the answer is an error that a retry will follow); a streamed call stops at
        the headers, and its body reads keep the policy's timeout whatever the deadline."""
        httpx_timeout = self._timeout
        if by_deadline:
            httpx_timeout = self._httpx_timeout(seconds)
            if call.stream is not None:
                httpx_timeout = httpx.Timeout(
                    self.policy.timeout, connect=httpx_timeout.connect, pool=httpx_timeout.pool
                )
        headers = self._headers(call, seconds)
        try:
            if (
                self._sender.lean
                and call.method == "GET"
                and call.json is None
                and call.stream is None
            ):
                # The lean path (clients/sender.py): the shared client's transport, directly.
                timeouts = httpx_timeout.as_dict() if by_deadline else self._timeout_dict
                return await self._sender.get(call.path, call.params, headers, timeouts)
            request = self._http.build_request(
                call.method,
                call.url,
                params=call.params,
                json=call.json,
                headers=headers,
                timeout=httpx_timeout,
            )
            return await self._http.send(request, stream=call.stream is not None)
        except httpx.InvalidURL as exc:
            raise BadRequest(self.service, "request URL could not be encoded", local=True) from exc
        except httpx.HTTPError as exc:
            raise error_for_transport(self.service, exc, seconds, by_deadline=by_deadline) from exc

    async def _opened(self, call: Call, response: httpx.Response, expect: str) -> httpx.Response:
        """The open response of a streamed call if it is what the caller may relay; otherwise
        it is closed (an error page read first: it is small, and its message becomes the
        error's detail) and the typed error raised."""
        try:
            if not response.is_success:
                await response.aread()
                raise error_for_status(self.service, response, for_caller=call.for_caller)
            media_type = response.headers.get("Content-Type", "").lower()
            if (
                response.status_code == 204
                or response.headers.get("Content-Length") == "0"
                or not media_type.startswith(expect)
            ):
                shown = media_type.split(";", 1)[0].strip()[:50] or "none"
                raise BadResponse(
                    self.service,
                    f"expected a {expect}* body, got {response.status_code} with type {shown}",
                    status=response.status_code,
                )
        except BaseException as exc:
            with anyio.CancelScope(shield=True):
                await response.aclose()
            if isinstance(exc, httpx.HTTPError):
                raise error_for_transport(self.service, exc, self.policy.timeout) from exc
            raise
        return response

    def _decode(self, call: Call, response: httpx.Response, model: type[T] | TypeAdapter[T]) -> T:
        """Decode a 2xx body in one pass (in Rust); anything else becomes a typed error."""
        if not response.is_success:
            if call.classify is not None and (error := call.classify(self.service, response)):
                raise error
            raise error_for_status(self.service, response, for_caller=call.for_caller)
        try:
            return _validate(model, response.content)
        except ValidationError as exc:
            raise error_for_validation(self.service, exc.title, exc) from exc

    def log_failure(
        self, method: str, path: str, exc: DownstreamError, request_id: str | None
    ) -> None:
        """One line per failed call: enough to find it (request id) and judge it (code, status,
        attempts); never a body, a query string or a header, so never a token."""
        # A downstream fault is a warning; a sane answer (404, 401...), the caller's own bad
        # credentials, or a call the breaker or a cool-down refused is routine (they warned once,
        # when they opened).
        routine = exc.fault in (Fault.CALLER, Fault.NONE) or isinstance(
            exc, CircuitOpen | CoolingDown
        )
        logger.log(
            logging.INFO if routine else logging.WARNING,
            "downstream call failed: request_id=%s service=%s call=%s %s code=%s status=%s "
            "attempts=%d detail=%r",
            request_id,
            self.service,
            method,
            path,
            exc.code,
            exc.status,
            exc.attempts,
            exc.detail,
            # The same facts as fields, for structured (JSON) logs: see bff/logs.py.
            extra={
                "request_id": request_id,
                "service": self.service,
                "method": method,
                "path": path,
                "code": exc.code,
                "status": exc.status,
                "attempts": exc.attempts,
                "detail": exc.detail,
            },
        )


class ServiceClient:
    """Base of the typed clients: each names its service and calls through its own pipeline.

    Typed clients wrap the pipeline rather than subclass it, so their domain methods
    (`get(user_id)`) do not collide with the pipeline's generic `get(path, model)`.

    A call's operation name (`users.get`: its cache policy's name and its metrics label) is the
    service and the name of the public method that makes it: a method passes its own name to
    `_get`/`_post`, and the full names are built once per class (`operations`), so a call pays
    one dict lookup, never a string format, and the labels stay as bounded as the methods.
    """

    service: ClassVar[str]
    """The service's name: its settings key (`BFF_SERVICE_URLS`), metrics label and breaker."""

    operations: ClassVar[Mapping[str, str]] = MappingProxyType({})
    """Each public method's operation name, by method name (built per class)."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        service = getattr(cls, "service", None)
        if service is None:
            return  # a shared base of several typed clients, not a client itself
        if not isinstance(service, str) or not _SERVICE_NAME.fullmatch(service):
            raise TypeError(
                f"{cls.__name__}.service must be a lower-case name (letters, digits, '_'), "
                f"got {service!r}"
            )
        cls.operations = MappingProxyType(
            {
                name: f"{service}.{name}"
                for name, _ in inspect.getmembers(cls, inspect.isfunction)
                if not name.startswith("_")
            }
        )

    def __init__(
        self,
        http: httpx.AsyncClient,
        policy: ServicePolicy,
        *,
        cache: CacheLayer | None = None,
        clock: Callable[[], float] | None = None,
        cooldown: Cooldown | None = None,
    ) -> None:
        self._downstream = DownstreamClient(
            http, service=self.service, policy=policy, cache=cache, clock=clock, cooldown=cooldown
        )

    @property
    def downstream(self) -> DownstreamClient:
        return self._downstream

    def _operation(self, method: str) -> str:
        try:
            return self.operations[method]
        except KeyError:
            raise ValueError(
                f"{type(self).__name__} has no public method {method!r}: a call is named for "
                "the method that makes it"
            ) from None

    def _get(
        self,
        method: str,
        path: str,
        model: type[T] | TypeAdapter[T],
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        for_caller: bool | None = None,
        classify: Classifier | None = None,
    ) -> Pending[T]:
        """GET `path` through the pipeline as the operation named for `method` (the calling
        method's own name, e.g. `"get"` in `UsersClient.get`: operation `users.get`).

        The call is returned, not made (`Pending`): a typed method returns it for its caller to
        await, or for a fan-out to serve from the cache without a task."""
        return self._downstream.request(
            "GET",
            path,
            model,
            params=params,
            headers=headers,
            operation=self._operation(method),
            for_caller=for_caller,
            classify=classify,
        )

    def _post(
        self,
        method: str,
        path: str,
        model: type[T] | TypeAdapter[T],
        *,
        json: object | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
        for_caller: bool | None = None,
        classify: Classifier | None = None,
    ) -> Pending[T]:
        """POST to `path` through the pipeline as the operation named for `method`."""
        return self._downstream.request(
            "POST",
            path,
            model,
            json=json,
            params=params,
            headers=headers,
            operation=self._operation(method),
            for_caller=for_caller,
            classify=classify,
        )


_SERVICE_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def _note_served(record: CallRecord, outcome: Outcome[Any], private: bool) -> None:
    """How the cache served the call, on its record (Server-Timing, Cache-Status, sections)."""
    record.cache = outcome.status
    record.cache_age = outcome.age
    record.cache_ttl = outcome.ttl
    record.private = private
    if outcome.error is not None:
        record.stale_cause = outcome.error.code
        record.status = outcome.error.status


def _validate(model: type[T] | TypeAdapter[T], content: bytes) -> T:
    if isinstance(model, TypeAdapter):
        return model.validate_json(content)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model.model_validate_json(content)
    return TypeAdapter(model).validate_json(content)
