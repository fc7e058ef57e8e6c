"""Baseline (t), the reference: the least a *typed* BFF endpoint can do per request.

One shared ``aiohttp.ClientSession`` and ``asyncio.gather`` (as (c)), but typed both ways like the
BFF: each body decoded with ``model_validate_json`` into the same downstream models, the answer
built as the same ``ProfileScreen`` and written with ``model_dump_json`` as bytes (no
``jsonable_encoder``, no response-model validation). So the BFF's CPU per request divided by this
one is what the BFF's own features cost (deadlines, retries, breakers, typed errors, sections,
timings, caching headers, middleware), not what typing or the fan-out costs.

(c) returns dicts through FastAPI's ``jsonable_encoder``, which roughly doubles its own CPU: it is
not the minimal baseline, and is kept for throughput only.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

import aiohttp
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel

from bench.baselines.downstream import POOL_SIZE, TIMEOUT_S, profile_urls
from schemas.downstream import CartList, PostList, TodoList, User
from schemas.responses import (
    CartSummary,
    Meta,
    PostSummary,
    ProfileScreen,
    PublicUser,
    SectionStatus,
    TodoItem,
)

M = TypeVar("M", bound=BaseModel)

_OK = SectionStatus(status="ok")
_META = Meta(partial=False, sections=dict.fromkeys(("user", "carts", "posts", "todos"), _OK))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    connector = aiohttp.TCPConnector(limit=POOL_SIZE)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        app.state.session = session
        yield


app = FastAPI(lifespan=lifespan)


async def _fetch(session: aiohttp.ClientSession, url: str, model: type[M]) -> M:
    async with session.get(url) as response:
        response.raise_for_status()
        return model.model_validate_json(await response.read())


@app.get("/v1/users/{user_id}/profile")
async def profile(user_id: int, request: Request) -> Response:
    session: aiohttp.ClientSession = request.app.state.session
    user_url, carts_url, posts_url, todos_url = profile_urls(user_id)
    user, carts, posts, todos = await asyncio.gather(
        _fetch(session, user_url, User),
        _fetch(session, carts_url, CartList),
        _fetch(session, posts_url, PostList),
        _fetch(session, todos_url, TodoList),
    )
    screen = ProfileScreen(
        user=PublicUser.from_downstream(user),
        carts=[CartSummary.from_downstream(cart) for cart in carts.carts],
        posts=[PostSummary.from_downstream(post) for post in posts.posts],
        todos=[TodoItem.from_downstream(todo) for todo in todos.todos],
        meta=_META,
    )
    return Response(screen.model_dump_json(), media_type="application/json")
