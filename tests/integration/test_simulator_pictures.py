"""The simulator's pictures are what their paths say: a `.webp` is a WebP, a `.png` (or a path
without an extension, like avatars and placeholders) a PNG, each with the matching Content-Type,
so a BFF passing them through is tested against honest headers."""

from __future__ import annotations

import struct

import httpx
import pytest
from support import Simulator

pytestmark = pytest.mark.integration


def _webp_size(body: bytes) -> tuple[int, int]:
    """Width and height from a lossless WebP's RIFF and VP8L headers."""
    assert body[:4] == b"RIFF", body[:16]
    assert body[8:16] == b"WEBPVP8L", body[:16]
    assert struct.unpack("<I", body[4:8])[0] == len(body) - 8, "RIFF size"
    assert struct.unpack("<I", body[16:20])[0] == len(body) - 20, "VP8L chunk size"
    assert body[20] == 0x2F, "VP8L signature"
    bits = int.from_bytes(body[21:25], "little")
    return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1


def _png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n", body[:16]
    assert body[12:16] == b"IHDR", body[:16]
    width, height = struct.unpack(">II", body[16:24])
    return width, height


def test_a_product_thumbnail_named_webp_is_served_as_webp(sim: Simulator) -> None:
    thumbnail = httpx.URL(sim.control.get("/products/1").json()["thumbnail"]).path
    assert thumbnail.endswith(".webp"), thumbnail

    response = sim.control.get(thumbnail)

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert _webp_size(response.content) == (300, 300)
    assert response.headers["content-length"] == str(len(response.content))


@pytest.mark.parametrize(
    ("path", "size"),
    [
        ("/product-images/beauty/x/1.png", (300, 300)),
        ("/icon/emilys/64", (64, 64)),
        ("/image/40x20", (40, 20)),
    ],
)
def test_png_paths_and_paths_without_an_extension_are_png(
    sim: Simulator, path: str, size: tuple[int, int]
) -> None:
    response = sim.control.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert _png_size(response.content) == size


def test_an_extension_the_simulator_cannot_draw_is_404(sim: Simulator) -> None:
    response = sim.control.get("/product-images/beauty/x/1.jpg")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")


def test_padding_is_for_png_only(sim: Simulator) -> None:
    response = sim.control.get("/product-images/beauty/x/1.webp", params={"bytes": 5000})

    assert response.status_code == 400
