"""The `/__sim/*` control plane: health, fault rules, the rate limit and request stats.

These routes are never counted, delayed or faulted, so a test can always reconfigure a simulator
that is busy failing on purpose.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from simulator.faults import InvalidRule, parse_rules
from simulator.ratelimit import InvalidRateLimit, parse_rate_limit
from simulator.responses import error_response, json_response
from simulator.state import SimulatorState

CONTROL_PREFIX = "/__sim"


class ControlRoutes:
    def __init__(self, state: SimulatorState) -> None:
        self._state = state

    def routes(self) -> list[BaseRoute]:
        return [
            Route(f"{CONTROL_PREFIX}/health", self.health, methods=["GET"]),
            Route(f"{CONTROL_PREFIX}/faults", self.get_faults, methods=["GET"]),
            Route(f"{CONTROL_PREFIX}/faults", self.put_faults, methods=["PUT"]),
            Route(f"{CONTROL_PREFIX}/faults", self.delete_faults, methods=["DELETE"]),
            Route(f"{CONTROL_PREFIX}/rate-limit", self.get_rate_limit, methods=["GET"]),
            Route(f"{CONTROL_PREFIX}/rate-limit", self.put_rate_limit, methods=["PUT"]),
            Route(f"{CONTROL_PREFIX}/rate-limit", self.delete_rate_limit, methods=["DELETE"]),
            Route(f"{CONTROL_PREFIX}/stats", self.get_stats, methods=["GET"]),
            Route(f"{CONTROL_PREFIX}/stats", self.delete_stats, methods=["DELETE"]),
        ]

    async def health(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    def _rules_json(self) -> Response:
        return json_response({"rules": [rule.to_json() for rule in self._state.faults.rules]})

    async def get_faults(self, request: Request) -> Response:
        return self._rules_json()

    async def put_faults(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return error_response(400, "Invalid JSON body")
        try:
            rules = parse_rules(body)
        except InvalidRule as exc:
            return error_response(400, str(exc))
        self._state.faults.replace(rules)
        return self._rules_json()

    async def delete_faults(self, request: Request) -> Response:
        self._state.faults.clear()
        return Response(status_code=204)

    def _rate_limit_json(self) -> Response:
        config = self._state.rate_limiter.config
        return json_response(config.to_json() if config is not None else None)

    async def get_rate_limit(self, request: Request) -> Response:
        return self._rate_limit_json()

    async def put_rate_limit(self, request: Request) -> Response:
        """`{"limit": 100, "window_s": 10}`: the real service's limit per client from now on."""
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return error_response(400, "Invalid JSON body")
        try:
            config = parse_rate_limit(body)
        except InvalidRateLimit as exc:
            return error_response(400, str(exc))
        self._state.rate_limiter.configure(config)
        return self._rate_limit_json()

    async def delete_rate_limit(self, request: Request) -> Response:
        self._state.rate_limiter.configure(None)
        return Response(status_code=204)

    async def get_stats(self, request: Request) -> Response:
        """Counts per path and route; `rateLimited`: requests answered 429 by the rate limit."""
        return json_response(
            {**self._state.stats.to_json(), "rateLimited": self._state.rate_limiter.refused}
        )

    async def delete_stats(self, request: Request) -> Response:
        self._state.stats.reset()
        self._state.rate_limiter.refused = 0
        return Response(status_code=204)
