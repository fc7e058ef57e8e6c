"""The status page in headless Chromium: it shows exactly what ``/status.json`` says.

A live BFF (with the simulator behind it, one downstream failing) serves some traffic; then the
page is opened with its refresh frozen (``?refresh=0``: one fetch), and every figure in the table
is checked against the JSON document that this very fetch returned, as Playwright saw it on the
wire. The screenshot is kept in the test's tmp dir; with ``UPDATE_SCREENSHOTS=1`` (``make
screenshots``) it is also copied to ``docs/status.png``, which the README shows, so an ordinary
test run leaves the checkout clean. The browser is the one ``test_docs_page`` drives, with the
same guard against any request leaving the machine.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect
from support import Simulator, settings_for
from test_docs_page import browser_page

from bff.app import create_app
from simulator import BackgroundServer

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "status.png"
EMPTY = "\u2013"
# What the page shows of each field: the JSON value at the precision the JSON rounded it to.
DECIMALS = {"callRate": 2, "errorPercent": 1, "p50Ms": 1, "p99Ms": 1, "cacheHitPercent": 1}
FIELDS = (
    "service",
    "callRate",
    "calls",
    "errorPercent",
    "p50Ms",
    "p99Ms",
    "breaker",
    "cacheHitPercent",
    "lastError",
)
# Figures that do not move while no traffic arrives (the call rate is per second of uptime).
STEADY = ("calls", "failures", "errorPercent", "p50Ms", "p99Ms", "breaker", "cacheHitPercent")

TRAFFIC = (
    *["/v1/home"] * 3,
    *["/v1/users/1/profile"] * 3,
    *["/v1/products/1"] * 2,
    "/v1/posts/1",
    "/v1/carts/1",
    "/v1/search?q=phone",
)


def shown(field: str, value: Any) -> str:
    if value is None:
        return EMPTY
    if field in DECIMALS:
        return f"{value:.{DECIMALS[field]}f}"
    return str(value)


@pytest.fixture(scope="module")
def status_bff(simulator_server: BackgroundServer) -> Iterator[str]:
    """A BFF with the cache on, and a breaker that opens after 3 failures and stays open."""
    settings = settings_for(
        simulator_server.url,
        cache_enabled=True,
        breaker_consecutive_failures=3,
        breaker_open_seconds=600,
        retry_backoff_base=0.001,
    )
    with BackgroundServer(create_app(settings)) as server:
        yield server.url


def rendered_rows(page: Page) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = page.eval_on_selector_all(
        "#services tr",
        """rows => rows.map(row => Object.fromEntries(
               [...row.cells].map(cell => [cell.dataset.field, cell.textContent])))""",
    )
    return rows


def test_the_page_shows_the_figures_of_status_json(
    status_bff: str, sim: Simulator, tmp_path: Path
) -> None:
    base = status_bff
    sim.faults({"path": "/quotes/*", "mode": "status", "status": 503})
    with httpx.Client(base_url=base, timeout=30) as client:
        statuses = [client.get(path).status_code for path in TRAFFIC]
    assert set(statuses) == {200}, statuses

    with browser_page() as (page, traffic):
        with page.expect_response(lambda r: urlsplit(r.url).path == "/status.json") as fetched:
            page.goto(f"{base}/status?refresh=0")
        document: dict[str, Any] = fetched.value.json()
        expect(page.locator("body")).to_have_attribute("data-generation", "1")
        rows = rendered_rows(page)
        page.set_viewport_size({"width": 1280, "height": 560})  # the table, little margin
        page.screenshot(path=tmp_path / "status.png", full_page=True)
        now = httpx.get(f"{base}/status.json", timeout=30).json()

    services = document["services"]
    assert [row["service"] for row in rows] == [row["service"] for row in services]
    for row, figures in zip(rows, services, strict=True):
        assert row == {field: shown(field, figures[field]) for field in FIELDS}
    # The same moment: what the page fetched is what the endpoint says now.
    assert [{k: s[k] for k in STEADY} for s in now["services"]] == [
        {k: s[k] for k in STEADY} for s in services
    ]
    # And it is the scenario's story: quotes failing, its circuit open, the cache answering.
    by_service = {row["service"]: row for row in rows}
    assert by_service["quotes"]["breaker"] == "open"
    assert by_service["quotes"]["errorPercent"] == "100.0"
    assert by_service["quotes"]["lastError"] == "circuit_open"
    assert by_service["users"]["errorPercent"] == "0.0"
    assert float(by_service["products"]["cacheHitPercent"]) > 0
    assert traffic.left_the_machine == [], f"sent outside 127.0.0.1: {traffic.left_the_machine}"
    assert (tmp_path / "status.png").stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(tmp_path / "status.png", SCREENSHOT)


def test_the_page_refreshes_from_status_json(status_bff: str) -> None:
    with browser_page() as (page, traffic):
        page.goto(f"{status_bff}/status?refresh=0.2")
        page.wait_for_function("() => Number(document.body.dataset.generation) >= 3")
        expect(page.locator("#services tr[data-service=users]")).to_have_count(1)
        expect(page.locator("#error")).to_have_text("")

    fetches = [url for url in traffic.urls if urlsplit(url).path == "/status.json"]
    assert len(fetches) >= 3
    assert traffic.left_the_machine == []
