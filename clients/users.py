"""Client of the users service."""

from clients import params
from clients.base import ServiceClient
from schemas.downstream import CartList, PostList, TodoList, User, UserList


class UsersClient(ServiceClient):
    service = "users"

    async def get(self, user_id: int) -> User:
        return await self.downstream.get(f"/users/{user_id:d}", User, operation="users.get")

    async def list(
        self,
        *,
        limit: int = 30,
        skip: int = 0,
        sort_by: str | None = None,
        order: params.Order | None = None,
    ) -> UserList:
        query = params.page(limit, skip, sort_by=sort_by, order=order)
        return await self.downstream.get("/users", UserList, params=query, operation="users.list")

    async def search(self, q: str, *, limit: int = 30, skip: int = 0) -> UserList:
        query = params.search(q, limit, skip)
        return await self.downstream.get(
            "/users/search", UserList, params=query, operation="users.search"
        )

    async def carts(self, user_id: int, *, limit: int = 30, skip: int = 0) -> CartList:
        query = params.page(limit, skip)
        return await self.downstream.get(
            f"/users/{user_id:d}/carts", CartList, params=query, operation="users.carts"
        )

    async def posts(self, user_id: int, *, limit: int = 30, skip: int = 0) -> PostList:
        query = params.page(limit, skip)
        return await self.downstream.get(
            f"/users/{user_id:d}/posts", PostList, params=query, operation="users.posts"
        )

    async def todos(self, user_id: int, *, limit: int = 30, skip: int = 0) -> TodoList:
        query = params.page(limit, skip)
        return await self.downstream.get(
            f"/users/{user_id:d}/todos", TodoList, params=query, operation="users.todos"
        )
