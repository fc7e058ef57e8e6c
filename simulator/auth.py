"""`/auth/login`, `/auth/me` and `/auth/refresh`, with the real service's messages and statuses.

Like the real service, login and refresh also set `accessToken`/`refreshToken` cookies (HttpOnly,
Secure) and `/auth/me` falls back to the cookie when there is no Authorization header: a BFF that
keeps a cookie jar on its shared client would leak one user's session to the next, so clients must
not store cookies.

`/auth/me` fails like the real service does for each kind of bad token: 401 for a missing,
expired or malformed (not three-part) one, 500 with the JWT library's message for a forged or
garbled one (`invalid signature`, `invalid token`, `jwt signature is required`), 400 `Invalid
access token` for a valid token naming no user. All of them mean "the caller's token is bad".
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from simulator import jwt
from simulator.data import Record
from simulator.responses import ApiError, json_response
from simulator.state import SimulatorState

MAX_EXPIRES_MINS = 43_200
DEFAULT_EXPIRES_MINS = 60
_PAYLOAD_FIELDS = ("id", "username", "email", "firstName", "lastName", "gender", "image")


async def _json_object(request: Request) -> dict[str, Any]:
    """The JSON body as a dict; an empty body reads as `{}` like Express's body parser."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Invalid JSON body") from None
    return body if isinstance(body, dict) else {}


def _expires_in_mins(value: Any) -> float:
    if value is None:
        return DEFAULT_EXPIRES_MINS
    try:
        minutes = float(value)
    except (TypeError, ValueError):
        minutes = 0.0
    if isinstance(value, bool) or not 1 <= minutes <= MAX_EXPIRES_MINS:
        raise ApiError(400, f"Maximum access token expire time can be {MAX_EXPIRES_MINS} minutes")
    return minutes


def _set_cookies(response: Response, access: str, refresh: str, access_mins: float) -> None:
    response.set_cookie(
        "accessToken", access, max_age=int(access_mins * 60), httponly=True, secure=True
    )
    response.set_cookie(
        "refreshToken",
        refresh,
        max_age=jwt.REFRESH_EXPIRES_MINS * 60,
        httponly=True,
        secure=True,
    )


# DummyJSON's error handler maps these two messages of its JWT library to a 401; every other one
# (a forged or garbled token: "invalid signature", "invalid token", "jwt signature is required")
# falls through to its generic handler and is answered 500 with the library's message.
_MAPPED_TOKEN_ERRORS = {
    "jwt expired": "Token Expired!",
    "jwt malformed": "Invalid/Expired Token!",
}


def _token_error(message: str) -> ApiError:
    mapped = _MAPPED_TOKEN_ERRORS.get(message)
    if mapped is not None:
        return ApiError(401, mapped)
    return ApiError(500, message)


class AuthRoutes:
    def __init__(self, state: SimulatorState) -> None:
        self._by_username = {user["username"].lower(): user for user in state.data.users}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/auth/login", self.login, methods=["POST"]),
            Route("/auth/me", self.me, methods=["GET"]),
            Route("/auth/refresh", self.refresh, methods=["POST"]),
        ]

    def _user_for(self, claims: dict[str, Any]) -> Record | None:
        username = claims.get("username")
        user = self._by_username.get(username.lower()) if isinstance(username, str) else None
        if user is None or user["id"] != claims.get("id"):
            return None
        return user

    def _tokens(self, user: Record, expires_mins: float) -> tuple[dict[str, Any], str, str]:
        payload = {name: user[name] for name in _PAYLOAD_FIELDS}
        access = jwt.encode(payload, kind="access", expires_in_mins=expires_mins)
        refresh = jwt.encode(payload, kind="refresh", expires_in_mins=jwt.REFRESH_EXPIRES_MINS)
        return payload, access, refresh

    async def login(self, request: Request) -> Response:
        body = await _json_object(request)
        username, password = body.get("username"), body.get("password")
        if not username or not password:
            raise ApiError(400, "Username and password required")
        if not isinstance(username, str):
            raise ApiError(400, "Username is not valid")
        expires = _expires_in_mins(body.get("expiresInMins"))
        user = self._by_username.get(username.lower())
        if user is None or user["password"] != password:
            raise ApiError(400, "Invalid credentials")
        payload, access, refresh = self._tokens(user, expires)
        response = json_response({**payload, "accessToken": access, "refreshToken": refresh})
        _set_cookies(response, access, refresh, expires)
        return response

    async def me(self, request: Request) -> Response:
        header = request.headers.get("authorization")
        token = header or request.cookies.get("accessToken")
        if not token:
            raise ApiError(401, "Access Token is required")
        scheme, _, credentials = token.partition(" ")
        if credentials and scheme.lower() == "bearer":
            token = credentials.strip()
        try:
            claims = jwt.decode(token, kind="access")
        except jwt.TokenError as exc:
            raise _token_error(str(exc)) from None
        user = self._user_for(claims)
        if user is None:
            raise ApiError(400, "Invalid access token")
        return json_response(user)

    async def refresh(self, request: Request) -> Response:
        body = await _json_object(request)
        token = body.get("refreshToken") or request.cookies.get("refreshToken")
        if not token:
            raise ApiError(401, "Refresh token required")
        expires = _expires_in_mins(body.get("expiresInMins"))
        try:
            claims = jwt.decode(str(token), kind="refresh")
        except jwt.TokenError:
            raise ApiError(403, "Invalid refresh token") from None
        user = self._user_for(claims)
        if user is None:
            raise ApiError(403, "Refresh token expired")
        _, access, refresh = self._tokens(user, expires)
        response = json_response({"accessToken": access, "refreshToken": refresh})
        _set_cookies(response, access, refresh, expires)
        return response
