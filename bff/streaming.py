"""Passing a picture through to the frontend without holding it in memory.

``UpstreamResponse`` owns the open stream and closes it in ``finally``, shielded from
cancellation, on every path: the body ran out, the frontend went away before or during the
body, the frontend stopped reading, the origin broke off mid-stream, or the request was
cancelled. The common recipe, ``StreamingResponse(r.aiter_raw(), background=BackgroundTask(
r.aclose))``, leaks on two of those: a background task does not run when the body raises, and
nothing runs at all if the response is never sent.

Three guards keep one stream from costing more than its own socket:

* **A frontend that leaves stops the read.** The relay watches ``receive`` for the disconnect
  itself instead of trusting ``send`` to fail (ASGI servers may drop sends to a closed socket
  silently, so a relay that only sends reads the origin to the end at full speed), and stops
  before the next chunk.
* **A frontend that stops reading is let go.** ``send`` waits while the socket's write buffer is
  full (that is the backpressure that keeps memory flat); a wait longer than ``idle_timeout``
  ends the stream, so a slow reader cannot hold a stream slot and an origin connection for ever.
* **A body cut mid-way is a failure**, reported on the call (metrics, breaker, log): the status
  line is out, so the only honest end is to close the connection and let the frontend see a
  truncated body.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import anyio
import anyio.lowlevel
import httpx
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from clients.media import MediaStream

logger = logging.getLogger("bff.streaming")

# Allow-list rather than a hop-by-hop deny-list: cookies, server banners and the upstream's own
# connection management never reach the frontend.
PASSED_HEADERS = (
    "content-type",
    "content-length",
    # The bytes are relayed raw: an encoding the origin chose anyway must travel with them.
    "content-encoding",
    "etag",
    "last-modified",
    "cache-control",
    "expires",
)


def passthrough_headers(upstream: httpx.Response) -> dict[str, str]:
    return {name: upstream.headers[name] for name in PASSED_HEADERS if name in upstream.headers}


class UpstreamResponse(Response):
    """Relays an open picture byte for byte, then closes it (see the module)."""

    def __init__(
        self,
        stream: MediaStream,
        *,
        idle_timeout: float,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.stream = stream
        self.idle_timeout = idle_timeout
        upstream = stream.response
        self.status_code = upstream.status_code
        self.background = None
        self.body = b""
        self.init_headers({"x-content-type-options": "nosniff", **passthrough_headers(upstream)})
        self.headers.update(headers or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        failure: Exception | None = None
        try:
            async with anyio.create_task_group() as group:

                async def watch() -> None:
                    while (await receive())["type"] != "http.disconnect":
                        pass
                    group.cancel_scope.cancel()

                group.start_soon(watch)
                try:
                    await self._relay(scope, send)
                except Exception as exc:  # raised as itself below, not in an ExceptionGroup
                    failure = exc
                group.cancel_scope.cancel()
            if failure is not None:
                raise failure
        finally:
            with anyio.CancelScope(shield=True):
                await self.stream.close()

    async def _relay(self, scope: Scope, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        if scope.get("method") == "HEAD":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        chunks = self.stream.response.aiter_raw()
        while True:
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                break
            except httpx.HTTPError as exc:
                self.stream.broke_off(type(exc).__name__)
                logger.warning(
                    "picture broke off mid-stream (%s) on %s; response ended early",
                    type(exc).__name__,
                    scope.get("path"),
                )
                return
            with anyio.move_on_after(self.idle_timeout) as idle:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            # Neither step above need suspend: a server drops sends to a closed socket without
            # waiting, and the origin's next chunk is often buffered already. Without a
            # checkpoint the loop would never let the disconnect (or any cancellation) in, and
            # would read the origin to the end at full speed.
            await anyio.lowlevel.checkpoint()
            if idle.cancelled_caught:
                logger.info(
                    "frontend read nothing for %.3gs on %s; stream ended",
                    self.idle_timeout,
                    scope.get("path"),
                )
                return
        await send({"type": "http.response.body", "body": b"", "more_body": False})
