"""``BFF_SEARCH_LIMIT``: the search screen's results per kind when the frontend names none."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from support import in_process, settings_for

from bff.app import create_app

pytestmark = pytest.mark.anyio

KINDS = {
    "/products/search": "products",
    "/users/search": "users",
    "/posts/search": "posts",
    "/recipes/search": "recipes",
}


async def _limits_asked(query: dict[str, Any], **settings: Any) -> dict[str, str]:
    """Search once; the ``limit`` each downstream search was asked for, by path."""
    asked: dict[str, str] = {}

    def downstream(request: httpx.Request) -> httpx.Response:
        asked[request.url.path] = request.url.params["limit"]
        kind = KINDS[request.url.path]
        return httpx.Response(200, json={kind: [], "total": 0, "skip": 0, "limit": 0})

    app = create_app(
        settings_for("http://down.test", **settings), transport=httpx.MockTransport(downstream)
    )

    async def scenario() -> httpx.Response:
        async with in_process(app) as (client, _):
            return await client.get("/v1/search", params=query)

    response = await scenario()
    assert response.status_code == 200, response.text
    return asked


@pytest.mark.parametrize(("setting", "expected"), [({}, "5"), ({"search_limit": 12}, "12")])
async def test_the_setting_is_the_default_per_kind(setting: dict[str, int], expected: str) -> None:
    assert await _limits_asked({"q": "a"}, **setting) == dict.fromkeys(KINDS, expected)


async def test_the_frontends_limit_wins_over_the_setting() -> None:
    assert await _limits_asked({"q": "a", "limit": 3}, search_limit=12) == dict.fromkeys(KINDS, "3")
