"""Auth payloads. They carry bearer tokens: never log them, never pass them on by accident."""

from schemas.downstream.base import DownstreamModel


class TokenPair(DownstreamModel):
    access_token: str
    refresh_token: str


class LoginResult(TokenPair):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    gender: str | None = None
    image: str | None = None
