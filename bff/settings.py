"""Every ``BFF_*`` setting in one place, with defaults that run the demo against the simulator.

The defaults are chosen, not inherited: the pool is sized for one uvicorn worker fanning out to
a handful of downstream services, and the keep-alive expiry sits below the 5 s after which
DummyJSON-style servers close idle connections, so the pool never reuses a socket the server
is about to drop (the classic "RemoteProtocolError: Server disconnected" on the first request
after a pause).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from dotenv import dotenv_values
from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from clients import SERVICES, ServicePolicy
from clients.cache import CachePolicy
from clients.cache_policies import cache_policies
from clients.media import MediaOrigin
from clients.policies import (
    BreakerPolicy,
    BudgetPolicy,
    CooldownPolicy,
    HedgePolicy,
    RetryPolicy,
)


class CachePolicyOverride(BaseModel):
    """One entry of ``BFF_CACHE_POLICIES``: the fields to change; the others keep the default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ttl: float | None = Field(None, gt=0)
    max_entries: int | None = Field(None, ge=1)
    stale_while_revalidate: float | None = Field(None, ge=0)
    stale_if_error: float | None = Field(None, ge=0)


class MediaOriginSetting(BaseModel):
    """One entry of ``BFF_MEDIA_ORIGINS`` in its long form."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: AnyHttpUrl
    query: tuple[str, ...] = ()


DEFAULT_MEDIA_ORIGINS: dict[str, AnyHttpUrl | MediaOriginSetting] = {
    "product-images": AnyHttpUrl("https://cdn.dummyjson.com/product-images"),
    "icon": AnyHttpUrl("https://dummyjson.com/icon"),
}
"""DummyJSON's picture hosts: product pictures on its CDN, avatars under ``/icon`` (a path of the
API's host that serves generated pictures and nothing else)."""


def _origin_parts(value: AnyHttpUrl | MediaOriginSetting) -> tuple[AnyHttpUrl, tuple[str, ...]]:
    if isinstance(value, MediaOriginSetting):
        return value.url, value.query
    return value, ()


_SERVICE_NAMES = ", ".join(f"`{name}`" for name in SERVICES)

_MEDIA_PREFIX = re.compile(r"[A-Za-z0-9._~-]{1,64}")


class _PerServiceURLs(PydanticBaseSettingsSource):
    """``BFF_<SERVICE>_URL`` (``BFF_AUTH_URL``...): one variable per API, the form deployments
    used before ``BFF_SERVICE_URLS``, read for every listed client (so a new downstream gets one
    too). Merged beneath the map: a name in both takes the map's URL."""

    def __init__(self, settings_cls: type[BaseSettings], dotenv: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        # The .env file(s) actually read (a caller may pass `_env_file`), not the default's.
        env_files = getattr(dotenv, "env_file", None)
        if isinstance(env_files, str | os.PathLike):
            env_files = [env_files]
        self._env_files: list[str | os.PathLike[str]] = list(env_files or [])

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, str] = {}
        sources: list[Mapping[str, str | None]] = [
            dotenv_values(path) for path in self._env_files if os.path.isfile(path)
        ]
        for values in [*sources, os.environ]:
            for name in SERVICES:
                value = values.get(f"BFF_{name.upper()}_URL")
                if value:
                    found[name] = value
        return {"service_urls": found} if found else {}


