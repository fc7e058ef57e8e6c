"""Todo payloads."""

from schemas.downstream.base import DownstreamModel, Page


class Todo(DownstreamModel):
    id: int
    todo: str
    completed: bool
    user_id: int


class TodoList(Page):
    todos: list[Todo]
