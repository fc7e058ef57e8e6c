"""The base every frontend-facing model shares: camelCase JSON, strict, documented.

Frontends are JavaScript: they get camelCase keys (the downstream convention too), while Python
code keeps snake_case attributes. ``extra="forbid"`` makes a model refuse fields it does not
declare, so a sensitive downstream field can never ride along by accident.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ResponseModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
        extra="forbid",
        frozen=True,
    )
