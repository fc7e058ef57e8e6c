"""The docs pages reference only the app's own assets, which the app serves (no browser here:
``tests/e2e/test_docs_page.py`` renders them in Chromium)."""

from __future__ import annotations

import re

import pytest
from support import in_process, settings_for

from bff.app import create_app
from bff.docs import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.anyio

ASSET_URL = re.compile(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""")


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        ("/docs", ["/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"]),
        ("/redoc", ["/docs-assets/redoc.standalone.js"]),
    ],
)
async def test_docs_pages_load_everything_from_the_app(page: str, assets: list[str]) -> None:
    async with in_process(create_app(settings_for("http://down.test"))) as (client, _):
        response = await client.get(page)
        assert response.status_code == 200
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "default-src 'self'" in CONTENT_SECURITY_POLICY

        referenced = {a or b for a, b in ASSET_URL.findall(response.text)}
        assert set(assets) <= referenced
        assert all(url.startswith("/") and not url.startswith("//") for url in referenced), (
            referenced
        )
        assert "fonts.googleapis" not in response.text
        for asset in [*assets, "/docs-assets/favicon.png"]:
            served = await client.get(asset)
            assert served.status_code == 200, asset
            assert len(served.content) > 1000, asset


async def test_fastapi_cdn_pages_are_not_registered() -> None:
    app = create_app(settings_for("http://down.test"))
    assert (app.docs_url, app.redoc_url) == (None, None)
    paths = [getattr(route, "path", "") for route in app.routes]
    assert paths.count("/docs") == 1
    assert paths.count("/redoc") == 1
