"""What a failure means is data on the error, read alike by every step: whose fault it is,
whether to retry, whether a stale copy may stand in, whether the breaker counts it."""

from collections.abc import Iterator

import pytest
import respx

from clients import Downstreams, RequestScope, Unauthorized, Unavailable, enter, scope_var
from clients.breaker import BreakerState, verdict
from clients.errors import (
    BadRequest,
    BadResponse,
    CircuitOpen,
    CoolingDown,
    DownstreamError,
    Fault,
    NotFound,
    RateLimited,
    Timeout,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def no_deadline() -> Iterator[None]:
    token = enter(RequestScope())
    yield
    scope_var.reset(token)


@pytest.mark.parametrize(
    ("error", "fault", "retryable", "stale_ok", "counts"),
    [
        (Unavailable("a", "503", status=503), Fault.DOWNSTREAM, True, True, True),
        (Timeout("a", "slow"), Fault.DOWNSTREAM, True, True, True),
        (BadResponse("a", "drift"), Fault.DOWNSTREAM, False, True, True),
        (Timeout("a", "cut", by_deadline=True), Fault.LOCAL, True, True, None),
        (CircuitOpen("a", "open"), Fault.LOCAL, False, True, None),
        (CoolingDown("a", "wait", retry_after=3), Fault.LOCAL, False, True, None),
        (RateLimited("a", "429"), Fault.NONE, True, True, False),
        (NotFound("a", "404"), Fault.NONE, False, False, False),
        (BadRequest("a", "our bug"), Fault.NONE, False, False, False),
        (Unauthorized("a", "our key"), Fault.NONE, False, False, False),
        (Unauthorized("a", "forged", fault=Fault.CALLER), Fault.CALLER, False, False, False),
        (BadRequest("a", "bad input", fault=Fault.CALLER), Fault.CALLER, False, False, False),
        (Unavailable("a", "pool", retryable=False, local=True), Fault.LOCAL, False, True, None),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, DownstreamError) else None,
)
def test_each_error_says_what_it_means(
    error: DownstreamError, fault: Fault, retryable: bool, stale_ok: bool, counts: bool | None
) -> None:
    assert (error.fault, error.retryable, error.stale_ok) == (fault, retryable, stale_ok)
    assert verdict(error) is counts


FORGED = [
    (500, "invalid signature"),
    (500, "invalid token"),
    (500, "jwt signature is required"),
    (500, "jwt malformed"),
    (500, "invalid algorithm"),
    (400, "Invalid access token"),
    (401, "Invalid/Expired Token!"),
    (403, "Forbidden"),
]


@pytest.mark.parametrize(("status", "message"), FORGED, ids=[m for _, m in FORGED])
async def test_the_auth_apis_invalid_token_answers_are_the_callers_fault(
    router: respx.Router, downstreams: Downstreams, status: int, message: str
) -> None:
    router.get("/auth/me").respond(status, json={"message": message})

    with pytest.raises(Unauthorized) as refused:
        await downstreams.auth.me("forged.jwt.token")

    assert refused.value.fault is Fault.CALLER
    assert refused.value.status == status
    assert refused.value.detail == message
    assert refused.value.retryable is False


async def test_forged_tokens_never_open_the_auth_breaker(
    router: respx.Router, downstreams: Downstreams
) -> None:
    route = router.get("/auth/me").respond(500, json={"message": "invalid signature"})

    for _ in range(100):
        with pytest.raises(Unauthorized):
            await downstreams.auth.me("forged.jwt.token")

    assert downstreams.breakers["auth"].state is BreakerState.CLOSED
    assert route.call_count == 100


async def test_a_real_500_of_the_auth_api_is_still_its_own_fault(
    router: respx.Router, downstreams: Downstreams
) -> None:
    router.get("/auth/me").respond(500, json={"message": "Something went wrong."})

    with pytest.raises(Unavailable) as failed:
        await downstreams.auth.me("a.valid.token")

    assert failed.value.fault is Fault.DOWNSTREAM


async def test_a_refusal_of_a_call_without_caller_credentials_is_not_the_callers(
    router: respx.Router, downstreams: Downstreams
) -> None:
    router.get("/users/1").respond(401, json={"message": "API key required"})

    with pytest.raises(Unauthorized) as refused:
        await downstreams.users.get(1)

    assert refused.value.fault is Fault.NONE


@pytest.mark.parametrize("status", [400, 401, 403])
async def test_a_refused_login_is_the_callers_fault(
    router: respx.Router, downstreams: Downstreams, status: int
) -> None:
    router.post("/auth/login").respond(status, json={"message": "Invalid credentials"})

    with pytest.raises((BadRequest, Unauthorized)) as refused:
        await downstreams.auth.login("emilys", "wrong")

    assert refused.value.fault is Fault.CALLER


def test_a_stale_copy_never_covers_the_callers_fault() -> None:
    error = Unavailable("auth", "odd", fault=Fault.CALLER)
    assert (error.retryable, error.stale_ok) == (False, False)
