"""RFC 9457 problem details: the one shape of every error the BFF returns."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FieldError(BaseModel):
    """One invalid input, as a frontend form can show it."""

    loc: list[str | int] = Field(description="Where the bad input is, e.g. `['path', 'user_id']`.")
    msg: str = Field(description="What is wrong with it.")
    type: str = Field(description="A stable machine-readable error type.")


class Problem(BaseModel):
    """An error response (`application/problem+json`)."""

    model_config = ConfigDict(
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "type": "urn:bff:problem:not-found",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "User with id '9999' not found",
                    "instance": "/v1/users/9999/profile",
                    "requestId": "3f2b9c1e5a7d4e0f8b6a2c4d1e3f5a7b",
                }
            ]
        },
    )

    type: str = Field(description="A URI reference identifying the kind of problem.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong with this request, safe to show.")
    instance: str | None = Field(None, description="The path of the request that failed.")
    request_id: str | None = Field(
        None, alias="requestId", description="The request id, also sent as `X-Request-ID`."
    )
    downstream: str | None = Field(None, description="The downstream API that caused it, if any.")
    errors: list[FieldError] | None = Field(
        None, description="For 422: every invalid input of the request."
    )
