"""Deterministic generated PNGs, the simulator's stand-in for DummyJSON's image hosts.

The real service serves product pictures from its CDN (`/product-images/...`), avatars from
`/icon/{seed}/{size}` and placeholders from `/image/{size}`. Here each answer is a valid PNG whose
colour is derived from the path, so tests can check bytes end to end. `?bytes=N` pads the file to
N bytes with a private ancillary chunk (which decoders skip) and streams it in 64 KiB pieces:
that is how streaming tests push hundreds of megabytes through the BFF without the simulator
holding them in memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import struct
import zlib
from collections.abc import AsyncIterator
from functools import lru_cache

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


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@lru_cache(maxsize=256)
def png(width: int, height: int, seed: str) -> tuple[bytes, bytes]:
    """(everything before IEND, the IEND chunk) of a solid-colour RGB image."""
    red, green, blue = hashlib.sha256(seed.encode()).digest()[:3]
    row = b"\x00" + bytes((red, green, blue)) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    head = PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(row * height, 6))
    return head, _chunk(b"IEND", b"")


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


def _stats_of(request: Request) -> RequestStats | None:
    state = getattr(request.app.state, "simulator", None)
    return state.stats if state is not None else None


_TYPES = {".webp": "image/webp", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}


def _media_type(path: str) -> str:
    """The type the path's extension names, as the real hosts answer (the bytes are always a
    PNG: decoders sniff, and tests compare bytes, not formats)."""
    dot = path.rfind(".")
    return _TYPES.get(path[dot:].lower(), "image/png") if dot > path.rfind("/") else "image/png"


def image_response(request: Request, width: int, height: int) -> Response:
    head, tail = png(width, height, request.url.path)
    media_type = _media_type(request.url.path)
    natural = len(head) + len(tail)
    raw_bytes = request.query_params.get("bytes")
    if raw_bytes is None:
        return Response(head + tail, media_type=media_type)
    try:
        wanted = int(raw_bytes)
    except ValueError:
        raise ApiError(400, "'bytes' must be an integer") from None
    if not natural + _CHUNK_OVERHEAD <= wanted <= MAX_BYTES:
        raise ApiError(400, f"'bytes' must be between {natural + _CHUNK_OVERHEAD} and {MAX_BYTES}")
    padding = wanted - natural - _CHUNK_OVERHEAD
    return StreamingResponse(
        _padded(head, tail, padding, _stats_of(request)),
        media_type=media_type,
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


def media_routes() -> list[BaseRoute]:
    return [
        Route("/image/{size}", placeholder),
        Route("/icon/{seed}/{size}", icon),
        Route("/product-images/{path:path}", product_image),
    ]
