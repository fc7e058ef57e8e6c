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
    "stale",
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
        description="`ok` when the section's data is present and fresh; `stale` when it is "
        "present but older than its cache lifetime (served while a refresh runs, or because the "
        "downstream failed: then `downstream`, `http_status` and `detail` say how), with its "
        "`age`; otherwise why it is null: "
        "`timeout` (no answer before the deadline or the downstream's timeout), `unavailable` "
        "(5xx, refused or reset connection), `circuit_open` (the downstream failed repeatedly, "
        "so the BFF did not call it), `rate_limited` (the downstream answered 429), "
        "`bad_response` (malformed or unexpected body), `not_found`, `unauthorized`, `error` "
        "(any other failure), `skipped` (not fetched because a section it depends on failed)."
    )
    downstream: str | None = Field(
        None, description="The downstream API that failed, when the section failed."
    )
    http_status: int | None = Field(
        None, description="The downstream's HTTP status, when it answered with an error."
    )
    attempts: int | None = Field(
        None,
        description="Network attempts made for the failed section, retries and hedges "
        "included; 0 when the BFF did not call (an open circuit, a deadline already past).",
    )
    retryable: bool | None = Field(
        None,
        description="Whether the failure is of a transient kind (timeouts, 5xx, resets, rate "
        "limits), so asking again later may succeed; false for an open circuit within its "
        "Retry-After, and for failures that will repeat (bad data, not found).",
    )
    detail: str | None = Field(None, description="A short, safe explanation of the failure.")
    age: float | None = Field(
        None,
        ge=0,
        description="For a `stale` section: seconds since its oldest part was fetched from the "
        "downstream.",
    )


class Meta(ResponseModel):
    """Completeness of a screen response."""

    partial: bool = Field(
        description="True when at least one optional section failed and is null in the body "
        "(a `stale` section is present, so it alone does not make a response partial)."
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
                        "user": {
                            "status": "stale",
                            "downstream": "users",
                            "httpStatus": 503,
                            "detail": "the downstream failed (unavailable); served from cache",
                            "age": 75.2,
                        },
                        "posts": {
                            "status": "timeout",
                            "downstream": "users",
                            "attempts": 2,
                            "retryable": True,
                            "detail": "no answer within 0.5s",
                        },
                        "todos": {
                            "status": "circuit_open",
                            "downstream": "users",
                            "attempts": 0,
                            "retryable": False,
                            "detail": "circuit open after repeated failures of users; not called",
                        },
                    },
                }
            ]
        }
    )
