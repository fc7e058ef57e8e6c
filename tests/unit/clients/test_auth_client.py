"""AuthClient: credentials go only to the auth service, where expected, and never into errors."""

import json

import httpx
import pytest
import respx

from clients import SERVICES, AuthClient, BadRequest, Downstreams, ServicePolicy, Unauthorized
from schemas.downstream import LoginResult, TokenPair, User

pytestmark = pytest.mark.anyio

ACCESS = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6MSwidXNlcm5hbWUiOiJlbWlseXMifQ.c2ln"
REFRESH = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6MX0.cmVmcmVzaA"
LOGIN = {
    "accessToken": ACCESS,
    "refreshToken": REFRESH,
    "id": 1,
    "username": "emilys",
    "email": "emily.johnson@x.dummyjson.com",
    "firstName": "Emily",
    "lastName": "Johnson",
    "gender": "female",
    "image": "https://dummyjson.com/icon/emilys/128",
}
USER = {
    "id": 1,
    "firstName": "Emily",
    "lastName": "Johnson",
    "username": "emilys",
    "email": "emily.johnson@x.dummyjson.com",
    "password": "emilyspass",
}


async def test_login(router: respx.Router, downstreams: Downstreams) -> None:
    route = router.post("/auth/login").respond(200, json=LOGIN)
    result = await downstreams.auth.login("emilys", "emilyspass")
    assert isinstance(result, LoginResult)
    assert (result.access_token, result.first_name) == (ACCESS, "Emily")
    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"username": "emilys", "password": "emilyspass"}
    assert "Authorization" not in request.headers


async def test_login_with_expiry(router: respx.Router, downstreams: Downstreams) -> None:
    route = router.post("/auth/login").respond(200, json=LOGIN)
    await downstreams.auth.login("emilys", "emilyspass", expires_in_mins=30)
    body = json.loads(route.calls.last.request.content)
    assert body == {"username": "emilys", "password": "emilyspass", "expiresInMins": 30}


async def test_bad_login_is_a_bad_request(router: respx.Router, downstreams: Downstreams) -> None:
    router.post("/auth/login").respond(400, json={"message": "Invalid credentials"})
    with pytest.raises(BadRequest) as info:
        await downstreams.auth.login("emilys", "wrong")
    assert info.value.detail == "Invalid credentials"
    assert "wrong" not in str(info.value)


async def test_me_sends_the_bearer_token(router: respx.Router, downstreams: Downstreams) -> None:
    route = router.get("/auth/me").respond(200, json=USER)
    user = await downstreams.auth.me(ACCESS)
    assert isinstance(user, User)
    assert user.username == "emilys"
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {ACCESS}"


@pytest.mark.parametrize("token", ["", "two words", "line\nbreak", "caf\u00e9"])
async def test_me_refuses_a_malformed_token_without_sending(
    router: respx.Router, downstreams: Downstreams, token: str
) -> None:
    with pytest.raises(Unauthorized) as info:
        await downstreams.auth.me(token)
    assert info.value.status is None
    assert router.calls.call_count == 0


async def test_expired_token_is_unauthorized_and_not_echoed(
    router: respx.Router, downstreams: Downstreams
) -> None:
    router.get("/auth/me").respond(401, json={"message": f"Token Expired! {ACCESS}"})
    with pytest.raises(Unauthorized) as info:
        await downstreams.auth.me(ACCESS)
    assert ACCESS not in info.value.detail
    assert ACCESS not in str(info.value)
    assert ACCESS not in repr(info.value)


async def test_refresh(router: respx.Router, downstreams: Downstreams) -> None:
    route = router.post("/auth/refresh").respond(
        200, json={"accessToken": "new.access.token", "refreshToken": "new.refresh.token"}
    )
    pair = await downstreams.auth.refresh(REFRESH, expires_in_mins=60)
    assert isinstance(pair, TokenPair)
    assert pair.access_token == "new.access.token"
    request = route.calls.last.request
    assert json.loads(request.content) == {"refreshToken": REFRESH, "expiresInMins": 60}
    assert "Authorization" not in request.headers


async def test_invalid_refresh_token_is_unauthorized(
    router: respx.Router, downstreams: Downstreams
) -> None:
    router.post("/auth/refresh").respond(403, json={"message": "Invalid refresh token"})
    with pytest.raises(Unauthorized) as info:
        await downstreams.auth.refresh(REFRESH)
    assert info.value.status == 403


async def test_tokens_go_only_to_the_auth_base_url() -> None:
    router = respx.Router(assert_all_called=False)
    route = router.route().respond(200, json=USER)
    http = httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler))
    policies = dict.fromkeys(SERVICES, ServicePolicy(base_url="http://other.test", timeout=1))
    policies["auth"] = ServicePolicy(base_url="https://auth.test/v1", timeout=1)
    downstreams = Downstreams.build(http, policies)
    assert isinstance(downstreams.auth, AuthClient)

    await downstreams.auth.me(ACCESS)
    await downstreams.users.get(1)

    to_auth, to_users = (call.request for call in route.calls)
    assert str(to_auth.url) == "https://auth.test/v1/auth/me"
    assert to_users.url.host == "other.test"
    assert "Authorization" not in to_users.headers
