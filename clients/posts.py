"""Client of the posts service (posts and their comments)."""

from collections.abc import Awaitable

from clients import params
from clients.base import ServiceClient
from schemas.downstream import CommentList, Post, PostList


class PostsClient(ServiceClient):
    service = "posts"

    def get(self, post_id: int) -> Awaitable[Post]:
        return self._get("get", f"/posts/{post_id:d}", Post)

    def list(
        self,
        *,
        limit: int = 30,
        skip: int = 0,
        sort_by: str | None = None,
        order: params.Order | None = None,
    ) -> Awaitable[PostList]:
        query = params.page(limit, skip, sort_by=sort_by, order=order)
        return self._get("list", "/posts", PostList, params=query)

    def search(self, q: str, *, limit: int = 30, skip: int = 0) -> Awaitable[PostList]:
        query = params.search(q, limit, skip)
        return self._get("search", "/posts/search", PostList, params=query)

    def comments(self, post_id: int, *, limit: int = 30, skip: int = 0) -> Awaitable[CommentList]:
        query = params.page(limit, skip)
        return self._get("comments", f"/posts/{post_id:d}/comments", CommentList, params=query)
