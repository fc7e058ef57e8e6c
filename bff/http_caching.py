"""Screens as HTTP resources: ``Cache-Control``, a strong ``ETag``, ``304``s and ``Cache-Status``.

A screen is only as fresh as its stalest part and only as shareable as its most personal one,
so its caching headers are derived from the downstream calls that built it (the ``CallRecord``
records of ``clients/record.py``, filled in by the cache step of the pipeline):

* ``Cache-Control``: ``private, no-store`` (with ``Vary: Authorization``) when the screen was
  built with the caller's credentials (``mark_personal``: the signed-in user's own page), whatever
  the cache settings: a token's answer is never kept by a browser or a shared cache;
  ``no-store`` when the answer is partial (a degraded answer must not outlive the failure);
  ``no-cache`` when some part was not cacheable (the cache is off, or a call has no cache
  policy), so clients revalidate with the ETag every time; otherwise the smallest remaining
  freshness of its parts as ``max-age`` (0 once a part is stale), ``private`` when any part was
  fetched with the caller's credentials (with ``Vary: Authorization``), ``public`` otherwise.
* ``ETag``: a strong validator over the body bytes; ``If-None-Match`` with a matching tag is
  answered ``304 Not Modified`` without the body. The screen is still assembled (from the cache,
  usually), so a 304 saves the frontend's bandwidth and parsing, not the BFF's work.
* ``Cache-Status`` (RFC 9211): one entry per downstream call, saying whether the BFF's cache
  served it (``hit``, with a ``ttl`` that is negative once stale) or why it went to the
  downstream (``fwd=uri-miss``, ``fwd=bypass``, ``fwd=method``; ``fwd=stale`` with the
  ``fwd-status`` when a stale copy stood in for a failed call).

Non-GET routes of the same routers (login, refresh) answer ``Cache-Control: no-store``: they
carry tokens.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from bff.admission import Admission
from bff.observability import SERVER_TIMING_MAX_CALLS, is_partial, is_personal
from clients.context import current_scope
from clients.record import CallRecord

CACHE_NAME = "BFF"
"""The cache's name in ``Cache-Status`` entries."""

PERSONAL_CACHE_CONTROL = "private, no-store"

# Headers a 304 repeats from the 200 it stands for (RFC 9110, section 15.4.5).
_VALIDATOR_HEADERS = ("etag", "cache-control", "cache-status", "vary")


def etag_of(body: bytes) -> str:
    """A strong entity tag: identical bytes, identical tag."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    """``If-None-Match`` uses the weak comparison: ``W/"x"`` matches ``"x"``."""
    if if_none_match.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(
        candidate.strip().removeprefix("W/") == opaque for candidate in if_none_match.split(",")
    )


def cache_control(calls: Sequence[CallRecord], *, partial: bool) -> str:
    """The screen's ``Cache-Control``, from its parts (see the module docstring)."""
    if partial:
        return "no-store"
    private = any(call.private for call in calls)
    scope = "private" if private else "public"
    freshness = [call.fresh_for for call in calls]
    if not calls or None in freshness:  # a part not cached: uncacheable, or the cache is off
        return f"{scope}, no-cache"
    max_age = min(max(0, math.floor(fresh)) for fresh in freshness if fresh is not None)
    return f"{scope}, max-age={max_age}"


def _sf_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cache_status_entry(call: CallRecord) -> str:
    """One RFC 9211 entry for one downstream call."""
    params: list[str]
    fresh = call.fresh_for
    ttl = f"ttl={math.floor(fresh)}" if fresh is not None else None
    if call.cache == "hit" or (call.cache == "stale" and not call.stale_if_error):
        params = ["hit", ttl or "ttl=0"]
    elif call.cache == "stale":
        params = ["fwd=stale"]
        if call.status is not None:
            params.append(f"fwd-status={call.status}")
        params.append(ttl or "ttl=0")
    elif call.cache == "miss":
        params = ["fwd=uri-miss"]
        if call.outcome == "ok":
            params.append("stored")
        elif call.status is not None:
            params.append(f"fwd-status={call.status}")
    elif call.method != "GET":
        params = ["fwd=method"]
    else:
        params = ["fwd=bypass"]
    params.append("detail=" + _sf_string(f"{call.service} {call.method} {call.path}"))
    return "; ".join([CACHE_NAME, *params])


def cache_status(calls: Sequence[CallRecord]) -> str:
    entries = [cache_status_entry(call) for call in calls[:SERVER_TIMING_MAX_CALLS]]
    return ", ".join(entries)


