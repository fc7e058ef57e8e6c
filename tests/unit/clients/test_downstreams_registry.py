"""Downstreams: one typed client per service, all over the one shared AsyncClient."""

import httpx
import pytest
import respx

from clients import (
    CLIENTS,
    SERVICES,
    AuthClient,
    CartsClient,
    Downstreams,
    PostsClient,
    ProductsClient,
    QuotesClient,
    RecipesClient,
    ServicePolicy,
    TodosClient,
    UsersClient,
)

pytestmark = pytest.mark.anyio

EXPECTED = {
    "users": UsersClient,
    "products": ProductsClient,
    "carts": CartsClient,
    "posts": PostsClient,
    "todos": TodosClient,
    "quotes": QuotesClient,
    "recipes": RecipesClient,
    "auth": AuthClient,
}


def test_services_match_the_clients(downstreams: Downstreams) -> None:
    assert set(SERVICES) == set(EXPECTED)
    assert [kind.service for kind in CLIENTS] == list(SERVICES)
    assert downstreams.services == SERVICES


def test_build_makes_one_client_per_service(downstreams: Downstreams) -> None:
    for name, kind in EXPECTED.items():
        client = getattr(downstreams, name)
        assert type(client) is kind
        assert client.service == name
        assert client.downstream.service == name


def test_missing_policies_fail_at_build(http: httpx.AsyncClient, policy: ServicePolicy) -> None:
    policies = dict.fromkeys(SERVICES, policy)
    del policies["auth"], policies["todos"]
    with pytest.raises(ValueError, match="todos, auth"):
        Downstreams.build(http, policies)


async def test_each_service_uses_its_own_policy() -> None:
    router = respx.Router(assert_all_called=False)
    route = router.route().respond(200, json={"id": 1, "quote": "q", "author": "a"})
    http = httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler))
    policies = {
        name: ServicePolicy(base_url=f"http://{name}.test", timeout=index + 1)
        for index, name in enumerate(SERVICES)
    }
    downstreams = Downstreams.build(http, policies)

    await downstreams.quotes.get(1)

    request = route.calls.last.request
    assert request.url.host == "quotes.test"
    assert request.extensions["timeout"]["read"] == SERVICES.index("quotes") + 1
