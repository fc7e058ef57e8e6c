"""Response compression negotiated by ``Accept-Encoding``, with entity tags kept right.

The compressing itself is starlette-compress's ``CompressMiddleware`` (zstd, then br, then gzip,
whichever the client accepts; JSON bodies below ``BFF_COMPRESSION_MIN_SIZE`` are left alone).
What this module adds:

* **What is compressed.** JSON, problem+json, text, and the NDJSON export, which is registered
  as a *streaming* type: its headers go out at once and the encoder is flushed after every body
  message, i.e. after every page of the catalogue, so a reader decodes each page as soon as it
  is sent instead of when the encoder's window fills. Pictures never are: they are compressed
  already (JPEG, PNG, WebP), and the few image types a compressor might shrink (SVG, BMP, icons)
  are taken off the library's list, so every ``image/*`` answer passes byte for byte.
* **Entity tags per encoding.** A screen's ``ETag`` is a strong validator computed over the
  identity body (``bff/http_caching.py``). A compressed body is another representation, whose
  strong tag must differ, so `EncodedETags` appends the coding: ``"abc"`` becomes ``"abc-br"``.
  On the way in, an ``If-None-Match`` candidate carrying the suffix of the coding this request
  will get is turned back into the identity tag, so the route's ``304`` logic works unchanged;
  the ``304`` then names the tag the client holds. A candidate with another coding's suffix
  matches nothing (the client holds a representation it would not get now), so it gets a full
  answer. Apache's mod_deflate appended such suffixes without stripping them and broke 304s.

Levels (zstd 3, brotli 3, gzip 6) were chosen with ``bench/compression.py``: see the README.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette_compress import CompressMiddleware, add_compress_type, remove_compress_type

ENCODINGS = ("zstd", "br", "gzip")
"""The codings offered, in the server's order of preference (starlette-compress's order)."""

ZSTD_LEVEL = 3
BROTLI_QUALITY = 3
GZIP_LEVEL = 6

NDJSON = "application/x-ndjson"
COMPRESSED_TYPES = ("application/problem+json",)
STREAMED_TYPES = (NDJSON,)
# The image types starlette-compress would compress; every other image/* it leaves alone.
NEVER_COMPRESSED = ("image/svg+xml", "image/bmp", "image/x-icon", "image/vnd.microsoft.icon")


def negotiated_encoding(accept_encoding: str | None) -> str | None:
    """The coding a request with this ``Accept-Encoding`` gets (if its body is compressed at all):
    the first of `ENCODINGS` the client accepts with a non-zero quality; ``*`` accepts any not
    named with ``q=0``. Mirrors starlette-compress's choice (a test holds them together)."""
    if not accept_encoding:
        return None
    accepted: set[str] = set()
    refused: set[str] = set()
    wildcard = False
    for item in accept_encoding.split(","):
        coding, _, params = item.partition(";")
        coding = coding.strip().lower()
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            refused.add(coding)
        elif coding == "*":
            wildcard = True
        else:
            accepted.add(coding)
    for coding in ENCODINGS:
        if coding in accepted - refused or (wildcard and coding not in refused):
            return coding
    return None


def encoded_etag(etag: str, coding: str) -> str:
    """``"abc"`` -> ``"abc-br"``; ``W/"abc"`` -> ``W/"abc-br"``."""
    if not etag.endswith('"'):
        return etag
    return f'{etag[:-1]}-{coding}"'


class EncodedETags:
    """Gives each coding of a response its own entity tag (see the module docstring). Sits
    outside ``CompressMiddleware``, so it sees the ``Content-Encoding`` that was chosen."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        coding = negotiated_encoding(headers.get("accept-encoding"))
        if_none_match = headers.get("if-none-match")
        restored: set[str] = set()
        if coding is not None and if_none_match is not None:
            suffix = f'-{coding}"'
            candidates = []
            for candidate in if_none_match.split(","):
                candidate = candidate.strip()
                if candidate.endswith(suffix):
                    candidate = candidate[: -len(suffix)] + '"'
                    restored.add(candidate.removeprefix("W/"))
                candidates.append(candidate)
            if restored:
                request_headers = MutableHeaders(scope=scope)
                request_headers["If-None-Match"] = ", ".join(candidates)

        async def send_tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                etag = response_headers.get("etag")
                if etag is not None:
                    used = response_headers.get("content-encoding")
                    if used in ENCODINGS:
                        response_headers["ETag"] = encoded_etag(etag, used)
                    elif message["status"] == 304 and etag.removeprefix("W/") in restored:
                        assert coding is not None
                        response_headers["ETag"] = encoded_etag(etag, coding)
                        response_headers.add_vary_header("Accept-Encoding")
            await send(message)

        await self.app(scope, receive, send_tagged)


def register_types() -> None:
    """starlette-compress keeps its content types in one process-wide registry; these calls are
    idempotent, so every app built in a process may make them."""
    for media_type in COMPRESSED_TYPES:
        add_compress_type(media_type)
    for media_type in STREAMED_TYPES:
        add_compress_type(media_type, streaming=True)
    for media_type in NEVER_COMPRESSED:
        remove_compress_type(media_type)


def install_compression(
    app: FastAPI,
    *,
    minimum_size: int,
    zstd_level: int = ZSTD_LEVEL,
    brotli_quality: int = BROTLI_QUALITY,
    gzip_level: int = GZIP_LEVEL,
) -> None:
    """Compression inside, per-coding entity tags around it (middleware added later is outer).
    The levels are parameters for ``bench/compression.py``; the app uses the defaults."""
    register_types()
    app.add_middleware(
        CompressMiddleware,
        minimum_size=minimum_size,
        zstd_level=zstd_level,
        brotli_quality=brotli_quality,
        gzip_level=gzip_level,
    )
    app.add_middleware(EncodedETags)
