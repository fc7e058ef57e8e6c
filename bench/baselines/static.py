"""Baseline (d), the ceiling: the same route answering prebuilt bytes of the same size as the
other baselines' answer (fetched once at startup), with no downstream call per request. A warm
cache can approach this, never pass it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Response

from bench.baselines.downstream import SECTIONS, TIMEOUT_S, profile_urls

_body: dict[str, bytes] = {}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
        bodies = [(await client.get(url)).raise_for_status().json() for url in profile_urls(1)]
    _body["profile"] = json.dumps(dict(zip(SECTIONS, bodies, strict=True))).encode()
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/v1/users/{user_id}/profile")
async def profile(user_id: int) -> Response:
    return Response(_body["profile"], media_type="application/json")
