"""Sign-in relay and the signed-in user's screen against the real simulator."""

from __future__ import annotations

import httpx
import pytest
from support import Simulator, assert_complete, assert_no_sensitive_fields, assert_problem

pytestmark = pytest.mark.integration


def _login(bff: httpx.Client) -> dict[str, object]:
    response = bff.post("/v1/auth/login", json={"username": "emilys", "password": "emilyspass"})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_login_returns_tokens_and_the_user(bff: httpx.Client) -> None:
    body = _login(bff)

    assert body["tokenType"] == "Bearer"
    assert isinstance(body["accessToken"], str)
    assert isinstance(body["refreshToken"], str)
    assert body["user"] == {
        "id": 1,
        "username": "emilys",
        "fullName": "Emily Johnson",
        "image": body["user"]["image"],  # type: ignore[index]
    }


def test_wrong_password_is_401_and_not_echoed(bff: httpx.Client) -> None:
    response = bff.post("/v1/auth/login", json={"username": "emilys", "password": "s3cret-typo"})

    assert_problem(response, 401)
    assert "s3cret-typo" not in response.text


def test_missing_login_fields_are_422_without_the_password(bff: httpx.Client) -> None:
    response = bff.post("/v1/auth/login", json={"password": "hunter2-secret"})

    body = assert_problem(response, 422)
    assert "hunter2-secret" not in response.text
    assert body["errors"][0]["loc"] == ["body", "username"]


def test_me_forwards_the_token_and_fans_out(bff: httpx.Client, sim: Simulator) -> None:
    token = _login(bff)["accessToken"]
    sim.clear()

    response = bff.get("/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["id"] == 1
    assert_complete(body)
    assert_no_sensitive_fields(body)
    routes = sim.stats()["routes"]
    assert routes["/auth/me"] == 1
    assert routes["/carts/user/{id}"] == 1
    assert routes["/users/{id}/todos"] == 1


def test_me_without_a_token_is_401(bff: httpx.Client, sim: Simulator) -> None:
    response = bff.get("/v1/me")

    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert sim.stats()["total"] == 0


def test_me_with_a_bad_token_is_401(bff: httpx.Client) -> None:
    response = bff.get("/v1/me", headers={"Authorization": "Bearer not.a.jwt"})

    assert_problem(response, 401)
    assert "not.a.jwt" not in response.text


def test_refresh_exchanges_a_refresh_token(bff: httpx.Client) -> None:
    refresh_token = _login(bff)["refreshToken"]

    response = bff.post("/v1/auth/refresh", json={"refreshToken": refresh_token})

    assert response.status_code == 200, response.text
    assert response.json()["accessToken"]


def test_refresh_with_an_access_token_is_401(bff: httpx.Client) -> None:
    access_token = _login(bff)["accessToken"]

    assert_problem(bff.post("/v1/auth/refresh", json={"refreshToken": access_token}), 401)
