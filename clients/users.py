"""Client of the users service."""

from clients import params
from clients.base import ServiceClient
from schemas.downstream import CartList, PostList, TodoList, User, UserList


class UsersClient(ServiceClient):
    service = "users"

    async def get(self, user_id: int) -> User:
        return await self._get("get", f"/users/{user_id:d}", User)

    async def list(
        self,
        *,
        limit: int = 30,
        skip: int = 0,
        sort_by: str | None = None,
        order: params.Order | None = None,
    ) -> UserList:
        query = params.page(limit, skip, sort_by=sort_by, order=order)
        return await self._get("list", "/users", UserList, params=query)

    async def search(self, q: str, *, limit: int = 30, skip: int = 0) -> UserList:
        query = params.search(q, limit, skip)
        return await self._get("search", "/users/search", UserList, params=query)

    async def carts(self, user_id: int, *, limit: int = 30, skip: int = 0) -> CartList:
        query = params.page(limit, skip)
        return await self._get("carts", f"/users/{user_id:d}/carts", CartList, params=query)

    async def posts(self, user_id: int, *, limit: int = 30, skip: int = 0) -> PostList:
        query = params.page(limit, skip)
        return await self._get("posts", f"/users/{user_id:d}/posts", PostList, params=query)

    async def todos(self, user_id: int, *, limit: int = 30, skip: int = 0) -> TodoList:
        query = params.page(limit, skip)
        return await self._get("todos", f"/users/{user_id:d}/todos", TodoList, params=query)
