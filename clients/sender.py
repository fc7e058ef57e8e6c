"""How one attempt goes on the wire: straight to the shared client's transport when nothing on
the client needs its per-call machinery.

``AsyncClient.build_request`` + ``send`` re-parse the URL and its query with httpx's pure-Python
parser, merge client headers, cookies and params, and run the auth, redirect and cookie-extraction
steps on every call, though the shared client has no auth, never follows redirects and must never
keep a cookie (it serves every user). Measured per call against a trivial server, that layer cost
as much CPU as the transport beneath it. A BFF's downstream GETs need none of it: the base URL
is parsed once per service, the path is one the pipeline has already checked, and the query is
encoded exactly as httpx would encode it.

So a plain GET (no body, not streamed) on a client without auth, event hooks, redirects, cookies,
base URL or default params is handed as a prebuilt ``httpx.Request`` to the client's own transport
(``handle_async_request``), and its body read as ``send`` would. The transport stays the one seam:
``httpx.MockTransport``, respx and the tracing instrumentation (which wraps the transport's
method) see every call. Anything else, or a client configured otherwise, goes through
``build_request`` + ``send`` unchanged.

The URL is built from httpx's own parsed form of the base URL (its ``ParseResult``, a named tuple)
with the path and query replaced: no parsing per call. That reads private attributes of httpx
through ``internals.py`` (on a release it was not checked against, every call takes ``send``);
the unit tests check the result against ``httpx.URL(url, params=...)`` for every
shape of path and query, and a path with characters httpx would percent-encode takes the public
parser instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

import httpx

from clients.internals import parsed_url, transport_for, url_from_parsed

Params = Mapping[str, str | int]

# Characters httpx leaves as they are in a path: printable ASCII but for the path percent-encode
# set (space " # < > ? ` { }) and "%" (kept out so escapes need no special case).
_PLAIN_PATH = re.compile(
    "[" + re.escape("".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"#<>?`{}%')) + "]*"
)
# What `urlencode` leaves as it is (`quote_plus`'s always-safe characters).
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9_.\-~]*")
_EMPTY = httpx.ByteStream(b"")


def _query_value(value: str | int) -> str:
    """httpx's rendering of a query value (``primitive_value_to_str``): JSON-style booleans."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def encode_query(params: Params) -> str:
    """The query string httpx builds from ``params`` (``str(httpx.QueryParams(params))``):
    names and values that need no escaping (``limit=10``) are joined as they are, the rest
    go through ``urlencode`` as httpx sends them."""
    parts = []
    for name, value in params.items():
        text = _query_value(value)
        if not (_PLAIN_QUERY.fullmatch(name) and _PLAIN_QUERY.fullmatch(text)):
            return urlencode([(name, _query_value(value)) for name, value in params.items()])
        parts.append(f"{name}={text}")
    return "&".join(parts)


def _lean_capable(http: httpx.AsyncClient) -> bool:
    """Whether a call may skip ``send``: nothing configured on the client acts per call."""
    return (
        http.auth is None
        and not any(http.event_hooks.values())
        and not http.follow_redirects
        and not http.cookies
        and not str(http.base_url)
        and not http.params
    )


class Sender:
    """Sends one service's attempts through the shared client (see the module docstring)."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._http = http
        self._base_url = base_url
        base = httpx.URL(base_url)
        reference = parsed_url(base)
        self._base = reference if reference is not None and not base.query else None
        lean = _lean_capable(http) and self._base is not None
        # The headers `build_request` would start from: Host (what `Request` adds), then the
        # client's own (User-Agent, Accept, Accept-Encoding...).
        self._host = ("Host", base.netloc.decode("ascii"))
        self._client_headers = http.headers.multi_items()
        self._transport = transport_for(http, base) if lean else None
        self.lean = self._transport is not None

    def url(self, path: str, params: Params | None) -> httpx.URL:
        """``httpx.URL(base_url + path, params=params)``, without parsing when the path is plain."""
        if self._base is None or not _PLAIN_PATH.fullmatch(path):
            return httpx.URL(self._base_url + path, params=params)
        base = self._base
        # Positional, as the named tuple's own constructor takes them (`_replace` costs 3x more).
        return url_from_parsed(
            type(base)(
                base.scheme,
                base.userinfo,
                base.host,
                base.port,
                base.path + path,
                encode_query(params) if params else None,
                None,
            )
        )

    def headers(self, extra: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """The client's headers, those named in ``extra`` replaced, then ``extra``."""
        if not extra:
            return [self._host, *self._client_headers]
        named = {name.lower() for name, _ in extra}
        kept = [(name, value) for name, value in self._client_headers if name.lower() not in named]
        return [self._host, *kept, *extra]

    async def get(
        self,
        path: str,
        params: Params | None,
        headers: Sequence[tuple[str, str]],
        timeouts: Mapping[str, float | None],
    ) -> httpx.Response:
        """A GET read to the end, as ``AsyncClient.send`` would return it (lean clients only)."""
        transport = self._transport
        if transport is None:
            raise RuntimeError("this client's calls must go through AsyncClient.send")
        if self._http.is_closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        request = httpx.Request(
            "GET",
            self.url(path, params),
            headers=self.headers(headers),
            stream=_EMPTY,
            extensions={"timeout": timeouts},
        )
        request.read()
        # Every value was encoded as ASCII (httpx's rule for str headers): said once, so nothing
        # beneath has to find it out by decoding them all again.
        request.headers.encoding = "ascii"
        response = await transport.handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        except BaseException:
            await response.aclose()
            raise
        return response