JSON = "application/json"


class ScreenBody(Response):
    """A screen's JSON body rendered by `RenderedScreens`, with its entity tag already known."""

    media_type = JSON

    def __init__(self, body: bytes, etag: str) -> None:
        super().__init__(body)
        self.etag = etag


@dataclass(frozen=True, slots=True)
class _Rendering:
    parts: tuple[object, ...]
    meta: BaseModel
    body: bytes
    etag: str


class RenderedScreens:
    """Screens assembled wholly from cache hits, rendered once per distinct set of parts.

    A warm screen is made of the very same decoded models request after request: the cache
    hands out one frozen, shared value per entry. Converting them into the response models,
    validating and serializing those and hashing the bytes for the ``ETag`` again each time was
    measured at about 15% of a warm screen's CPU (``python -m bench.profile --variant
    bff-cached``). So a screen whose every downstream call was a fresh hit looks up its body by
    its URL (path and query: whatever else shapes the answer), the identity of its parts (the
    values its sections returned) and its ``meta``; entries hold the parts themselves, so an
    identity can never be reused by another object while its entry lives. Anything else (a
    miss, a stale part, a partial screen, a personal one) is rendered as it always was, and
    stored nowhere. One per app (the lifespan builds it), bounded.
    """

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: dict[tuple[object, ...], _Rendering] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def render(
        self,
        url: str,
        parts: tuple[object, ...],
        meta: BaseModel,
        build: Callable[[], BaseModel],
    ) -> ScreenBody:
        """The body of the screen at ``url`` that ``build()`` makes from ``parts`` (with
        ``meta`` in it)."""
        calls = current_scope().calls
        if not calls or is_personal() or any(call.cache != "hit" for call in calls):
            return _body(build())
        key = (url, *map(id, parts))
        entry = self._entries.get(key)
        if (
            entry is not None
            and (entry.meta is meta or entry.meta == meta)
            and all(ours is theirs for ours, theirs in zip(entry.parts, parts, strict=True))
        ):
            return ScreenBody(entry.body, entry.etag)
        body = _json(build())
        etag = etag_of(body)
        if len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = _Rendering(parts, meta, body, etag)
        return ScreenBody(body, etag)


def render(
    request: Request, parts: tuple[object, ...], meta: BaseModel, build: Callable[[], BaseModel]
) -> ScreenBody:
    """A screen route's answer: ``build()`` rendered, or its body from the app's
    `RenderedScreens` when it was made from the same cached parts for the same URL."""
    screens: RenderedScreens = request.state.screens
    scope = request.scope
    query: bytes = scope.get("query_string", b"")
    url = scope["path"] + ("?" + query.decode("latin-1") if query else "")
    return screens.render(url, parts, meta, build)


def _json(screen: BaseModel) -> bytes:
    """The bytes FastAPI writes for a returned response model (by alias, nothing excluded)."""
    return screen.__pydantic_serializer__.to_json(screen, by_alias=True)


def _body(screen: BaseModel) -> ScreenBody:
    body = _json(screen)
    return ScreenBody(body, etag_of(body))


def finish(request: Request, response: Response) -> Response:
    """Add the caching headers to a screen's response; a 304 when the client's copy matches."""
    if request.method != "GET":
        response.headers.setdefault("Cache-Control", "no-store")
        return response
    if response.status_code != 200:
        return response
    calls = current_scope().calls or []
    headers = response.headers
    headers["ETag"] = (
        response.etag if isinstance(response, ScreenBody) else etag_of(bytes(response.body))
    )
    personal = is_personal()
    headers["Cache-Control"] = (
        PERSONAL_CACHE_CONTROL if personal else cache_control(calls, partial=is_partial())
    )
    if calls:
        headers["Cache-Status"] = cache_status(calls)
    if personal or any(call.private for call in calls):
        headers["Vary"] = "Authorization"
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and etag_matches(if_none_match, headers["ETag"]):
        kept = {name: value for name, value in headers.items() if name in _VALIDATOR_HEADERS}
        return Response(status_code=304, headers=kept)
    return response


class ScreenRoute(APIRoute):
    """The route class of screen routers: each request waits for an admission slot
    (``bff/admission.py``) and each response passes through `finish`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            admission: Admission = request.state.admission
            async with admission.slot():
                response = await handler(request)
            return finish(request, response)

        return handle
