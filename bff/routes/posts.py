"""The post screen: a post first, then its author and comments at once (a chained fan-out)."""

from __future__ import annotations

from fastapi import APIRouter

from bff.deps import Client
from bff.fanout import Sections, gather
from bff.http_caching import ScreenRoute
from bff.routes.params import SCREEN, PostId
from clients import PostsClient, UsersClient
from schemas.responses import CommentItem, PostScreen, PostSummary, UserSummary

router = APIRouter(prefix="/v1", tags=["posts"], route_class=ScreenRoute)

COMMENTS_LIMIT = 30


@router.get("/posts/{post_id}", responses=SCREEN)
async def get_post(
    post_id: PostId, posts: Client[PostsClient], users: Client[UsersClient]
) -> PostScreen:
    """A post page. The post is required; its author and comments are optional."""
    sections = Sections("post", "author", "comments")
    post = await sections.required("post", posts.get(post_id))
    author, comments = await gather(
        sections.optional("author", users.get(post.user_id)),
        sections.optional("comments", posts.comments(post_id, limit=COMMENTS_LIMIT)),
    )
    return PostScreen(
        post=PostSummary.from_downstream(post),
        author=UserSummary.from_downstream(author) if author else None,
        comments=[CommentItem.from_downstream(c) for c in comments.comments] if comments else None,
        meta=sections.meta(),
    )
