"""Post and comment payloads."""

from pydantic import Field

from schemas.downstream.base import DownstreamModel, Page


class Reactions(DownstreamModel):
    likes: int = 0
    dislikes: int = 0


class Post(DownstreamModel):
    id: int
    title: str
    body: str
    user_id: int
    tags: list[str] = Field(default_factory=list)
    reactions: Reactions | None = None
    views: int | None = None


class PostList(Page):
    posts: list[Post]


class CommentUser(DownstreamModel):
    id: int
    username: str
    full_name: str


class Comment(DownstreamModel):
    id: int
    body: str
    post_id: int
    user: CommentUser
    likes: int = 0


class CommentList(Page):
    comments: list[Comment]
