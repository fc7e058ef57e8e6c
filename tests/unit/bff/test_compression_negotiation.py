"""The negotiation and per-coding entity tags of ``bff/compression.py``, as pure functions, and
against the library's own choice (``tests/integration/test_compression.py`` does it on a socket).
"""

from __future__ import annotations

import pytest
from starlette_compress._utils import parse_accept_encoding

from bff.compression import ENCODINGS, encoded_etag, negotiated_encoding


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        (None, None),
        ("", None),
        ("identity", None),
        ("deflate", None),
        ("gzip", "gzip"),
        ("gzip, deflate, br", "br"),
        ("gzip, deflate, br, zstd", "zstd"),
        ("br;q=0.1, gzip;q=1.0", "br"),
        ("zstd;q=0, br", "br"),
        ("ZSTD", "zstd"),
        ("*", "zstd"),
        ("*;q=0.5, zstd;q=0", "br"),
        ("*;q=0", None),
        ("gzip;q=0", None),
        ("gzip;q=nonsense", None),
        (" br ; q=0.5 ", "br"),
    ],
)
def test_the_coding_a_request_gets(accept: str | None, coding: str | None) -> None:
    assert negotiated_encoding(accept) == coding


@pytest.mark.parametrize(
    "accept",
    ["gzip", "gzip, br", "br;q=0.1, gzip", "*", "*;q=0.5, zstd;q=0", "zstd;q=0, br", "deflate"],
)
def test_the_choice_is_the_librarys(accept: str) -> None:
    """starlette-compress picks the first of zstd, br, gzip among what it parsed as accepted."""
    accepted = parse_accept_encoding(accept)
    expected = next((coding for coding in ENCODINGS if coding in accepted), None)
    assert negotiated_encoding(accept) == expected


def test_each_coding_has_its_own_tag() -> None:
    assert encoded_etag('"abc"', "br") == '"abc-br"'
    assert encoded_etag('W/"abc"', "gzip") == 'W/"abc-gzip"'
    assert encoded_etag("unquoted", "zstd") == "unquoted", "not an entity tag: left alone"