class Settings(BaseSettings):
    """Configuration read from the environment (prefix ``BFF_``) or a ``.env`` file."""

    model_config = SettingsConfigDict(
        env_prefix="BFF_", env_file=".env", extra="ignore", frozen=True
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            dotenv_settings,
            _PerServiceURLs(settings_cls, dotenv_settings),
            file_secret_settings,
        )

    # Where the downstream APIs live.
    downstream_url: AnyHttpUrl = Field(
        AnyHttpUrl("http://127.0.0.1:9100"),
        description="Base URL of every downstream API unless overridden per API.",
    )
    service_urls: dict[str, AnyHttpUrl] = Field(
        default_factory=dict,
        description="JSON map of per-API base URLs, by service name, overriding "
        'BFF_DOWNSTREAM_URL for those APIs, e.g. `{"auth": "https://auth.internal.example"}`. '
        f"Names: {_SERVICE_NAMES} (one per typed client, `clients/registry.py`); any other "
        "name is refused at startup.",
    )

    # Streaming.
    media_origins: dict[str, AnyHttpUrl | MediaOriginSetting] = Field(
        default_factory=lambda: dict(DEFAULT_MEDIA_ORIGINS),
        description="JSON map of the allow-listed picture origins: a picture path's first "
        "segment to the base URL its rest is fetched beneath, e.g. "
        '`{"product-images": "https://cdn.dummyjson.com/product-images", "icon": '
        '"https://dummyjson.com/icon"}` (the default, DummyJSON\'s two picture hosts). A value '
        'may also be `{"url": "...", "query": ["w", "h"]}` to pass those query parameters on '
        "(none are by default). A path under no prefix answers 404 without any call; an API's "
        "base URL is refused as a media origin.",
    )
    max_concurrent_streams: int = Field(
        64,
        ge=1,
        le=10_000,
        description="Most pictures streamed at once per worker, over their own connection pool "
        "(so streams never take the screens' connections); one more answers 503 with "
        "Retry-After.",
    )
    stream_idle_timeout: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Seconds a picture stream may wait for the frontend to read before it is "
        "ended (a reader that stops must not hold a stream slot).",
    )
    export_page_size: int = Field(
        50, ge=1, le=100, description="Products per downstream page of the NDJSON export."
    )

    # Time.
    request_timeout: float = Field(
        10.0, gt=0, le=300, description="Deadline of one incoming request, in seconds."
    )
    min_request_timeout: float = Field(
        0.05,
        gt=0,
        le=60,
        description="Shortest deadline a caller may ask for with `X-Request-Timeout`, in seconds; "
        "a shorter one is raised to it. A deadline shorter than a downstream round trip only "
        "starts calls nobody will wait for.",
    )
    downstream_timeout: float = Field(
        5.0, gt=0, le=300, description="Timeout of one downstream attempt, in seconds."
    )
    connect_timeout: float = Field(
        2.0, gt=0, le=60, description="Timeout for opening a downstream connection, in seconds."
    )

    # The one shared connection pool.
    pool_max_connections: int = Field(
        100, ge=1, le=10_000, description="Most open connections to all downstreams together."
    )
    pool_max_keepalive: int = Field(
        100, ge=0, le=10_000, description="Most idle connections kept for reuse."
    )
    pool_keepalive_expiry: float = Field(
        4.0,
        ge=0,
        le=300,
        description="Seconds an idle connection is kept; keep it below the downstream's own "
        "idle timeout (5 s for DummyJSON).",
    )
    pool_timeout: float = Field(
        2.0, gt=0, le=60, description="Seconds to wait for a free pooled connection."
    )

    # The outbound transport beneath the shared client (bff/transport.py).
    http_transport: Literal["httpcore", "aiohttp"] = Field(
        "aiohttp",
        description="What moves the bytes under the shared httpx.AsyncClient: `aiohttp` (an "
        "aiohttp connector; cheaper per call, measured in bench/) or `httpcore` (httpx's own "
        "pool). Both take the pool settings above.",
    )

    # Resilience: retries, the retry budget, circuit breakers and hedging, per downstream API.
    # Mapped into each service's ServicePolicy by service_policies(); what each knob means, and
    # why its default, is documented on the records in clients/policies.py.
    retry_attempts: int = Field(
        3,
        ge=1,
        le=10,
        description="Attempts of one idempotent downstream call, the first included "
        "(1 turns retries off).",
    )
    retry_backoff_base: float = Field(
        0.05, gt=0, le=10, description="Ceiling of the first retry's random wait, in seconds."
    )
    retry_backoff_max: float = Field(
        1.0, gt=0, le=60, description="Largest ceiling of a retry's random wait, in seconds."
    )
    retry_after_max: float = Field(
        2.0,
        ge=0,
        le=60,
        description="Longest downstream Retry-After the BFF waits out before retrying; a longer "
        "one fails the call at once.",
    )
    retry_budget_ratio: float = Field(
        0.2, ge=0, le=1, description="Retries may add at most this share of a service's calls."
    )
    retry_budget_min_per_second: float = Field(
        10.0,
        ge=0,
        le=10_000,
        description="Retries per second per service allowed whatever the ratio (a quiet "
        "service can still retry).",
    )
    breaker_failure_ratio: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Share of failed attempts in the window that opens a service's circuit.",
    )
    breaker_min_calls: int = Field(
        20,
        ge=1,
        le=100_000,
        description="Attempts the window must hold before the failure ratio is judged.",
    )
    breaker_window: float = Field(
        10.0, gt=0, le=600, description="Sliding window of the failure ratio, in seconds."
    )
    breaker_consecutive_failures: int = Field(
        10,
        ge=0,
        le=100_000,
        description="Failed attempts in a row that open the circuit (0: only the ratio).",
    )
    breaker_open_seconds: float = Field(
        5.0,
        gt=0,
        le=600,
        description="How long an open circuit refuses calls before letting one probe through.",
    )
    rate_limit_cooldown_max: float = Field(
        60.0,
        ge=0,
        le=3600,
        description="Longest rate-limit cool-down, in seconds: after a downstream's 429 (or "
        "`X-RateLimit-Remaining: 0`) no call goes to its origin until the window its "
        "`Retry-After`/`X-RateLimit-Reset` names ends, for at most this long (0 turns "
        "cool-downs off).",
    )
    hedge_services: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="APIs whose idempotent calls are hedged: a second attempt once the first "
        "is slower than that API's recent p95 (comma-separated, e.g. `products,quotes`; off "
        "by default).",
    )

    @field_validator("hedge_services", mode="before")
    @classmethod
    def _split_services(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(name.strip() for name in value.split(",") if name.strip())
        return value

    @model_validator(mode="after")
    def _check_resilience(self) -> Settings:
        if self.retry_backoff_max < self.retry_backoff_base:
            raise ValueError("BFF_RETRY_BACKOFF_MAX must not be below BFF_RETRY_BACKOFF_BASE")
        return self

    # Caching (see clients/cache.py and clients/cache_policies.py).
    cache_enabled: bool = Field(
        True,
        description="Cache downstream GET answers in process, per the cache policies. Off: every "
        "call goes to the downstream and screens answer `Cache-Control: no-cache`.",
    )
    cache_policies: dict[str, CachePolicyOverride] = Field(
        default_factory=dict,
        description="JSON overrides of the per-call cache policies, by call name, e.g. "
        '`{"products.get": {"ttl": 300, "stale_if_error": 3600}}`. Fields: `ttl`, '
        "`max_entries`, `stale_while_revalidate`, `stale_if_error` (seconds).",
    )
    cache_redis_url: str | None = Field(
        None,
        description="Redis URL of the shared cache tier behind the in-process one (e.g. "
        "`redis://127.0.0.1:6379/0`), so replicas share warm answers. Unset: in-process only.",
    )
    cache_redis_timeout: float = Field(
        0.25,
        gt=0,
        le=10,
        description="Seconds one Redis operation (connecting included) may take; past it, or on "
        "any Redis error, the shared tier is skipped for `BFF_CACHE_REDIS_RETRY_SECONDS` and "
        "requests use the in-process tier alone.",
    )
    cache_redis_retry_seconds: float = Field(
        5.0,
        gt=0,
        le=300,
        description="After a Redis failure: seconds the shared tier is skipped, and between two "
        "attempts of a replica to subscribe to the others again (purges, cool-downs).",
    )
    cache_lease_seconds: float = Field(
        1.0,
        gt=0,
        le=30,
        description="With Redis: the lease one replica takes on a cold key while it calls the "
        "downstream; the others wait for its answer in the shared tier (never past their "
        "request's deadline). The holder renews it every third of this while its call is out, "
        "so this is how long a replica that dies mid-call holds the others back before they "
        "call themselves.",
    )
    admin_token: SecretStr | None = Field(
        None,
        description="Bearer token of the admin endpoints (`POST /admin/cache/purge`). Unset: "
        "they answer 403.",
    )

    @model_validator(mode="after")
    def _check_cache_policies(self) -> Settings:
        self.resolved_cache_policies()  # an unknown name fails at startup, not at first use
        return self

    def resolved_cache_policies(self) -> dict[str, CachePolicy]:
        """The default policies with ``BFF_CACHE_POLICIES`` applied."""
        return cache_policies(
            {
                name: override.model_dump(exclude_none=True)
                for name, override in self.cache_policies.items()
            }
        )

    # Screens.
    max_concurrent_screens: int = Field(
        32,
        ge=1,
        le=100_000,
        description="Most screen requests fanning out at once per worker; the others wait, in "
        "arrival order and within their deadline, before making any downstream call (then 503 "
        "`overloaded`). Keeps bursts from queueing in the connection pool, where waiting ends "
        "in PoolTimeouts. Size it near BFF_POOL_MAX_CONNECTIONS / calls per screen (4 here), "
        "and at least a worker's screens per second x the downstream latency.",
    )
    fanout_concurrency: int = Field(
        8, ge=1, le=256, description="Most concurrent downstream calls of one dynamic fan-out."
    )
    related_products: int = Field(
        4, ge=0, le=30, description="How many related products the product screen shows."
    )
    home_items: int = Field(
        6, ge=1, le=30, description="How many products and posts the home screen shows."
    )
    search_limit: int = Field(
        5, ge=1, le=30, description="Default results per kind on the search screen."
    )

    # Browsers (bff/cors.py, bff/compression.py).
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Origins (scheme://host[:port], exactly) whose pages may call the BFF from a "
        "browser, comma-separated, e.g. `https://app.example.com,http://localhost:5173`; `*` "
        "lets any origin read the public screens, without credentials. Empty (the default): "
        "same-origin only, no CORS headers at all.",
    )
    cors_allow_credentials: bool = Field(
        False,
        description="Let pages of the listed origins send cookies and HTTP authentication "
        "(`Access-Control-Allow-Credentials: true`); only with explicit origins, never with "
        "`*`. Bearer tokens in `Authorization` need no credentials mode.",
    )
    cors_max_age: int = Field(
        600,
        ge=0,
        le=86_400,
        description="Seconds a browser may cache a preflight answer (`Access-Control-Max-Age`; "
        "Chromium caps it at 7200).",
    )
    compression_min_size: int = Field(
        1024,
        ge=0,
        le=10_000_000,
        description="Smallest JSON body, in bytes, that is compressed when the client accepts "
        "zstd, br or gzip; a streamed body (the NDJSON export) is compressed whatever its size, "
        "flushed per page. Pictures are never compressed.",
    )
    compression_enabled: bool = Field(
        True, description="Compress responses as negotiated by `Accept-Encoding`."
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            if origin == "*":
                if len(origins) > 1:
                    raise ValueError("BFF_CORS_ORIGINS: `*` stands alone")
                continue
            scheme, sep, rest = origin.partition("://")
            if (
                scheme not in ("http", "https")
                or not sep
                or not rest
                or any(char in rest for char in "/?#*@ ")
                or origin != origin.lower()
            ):
                raise ValueError(
                    f"BFF_CORS_ORIGINS: {origin!r} is not an origin "
                    "(lower-case scheme://host[:port], no path, no wildcard)"
                )
        return origins

    @model_validator(mode="after")
    def _check_cors(self) -> Settings:
        if self.cors_allow_credentials and (not self.cors_origins or "*" in self.cors_origins):
            raise ValueError(
                "BFF_CORS_ALLOW_CREDENTIALS needs explicit BFF_CORS_ORIGINS (never `*`)"
            )
        return self

    # Serving.
    host: str = Field("127.0.0.1", description="Address `bff serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `bff serve` binds to.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Log level of the BFF and uvicorn."
    )

    # The door (bff/server.py, bff/edge.py): what one request or connection may cost before the
    # app does any work for it.
    max_body_bytes: int = Field(
        4096,
        ge=0,
        le=10 * 1024 * 1024,
        description="Largest request body, in bytes (every body the BFF takes is a small JSON "
        "document); a larger one is answered 413 before it is read, parsed or authenticated.",
    )
    max_header_bytes: int = Field(
        16 * 1024,
        ge=1024,
        le=1024 * 1024,
        description="Largest request line plus headers, in bytes; past it the connection gets "
        "431 and is closed.",
    )
    max_headers: int = Field(
        100, ge=10, le=10_000, description="Most request headers; past it, 431 and close."
    )
    header_timeout: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Seconds a connection has to send a request's line and headers (from its "
        "start, or from a request's first byte on a kept-alive connection); past it, 408 and "
        "close.",
    )
    max_connections: int = Field(
        2000,
        ge=1,
        le=1_000_000,
        description="Most open client connections per worker on the public port; past it a new "
        "connection gets 503 and is closed at once. Lowered at start if the descriptor limit "
        "cannot hold it beside the downstream pool.",
    )
    ops_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Port of the operations listener: /healthz, /readyz, /metrics and the "
        "status page, with its own connection cap, so a flood of the public port cannot starve "
        "probes; /metrics and the status page then leave the public port. Unset: everything "
        "on BFF_PORT.",
    )

    # Lifecycle (bff/lifecycle.py): graceful shutdown and worker processes of `bff serve`.
    shutdown_drain_seconds: float = Field(
        0.0,
        ge=0,
        le=300,
        description="After SIGTERM, seconds `/readyz` answers 503 while the server still takes "
        "new requests, so load balancers stop routing here before the listener closes (10 on "
        "Kubernetes, as deploy/configmap.yaml sets it; 0 stops at once).",
    )
    shutdown_grace_seconds: int = Field(
        15,
        ge=1,
        le=3600,
        description="Seconds in-flight requests get to finish once the listener is closed; "
        "the rest are cancelled, then the pooled client and Redis are closed.",
    )
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Worker processes of `bff serve`. Each has its own connection pool, cache "
        "and breakers: downstream connections = workers x BFF_POOL_MAX_CONNECTIONS.",
    )

    @model_validator(mode="after")
    def _check_timeouts(self) -> Settings:
        if self.downstream_timeout > self.request_timeout:
            raise ValueError("BFF_DOWNSTREAM_TIMEOUT must not exceed BFF_REQUEST_TIMEOUT")
        if self.min_request_timeout > self.request_timeout:
            raise ValueError("BFF_MIN_REQUEST_TIMEOUT must not exceed BFF_REQUEST_TIMEOUT")
        return self

    @model_validator(mode="after")
    def _check_ports(self) -> Settings:
        if self.ops_port is not None and self.ops_port == self.port:
            raise ValueError("BFF_OPS_PORT must differ from BFF_PORT")
        return self

    def url_for(self, service: str) -> str:
        """The base URL of one downstream API, without a trailing slash."""
        return str(self.service_urls.get(service) or self.downstream_url).rstrip("/")

    def media(self) -> dict[str, MediaOrigin]:
        """The allow-listed media origins as the media client takes them."""
        origins = {}
        for prefix, value in self.media_origins.items():
            url, query = _origin_parts(value)
            policy = ServicePolicy(
                base_url=str(url).rstrip("/"),
                timeout=self.downstream_timeout,
                connect_timeout=self.connect_timeout,
                pool_timeout=self.pool_timeout,
                # A failed open is retried like any idempotent call; the body never is.
                retry=self._retry_policy(),
                breaker=self._breaker_policy(),
            )
            origins[prefix] = MediaOrigin(prefix, policy, frozenset(query))
        return origins

    @model_validator(mode="after")
    def _check_media_origins(self) -> Settings:
        apis = {self.url_for(service) for service in (*SERVICES, *self.service_urls)}
        for prefix, value in self.media_origins.items():
            if not _MEDIA_PREFIX.fullmatch(prefix) or prefix in (".", ".."):
                raise ValueError(
                    f"BFF_MEDIA_ORIGINS: {prefix!r} is not one path segment (letters, digits, "
                    "'.', '_', '~', '-')"
                )
            url, _ = _origin_parts(value)
            base = str(url).rstrip("/")
            if url.query or url.fragment:
                raise ValueError(f"BFF_MEDIA_ORIGINS[{prefix!r}]: no query or fragment")
            if base in apis:
                raise ValueError(
                    f"BFF_MEDIA_ORIGINS[{prefix!r}] is an API's base URL; a media origin must "
                    "reach pictures only (e.g. the API host's /icon path)"
                )
        return self

    def _retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            attempts=self.retry_attempts,
            backoff_base=self.retry_backoff_base,
            backoff_max=self.retry_backoff_max,
            retry_after_max=self.retry_after_max,
        )

    def _breaker_policy(self) -> BreakerPolicy:
        return BreakerPolicy(
            failure_ratio=self.breaker_failure_ratio,
            min_calls=self.breaker_min_calls,
            window=self.breaker_window,
            consecutive_failures=self.breaker_consecutive_failures,
            open_seconds=self.breaker_open_seconds,
        )

    def service_policies(self, services: Sequence[str] = SERVICES) -> dict[str, ServicePolicy]:
        """One policy per downstream API, handed to the clients (which never read settings).

        `services` are the app's (`clients.registry.SERVICES` unless it is built with other
        clients). A per-API setting naming none of them is refused here: the names belong to
        the registry, not to the settings, so this is where both are known; `bff serve` and
        `create_app` call it before serving anything.
        """
        for setting, names in (
            ("BFF_SERVICE_URLS", self.service_urls),
            ("BFF_HEDGE_SERVICES", self.hedge_services),
        ):
            unknown = [name for name in names if name not in services]
            if unknown:
                raise ValueError(
                    f"{setting} names unknown downstream service(s): {', '.join(unknown)}; "
                    f"known: {', '.join(services)}"
                )
        retry = self._retry_policy()
        budget = BudgetPolicy(
            ratio=self.retry_budget_ratio, min_per_second=self.retry_budget_min_per_second
        )
        breaker = self._breaker_policy()
        cooldown = (
            CooldownPolicy(max_seconds=self.rate_limit_cooldown_max)
            if self.rate_limit_cooldown_max > 0
            else CooldownPolicy(enabled=False)
        )
        return {
            service: ServicePolicy(
                base_url=self.url_for(service),
                timeout=self.downstream_timeout,
                connect_timeout=self.connect_timeout,
                pool_timeout=self.pool_timeout,
                retry=retry,
                budget=budget,
                breaker=breaker,
                hedge=HedgePolicy(enabled=service in self.hedge_services),
                cooldown=cooldown,
            )
            for service in services
        }
