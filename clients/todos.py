"""Client of the todos service."""

from collections.abc import Awaitable

from clients import params
from clients.base import ServiceClient
from schemas.downstream import Todo, TodoList


class TodosClient(ServiceClient):
    service = "todos"

    def list(self, *, limit: int = 30, skip: int = 0) -> Awaitable[TodoList]:
        return self._get("list", "/todos", TodoList, params=params.page(limit, skip))

    def get(self, todo_id: int) -> Awaitable[Todo]:
        return self._get("get", f"/todos/{todo_id:d}", Todo)
