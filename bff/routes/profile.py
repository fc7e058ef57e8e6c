"""The profile screen: a user with their carts, posts and todos, fetched at once."""

from __future__ import annotations

from fastapi import APIRouter, Request

from bff.deps import Client
from bff.fanout import Sections, gather
from bff.http_caching import ScreenBody, ScreenRoute, render
from bff.routes.params import SCREEN, UserId
from clients import CartsClient, UsersClient
from schemas.responses import CartSummary, PostSummary, ProfileScreen, PublicUser, TodoItem

router = APIRouter(prefix="/v1", tags=["profile"], route_class=ScreenRoute)

LIST_LIMIT = 10


@router.get("/users/{user_id}/profile", responses=SCREEN, response_model=ProfileScreen)
async def get_profile(
    request: Request, user_id: UserId, users: Client[UsersClient], carts: Client[CartsClient]
) -> ScreenBody:
    """A user's profile page. The user is required; carts, posts and todos are optional."""
    sections = Sections("user", "carts", "posts", "todos")
    user, user_carts, posts, todos = await gather(
        sections.required("user", users.get(user_id)),
        sections.optional("carts", carts.by_user(user_id, limit=LIST_LIMIT)),
        sections.optional("posts", users.posts(user_id, limit=LIST_LIMIT)),
        sections.optional("todos", users.todos(user_id, limit=LIST_LIMIT)),
    )
    meta = sections.meta()
    return render(
        request,
        (user, user_carts, posts, todos),
        meta,
        lambda: ProfileScreen(
            user=PublicUser.from_downstream(user),
            carts=[CartSummary.from_downstream(c) for c in user_carts.carts]
            if user_carts
            else None,
            posts=[PostSummary.from_downstream(p) for p in posts.posts] if posts else None,
            todos=[TodoItem.from_downstream(t) for t in todos.todos] if todos else None,
            meta=meta,
        ),
    )
