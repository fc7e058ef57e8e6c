"""Compression negotiated by ``Accept-Encoding``, on a real socket: what is compressed (screens,
the NDJSON export, flushed per page), what never is (pictures), and 304s per coding.

Bodies are read raw (``iter_raw``: httpx does not decode them) and decoded here with the codecs
themselves, so the test sees exactly the bytes a browser would.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator

import brotli
import httpx
import pytest
import zstandard
from support import Simulator, settings_for, simulator_media_origins

from bff.app import create_app
from bff.compression import negotiated_encoding
from simulator import BackgroundServer

CODINGS = ("br", "gzip", "zstd")
PAGE = 20


def decode(coding: str, body: bytes) -> bytes:
    if coding == "br":
        return bytes(brotli.decompress(body))
    if coding == "gzip":
        return gzip.decompress(body)
    if coding == "zstd":
        return zstandard.ZstdDecompressor().decompressobj().decompress(body)
    raise AssertionError(coding)


def raw_get(client: httpx.Client, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    with client.stream("GET", path, headers=headers) as response:
        body = b"".join(response.iter_raw())
    return response, body


@pytest.fixture(scope="module")
def compressing_bff(simulator_server: BackgroundServer) -> Iterator[httpx.Client]:
    settings = settings_for(
        simulator_server.url,
        cache_enabled=True,
        export_page_size=PAGE,
        media_origins=simulator_media_origins(simulator_server.url, icon=["bytes"]),
    )
    with (
        BackgroundServer(create_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def export_bff(simulator_server: BackgroundServer) -> Iterator[httpx.Client]:
    """Without the cache, so that every page of the export is a downstream call."""
    settings = settings_for(simulator_server.url, export_page_size=PAGE)
    with (
        BackgroundServer(create_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        yield client


@pytest.mark.parametrize("path", ["/v1/home", "/v1/search?q=a"])
@pytest.mark.parametrize("coding", CODINGS)
def test_screens_are_compressed_as_negotiated(
    compressing_bff: httpx.Client, sim: Simulator, path: str, coding: str
) -> None:
    plain, identity = raw_get(compressing_bff, path, **{"Accept-Encoding": "identity"})
    response, body = raw_get(
        compressing_bff, path, **{"Accept-Encoding": f"{coding}, identity;q=0.5"}
    )

    assert plain.status_code == response.status_code == 200
    assert "content-encoding" not in plain.headers
    assert response.headers["content-encoding"] == coding
    assert response.headers["content-length"] == str(len(body))
    assert "accept-encoding" in response.headers["vary"].lower()
    assert len(body) < len(identity) / 3, (len(body), len(identity))
    assert json.loads(decode(coding, body)) == json.loads(identity)
    # Another representation, another strong tag; the identity one is untouched.
    assert plain.headers["etag"].startswith('"')
    assert response.headers["etag"] == plain.headers["etag"][:-1] + f'-{coding}"'


def test_the_servers_order_is_zstd_then_br_then_gzip(compressing_bff: httpx.Client) -> None:
    for accept in ("gzip, br, zstd", "br;q=0.1, gzip", "gzip, *", "*;q=0.5, zstd;q=0", "deflate"):
        response, _ = raw_get(compressing_bff, "/v1/home", **{"Accept-Encoding": accept})
        assert response.headers.get("content-encoding") == negotiated_encoding(accept), accept


def test_small_answers_are_not_compressed(compressing_bff: httpx.Client) -> None:
    response, body = raw_get(compressing_bff, "/healthz", **{"Accept-Encoding": "br"})

    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert json.loads(body) == {"status": "alive"}


@pytest.mark.parametrize("coding", CODINGS)
def test_304_works_with_the_tag_of_each_coding(compressing_bff: httpx.Client, coding: str) -> None:
    accept = {"Accept-Encoding": coding}
    first, _ = raw_get(compressing_bff, "/v1/home", **accept)
    tag = first.headers["etag"]
    assert tag.endswith(f'-{coding}"')

    again, body = raw_get(compressing_bff, "/v1/home", **accept, **{"If-None-Match": tag})
    weak, _ = raw_get(compressing_bff, "/v1/home", **accept, **{"If-None-Match": f'"x", W/{tag}'})

    assert again.status_code == 304
    assert body == b""
    assert again.headers["etag"] == tag
    assert "accept-encoding" in again.headers["vary"].lower()
    assert weak.status_code == 304
    # The identity tag still revalidates an identity copy...
    plain, _ = raw_get(compressing_bff, "/v1/home", **{"Accept-Encoding": "identity"})
    identity_304, _ = raw_get(
        compressing_bff,
        "/v1/home",
        **{"Accept-Encoding": "identity", "If-None-Match": plain.headers["etag"]},
    )
    assert identity_304.status_code == 304
    assert identity_304.headers["etag"] == plain.headers["etag"]
    # ...but a copy in another coding is not what this request would get: a full answer.
    other = "gzip" if coding != "gzip" else "br"
    changed, changed_body = raw_get(
        compressing_bff, "/v1/home", **{"Accept-Encoding": other, "If-None-Match": tag}
    )
    assert changed.status_code == 200
    assert changed.headers["etag"].endswith(f'-{other}"')
    assert changed_body


def test_pictures_are_never_compressed(compressing_bff: httpx.Client, sim: Simulator) -> None:
    direct = sim.control.get("/icon/a/2", params={"bytes": 64 * 1024})
    assert direct.headers["content-type"].startswith("image/")

    for path in ("/v1/products/1/image", "/v1/media/icon/a/2?bytes=65536"):
        response, body = raw_get(compressing_bff, path, **{"Accept-Encoding": "zstd, br, gzip"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/")
        assert "content-encoding" not in response.headers, path
        assert response.headers["content-length"] == str(len(body))
    assert body == direct.content


@pytest.mark.parametrize("media_type", ["image/svg+xml", "image/bmp", "image/x-icon"])
def test_no_image_type_is_on_the_compressors_list(media_type: str) -> None:
    """starlette-compress would compress these few image types; the BFF takes them off."""
    from starlette_compress._utils import classify_start_message

    from bff.compression import register_types

    register_types()
    start = {"type": "http.response.start", "status": 200, "headers": []}
    start["headers"] = [(b"content-type", media_type.encode())]
    assert classify_start_message(start) == "skip"


@pytest.mark.parametrize("coding", CODINGS)
def test_the_export_is_compressed_and_flushed_page_by_page(
    export_bff: httpx.Client, sim: Simulator, coding: str
) -> None:
    """The second downstream page is held back; by then the first page must have arrived whole
    and decodable: the encoder was flushed after it, not when its window filled."""
    sim.faults({"path": "/products", "mode": "delay", "delay_ms": 1500, "every": 2, "times": 1})
    decoder = {
        "br": brotli.Decompressor(),
        "gzip": zlib.decompressobj(wbits=31),
        "zstd": zstandard.ZstdDecompressor().decompressobj(),
    }[coding]

    def feed(chunk: bytes) -> bytes:
        if coding == "br":
            return bytes(decoder.process(chunk))
        return bytes(decoder.decompress(chunk))

    lines_before_page_two: int | None = None
    text = b""
    with export_bff.stream(
        "GET", "/v1/export/products.ndjson", headers={"Accept-Encoding": coding}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-encoding"] == coding
        assert "content-length" not in response.headers
        for chunk in response.iter_raw():
            text += feed(chunk)
            if lines_before_page_two is None and text.count(b"\n") >= PAGE:
                lines_before_page_two = text.count(b"\n")
    lines = text.splitlines()

    assert lines_before_page_two == PAGE
    assert sim.route_count("/products") >= 2, "the pages were downstream calls"
    total = sim.control.get("/products", params={"limit": 1}).json()["total"]
    assert len(lines) == total
    assert [json.loads(line)["id"] for line in lines] == sorted(json.loads(x)["id"] for x in lines)


def test_compression_can_be_turned_off(simulator_server: BackgroundServer) -> None:
    settings = settings_for(simulator_server.url, compression_enabled=False)
    with (
        BackgroundServer(create_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        response, _ = raw_get(client, "/v1/home", **{"Accept-Encoding": "br, gzip"})
    assert "content-encoding" not in response.headers
    assert "-br" not in response.headers["etag"]
