"""Client of the auth service: the only client that handles credentials.

Tokens are sent only through this client's own pipeline, whose path guard keeps them on its base
URL. They are never part of an error's detail.

Every call here carries the caller's own credentials, so a refusal is the caller's fault
(`Fault.CALLER`): a 401 for the frontend, never a failure of the auth API, whatever the API's
status. That matters because DummyJSON answers a forged or garbled JWT on `/auth/me` with a 500
(`invalid signature`, `invalid token`, `jwt signature is required`: jsonwebtoken's messages,
which its error handler passes through) and a token naming an unknown user with 400 `Invalid
access token`. Read as outages, ten forged tokens would open the `auth` breaker and lock every
user out of `/v1/me` and login; `_token_refused` reads them as what they are.
"""

import re
from collections.abc import Awaitable

import httpx

from clients.base import Refused, ServiceClient
from clients.errors import DownstreamError, Fault, Unauthorized
from clients.translate import downstream_message
from schemas.downstream import LoginResult, TokenPair, User

# A bearer token is a header token: a value with spaces or control characters is refused before
# sending, as the downstream would refuse it, instead of failing inside the HTTP library.
_TOKEN = re.compile(r"[\x21-\x7e]+")

# The messages of jsonwebtoken's errors (JsonWebTokenError, TokenExpiredError, NotBeforeError),
# which DummyJSON's error handler passes through as a 500 when it does not map them to a 401.
# ("invalid signature", "invalid token", "jwt malformed", "jwt signature is required", ...)
_TOKEN_ERRORS = re.compile(r"(invalid (signature|token|algorithm|access token)|jwt \w)", re.I)


def _token_refused(service: str, response: httpx.Response) -> DownstreamError | None:
    """`/auth/me`'s answers that mean "this token is bad" (see the module docstring)."""
    status = response.status_code
    if status in (400, 401, 403):
        message = downstream_message(response) or "the access token was refused"
    elif 500 <= status <= 599:
        message = downstream_message(response) or ""
        if not _TOKEN_ERRORS.match(message):
            return None  # a real fault of the auth API
    else:
        return None
    return Unauthorized(service, message, status=status, fault=Fault.CALLER)


class AuthClient(ServiceClient):
    service = "auth"

    def login(
        self, username: str, password: str, *, expires_in_mins: int | None = None
    ) -> Awaitable[LoginResult]:
        body: dict[str, str | int] = {"username": username, "password": password}
        if expires_in_mins is not None:
            body["expiresInMins"] = expires_in_mins
        return self._post("login", "/auth/login", LoginResult, json=body, for_caller=True)

    def me(self, access_token: str) -> Awaitable[User]:
        """The token's user, including fields (password, ...) that must not be passed on."""
        if not _TOKEN.fullmatch(access_token):
            return Refused(Unauthorized(self.service, "malformed access token", fault=Fault.CALLER))
        headers = {"Authorization": f"Bearer {access_token}"}
        return self._get(
            "me",
            "/auth/me",
            User,
            headers=headers,
            for_caller=True,
            classify=_token_refused,
        )

    def refresh(
        self, refresh_token: str, *, expires_in_mins: int | None = None
    ) -> Awaitable[TokenPair]:
        body: dict[str, str | int] = {"refreshToken": refresh_token}
        if expires_in_mins is not None:
            body["expiresInMins"] = expires_in_mins
        return self._post("refresh", "/auth/refresh", TokenPair, json=body, for_caller=True)
