"""Passing a downstream body through to the frontend without holding it in memory.

``UpstreamResponse`` owns the open httpx response and closes it in ``finally``, shielded from
cancellation, on every path: the body ran out, the frontend went away before or during the
body, the downstream broke off mid-stream, or the request was cancelled. The common recipe,
``StreamingResponse(r.aiter_raw(), background=BackgroundTask(r.aclose))``, leaks on two of those:
a background task does not run when the body raises, and nothing runs at all if the response is
never sent. (Writing ``BackgroundTask(r.aclose())``, with the call, is a bug on every path.)

Backpressure is uvicorn's: ``send`` waits while the socket's write buffer is full, and the next
chunk is read from the downstream only after that, so memory stays flat whatever the size.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping

import anyio
import httpx
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

logger = logging.getLogger("bff.streaming")

# Allow-list rather than a hop-by-hop deny-list: cookies, server banners and the upstream's own
# connection management never reach the frontend.
PASSED_HEADERS = (
    "content-type",
    "content-length",
    "etag",
    "last-modified",
    "cache-control",
    "expires",
    "content-disposition",
)


class UpstreamBrokeOff(Exception):
    """The downstream failed after the response had started; nothing more can be said."""


def passthrough_headers(upstream: httpx.Response) -> dict[str, str]:
    return {name: upstream.headers[name] for name in PASSED_HEADERS if name in upstream.headers}


class UpstreamResponse(StreamingResponse):
    """Relays an open httpx streaming response byte for byte, then closes it."""

    def __init__(self, upstream: httpx.Response, *, headers: Mapping[str, str] | None = None):
        self.upstream = upstream
        super().__init__(
            self._relay(),
            status_code=upstream.status_code,
            headers={**passthrough_headers(upstream), **(headers or {})},
        )

    async def _relay(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.upstream.aiter_raw():
                yield chunk
        except httpx.HTTPError as exc:
            raise UpstreamBrokeOff(type(exc).__name__) from exc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except UpstreamBrokeOff as exc:
            # The status line and Content-Length are out: the only honest end is to stop here,
            # so the server closes the connection and the frontend sees a truncated body.
            logger.warning(
                "downstream broke off mid-stream (%s) on %s; response ended early",
                exc,
                scope.get("path"),
            )
        finally:
            with anyio.CancelScope(shield=True):
                await self.upstream.aclose()
