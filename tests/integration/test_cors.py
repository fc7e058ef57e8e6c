"""CORS as configured by ``BFF_CORS_ORIGINS``: the exact headers, for allowed and other origins.

A real BFF on a loopback socket, the simulator behind it. What a browser does with these headers
is checked in Chromium by ``tests/e2e/test_web_app.py``; here, the headers themselves.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from support import Simulator, assert_problem, settings_for

from bff.app import create_app
from bff.settings import Settings
from simulator import BackgroundServer

APP = "http://127.0.0.1:5173"
OTHER = "http://evil.example"
EXPOSED = "X-Request-ID, X-BFF-Partial, Server-Timing, Cache-Status, ETag, Retry-After"
CORS_HEADERS = frozenset(
    {
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
        "access-control-max-age",
        "timing-allow-origin",
    }
)


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name in CORS_HEADERS}


def vary(response: httpx.Response) -> list[str]:
    return [part.strip().lower() for part in response.headers.get("vary", "").split(",") if part]


@pytest.fixture(scope="module")
def cors_bff(simulator_server: BackgroundServer) -> Iterator[httpx.Client]:
    settings = settings_for(simulator_server.url, cors_origins=f"{APP},https://app.example.com")
    with (
        BackgroundServer(create_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        yield client


def test_an_allowed_origin_reads_the_screen_and_its_headers(
    cors_bff: httpx.Client, sim: Simulator
) -> None:
    sim.faults({"path": "/users/1/posts", "status": 503})

    response = cors_bff.get("/v1/users/1/profile", headers={"Origin": APP})

    assert response.status_code == 200
    assert cors_headers(response) == {
        "access-control-allow-origin": APP,
        "access-control-expose-headers": EXPOSED,
        "timing-allow-origin": APP,
    }
    assert "origin" in vary(response)
    # Everything exposed is there to read on this partial screen.
    for name in ("x-request-id", "x-bff-partial", "server-timing", "etag"):
        assert name in response.headers, name


def test_another_origin_gets_no_cors_header_at_all(cors_bff: httpx.Client) -> None:
    for origin in (OTHER, "http://127.0.0.1:5174", "null", APP + "/", APP.upper()):
        response = cors_bff.get("/v1/home", headers={"Origin": origin})

        assert response.status_code == 200, "the answer is sent; the browser withholds it"
        assert cors_headers(response) == {}, origin
        assert "origin" in vary(response)


def test_vary_origin_is_on_answers_to_requests_without_an_origin(cors_bff: httpx.Client) -> None:
    """A shared cache must not hand this answer (without CORS headers) to a page that needs them."""
    response = cors_bff.get("/v1/home")

    assert cors_headers(response) == {}
    assert "origin" in vary(response)


def test_a_preflight_from_an_allowed_origin_is_answered_and_cacheable(
    cors_bff: httpx.Client,
) -> None:
    response = cors_bff.options(
        "/v1/me",
        headers={
            "Origin": APP,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization, x-request-id",
        },
    )

    assert response.status_code == 204
    assert response.content == b""
    assert cors_headers(response) == {
        "access-control-allow-origin": APP,
        "access-control-allow-methods": "GET, HEAD, POST",
        "access-control-allow-headers": (
            "Authorization, Content-Type, If-None-Match, X-Request-ID, X-Request-Timeout"
        ),
        "access-control-max-age": "600",
    }
    assert vary(response) == [
        "origin",
        "access-control-request-method",
        "access-control-request-headers",
    ]


def test_a_preflight_from_another_origin_is_refused_without_cors_headers(
    cors_bff: httpx.Client,
) -> None:
    response = cors_bff.options(
        "/v1/auth/login",
        headers={"Origin": OTHER, "Access-Control-Request-Method": "POST"},
    )

    body = assert_problem(response, 403)
    assert body["type"] == "urn:bff:problem:cors-origin"
    assert cors_headers(response) == {}


def test_a_plain_options_request_is_not_a_preflight(cors_bff: httpx.Client) -> None:
    response = cors_bff.options("/v1/home", headers={"Origin": APP})

    assert_problem(response, 405)
    assert response.headers["access-control-allow-origin"] == APP


def test_errors_carry_the_cors_headers_so_the_page_can_read_them(
    cors_bff: httpx.Client, sim: Simulator
) -> None:
    sim.faults({"path": "/users/1", "status": 429, "retry_after": 30})

    response = cors_bff.get("/v1/users/1/profile", headers={"Origin": APP})

    assert_problem(response, 503)
    assert response.headers["retry-after"] == "30"
    assert response.headers["access-control-allow-origin"] == APP
    assert "Retry-After" in response.headers["access-control-expose-headers"]


def test_without_origins_there_is_no_cors_at_all(bff: httpx.Client) -> None:
    """The default: same-origin only, as before (preflights are unknown methods: 405)."""
    response = bff.get("/v1/home", headers={"Origin": APP})
    preflight = bff.options(
        "/v1/home", headers={"Origin": APP, "Access-Control-Request-Method": "GET"}
    )

    assert cors_headers(response) == {}
    assert "origin" not in vary(response)
    assert preflight.status_code == 405
    assert cors_headers(preflight) == {}


def test_any_origin_is_a_literal_star_without_credentials(
    simulator_server: BackgroundServer,
) -> None:
    settings = settings_for(simulator_server.url, cors_origins="*")
    with (
        BackgroundServer(create_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        response = client.get("/v1/home", headers={"Origin": OTHER})
        preflight = client.options(
            "/v1/home", headers={"Origin": OTHER, "Access-Control-Request-Method": "GET"}
        )

    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["timing-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert "origin" not in vary(response), "the answer is the same for every origin"
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"


def test_credentials_are_allowed_only_for_listed_origins(
    simulator_server: BackgroundServer,
) -> None:
    settings = settings_for(
        simulator_server.url, cors_origins=APP, cors_allow_credentials=True, cors_max_age=60
    )
    with (
        BackgroundServer(create_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        allowed = client.get("/v1/home", headers={"Origin": APP})
        other = client.get("/v1/home", headers={"Origin": OTHER})
        preflight = client.options(
            "/v1/home", headers={"Origin": APP, "Access-Control-Request-Method": "GET"}
        )

    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert allowed.headers["access-control-allow-origin"] == APP
    assert cors_headers(other) == {}
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert preflight.headers["access-control-max-age"] == "60"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cors_origins": "*", "cors_allow_credentials": True}, "explicit"),
        ({"cors_allow_credentials": True}, "explicit"),
        ({"cors_origins": "*,https://a.example"}, "stands alone"),
        ({"cors_origins": "https://*.example.com"}, "not an origin"),
        ({"cors_origins": "https://app.example.com/"}, "not an origin"),
        ({"cors_origins": "app.example.com"}, "not an origin"),
        ({"cors_origins": "https://App.example.com"}, "not an origin"),
    ],
)
def test_bad_cors_settings_fail_at_startup(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(_env_file=None, **overrides)  # type: ignore[call-arg]
