"""Streaming media (product pictures, avatars) from the one configured media origin.

Image URLs in downstream data name public hosts. The BFF never follows a host taken from data:
it keeps only the URL's path, checks that the path cannot climb out of the origin (no dot
segments, no encoded slashes or dots, no scheme), and fetches it from ``BFF_MEDIA_URL``. Bodies are
not read here: the caller gets the open streaming response and must close it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx

from clients.deadline import remaining
from clients.errors import Timeout
from clients.policies import ServicePolicy
from clients.translate import error_for_status, error_for_transport

# A path segment: unreserved characters and percent-escapes, except the escapes that would decode
# into a slash, a backslash, a dot or a NUL (each a way to change what the path points at).
_SEGMENT = re.compile(r"(?:[A-Za-z0-9_~@+\-.]|%(?![2][fFeE]|[5][cC]|00)[0-9A-Fa-f]{2})+")
_MAX_PATH = 1024


class UnsafeMediaPath(ValueError):
    """The path could reach outside the media origin; the frontend gets a 400."""


def media_path(raw: str) -> str:
    """``raw`` (still percent-encoded) if it is a plain path inside the origin, else raise."""
    if not raw.startswith("/") or len(raw) > _MAX_PATH:
        raise UnsafeMediaPath("a media path starts with '/' and is at most 1024 characters")
    for segment in raw[1:].split("/"):
        if segment in ("", ".", "..") or not _SEGMENT.fullmatch(segment):
            raise UnsafeMediaPath(f"media path segment {segment!r} is not allowed")
    return raw


def media_path_of(url: str) -> str:
    """The path of an image URL found in downstream data (its host is deliberately dropped)."""
    return media_path(urlsplit(url).path)


class MediaClient:
    """Opens streaming GETs on the media origin through the shared pooled client."""

    service = "media"

    def __init__(self, http: httpx.AsyncClient, policy: ServicePolicy) -> None:
        self._http = http
        self.policy = policy

    def _timeout(self) -> httpx.Timeout:
        """The request's deadline bounds opening the stream; each later read gets the policy's
        timeout, since a large body may legitimately take longer than the screen deadline."""
        budget = remaining()
        if budget is not None and budget <= 0:
            raise Timeout(self.service, "request deadline exceeded before sending", retryable=False)
        first = self.policy.timeout if budget is None else min(self.policy.timeout, budget)
        return httpx.Timeout(self.policy.timeout, connect=first, pool=first)

    async def open(self, path: str, *, params: Mapping[str, str] | None = None) -> httpx.Response:
        """The open 2xx response for ``path``; any failure is a typed ``DownstreamError``.

        ``params`` (image CDNs take sizes and formats there) are re-encoded by httpx, so they
        cannot change the path or the host."""
        timeout = self._timeout()
        request = self._http.build_request(
            "GET",
            self.policy.base_url + media_path(path),
            params=params,
            # Pictures are compressed already; identity keeps Content-Length true end to end.
            headers={"Accept-Encoding": "identity"},
            timeout=timeout,
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise error_for_transport(self.service, exc, self.policy.timeout) from exc
        if response.is_success:
            return response
        # Error pages are small; reading one returns the connection to the pool and lets its
        # JSON message, if any, become the error's detail.
        try:
            await response.aread()
        except httpx.HTTPError as exc:
            raise error_for_transport(self.service, exc, self.policy.timeout) from exc
        finally:
            await response.aclose()
        raise error_for_status(self.service, response)
