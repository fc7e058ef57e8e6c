"""Sign-in: the request a frontend sends and the tokens it gets back."""

from __future__ import annotations

from pydantic import Field, SecretStr

from schemas.responses.base import ResponseModel
from schemas.responses.users import UserSummary


class LoginRequest(ResponseModel):
    username: str = Field(min_length=1, max_length=100, examples=["emilys"])
    password: SecretStr = Field(min_length=1, max_length=200, examples=["emilyspass"])
    expires_in_mins: int | None = Field(
        None, ge=1, le=43200, description="Access token lifetime (default 60 minutes)."
    )


class LoginResponse(ResponseModel):
    access_token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    refresh_token: str
    token_type: str = Field("Bearer")
    user: UserSummary


class RefreshRequest(ResponseModel):
    refresh_token: SecretStr = Field(min_length=1, max_length=4096)
    expires_in_mins: int | None = Field(None, ge=1, le=43200)


class TokenPairResponse(ResponseModel):
    access_token: str
    refresh_token: str
    token_type: str = Field("Bearer")
