"""Sign-in: the request a frontend sends and the tokens it gets back."""

from __future__ import annotations

from pydantic import ConfigDict, Field, SecretStr

from schemas.responses.base import ResponseModel
from schemas.responses.users import UserSummary


class LoginRequest(ResponseModel):
    """A username and password to sign in with."""

    username: str = Field(
        min_length=1, max_length=100, description="The user's username.", examples=["emilys"]
    )
    password: SecretStr = Field(
        min_length=1,
        max_length=200,
        description="The user's password; never logged, echoed or kept.",
        examples=["emilyspass"],
    )
    expires_in_mins: int | None = Field(
        None, ge=1, le=43200, description="Access token lifetime (default 60 minutes)."
    )


_ACCESS_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6MX0.c2lnbmF0dXJl"
_REFRESH_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6MSwicmVmcmVzaCI6MX0.c2ln"


class LoginResponse(ResponseModel):
    """A signed-in user's tokens, and who they are."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "accessToken": _ACCESS_TOKEN,
                    "refreshToken": _REFRESH_TOKEN,
                    "tokenType": "Bearer",
                    "user": {
                        "id": 1,
                        "username": "emilys",
                        "fullName": "Emily Johnson",
                        "image": "https://dummyjson.com/icon/emilys/128",
                    },
                }
            ]
        }
    )

    access_token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    refresh_token: str = Field(description="Exchange it for a new pair at `POST /v1/auth/refresh`.")
    token_type: str = Field("Bearer", description="Always `Bearer`.")
    user: UserSummary = Field(description="Who signed in.")


class RefreshRequest(ResponseModel):
    """A refresh token to exchange for a new token pair."""

    refresh_token: SecretStr = Field(
        min_length=1, max_length=4096, description="The refresh token of the last login or refresh."
    )
    expires_in_mins: int | None = Field(
        None, ge=1, le=43200, description="Access token lifetime (default 60 minutes)."
    )


class TokenPairResponse(ResponseModel):
    """A new access token and refresh token; the old refresh token should be dropped."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "accessToken": _ACCESS_TOKEN,
                    "refreshToken": _REFRESH_TOKEN,
                    "tokenType": "Bearer",
                }
            ]
        }
    )

    access_token: str = Field(description="Send as `Authorization: Bearer <token>`.")
    refresh_token: str = Field(description="The next refresh token.")
    token_type: str = Field("Bearer", description="Always `Bearer`.")
