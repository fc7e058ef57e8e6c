"""Cache policies as data: every cached call has one, and operators override them by name."""

import pytest
from pydantic import ValidationError

from bff.settings import Settings
from clients import CLIENTS
from clients.cache import CachePolicy
from clients.cache_policies import DEFAULT_CACHE_POLICIES

NEVER_CACHED = {"auth.login", "auth.refresh"}  # POSTs


def operations_named_by_the_typed_clients() -> set[str]:
    """Every call's name is its client's service and method (`test_operation_names.py` shows
    each method calls under its own)."""
    return {operation for kind in CLIENTS for operation in kind.operations.values()}


def test_every_cached_call_has_a_policy_and_every_policy_a_call() -> None:
    named = operations_named_by_the_typed_clients()

    assert named - NEVER_CACHED == set(DEFAULT_CACHE_POLICIES)


def test_overrides_change_only_the_fields_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BFF_CACHE_POLICIES", '{"products.get": {"ttl": 300}}')

    policies = Settings(_env_file=None).resolved_cache_policies()  # type: ignore[call-arg]

    default = DEFAULT_CACHE_POLICIES["products.get"]
    assert policies["products.get"] == CachePolicy(
        ttl=300,
        max_entries=default.max_entries,
        stale_while_revalidate=default.stale_while_revalidate,
        stale_if_error=default.stale_if_error,
    )
    assert policies["users.get"] == DEFAULT_CACHE_POLICIES["users.get"]


@pytest.mark.parametrize(
    "value",
    ['{"products.nope": {"ttl": 1}}', '{"products.get": {"ttl": 0}}', '{"products.get": {"x": 1}}'],
)
def test_bad_overrides_fail_at_startup(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("BFF_CACHE_POLICIES", value)

    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]
