"""Per-service call policy, as plain data in one place.

Settings build one `ServicePolicy` per downstream service; the pipeline only reads them. Later
issues add their knobs here as fields with defaults, so existing construction keeps working:
retries (attempts, backoff, which statuses), caching (TTL per route, stale-if-error) and the
circuit breaker (failure threshold, open duration).
"""

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class ServicePolicy:
    """How to call one downstream service.

    `base_url` is the only origin the service's client ever sends to (paths are appended to it), and
    `timeout` bounds each attempt in seconds; the request's deadline may shorten it further.
    """

    base_url: str
    timeout: float

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an absolute http(s) URL, got {self.base_url!r}")
        if parts.query or parts.fragment:
            raise ValueError("base_url must not carry a query or fragment")
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, got {self.timeout!r}")
        # Paths start with "/", so a trailing slash here would double it.
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
