"""Baseline (b), the textbook answer: one shared ``httpx.AsyncClient`` from the lifespan and
``asyncio.gather`` of the four calls, with httpx's default transport. Nothing else.

``build_app`` takes the transport beneath the client, so that baseline (b') is this very app
on another transport (``httpx_on_aiohttp.py``), not a copy of it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request

from bench.baselines.downstream import POOL_SIZE, SECTIONS, TIMEOUT_S, profile_urls

TransportFactory = Callable[[httpx.Limits], httpx.AsyncBaseTransport]


def build_app(transport: TransportFactory | None = None) -> FastAPI:
    """The baseline app; ``transport`` builds the transport from the pool limits (httpx ignores
    a client's ``limits`` once it is given a transport), None keeps httpx's own pool."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limits = httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE)
        if transport is None:
            client = httpx.AsyncClient(limits=limits, timeout=TIMEOUT_S)
        else:
            client = httpx.AsyncClient(transport=transport(limits), timeout=TIMEOUT_S)
        async with client:
            app.state.client = client
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/v1/users/{user_id}/profile", response_model=None)
    async def profile(user_id: int, request: Request) -> dict[str, Any]:
        client: httpx.AsyncClient = request.app.state.client
        responses = await asyncio.gather(*(client.get(url) for url in profile_urls(user_id)))
        for response in responses:
            response.raise_for_status()
        return dict(zip(SECTIONS, (response.json() for response in responses), strict=True))

    return app


app = build_app()
