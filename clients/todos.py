"""Client of the todos service."""

from clients import params
from clients.base import ServiceClient
from schemas.downstream import Todo, TodoList


class TodosClient(ServiceClient):
    service = "todos"

    async def list(self, *, limit: int = 30, skip: int = 0) -> TodoList:
        return await self._get("list", "/todos", TodoList, params=params.page(limit, skip))

    async def get(self, todo_id: int) -> Todo:
        return await self._get("get", f"/todos/{todo_id:d}", Todo)
