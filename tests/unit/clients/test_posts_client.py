"""PostsClient: the requests it sends and what it decodes them into."""

import pytest
import respx

from clients import Downstreams
from schemas.downstream import CommentList, Post, PostList

pytestmark = pytest.mark.anyio

POST = {
    "id": 1,
    "title": "His mother had always taught him",
    "body": "...",
    "tags": ["history"],
    "reactions": {"likes": 192, "dislikes": 25},
    "views": 305,
    "userId": 121,
}
COMMENT = {
    "id": 1,
    "body": "This is some awesome thinking!",
    "postId": 1,
    "likes": 3,
    "user": {"id": 105, "username": "emmac", "fullName": "Emma Wilson"},
}


async def test_get(router: respx.Router, downstreams: Downstreams) -> None:
    router.get("/posts/1").respond(200, json=POST)
    post = await downstreams.posts.get(1)
    assert isinstance(post, Post)
    assert post.reactions is not None
    assert (post.user_id, post.reactions.dislikes) == (121, 25)


async def test_list(router: respx.Router, downstreams: Downstreams) -> None:
    body = {"posts": [POST], "total": 251, "skip": 0, "limit": 1}
    route = router.get("/posts").respond(200, json=body)
    posts = await downstreams.posts.list(limit=1, sort_by="views", order="desc")
    assert isinstance(posts, PostList)
    assert posts.total == 251
    assert dict(route.calls.last.request.url.params) == {
        "limit": "1",
        "skip": "0",
        "sortBy": "views",
        "order": "desc",
    }


async def test_search(router: respx.Router, downstreams: Downstreams) -> None:
    body = {"posts": [], "total": 0, "skip": 0, "limit": 0}
    route = router.get("/posts/search").respond(200, json=body)
    posts = await downstreams.posts.search("love")
    assert posts.posts == []
    assert dict(route.calls.last.request.url.params) == {"q": "love", "limit": "30", "skip": "0"}


async def test_comments(router: respx.Router, downstreams: Downstreams) -> None:
    body = {"comments": [COMMENT], "total": 1, "skip": 0, "limit": 1}
    route = router.get("/posts/1/comments").respond(200, json=body)
    comments = await downstreams.posts.comments(1, limit=3)
    assert isinstance(comments, CommentList)
    assert comments.comments[0].user.full_name == "Emma Wilson"
    assert dict(route.calls.last.request.url.params) == {"limit": "3", "skip": "0"}
