"""What the operator endpoints take and return (``/admin/...``)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from schemas.responses.base import ResponseModel


class CachePurgeRequest(ResponseModel):
    """Which cached downstream answers to drop."""

    prefix: str = Field(
        "",
        max_length=500,
        description="Drop the entries whose key starts with this; empty drops everything. Keys "
        "read `service:path?sorted-query`, e.g. `products:` (every products answer) or "
        "`products:/products/1?` (one product).",
        examples=["products:/products/1?"],
    )


class CachePurgeResult(ResponseModel):
    """How many entries the purge dropped, per tier."""

    prefix: str = Field(description="The prefix purged (empty: everything).")
    in_process: int = Field(ge=0, description="Entries dropped from this process's cache.")
    shared: int = Field(
        ge=0, description="Entries dropped from the shared Redis tier (0 when there is none)."
    )
    replicas: int = Field(
        ge=1,
        description="Replicas (BFF processes) that dropped their in-process entries, this one "
        "included: with Redis, those subscribed to purges that acknowledged within a second; "
        "without, 1.",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"prefix": "products:", "inProcess": 31, "shared": 30, "replicas": 3}]
        }
    )
