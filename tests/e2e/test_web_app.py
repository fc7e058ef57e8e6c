"""The example web app (examples/web) in headless Chromium, against real servers, cross-origin.

Three loopback servers: the simulator, a BFF that allows one web origin (``BFF_CORS_ORIGINS``),
and the app's static files (``examples/web/site``, exactly as committed) served by ``bff demo``'s
own static app on that origin, plus the same files on a second origin the BFF does not allow.
The browser, not a client library, decides what a page may read, so this is where CORS is tested
for real: the allowed origin renders every screen, including pictures, the login and the bearer-
authenticated ``/v1/me`` (which needs a preflight); the other origin gets nothing.

Failures are the simulator's fault injection. A downstream 429 on the profile's *required* user
call is what the BFF relays today as 503 with ``Retry-After`` (``bff/errors.py``): that is the
countdown tested here; a 429 on an optional call is a ``rate_limited`` section.

The screenshot is kept in the test's tmp dir; with ``UPDATE_SCREENSHOTS=1`` (``make
screenshots``) it is also copied to ``docs/web-app.png``, which the README shows.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from support import ManualClock, Simulator, settings_for
from test_docs_page import browser_page

from bff.app import create_app
from bff.cli import DEFAULT_WEB_DIR, web_app
from simulator import BackgroundServer

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "web-app.png"


@dataclass(frozen=True)
class WebApp:
    origin: str
    bff: str

    def url(self, route: str, *, origin: str | None = None) -> str:
        return f"{origin or self.origin}/?bff={self.bff}#{route}"


@pytest.fixture(scope="module")
def other_origin() -> Iterator[str]:
    with BackgroundServer(web_app(DEFAULT_WEB_DIR)) as server:
        yield server.url


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    assert (DEFAULT_WEB_DIR / "js" / "main.js").is_file(), "build it: make web"
    with BackgroundServer(web_app(DEFAULT_WEB_DIR)) as server:
        yield server.url


@pytest.fixture
def web(simulator_server: BackgroundServer, site: str) -> Iterator[WebApp]:
    """A fresh BFF per test, as shipped (cache on): a rate limit one test provokes starts a
    cool-down of the whole origin that must not reach into the next test."""
    settings = settings_for(
        simulator_server.url, cors_origins=site, retry_backoff_base=0.001, cache_enabled=True
    )
    with BackgroundServer(create_app(settings)) as bff:
        yield WebApp(origin=site, bff=bff.url)


RENDERS = "() => Number(document.body?.dataset.loaded ?? 0)"


def open_route(page: Page, url: str) -> None:
    """Navigate within the app (or open it), and wait until it has rendered the answer: its
    ``data-loaded`` counts renders of the current document."""
    before = page.evaluate(RENDERS) if page.url.startswith("http") else 0
    page.goto(url)
    page.wait_for_function(f"() => ({RENDERS})() > {before}")


def section_statuses(page: Page) -> dict[str, str]:
    statuses: dict[str, str] = page.eval_on_selector_all(
        "#sections li",
        "items => Object.fromEntries(items.map(li => [li.dataset.section, li.dataset.status]))",
    )
    return statuses


ALL_PICTURES = "() => [...document.images].every(img => img.complete && img.naturalWidth > 0)"


def test_every_screen_renders_real_data_cross_origin(web: WebApp, sim: Simulator) -> None:
    with browser_page() as (page, traffic):
        open_route(page, web.url("/"))
        expect(page.locator("[data-screen=home]")).to_be_visible()
        assert section_statuses(page) == dict.fromkeys(
            ("categories", "top_rated", "quote", "latest_posts"), "ok"
        )
        expect(page.locator("[data-list=top_rated] li")).to_have_count(6)
        page.wait_for_function(f"() => ({ALL_PICTURES})()")
        # Exposed headers are readable cross-origin: the request id and Server-Timing.
        expect(page.locator("#exchange")).to_contain_text("HTTP 200 · request ")
        expect(page.locator("#exchange")).to_contain_text(" ms")

        open_route(page, web.url("/users/1"))
        expect(page.locator("#name")).to_have_text("Emily Johnson")
        assert set(section_statuses(page).values()) == {"ok"}
        page.wait_for_function("() => document.querySelector('img.avatar').naturalWidth > 0")

        open_route(page, web.url("/products/1"))
        product = sim.control.get("/products/1").json()
        expect(page.locator("#title")).to_have_text(product["title"])
        page.wait_for_function("() => document.querySelector('img.hero').naturalWidth > 0")
        # Pictures load lazily: bring the related products' into view, then all are there.
        page.locator("[data-list=related] img").last.scroll_into_view_if_needed()
        page.wait_for_function(f"() => ({ALL_PICTURES})()")

        open_route(page, web.url("/search?q=a"))
        expect(page.locator("[data-screen=search] h2")).to_have_text("Search: “a”")
        assert set(section_statuses(page)) == {"products", "users", "posts", "recipes"}
        assert page.locator("[data-list=products] li").count() > 0

        # Login, then the bearer-authenticated screen: Authorization makes the browser send a
        # preflight first, which the BFF must answer for this origin.
        open_route(page, web.url("/login"))
        with page.expect_response(
            lambda r: r.url.endswith("/v1/me") and r.request.method == "GET"
        ) as me:
            page.click("#login button[type=submit]")
        assert me.value.status == 200
        page.wait_for_selector("[data-screen=me]")
        expect(page.locator("#name")).to_have_text("Signed in as Emily Johnson")
        assert set(section_statuses(page)) == {"user", "carts", "todos"}

    assert traffic.left_the_machine == []


def test_another_origin_is_blocked_by_the_browser(
    web: WebApp, other_origin: str, sim: Simulator
) -> None:
    with browser_page() as (page, _):
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        open_route(page, web.url("/users/1", origin=other_origin))

        expect(page.locator("#unreachable")).to_contain_text("could not be reached")
        expect(page.locator("#unreachable")).to_contain_text(other_origin)
        # The request did reach the BFF (it answers; the browser withholds the answer).
        assert sim.path_count("/users/1") == 1
        assert any("blocked by CORS policy" in text for text in console), console
        blocked = page.evaluate(
            """url => fetch(url).then(() => "read", error => error.name)""",
            f"{web.bff}/v1/home",
        )
        assert blocked == "TypeError"


def test_failing_sections_are_shown_and_the_rest_stays(
    web: WebApp, sim: Simulator, tmp_path: Path
) -> None:
    sim.faults(
        {"path": "/users/1/posts", "status": 503},
        # Late, so the posts call is out before the 429 starts the origin's cool-down.
        {"path": "/users/1/todos", "status": 429, "retry_after": 30, "delay_ms": 300},
    )
    with browser_page() as (page, _):
        open_route(page, web.url("/users/1"))

        assert section_statuses(page) == {
            "user": "ok",
            "carts": "ok",
            "posts": "unavailable",
            "todos": "rate_limited",
        }
        expect(page.locator("[data-missing=posts]")).to_have_text("No posts to show: unavailable")
        expect(page.locator("[data-missing=todos]")).to_have_text("No todos to show: rate limited")
        expect(page.locator("#sections li[data-section=posts] .state")).to_have_text(
            "unavailable (users 503), may recover"
        )
        expect(page.locator("#name")).to_have_text("Emily Johnson")
        expect(page.locator("[data-list=carts] li")).not_to_have_count(0)
        expect(page.locator("#sections")).to_have_class("sections partial")
        page.wait_for_function("() => document.querySelector('img.avatar').naturalWidth > 0")
        page.set_viewport_size({"width": 1200, "height": 720})
        page.screenshot(path=tmp_path / "web-app.png")

    assert (tmp_path / "web-app.png").stat().st_size > 10_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(tmp_path / "web-app.png", SCREENSHOT)


def test_a_rate_limited_screen_counts_down_from_retry_after(web: WebApp, sim: Simulator) -> None:
    sim.faults({"path": "/users/1", "status": 429, "retry_after": 30})
    with browser_page() as (page, _):
        with page.expect_response(lambda r: "/v1/users/1/profile" in r.url) as answer:
            open_route(page, web.url("/users/1"))
        response = answer.value

        assert response.status == 503
        assert response.headers["retry-after"] == "30"
        expect(page.locator("#problem")).to_have_attribute("data-status", "503")
        expect(page.locator("#request-id")).to_have_text(response.headers["x-request-id"])
        countdown = page.locator("#countdown")
        expect(countdown).to_have_attribute("data-seconds", "30")
        # It counts down (the page's own one-second timer): waits for the next second's text.
        expect(countdown).to_have_text("29", timeout=5_000)


def test_a_stale_section_shows_its_age(simulator_server: BackgroundServer, sim: Simulator) -> None:
    """Cache on, with a clock the test moves: 75 s later the posts API fails, and the cached
    posts stand in (stale-if-error), 75 s old."""
    clock = ManualClock()
    with (
        BackgroundServer(web_app(DEFAULT_WEB_DIR)) as site,
        BackgroundServer(
            create_app(
                settings_for(simulator_server.url, cors_origins=site.url, cache_enabled=True),
                clock=clock,
            )
        ) as bff,
        browser_page() as (page, _),
    ):
        web = WebApp(origin=site.url, bff=bff.url)
        open_route(page, web.url("/users/1"))
        assert set(section_statuses(page).values()) == {"ok"}

        clock.advance(75)
        sim.faults({"path": "/users/1/posts", "status": 503})
        page.reload()
        page.wait_for_function("() => document.body.dataset.loaded === '1'")

        assert section_statuses(page)["posts"] == "stale"
        expect(page.locator("#sections li[data-section=posts] .state")).to_have_text(
            "stale, 75 s old"
        )
        expect(page.locator("[data-list=posts] li")).not_to_have_count(0)
