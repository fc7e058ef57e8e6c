"""Shared configuration for downstream payloads.

The downstream owns these shapes, so the models tolerate what we do not use (unknown fields are
ignored) but are strict about what we depend on: a missing id fails loudly, so schema drift is
caught at the edge instead of surfacing as a `None` deep inside a screen. Instances are frozen
because the pipeline may cache one decoded payload and share it between concurrent requests.
"""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class DownstreamModel(BaseModel):
    """Base of every downstream payload: snake_case in Python, camelCase on the wire."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
    )


class Page(DownstreamModel):
    """The list envelope: `total` counts before paging, `limit` is the number of items returned."""

    total: int
    skip: int
    limit: int
