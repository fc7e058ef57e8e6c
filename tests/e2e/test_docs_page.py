"""The docs pages work offline: Swagger UI and ReDoc render from the BFF alone, in a real browser.

A live BFF (with the simulator behind it) is opened in the distribution's headless Chromium,
driven by Playwright through ``executable_path`` (Playwright's own browser downloads are never
used). Every request the page makes is recorded; requests that would leave the machine are also
aborted, so a regression shows up as a failed assertion here, never as traffic.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, Request, Route, expect, sync_playwright
from support import Simulator, settings_for

from bff.app import create_app
from simulator import BackgroundServer

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RENDER_TIMEOUT_MS = 20_000
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})

expect.set_options(timeout=RENDER_TIMEOUT_MS)


@dataclass
class Traffic:
    """Every URL the page asked for, and what became of the ones for other hosts.

    A request the page's Content-Security-Policy refuses is reported by the browser (failure
    ``csp``) but is never sent; any other request for another host would have left the machine
    (the test's route aborts it, so even a failing run sends nothing).
    """

    urls: list[str] = field(default_factory=list)
    refused_by_policy: list[str] = field(default_factory=list)
    aborted: list[str] = field(default_factory=list)

    def record(self, request: Request) -> None:
        self.urls.append(request.url)

    def record_failure(self, request: Request) -> None:
        if request.failure == "csp":
            self.refused_by_policy.append(request.url)

    def abort(self, route: Route) -> None:
        self.aborted.append(route.request.url)
        route.abort("blockedbyclient")

    @property
    def left_the_machine(self) -> list[str]:
        """Requests for another host that the browser did send (or tried to)."""
        return [url for url in self.urls if not is_local(url) and url not in self.refused_by_policy]


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname == "127.0.0.1"


@contextmanager
def browser_page() -> Iterator[tuple[Page, Traffic]]:
    assert CHROMIUM.is_file(), (
        f"{CHROMIUM} is missing: `make test` (or `make system-tools`) installs Debian's chromium"
    )
    traffic = Traffic()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1000})
            context.on("request", traffic.record)
            context.on("requestfailed", traffic.record_failure)
            context.route(lambda url: not is_local(url), traffic.abort)
            page = context.new_page()
            page.set_default_timeout(RENDER_TIMEOUT_MS)
            yield page, traffic
            context.close()
        finally:
            browser.close()


@pytest.fixture(scope="module")
def docs_bff(simulator_server: BackgroundServer) -> Iterator[str]:
    """One BFF with default settings (the pages do not depend on the HTTP transport)."""
    with BackgroundServer(create_app(settings_for(simulator_server.url))) as server:
        yield server.url


def operation_ids(base: str) -> dict[str, str]:
    """operationId -> first tag, from the contract the page renders."""
    spec = httpx.get(f"{base}/openapi.json", timeout=30).raise_for_status().json()
    return {
        operation["operationId"]: operation["tags"][0]
        for item in spec["paths"].values()
        for operation in item.values()
    }


def test_swagger_ui_renders_offline_and_executes_a_request(
    docs_bff: str, sim: Simulator, tmp_path: Path
) -> None:
    base = docs_bff
    operations = operation_ids(base)

    with browser_page() as (page, traffic):
        page.goto(f"{base}/docs")

        # The operations list rendered: one block per operation of the contract.
        blocks = page.locator(".opblock")
        expect(blocks).to_have_count(len(operations))
        for operation_id, tag in operations.items():
            expect(page.locator(f"#operations-{tag}-{operation_id}")).to_have_count(1)

        # Expand the profile screen, try it out against the demo, and see a 200.
        profile = page.locator("#operations-profile-profile_get_profile")
        profile.locator(".opblock-summary-control").click()
        profile.get_by_role("button", name="Try it out").click()
        profile.locator('input[placeholder="user_id"]').fill("1")
        profile.get_by_role("button", name="Execute").click()
        status = profile.locator(".live-responses-table .response .response-col_status")
        expect(status.first).to_have_text("200")
        body = profile.locator(".live-responses-table .response .response-col_description pre")
        expect(body.first).to_contain_text('"username": "emilys"')
        page.screenshot(path=tmp_path / "docs.png", full_page=True)

    assert f"{base}/v1/users/1/profile" in traffic.urls, traffic.urls
    assert f"{base}/docs-assets/swagger-ui-bundle.js" in traffic.urls, traffic.urls
    assert traffic.left_the_machine == [], f"sent outside 127.0.0.1: {traffic.left_the_machine}"
    assert traffic.aborted == []
    assert (tmp_path / "docs.png").stat().st_size > 10_000


def test_redoc_renders_offline(docs_bff: str, sim: Simulator, tmp_path: Path) -> None:
    base = docs_bff
    operations = operation_ids(base)

    with browser_page() as (page, traffic):
        page.goto(f"{base}/redoc")
        expect(page.locator("h1").first).to_contain_text("BFF")
        for operation_id in operations:
            expect(page.locator(f'[id="operation/{operation_id}"]')).to_have_count(1)
        page.screenshot(path=tmp_path / "redoc.png")

    assert f"{base}/docs-assets/redoc.standalone.js" in traffic.urls, traffic.urls
    # ReDoc always asks a CDN for its logo; the page's policy refuses it before it is sent.
    assert traffic.left_the_machine == [], f"sent outside 127.0.0.1: {traffic.left_the_machine}"
    assert traffic.aborted == []
