"""How a screen tells the frontend which of its parts were served and which failed.

Every screen is a set of sections fetched concurrently. The frontend needs to know, per
section, whether it can render it, and whether trying again could help, without parsing
error strings: hence a closed set of statuses and the ``retryable`` flag.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from schemas.responses.base import ResponseModel

SectionStatusName = Literal[
    "ok",
    "error",
    "not_found",
    "timeout",
    "unavailable",
    "circuit_open",
    "rate_limited",
    "bad_response",
    "unauthorized",
    "skipped",
]


class SectionStatus(ResponseModel):
    """The outcome of one section of a screen."""

    status: SectionStatusName = Field(
        description="`ok` when the section's data is present; otherwise why it is null."
    )
    downstream: str | None = Field(
        None, description="The downstream API that failed, when the section failed."
    )
    http_status: int | None = Field(
        None, description="The downstream's HTTP status, when it answered with an error."
    )
    attempts: int | None = Field(None, description="Downstream attempts made for the section.")
    retryable: bool | None = Field(
        None, description="Whether asking again later may succeed (for failed sections)."
    )
    detail: str | None = Field(None, description="A short, safe explanation of the failure.")


class Meta(ResponseModel):
    """Completeness of a screen response."""

    partial: bool = Field(
        description="True when at least one optional section failed and is null in the body."
    )
    sections: dict[str, SectionStatus] = Field(
        description="One entry per section of the screen, keyed by the section's field name."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "partial": True,
                    "sections": {
                        "user": {"status": "ok"},
                        "posts": {
                            "status": "timeout",
                            "downstream": "posts",
                            "attempts": 1,
                            "retryable": True,
                            "detail": "posts did not answer in time",
                        },
                    },
                }
            ]
        }
    )
