"""Property-based tests of the live BFF against its own contract, with Schemathesis.

Every operation of ``/openapi.json`` is called with inputs Hypothesis generates from the
contract (valid and invalid ones), on a real loopback server with the simulator behind it. Each
answer must not be a 5xx (a 502/503/504 from a healthy simulator is a bug too; only a caller's
own tiny ``X-Request-Timeout`` may earn a 504), must
match the documented schema and content type for its status, and every error must be RFC 9457
problem details. The example count is bounded and the generation derandomized, so a run takes
seconds and a failure reproduces.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)
from support import Simulator, settings_for

from bff.app import create_app
from bff.cli import openapi_document
from simulator import BackgroundServer

EXAMPLES_PER_OPERATION = 30
PROBLEM_FIELDS = ("type", "title", "status", "detail", "requestId")


def no_server_error(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> Any:
    """A 5xx is a bug, but for a 504 after the caller set its own ``X-Request-Timeout``: the
    contract lets a caller shorten the deadline, and Hypothesis asks for as little as 5e-324 s."""
    caller_deadline = any(name.lower() == "x-request-timeout" for name in case.headers or {})
    if response.status_code == 504 and caller_deadline:
        return None
    return not_a_server_error(ctx, response, case)


def problem_json_on_errors(
    ctx: Any, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """Any 4xx/5xx, documented or not, is problem+json with the request id."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/problem+json"), (
        f"{response.status_code} answered as {content_type!r}, not application/problem+json"
    )
    body = response.json()
    missing = [name for name in PROBLEM_FIELDS if name not in body]
    assert not missing, f"problem details without {missing}: {body}"
    assert body["status"] == response.status_code
    assert body["requestId"] == response.headers["x-request-id"][0]


@pytest.fixture(scope="module")
def live_bff(simulator_server: BackgroundServer) -> Iterator[str]:
    """One BFF with default settings: the contract does not depend on the HTTP transport, so
    this runs once, not once per transport as the integration suites do."""
    with BackgroundServer(create_app(settings_for(simulator_server.url))) as server:
        yield server.url


# The contract the app generates (the one `test_openapi_published` pins to openapi.json), loaded
# at collection time; the calls go to a live server through the `bff` fixture. (Schemathesis'
# lazy `from_fixture` loader does not work with pytest 9.2, which dropped `Node._nodeid`.)
contract = schemathesis.openapi.from_dict(openapi_document())


@contract.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_honours_its_contract(
    case: schemathesis.Case, live_bff: str, sim: Simulator
) -> None:
    case.call_and_validate(
        base_url=live_bff,
        checks=[
            no_server_error,
            response_schema_conformance,
            content_type_conformance,
            response_headers_conformance,
            problem_json_on_errors,
        ],
        timeout=30,
    )
