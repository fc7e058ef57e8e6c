"""Adding a downstream takes one module and one settings entry: this module adds a weather API
the way README's "Adding a downstream" says (a typed client, a route taking it as
``Client[WeatherClient]``, the client listed with the others, its base URL in
``BFF_SERVICE_URLS``), and shows its calls go through the same pipeline as every other: its own
breaker, the deadline header, and metrics labelled by the derived operation name."""

from __future__ import annotations

from collections.abc import Awaitable

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, ConfigDict
from support import assert_problem, in_process, settings_for

from bff.app import create_app
from bff.deps import Client
from bff.http_caching import ScreenRoute
from clients import CLIENTS, ServiceClient

# --- The downstream: what a new module in clients/ (and its schema) holds. -------------------


class Forecast(BaseModel):
    model_config = ConfigDict(frozen=True)

    city: str
    celsius: float


class WeatherClient(ServiceClient):
    service = "weather"

    def forecast(self, city_id: int) -> Awaitable[Forecast]:
        return self._get("forecast", f"/forecasts/{city_id:d}", Forecast)


router = APIRouter(prefix="/v1", route_class=ScreenRoute)


@router.get("/weather/{city_id}")
async def get_weather(city_id: int, weather: Client[WeatherClient]) -> Forecast:
    return await weather.forecast(city_id)


# --- The one settings entry, and the app built with the client listed. -----------------------

SETTINGS_ENTRY = {"service_urls": {"weather": "http://weather.test/api"}}


def weather_app(handler: httpx.MockTransport, **overrides: object) -> FastAPI:
    settings = settings_for("http://down.test", **SETTINGS_ENTRY, **overrides)
    app = create_app(settings, transport=handler, clients=(*CLIENTS, WeatherClient))
    app.include_router(router)
    return app


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample `name` with exactly these labels, from a /metrics page."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


@pytest.mark.anyio
async def test_a_new_downstream_is_called_through_the_pipeline() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"city": "Oslo", "celsius": -3.5, "wind": 4})

    app = weather_app(httpx.MockTransport(handler))

    async with in_process(app) as (client, state):
        response = await client.get("/v1/weather/7")
        metrics = (await client.get("/metrics")).text
        ready = (await client.get("/readyz")).json()

        assert response.status_code == 200, response.text
        assert response.json() == {"city": "Oslo", "celsius": -3.5}
        [request] = seen
        assert str(request.url) == "http://weather.test/api/forecasts/7"
        assert "X-Request-Timeout" in request.headers  # the deadline travels, as for any call
        assert type(state["downstreams"].weather) is WeatherClient
        assert state["downstreams"].services[-1] == "weather"

    # Labelled by service and the derived operation name, like every other call.
    labels = {"service": "weather", "operation": "weather.forecast"}
    assert metric(metrics, "bff_downstream_calls_total", **labels, outcome="ok") == 1
    assert metric(metrics, "bff_downstream_breaker_state", service="weather", state="closed") == 1
    assert ready["breakers"]["weather"] == "closed"


@pytest.mark.anyio
async def test_a_failing_new_downstream_opens_its_own_breaker() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        return httpx.Response(503, json={"message": "down"})

    # Two settings to see it in three requests, not the default ten failures with retries.
    app = weather_app(
        httpx.MockTransport(handler), retry_attempts=1, breaker_consecutive_failures=2
    )

    async with in_process(app) as (client, state):
        for _ in range(2):
            assert_problem(await client.get("/v1/weather/7"), 502)
        assert seen == ["weather.test", "weather.test"]

        refused = await client.get("/v1/weather/7")

        body = assert_problem(refused, 503)
        assert (body["type"], body["downstream"]) == ("urn:bff:problem:circuit-open", "weather")
        assert seen == ["weather.test", "weather.test"]  # refused without calling
        breakers = state["downstreams"].breakers
        assert breakers["weather"].state.value == "open"
        assert {name for name, b in breakers.items() if b.state.value != "closed"} == {"weather"}


def test_a_url_for_a_service_without_a_client_fails_when_the_app_is_built() -> None:
    with pytest.raises(ValueError, match="BFF_SERVICE_URLS names unknown downstream service"):
        create_app(settings_for("http://down.test", **SETTINGS_ENTRY))
