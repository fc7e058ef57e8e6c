"""Operation names are derived, never typed: each public method of a typed client calls under
`service.method`, the name its cache policy and its metrics label use."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from clients import CLIENTS, ServiceClient, ServicePolicy
from clients.cache_policies import DEFAULT_CACHE_POLICIES

pytestmark = pytest.mark.anyio


class Recorder:
    """Stands in for a client's pipeline: notes each call's operation name and answers None."""

    def __init__(self) -> None:
        self.operations: list[str | None] = []

    async def request(self, method: str, path: str, model: object, **options: Any) -> None:
        self.operations.append(options.get("operation"))


def sample_arguments(method: Any) -> list[object]:
    """A plausible value for each required positional parameter (ids, slugs, tokens)."""
    values: dict[object, object] = {int: 1, str: "abc"}
    return [
        values[parameter.annotation]
        for parameter in inspect.signature(method).parameters.values()
        if parameter.name != "self"
        and parameter.kind is parameter.POSITIONAL_OR_KEYWORD
        and parameter.default is parameter.empty
    ]


CALLS = [(kind, name) for kind in CLIENTS for name in kind.operations]


@pytest.mark.parametrize(
    ("kind", "name"), CALLS, ids=[f"{kind.service}.{name}" for kind, name in CALLS]
)
async def test_each_method_calls_under_its_own_name(
    kind: type[ServiceClient], name: str, http: Any, policy: ServicePolicy
) -> None:
    client = kind(http, policy)
    recorder = Recorder()
    client._downstream = recorder  # type: ignore[assignment]
    method = getattr(client, name)

    await method(*sample_arguments(method))

    assert recorder.operations == [f"{kind.service}.{name}"]


def test_every_client_names_its_operations_once_per_class() -> None:
    for kind in CLIENTS:
        public = {
            name
            for name, member in inspect.getmembers(kind, inspect.isfunction)
            if not name.startswith("_")
        }
        assert set(kind.operations) == public
        assert all(value == f"{kind.service}.{key}" for key, value in kind.operations.items())


def test_every_cache_policy_names_an_operation() -> None:
    operations = {operation for kind in CLIENTS for operation in kind.operations.values()}

    assert set(DEFAULT_CACHE_POLICIES) <= operations


async def test_a_name_that_is_not_a_method_fails_loudly(http: Any, policy: ServicePolicy) -> None:
    class Typo(ServiceClient):
        service = "typo"

        async def get(self) -> None:
            await self._get("gte", "/x", dict)

    with pytest.raises(ValueError, match="no public method 'gte'"):
        await Typo(http, policy).get()


@pytest.mark.parametrize("service", ["Users", "users.v2", "", "users-api"])
def test_a_service_name_must_be_a_plain_label(service: str) -> None:
    with pytest.raises(TypeError, match="must be a lower-case name"):
        type("Bad", (ServiceClient,), {"service": service})
