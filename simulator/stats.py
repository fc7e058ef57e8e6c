"""Request counters, so tests can assert how many calls reached the downstream.

Counting per concrete path answers "was /users/1 fetched once (cache, single-flight)?"; counting per
route template answers "how many product lookups did this screen fan out to?".
"""

from __future__ import annotations

from collections import Counter
from typing import Any


class RequestStats:
    def __init__(self) -> None:
        self.total = 0
        self.paths: Counter[str] = Counter()
        self.routes: Counter[str] = Counter()
        self.picture_bytes = 0
        """Bytes of padded (streamed) pictures handed to the server so far: how much a proxy
        made the origin send, e.g. after its own clients went away."""

    def record(self, path: str, route: str | None) -> None:
        self.total += 1
        self.paths[path] += 1
        if route is not None:
            self.routes[route] += 1

    def reset(self) -> None:
        self.total = 0
        self.paths.clear()
        self.routes.clear()
        self.picture_bytes = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "paths": dict(self.paths),
            "routes": dict(self.routes),
            "pictureBytes": self.picture_bytes,
        }
