"""Baseline (c): the same minimal endpoint over one shared ``aiohttp.ClientSession``, the fastest
common Python client; the BFF's throughput target is set against this one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from fastapi import FastAPI, Request

from bench.baselines.downstream import POOL_SIZE, SECTIONS, TIMEOUT_S, profile_urls


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    connector = aiohttp.TCPConnector(limit=POOL_SIZE)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        app.state.session = session
        yield


app = FastAPI(lifespan=lifespan)


async def _fetch(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url) as response:
        response.raise_for_status()
        return await response.json()


@app.get("/v1/users/{user_id}/profile", response_model=None)
async def profile(user_id: int, request: Request) -> dict[str, Any]:
    session: aiohttp.ClientSession = request.app.state.session
    bodies = await asyncio.gather(*(_fetch(session, url) for url in profile_urls(user_id)))
    return dict(zip(SECTIONS, bodies, strict=True))
