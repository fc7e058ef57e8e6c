"""List query parameters (paging, select, sort, search) with the real service's rules.

Validation follows DummyJSON rather than a stricter reading: `limit=2.5` is accepted as 2, and
`order` is only checked when `sortBy` is present, because that is what clients meet in production.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]

DEFAULT_LIMIT = 30


class InvalidParam(ValueError):
    """A query parameter the real service would answer 400 for; str(exc) is its message."""


@dataclass(frozen=True, slots=True)
class ListParams:
    limit: int = DEFAULT_LIMIT
    skip: int = 0
    select: tuple[str, ...] | None = None
    sort_by: str | None = None
    descending: bool = False
    q: str = ""


def _non_negative(raw: str | None, name: str, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InvalidParam(f"Invalid '{name}' - should be a positive number")
    return int(value)


def parse_select(raw: str | None) -> tuple[str, ...] | None:
    """`id` first, then the requested names in order, without duplicates."""
    if not raw:
        return None
    names = ["id"]
    for name in raw.split(","):
        name = name.strip()
        if name and name not in names:
            names.append(name)
    return tuple(names)


def parse_list_params(query: Mapping[str, str]) -> ListParams:
    """Read limit/skip/select/sortBy/order/q; raise InvalidParam with the real message."""
    sort_by = query.get("sortBy") or None
    descending = False
    order = query.get("order")
    if sort_by and order:
        lowered = order.lower()
        if lowered not in ("asc", "desc"):
            raise InvalidParam("Invalid 'order' - should be either 'asc' or 'desc'")
        descending = lowered == "desc"
    return ListParams(
        limit=_non_negative(query.get("limit"), "limit", DEFAULT_LIMIT),
        skip=_non_negative(query.get("skip"), "skip", 0),
        select=parse_select(query.get("select")),
        sort_by=sort_by,
        descending=descending,
        q=normalize_query(query.get("q", "")),
    )


def normalize_query(q: str) -> str:
    """The real service lower-cases the query and turns hyphens into spaces."""
    return q.strip().lower().replace("-", " ")


def search(items: Iterable[Record], fields: Sequence[str], q: str) -> list[Record]:
    """Items where any of `fields` contains the normalized query (case-insensitive)."""
    if not q:
        return list(items)
    return [item for item in items if any(q in str(item.get(name, "")).lower() for name in fields)]


def select_fields(item: Record, names: Sequence[str]) -> Record:
    """Top-level subset; unknown names are dropped, as `undefined` vanishes from JS JSON."""
    return {name: item[name] for name in names if name in item}


def _sort_key(name: str) -> Any:
    def key(item: Record) -> tuple[int, Any]:
        value = item.get(name)
        if isinstance(value, bool) or value is None:
            return (2, str(value))
        if isinstance(value, int | float):
            return (0, value)
        if isinstance(value, str):
            return (1, value)
        return (2, str(value))

    return key


def paginate(items: Sequence[Record], resource: str, params: ListParams) -> Record:
    """The list envelope: `total` before paging, `limit` = number of items returned."""
    rows: Sequence[Record] = items
    if params.sort_by:
        rows = sorted(rows, key=_sort_key(params.sort_by), reverse=params.descending)
    total = len(rows)
    if params.skip:
        rows = rows[params.skip :]
    if params.limit:
        rows = rows[: params.limit]
    if params.select:
        names = params.select
        rows = [select_fields(row, names) for row in rows]
    return {resource: list(rows), "total": total, "skip": params.skip, "limit": len(rows)}
