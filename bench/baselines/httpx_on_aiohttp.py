"""Baseline (b'): baseline (b) with the BFF's aiohttp transport beneath the same httpx client.

Not one of the issue's baselines: it separates what the transport buys (b -> b') from what the
BFF's own features cost on the same transport (b' -> BFF), which (b) alone cannot show when
httpx's default pool dominates its CPU.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request

from bench.baselines.downstream import POOL_SIZE, SECTIONS, TIMEOUT_S, profile_urls
from bff.transport import AiohttpTransport


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    limits = httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE)
    transport = AiohttpTransport(limits=limits)
    async with httpx.AsyncClient(transport=transport, timeout=TIMEOUT_S) as client:
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
