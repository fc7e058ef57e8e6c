"""Client of the auth service: the only client that handles credentials.

Tokens are sent only through this client's own pipeline, whose path guard keeps them on its base
URL. They are never part of an error's detail.
"""

import re

from clients.base import ServiceClient
from clients.errors import Unauthorized
from schemas.downstream import LoginResult, TokenPair, User

# A bearer token is a header token: a value with spaces or control characters is refused before
# sending, as the downstream would refuse it, instead of failing inside the HTTP library.
_TOKEN = re.compile(r"[\x21-\x7e]+")


class AuthClient(ServiceClient):
    service = "auth"

    async def login(
        self, username: str, password: str, *, expires_in_mins: int | None = None
    ) -> LoginResult:
        body: dict[str, str | int] = {"username": username, "password": password}
        if expires_in_mins is not None:
            body["expiresInMins"] = expires_in_mins
        return await self.downstream.post(
            "/auth/login", LoginResult, json=body, operation="auth.login"
        )

    async def me(self, access_token: str) -> User:
        """The token's user, including fields (password, ...) that must not be passed on."""
        if not _TOKEN.fullmatch(access_token):
            raise Unauthorized(self.service, "malformed access token")
        headers = {"Authorization": f"Bearer {access_token}"}
        return await self.downstream.get("/auth/me", User, headers=headers, operation="auth.me")

    async def refresh(self, refresh_token: str, *, expires_in_mins: int | None = None) -> TokenPair:
        body: dict[str, str | int] = {"refreshToken": refresh_token}
        if expires_in_mins is not None:
            body["expiresInMins"] = expires_in_mins
        return await self.downstream.post(
            "/auth/refresh", TokenPair, json=body, operation="auth.refresh"
        )
