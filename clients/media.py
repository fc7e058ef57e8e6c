"""Pictures streamed from allow-listed media origins, never from an API origin.

Image URLs in downstream data name public hosts (DummyJSON keeps product pictures on its CDN and
avatars under ``/icon/`` of another host). The BFF never follows a host taken from data or from a
frontend: a picture path is matched by its first segment against an allow-list of origins
(``BFF_MEDIA_ORIGINS``), and the rest of the path is appended beneath that origin's own base
path, so ``/icon/...`` on a host that also serves an API can reach its pictures and nothing else.
A path outside every prefix is ``MediaNotFound`` without any outbound call; a path that could
climb out of its prefix is ``UnsafeMediaPath``.

Each origin is a service of its own (``media.<prefix>``) with its own circuit breaker, and every
open goes through the one call pipeline (``DownstreamClient.stream``). Streams are a bulkhead
apart from the screens: they use their own connection pool (built by the app's lifespan) and at
most ``max_streams`` of them are open at once; one more is refused at once with
``StreamsExhausted`` rather than queued, since a queued picture holds a frontend connection and
helps nobody.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import httpx

from clients.base import DownstreamClient
from clients.context import current_scope
from clients.errors import DownstreamError, Unavailable
from clients.policies import ServicePolicy
from clients.record import CallRecord

MAX_PATH = 1024
"""Longest picture path accepted, in characters, after normalisation."""

MEDIA_TYPE = "image/"
"""What a media origin must answer with: anything else is a `BadResponse` (502)."""

# Characters that stay as they are in a normalised segment: RFC 3986's unreserved characters and
# sub-delimiters, ':' and '@' (all legal in a path segment, and what a browser sends as is, so
# `dior-j'adore` reaches the origin as the URL in the data spells it). Everything else, from a
# space to a non-ASCII letter, is percent-encoded from its UTF-8 bytes.
_SAFE = "!$&'()*+,;=:@~-._"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UnsafeMediaPath(ValueError):
    """The path could reach outside its media origin, or is not a path at all; the frontend
    gets a 400 and nothing is fetched."""


class MediaNotFound(LookupError):
    """The path is under no allow-listed media prefix; the frontend gets a 404 and nothing is
    fetched."""


class StreamsExhausted(Unavailable):
    """Every stream slot is taken; the frontend gets a 503 with a Retry-After and nothing is
    fetched. `local`: the downstream's breaker holds it against nobody."""

    code = "streams_exhausted"
    retryable = False

    def __init__(self, service: str) -> None:
        super().__init__(
            service,
            "too many pictures are being streamed; try again shortly",
            retryable=False,
            attempts=0,
            retry_after=1.0,
            local=True,
        )


def media_segments(raw: str) -> list[str]:
    """The decoded segments of ``raw`` (a path as sent, percent-encoded or not, with or without
    its leading slash), or ``UnsafeMediaPath``.

    Each segment is decoded once; a segment that decodes to a dot segment, or contains a slash,
    a backslash or a control character (``%2F``, ``%2E%2E``, ``%00``...), is refused, as is
    anything that is not UTF-8. So the segments are exactly what the origin will see.
    """
    if len(raw) > MAX_PATH * 3:
        raise UnsafeMediaPath(f"a media path is at most {MAX_PATH} characters")
    if "://" in raw or raw.startswith("//") or "?" in raw or "#" in raw:
        raise UnsafeMediaPath("a media path is a path, not a URL")
    segments = []
    for part in raw.removeprefix("/").split("/"):
        try:
            segment = unquote(part, errors="strict")
        except UnicodeDecodeError:
            raise UnsafeMediaPath("a media path is UTF-8") from None
        if segment in ("", ".", "..") or "/" in segment or "\\" in segment:
            raise UnsafeMediaPath(f"media path segment {part[:50]!r} is not allowed")
        if _CONTROL.search(segment):
            raise UnsafeMediaPath("a media path has no control characters")
        segments.append(segment)
    return segments


def encode_segments(segments: list[str]) -> str:
    """The path for the origin: each segment percent-encoded on its own, so none can add a
    separator, a query or a fragment."""
    path = "/" + "/".join(quote(segment, safe=_SAFE) for segment in segments)
    if len(path) > MAX_PATH:
        raise UnsafeMediaPath(f"a media path is at most {MAX_PATH} characters")
    return path


