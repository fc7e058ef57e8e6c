"""Every BFF_* resilience setting reaches each service's policy, and nonsense is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from support import settings_for

from bff import cli
from bff.app import create_app
from bff.settings import Settings
from clients import SERVICES
from clients.policies import BreakerPolicy, BudgetPolicy, HedgePolicy, RetryPolicy


def test_defaults_turn_retries_on_and_hedging_off() -> None:
    policies = settings_for("http://down.test").service_policies()

    assert set(policies) == set(SERVICES)
    for policy in policies.values():
        assert policy.retry == RetryPolicy(attempts=3)
        assert policy.budget == BudgetPolicy(ratio=0.2, min_per_second=10)
        assert policy.breaker == BreakerPolicy()
        assert policy.hedge == HedgePolicy(enabled=False)
        assert (policy.timeout, policy.connect_timeout, policy.pool_timeout) == (5.0, 2.0, 2.0)


def test_every_setting_is_mapped() -> None:
    settings = settings_for(
        "http://down.test",
        downstream_timeout=1.5,
        connect_timeout=0.4,
        pool_timeout=0.3,
        retry_attempts=4,
        retry_backoff_base=0.1,
        retry_backoff_max=0.7,
        retry_after_max=1.5,
        retry_budget_ratio=0.1,
        retry_budget_min_per_second=3,
        breaker_failure_ratio=0.3,
        breaker_min_calls=7,
        breaker_window=4,
        breaker_consecutive_failures=0,
        breaker_open_seconds=2.5,
        hedge_services=("quotes",),
    )

    policies = settings.service_policies()

    quotes = policies["quotes"]
    assert (quotes.timeout, quotes.connect_timeout, quotes.pool_timeout) == (1.5, 0.4, 0.3)
    assert quotes.retry == RetryPolicy(
        attempts=4, backoff_base=0.1, backoff_max=0.7, retry_after_max=1.5
    )
    assert quotes.budget == BudgetPolicy(ratio=0.1, min_per_second=3)
    assert quotes.breaker == BreakerPolicy(
        failure_ratio=0.3, min_calls=7, window=4, consecutive_failures=0, open_seconds=2.5
    )
    assert quotes.hedge.enabled is True
    assert policies["users"].hedge.enabled is False


def test_hedged_services_come_comma_separated_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BFF_HEDGE_SERVICES", " products, quotes ")

    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert settings.hedge_services == ("products", "quotes")


@pytest.mark.parametrize(
    "overrides",
    [
        {"retry_attempts": 0},
        {"retry_backoff_base": 0.5, "retry_backoff_max": 0.1},
        {"retry_budget_ratio": 1.5},
        {"breaker_failure_ratio": 0},
        {"breaker_min_calls": 0},
        {"breaker_open_seconds": 0},
    ],
)
def test_nonsense_is_refused_at_startup(overrides: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        settings_for("http://down.test", **overrides)


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"hedge_services": ("payments",)}, "BFF_HEDGE_SERVICES"),
        ({"service_urls": {"payment": "http://payments.test"}}, "BFF_SERVICE_URLS"),
    ],
)
def test_a_service_no_client_serves_is_refused_at_startup(
    overrides: dict[str, object], setting: str
) -> None:
    """Service names belong to the typed clients (clients/registry.py), so they are checked
    where settings and clients meet: when the app is built (and by `bff serve` first)."""
    settings = settings_for("http://down.test", **overrides)

    with pytest.raises(ValueError, match=f"{setting} names unknown downstream service"):
        create_app(settings)
    with pytest.raises(ValueError, match=f"{setting} names unknown downstream service"):
        settings.service_policies()


def test_bff_serve_refuses_an_unknown_service_before_starting_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[object] = []
    monkeypatch.setattr(cli, "serve", lambda *args, **kwargs: started.append(args))
    monkeypatch.setenv("BFF_SERVICE_URLS", '{"payment": "http://payments.test"}')

    with pytest.raises(ValueError, match="BFF_SERVICE_URLS names unknown downstream service"):
        cli.main(["serve"])
    assert started == []


def test_per_api_base_urls_override_the_default_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BFF_DOWNSTREAM_URL", "http://down.test/")
    monkeypatch.setenv("BFF_SERVICE_URLS", '{"auth": "https://auth.test/v2/"}')

    policies = Settings(_env_file=None).service_policies()  # type: ignore[call-arg]

    assert policies["auth"].base_url == "https://auth.test/v2"
    assert {policy.base_url for name, policy in policies.items() if name != "auth"} == {
        "http://down.test"
    }


def test_one_variable_per_api_still_works_beneath_the_map(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``BFF_<SERVICE>_URL``, the per-API form deployments already use, from the environment or
    the .env file; where the map names the same API, the map wins."""
    monkeypatch.setenv("BFF_DOWNSTREAM_URL", "http://down.test/")
    monkeypatch.setenv("BFF_AUTH_URL", "https://auth.test/")
    monkeypatch.setenv("BFF_USERS_URL", "https://old-users.test/")
    monkeypatch.setenv("BFF_SERVICE_URLS", '{"users": "https://users.test/"}')
    env_file = tmp_path / ".env"
    env_file.write_text("BFF_CARTS_URL=https://carts.test/\n")

    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]

    assert settings.url_for("auth") == "https://auth.test"
    assert settings.url_for("users") == "https://users.test"
    assert settings.url_for("carts") == "https://carts.test"
    assert settings.url_for("posts") == "http://down.test"
