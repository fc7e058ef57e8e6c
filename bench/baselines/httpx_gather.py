"""Baseline (b), the textbook answer: one shared ``httpx.AsyncClient`` from the lifespan and
``asyncio.gather`` of the four calls, with httpx's default transport. Nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request

from bench.baselines.downstream import POOL_SIZE, SECTIONS, TIMEOUT_S, profile_urls


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    limits = httpx.Limits(max_connections=POOL_SIZE, max_keepalive_connections=POOL_SIZE)
    async with httpx.AsyncClient(limits=limits, timeout=TIMEOUT_S) as client:
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
