"""The private parts of third-party libraries the BFF reads at run time, in one place, each behind
a check of the release range it was written and tested against.

Three things need what no public API gives: the lean send path (`sender.py`) hands a prebuilt
request to the shared client's own transport and builds URLs from httpx's parsed form of the base
URL, and `/metrics` reports the pools' occupancy, which neither httpcore nor aiohttp exposes.
Outside the checked range (or if an attribute has gone) each accessor answers None and its
caller takes the public path: `AsyncClient.send`, or no pool gauges. Nothing fails and nothing
reads a field whose meaning may have changed. The tests pin each accessor's result on the
installed releases, so a dependency bump that moves one is caught before it ships.
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx


def _release(package: str) -> tuple[int, int] | None:
    try:
        found = re.match(r"(\d+)\.(\d+)", version(package))
    except PackageNotFoundError:
        return None
    return (int(found[1]), int(found[2])) if found else None


def within(package: str, low: tuple[int, int], high: tuple[int, int]) -> bool:
    """Whether the installed `package` is at least `low` and below `high` (major, minor)."""
    release = _release(package)
    return release is not None and low <= release < high


HTTPX_CHECKED = within("httpx", (0, 28), (0, 29))
"""httpx 0.28: `AsyncClient._transport_for_url`, `AsyncClient._transport`, `URL._uri_reference`."""
HTTPCORE_CHECKED = within("httpcore", (1, 0), (2, 0))
"""httpcore 1.x: `AsyncConnectionPool._requests` and each request's `is_queued()`."""
AIOHTTP_CHECKED = within("aiohttp", (3, 11), (4, 0))
"""aiohttp 3.11+: `TCPConnector._acquired`, `_waiters`, `_conns`,
`_wait_for_available_connection`."""


def transport_for(http: httpx.AsyncClient, url: httpx.URL) -> httpx.AsyncBaseTransport | None:
    """The transport `http.send` would use for `url` (mounts included), or None."""
    if not HTTPX_CHECKED:
        return None
    method = getattr(http, "_transport_for_url", None)
    return method(url) if callable(method) else None


def default_transport(http: httpx.AsyncClient) -> httpx.AsyncBaseTransport | None:
    """The client's own transport (the one built by the app's lifespan), or None."""
    if not HTTPX_CHECKED:
        return None
    transport = getattr(http, "_transport", None)
    return transport if isinstance(transport, httpx.AsyncBaseTransport) else None


def parsed_url(url: httpx.URL) -> Any | None:
    """httpx's parsed form of `url` (a named tuple of its components), or None."""
    if not HTTPX_CHECKED:
        return None
    return getattr(url, "_uri_reference", None)
