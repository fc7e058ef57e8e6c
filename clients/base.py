"""The one request pipeline that every typed client calls through.

A downstream call passes through these steps, outermost first, each a named method below so that
the issues adding caching, single-flight, the circuit breaker and retries each fill one step without
reshaping the others:

1. `_cached`        - cache lookup (GET only)
2. `_single_flight` - concurrent identical misses share one call
3. `_guarded`       - circuit breaker per service
4. `_with_retries`  - retries for idempotent calls, within the deadline
5. `_attempt`       - one send and decode, with timeout = min(policy timeout, remaining deadline)

Every step returns the decoded (frozen, shareable) model, so a cache or a single-flight can hand one
result to many callers. Every failure leaves as a `DownstreamError` (see `errors.py`).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from clients.context import request_id_var
from clients.deadline import remaining
from clients.errors import BadRequest, Timeout
from clients.policies import ServicePolicy
from clients.translate import error_for_status, error_for_transport, error_for_validation

T = TypeVar("T")

Params = Mapping[str, str | int]
"""Query parameters; values are encoded by httpx, never concatenated into the path."""

# Characters with no place in a relative path: query/fragment delimiters (use `params`), backslashes
# (some servers read them as "/"), whitespace and control characters.
_UNSAFE_PATH = re.compile(r"[?#\\\s\x00-\x1f\x7f]")
# Request ids are forwarded only if they are a plain header token: a malformed id is dropped rather
# than failing the call or smuggling a header.
_HEADER_TOKEN = re.compile(r"[\x21-\x7e]{1,200}")


@dataclass(frozen=True, slots=True)
class Call:
    """One downstream call as the pipeline steps see it; a later cache derives its key from it."""

    method: str
    url: str
    params: Params | None = None
    json: object | None = None
    headers: Mapping[str, str] | None = None


class DownstreamClient:
    """Calls one downstream service through the shared pooled `httpx.AsyncClient`.

    It never owns the AsyncClient (the app's lifespan does), so many of these can share one pool.
    """

    def __init__(self, http: httpx.AsyncClient, *, service: str, policy: ServicePolicy) -> None:
        self._http = http
        self.service = service
        self.policy = policy

    async def get(
        self,
        path: str,
        model: type[T] | TypeAdapter[T],
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        return await self.request("GET", path, model, params=params, headers=headers)

    async def post(
        self,
        path: str,
        model: type[T] | TypeAdapter[T],
        *,
        json: object | None = None,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        return await self.request("POST", path, model, params=params, json=json, headers=headers)

    async def request(
        self,
        method: str,
        path: str,
        model: type[T] | TypeAdapter[T],
        *,
        params: Params | None = None,
        json: object | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> T:
        """Call `path` on this service and decode the 2xx body into `model`.

        `model` is a Pydantic model class or, for other shapes such as `list[Category]`, a
        `TypeAdapter` built once by the caller (building one per call would be slow).
        """
        call = Call(method.upper(), self._url(path), params=params, json=json, headers=headers)
        return await self._cached(call, model)

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

    async def _cached(self, call: Call, model: type[T] | TypeAdapter[T]) -> T:
        """Cache lookup: pass-through for now.

        Will serve fresh GET results from a TTL cache keyed by method, URL and sorted params, plus
        the caller's identity when the call carries credentials (one user's data is never served
        to another), and keep stale copies for stale-if-error.
        """
        return await self._single_flight(call, model)

    async def _single_flight(self, call: Call, model: type[T] | TypeAdapter[T]) -> T:
        """Single-flight: pass-through for now.

        Will let concurrent identical cache misses await one downstream call instead of each
        sending their own, so a burst on a cold key costs one request.
        """
        return await self._guarded(call, model)

    async def _guarded(self, call: Call, model: type[T] | TypeAdapter[T]) -> T:
        """Circuit breaker: pass-through for now.

        Will count this service's failures, raise `CircuitOpen` without calling while open, and
        let one probe through when half-open.
        """
        return await self._with_retries(call, model)

    async def _with_retries(self, call: Call, model: type[T] | TypeAdapter[T]) -> T:
        """Retries: pass-through for now (one attempt).

        Will retry idempotent calls on errors marked `retryable`, with exponential backoff, full
        jitter and `Retry-After`, never past the deadline, recording the count in `attempts`.
        """
        return await self._attempt(call, model)

    async def _attempt(self, call: Call, model: type[T] | TypeAdapter[T]) -> T:
        """One send and decode: the only step that touches the network."""
        response = await self._send(call)
        return self._decode(response, model)

    def _attempt_timeout(self) -> float:
        """This attempt's timeout: the policy's, cut short by the request's remaining deadline."""
        budget = remaining()
        if budget is None:
            return self.policy.timeout
        if budget <= 0:
            raise Timeout(self.service, "request deadline exceeded before sending", retryable=False)
        return min(self.policy.timeout, budget)

    def _headers(self, call: Call) -> httpx.Headers:
        headers = httpx.Headers(call.headers)
        request_id = request_id_var.get()
        if (
            request_id is not None
            and "X-Request-ID" not in headers
            and _HEADER_TOKEN.fullmatch(request_id)
        ):
            headers["X-Request-ID"] = request_id
        return headers

    async def _send(self, call: Call) -> httpx.Response:
        """Send without streaming, so the body is read and the connection is back in the pool."""
        timeout = self._attempt_timeout()
        try:
            request = self._http.build_request(
                call.method,
                call.url,
                params=call.params,
                json=call.json,
                headers=self._headers(call),
                timeout=httpx.Timeout(timeout),
            )
        except httpx.InvalidURL as exc:
            raise BadRequest(self.service, "request URL could not be encoded") from exc
        try:
            return await self._http.send(request)
        except httpx.HTTPError as exc:
            raise error_for_transport(self.service, exc, timeout) from exc

    def _decode(self, response: httpx.Response, model: type[T] | TypeAdapter[T]) -> T:
        """Decode a 2xx body in one pass (in Rust); anything else becomes a typed error."""
        if not response.is_success:
            raise error_for_status(self.service, response)
        try:
            return _validate(model, response.content)
        except ValidationError as exc:
            raise error_for_validation(self.service, exc.title, exc) from exc


class ServiceClient:
    """Base of the typed clients: each names its service and calls through its own pipeline.

    Typed clients wrap the pipeline rather than subclass it, so their domain methods
    (`get(user_id)`) do not collide with the pipeline's generic `get(path, model)`.
    """

    service: ClassVar[str]

    def __init__(self, http: httpx.AsyncClient, policy: ServicePolicy) -> None:
        self._downstream = DownstreamClient(http, service=self.service, policy=policy)

    @property
    def downstream(self) -> DownstreamClient:
        return self._downstream


def _validate(model: type[T] | TypeAdapter[T], content: bytes) -> T:
    if isinstance(model, TypeAdapter):
        return model.validate_json(content)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model.model_validate_json(content)
    return TypeAdapter(model).validate_json(content)
