"""Query parameters of the downstream's list convention (docs/reference/downstream.md, "Lists").

Paging is always sent explicitly, even at its defaults, so that equal requests have equal URLs (one
cache key) whatever the downstream's own defaults are.
"""

from typing import Literal

Order = Literal["asc", "desc"]


def page(
    limit: int,
    skip: int,
    *,
    sort_by: str | None = None,
    order: Order | None = None,
) -> dict[str, str | int]:
    """`limit` (0 = all) and `skip`, plus `sortBy`/`order` when asked for."""
    params: dict[str, str | int] = {"limit": limit, "skip": skip}
    if sort_by is not None:
        params["sortBy"] = sort_by
    if order is not None:
        params["order"] = order
    return params


def search(q: str, limit: int, skip: int) -> dict[str, str | int]:
    """A search query (case-insensitive substring on the downstream) with paging."""
    return {"q": q, **page(limit, skip)}
