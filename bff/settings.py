"""Every ``BFF_*`` setting in one place, with defaults that run the demo against the simulator.

The defaults are chosen, not inherited: the pool is sized for one uvicorn worker fanning out to
a handful of downstream services, and the keep-alive expiry sits below the 5 s after which
DummyJSON-style servers close idle connections, so the pool never reuses a socket the server
is about to drop (the classic "RemoteProtocolError: Server disconnected" on the first request
after a pause).
"""

from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from clients import SERVICES, ServicePolicy

Service = Literal["users", "products", "carts", "posts", "todos", "quotes", "recipes", "auth"]


class Settings(BaseSettings):
    """Configuration read from the environment (prefix ``BFF_``) or a ``.env`` file."""

    model_config = SettingsConfigDict(
        env_prefix="BFF_", env_file=".env", extra="ignore", frozen=True
    )

    # Where the downstream APIs live.
    downstream_url: AnyHttpUrl = Field(
        AnyHttpUrl("http://127.0.0.1:9100"),
        description="Base URL of every downstream API unless overridden per API.",
    )
    users_url: AnyHttpUrl | None = Field(None, description="Override for the users API.")
    products_url: AnyHttpUrl | None = Field(None, description="Override for the products API.")
    carts_url: AnyHttpUrl | None = Field(None, description="Override for the carts API.")
    posts_url: AnyHttpUrl | None = Field(None, description="Override for the posts API.")
    todos_url: AnyHttpUrl | None = Field(None, description="Override for the todos API.")
    quotes_url: AnyHttpUrl | None = Field(None, description="Override for the quotes API.")
    recipes_url: AnyHttpUrl | None = Field(None, description="Override for the recipes API.")
    auth_url: AnyHttpUrl | None = Field(None, description="Override for the auth API.")

    # Time.
    request_timeout: float = Field(
        10.0, gt=0, le=300, description="Deadline of one incoming request, in seconds."
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

    # Screens.
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

    # Serving.
    host: str = Field("127.0.0.1", description="Address `bff serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `bff serve` binds to.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Log level of the BFF and uvicorn."
    )

    @model_validator(mode="after")
    def _check_timeouts(self) -> Settings:
        if self.downstream_timeout > self.request_timeout:
            raise ValueError("BFF_DOWNSTREAM_TIMEOUT must not exceed BFF_REQUEST_TIMEOUT")
        return self

    def url_for(self, service: str) -> str:
        """The base URL of one downstream API, without a trailing slash."""
        override: AnyHttpUrl | None = getattr(self, f"{service}_url")
        return str(override or self.downstream_url).rstrip("/")

    def service_policies(self) -> dict[str, ServicePolicy]:
        """One policy per downstream API, handed to the clients (which never read settings)."""
        return {
            service: ServicePolicy(base_url=self.url_for(service), timeout=self.downstream_timeout)
            for service in SERVICES
        }
