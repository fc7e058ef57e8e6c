"""The post screen: a post first, then its author and comments at once (a chained fan-out)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from bff.deps import Client
from bff.fanout import Sections, gather
from bff.http_caching import ScreenBody, ScreenRoute, render
from bff.routes.params import SCREEN, PostId
from clients import PostsClient, UsersClient
from schemas.responses import CommentItem, PostScreen, PostSummary, UserSummary

router = APIRouter(prefix="/v1", tags=["posts"], route_class=ScreenRoute)

COMMENTS_LIMIT = 30


@router.get("/posts/{post_id}", responses=SCREEN, response_model=PostScreen)
async def get_post(
    request: Request, post_id: PostId, posts: Client[PostsClient], users: Client[UsersClient]
) -> ScreenBody:
    """A post page. The post is required; its author and comments are optional."""
    sections = Sections("post", "author", "comments")
    post = await sections.required("post", posts.get(post_id))
    author, comments = await gather(
        sections.optional("author", users.get(post.user_id)),
        sections.optional("comments", posts.comments(post_id, limit=COMMENTS_LIMIT)),
    )
    meta = sections.meta()
    return render(
        request,
        (post, author, comments),
        meta,
        lambda: PostScreen(
            post=PostSummary.from_downstream(post),
            author=UserSummary.from_downstream(author) if author else None,
            comments=[CommentItem.from_downstream(c) for c in comments.comments]
            if comments
            else None,
            meta=meta,
        ),
    )
