"""Client of the posts service (posts and their comments)."""

from clients import params
from clients.base import ServiceClient
from schemas.downstream import CommentList, Post, PostList


class PostsClient(ServiceClient):
    service = "posts"

    async def get(self, post_id: int) -> Post:
        return await self._get("get", f"/posts/{post_id:d}", Post)

    async def list(
        self,
        *,
        limit: int = 30,
        skip: int = 0,
        sort_by: str | None = None,
        order: params.Order | None = None,
    ) -> PostList:
        query = params.page(limit, skip, sort_by=sort_by, order=order)
        return await self._get("list", "/posts", PostList, params=query)

    async def search(self, q: str, *, limit: int = 30, skip: int = 0) -> PostList:
        query = params.search(q, limit, skip)
        return await self._get("search", "/posts/search", PostList, params=query)

    async def comments(self, post_id: int, *, limit: int = 30, skip: int = 0) -> CommentList:
        query = params.page(limit, skip)
        return await self._get(
            "comments", f"/posts/{post_id:d}/comments", CommentList, params=query
        )
