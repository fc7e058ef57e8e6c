"""Deterministic generated pictures, the simulator's stand-in for DummyJSON's image hosts.

The real service serves product pictures from its CDN (`/product-images/...`, `.webp` files),
avatars from `/icon/{seed}/{size}` and placeholders from `/image/{size}`. Here each answer is a
valid image of the format its path names (`.webp`: lossless WebP; `.png` or no extension: PNG)
with the matching `Content-Type`, in a colour derived from the path, so tests can check bytes end
to end. `?bytes=N` pads a PNG to N bytes with a private ancillary chunk (which decoders skip) and
streams it in 64 KiB pieces: that is how streaming tests push hundreds of megabytes through the
BFF without the simulator holding them in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import struct
import zlib
from collections.abc import AsyncIterator
from functools import lru_cache
from pathlib import PurePosixPath

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from simulator.responses import ApiError
from simulator.stats import RequestStats

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SIDE = 2000
MAX_BYTES = 1 << 30
_PIECE = 64 * 1024
_PAD_BLOCK = bytes(range(256)) * (_PIECE // 256)
_CHUNK_OVERHEAD = 12  # length + type + CRC


def _colour(seed: str) -> tuple[int, int, int]:
    red, green, blue = hashlib.sha256(seed.encode()).digest()[:3]
    return red, green, blue


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@lru_cache(maxsize=256)
def png(width: int, height: int, seed: str) -> tuple[bytes, bytes]:
    """(everything before IEND, the IEND chunk) of a solid-colour RGB image."""
    row = b"\x00" + bytes(_colour(seed)) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    head = PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(row * height, 6))
    return head, _chunk(b"IEND", b"")


class _Bits:
    """WebP's lossless bitstream is written least significant bit first."""

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def put(self, value: int, width: int) -> None:
        self.value |= value << self.length
        self.length += width

    def to_bytes(self) -> bytes:
        return self.value.to_bytes((self.length + 7) // 8, "little")


@lru_cache(maxsize=256)
def webp(width: int, height: int, seed: str) -> bytes:
    """A solid-colour lossless WebP (VP8L): no transform, no colour cache, and each of the five
    prefix codes a single symbol, so every pixel takes zero bits."""
    bits = _Bits()
    bits.put(0x2F, 8)  # VP8L signature
    bits.put(width - 1, 14)
    bits.put(height - 1, 14)
    bits.put(0, 1)  # alpha_is_used: a hint only
    bits.put(0, 3)  # version
    bits.put(0, 1)  # no transform
    bits.put(0, 1)  # no colour cache
    bits.put(0, 1)  # no meta prefix codes
    red, green, blue = _colour(seed)
    for symbol in (green, red, blue, 255):  # green, red, blue, alpha: one 8-bit symbol each
        bits.put(1, 1)  # simple code
        bits.put(0, 1)  # one symbol
        bits.put(1, 1)  # of 8 bits
        bits.put(symbol, 8)
    bits.put(0b0001, 4)  # distance: simple code, one 1-bit symbol, 0 (never read)
    data = bits.to_bytes()
    if len(data) % 2:
        data += b"\x00"  # RIFF chunks have an even size
    chunk = b"VP8L" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


async def _padded(
    head: bytes, tail: bytes, padding: int, stats: RequestStats | None
) -> AsyncIterator[bytes]:
    yield head
    kind = b"prVt"
    yield struct.pack(">I", padding) + kind
    crc = zlib.crc32(kind)
    remaining = padding
    while remaining:
        piece = _PAD_BLOCK if remaining >= _PIECE else _PAD_BLOCK[:remaining]
        crc = zlib.crc32(piece, crc)
        remaining -= len(piece)
        if stats is not None:
            stats.picture_bytes += len(piece)
        yield piece
        # A server may drop writes to a closed socket without waiting; without a checkpoint
        # here the disconnect would never be noticed and the whole padding would be produced.
        await asyncio.sleep(0)
    yield struct.pack(">I", crc) + tail


def _size(raw: str) -> tuple[int, int]:
    width, _, height = raw.lower().partition("x")
    try:
        size = (int(width), int(height or width))
    except ValueError:
        raise ApiError(400, f"Invalid image size '{raw}'") from None
    if not all(1 <= side <= MAX_SIDE for side in size):
        raise ApiError(400, f"Image sides must be between 1 and {MAX_SIDE}")
    return size


PICTURE_TYPES = {"": "image/png", ".png": "image/png", ".webp": "image/webp"}
"""Content type by the path's extension; a path without one (`/icon/...`, `/image/...`) is PNG."""


def _stats_of(request: Request) -> RequestStats | None:
    state = getattr(request.app.state, "simulator", None)
    return state.stats if state is not None else None


def image_response(request: Request, width: int, height: int) -> Response:
    path = request.url.path
    media_type = PICTURE_TYPES.get(PurePosixPath(path).suffix.lower())
    if media_type is None:
        raise ApiError(404, f"No image at '{path}' (the simulator serves .png and .webp)")
    if media_type == "image/webp":
        if "bytes" in request.query_params:
            raise ApiError(400, "'bytes' pads PNG images only")
        return Response(webp(width, height, path), media_type=media_type)
    head, tail = png(width, height, path)
    natural = len(head) + len(tail)
    raw_bytes = request.query_params.get("bytes")
    if raw_bytes is None:
        return Response(head + tail, media_type="image/png")
    try:
        wanted = int(raw_bytes)
    except ValueError:
        raise ApiError(400, "'bytes' must be an integer") from None
    if not natural + _CHUNK_OVERHEAD <= wanted <= MAX_BYTES:
        raise ApiError(400, f"'bytes' must be between {natural + _CHUNK_OVERHEAD} and {MAX_BYTES}")
    padding = wanted - natural - _CHUNK_OVERHEAD
    return StreamingResponse(
        _padded(head, tail, padding, _stats_of(request)),
        media_type="image/png",
        headers={"content-length": str(wanted)},
    )


async def placeholder(request: Request) -> Response:
    width, height = _size(request.path_params["size"])
    return image_response(request, width, height)


async def icon(request: Request) -> Response:
    side, _ = _size(request.path_params["size"])
    return image_response(request, side, side)


async def product_image(request: Request) -> Response:
    return image_response(request, 300, 300)


PICTURE_PREFIXES = ("product-images", "icon")
"""The picture paths of DummyJSON's two picture hosts, both served here (a BFF's media origins
point at `<simulator>/<prefix>`)."""


def media_routes() -> list[BaseRoute]:
    return [
        Route("/image/{size}", placeholder),
        Route("/icon/{seed}/{size}", icon),
        Route("/product-images/{path:path}", product_image),
    ]
