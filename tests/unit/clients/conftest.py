"""Fixtures for client tests: a respx router injected through the transport seam (no patching)."""

import httpx
import pytest
import respx

from clients import SERVICES, Downstreams, ServicePolicy

BASE_URL = "http://down.test"
POLICY_TIMEOUT = 2.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def router() -> respx.Router:
    return respx.Router(base_url=BASE_URL, assert_all_called=False)


@pytest.fixture
def http(router: respx.Router) -> httpx.AsyncClient:
    # MockTransport holds no sockets, so there is nothing to close.
    return httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler))


@pytest.fixture
def policy() -> ServicePolicy:
    return ServicePolicy(base_url=BASE_URL, timeout=POLICY_TIMEOUT)


@pytest.fixture
def downstreams(http: httpx.AsyncClient, policy: ServicePolicy) -> Downstreams:
    return Downstreams.build(http, dict.fromkeys(SERVICES, policy))
