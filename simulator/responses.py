"""Response building shared by the simulator's routes: compact JSON, ETags, errors, the HTML 404.

The simulator is the downstream in load benchmarks, so bodies are serialized once and cached with
their ETag (the data never changes after startup); a request then costs a dict lookup.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections import OrderedDict
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

JSON_TYPE = "application/json; charset=utf-8"
PROBLEM_TYPE = "application/problem+json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
# Like the real service: bodies of 1 KiB or more are gzipped for clients that accept it, at
# zlib's default level (as Express's compression uses; level 9 costs ~2x the CPU for ~1% less).
GZIP_MINIMUM_SIZE = 1024
GZIP_LEVEL = 6

_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dumps(value: Any) -> bytes:
    return _encoder.encode(value).encode("utf-8")


def weak_etag(body: bytes) -> str:
    """Express's default ETag format: `W/"<length hex>-<27 chars of base64 sha1>"`."""
    digest = base64.b64encode(hashlib.sha1(body).digest()).decode("ascii")[:27]
    return f'W/"{len(body):x}-{digest}"'


class ApiError(Exception):
    """An error answered as the real service does: JSON `{"message": ...}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def json_response(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(value), status_code=status, headers=headers, media_type=JSON_TYPE)


def error_response(status: int, message: str) -> Response:
    return json_response({"message": message}, status)


def not_found_html(method: str, path: str) -> Response:
    """The real service answers unknown paths with Express's HTML page, not JSON."""
    body = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>Error</title>\n</head>\n<body>\n"
        f"<pre>Cannot {escape(method)} {escape(path)}</pre>\n</body>\n</html>\n"
    )
    return Response(body.encode("utf-8"), status_code=404, media_type=HTML_TYPE)


class Entity:
    """A serialized 200 body, its ETag, and (once asked for) its gzip encoding.

    Compressing a 40 KB list costs more than everything else in the request, so the gzipped bytes
    are kept with the entity; GZipMiddleware passes responses that already carry an encoding.
    """

    __slots__ = ("_gzipped", "body", "etag")

    def __init__(self, body: bytes, etag: str) -> None:
        self.body = body
        self.etag = etag
        self._gzipped: bytes | None = None

    @classmethod
    def of(cls, value: Any) -> Entity:
        body = dumps(value)
        return cls(body, weak_etag(body))

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=GZIP_LEVEL, mtime=0)
        return self._gzipped


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in header.split(","))


def entity_response(request: Request, entity: Entity) -> Response:
    """200 with the ETag, or 304 with no body when `If-None-Match` names it."""
    headers = {"etag": entity.etag}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and _etag_matches(if_none_match, entity.etag):
        return Response(status_code=304, headers=headers)
    if len(entity.body) >= GZIP_MINIMUM_SIZE:
        headers["vary"] = "Accept-Encoding"
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["content-encoding"] = "gzip"
            return Response(entity.gzipped(), headers=headers, media_type=JSON_TYPE)
    return Response(entity.body, headers=headers, media_type=JSON_TYPE)


class EntityCache:
    """Bounded LRU of serialized bodies keyed by (path, query string), per app instance."""

    def __init__(self, max_entries: int = 4096, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._entries: OrderedDict[tuple[str, bytes], Entity] = OrderedDict()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0

    def get(self, key: tuple[str, bytes]) -> Entity | None:
        entity = self._entries.get(key)
        if entity is not None:
            self._entries.move_to_end(key)
        return entity

    def put(self, key: tuple[str, bytes], entity: Entity) -> None:
        if len(entity.body) > self._max_bytes or key in self._entries:
            return
        self._entries[key] = entity
        self._bytes += len(entity.body)
        while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= len(evicted.body)