def media_path_of(url: str) -> str:
    """The path of an image URL found in downstream data (its host is deliberately dropped),
    still as the data spells it."""
    return urlsplit(url).path


@dataclass(frozen=True, slots=True)
class MediaOrigin:
    """One allow-listed prefix: pictures whose path starts with ``/<prefix>/`` are fetched from
    ``policy.base_url`` + the rest of the path; only the query parameters named in ``query`` are
    passed on (none by default: a picture URL's query is the origin's business, and an open one
    lets a frontend drive the origin, e.g. its ``delay``)."""

    prefix: str
    policy: ServicePolicy
    query: frozenset[str] = frozenset()


class MediaStream:
    """An open picture: the origin's response and what must happen when the relay ends.

    `close` is idempotent and frees the stream slot; `broke_off` reports a body cut after the
    headers (a fault of the origin): the call's record, its breaker and the log all see it.
    """

    def __init__(
        self,
        response: httpx.Response,
        *,
        downstream: DownstreamClient,
        record: CallRecord | None,
        release: Callable[[], None],
    ) -> None:
        self.response = response
        self._downstream = downstream
        self._record = record
        self._release: Callable[[], None] | None = release

    async def close(self) -> None:
        release, self._release = self._release, None
        try:
            await self.response.aclose()
        finally:
            if release is not None:
                release()

    def broke_off(self, reason: str) -> None:
        downstream = self._downstream
        error = Unavailable(downstream.service, f"picture body broke off ({reason})")
        downstream.breaker.record(error)
        if self._record is not None:
            self._record.outcome = error.code
        path = self._record.path if self._record else "?"
        downstream.log_failure("GET", path, error, current_scope().request_id)


class MediaClient:
    """Opens pictures on the allow-listed origins, each through its own pipeline, with at most
    ``max_streams`` open at once."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        origins: Mapping[str, MediaOrigin],
        *,
        max_streams: int,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._origins = {
            prefix: (
                origin,
                DownstreamClient(
                    http, service=f"media.{prefix}", policy=origin.policy, clock=clock
                ),
            )
            for prefix, origin in origins.items()
        }
        self.max_streams = max_streams
        self.open_streams = 0
        self.refused = 0
        """Streams refused because every slot was taken (for metrics)."""

    @property
    def pipelines(self) -> Mapping[str, DownstreamClient]:
        """Each origin's pipeline by service name (for metrics, /status and tests)."""
        return {client.service: client for _, client in self._origins.values()}

    def resolve(self, raw_path: str) -> tuple[MediaOrigin, DownstreamClient, str]:
        """The origin, its pipeline and the normalised path beneath its base for ``raw_path``;
        ``UnsafeMediaPath`` or ``MediaNotFound`` before anything is fetched."""
        segments = media_segments(raw_path)
        entry = self._origins.get(segments[0]) if len(segments) > 1 else None
        if entry is None:
            raise MediaNotFound("no media origin serves this path")
        origin, client = entry
        return origin, client, encode_segments(segments[1:])

    async def open(self, raw_path: str, *, query: Mapping[str, str] | None = None) -> MediaStream:
        """The open picture at ``raw_path``; any failure is a typed error (see the module)."""
        origin, client, path = self.resolve(raw_path)
        params = {name: value for name, value in (query or {}).items() if name in origin.query}
        if self.open_streams >= self.max_streams:
            self.refused += 1
            raise StreamsExhausted(client.service)
        self.open_streams += 1
        try:
            response, record = await client.stream(
                path, expect=MEDIA_TYPE, params=params or None, operation=f"{client.service}.get"
            )
        except BaseException:
            self._free_slot()
            raise
        # The stream frees its slot once, when it closes.
        return MediaStream(response, downstream=client, record=record, release=self._free_slot)

    def _free_slot(self) -> None:
        self.open_streams -= 1


def is_caller_error(exc: DownstreamError) -> bool:
    """Whether a media origin's answer blames the request (its 4xx other than 408/429), which
    on a frontend-given path is the frontend's error, not an outage."""
    return exc.status is not None and 400 <= exc.status < 500 and exc.status not in (408, 429)
