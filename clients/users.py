"""Client of the users service."""

from collections.abc import Awaitable

from clients import params
from clients.base import ServiceClient
from schemas.downstream import CartList, PostList, TodoList, User, UserList


class UsersClient(ServiceClient):
    service = "users"

    def get(self, user_id: int) -> Awaitable[User]:
        return self._get("get", f"/users/{user_id:d}", User)

    def list(
        self,
        *,
        limit: int = 30,
        skip: int = 0,
        sort_by: str | None = None,
        order: params.Order | None = None,
    ) -> Awaitable[UserList]:
        query = params.page(limit, skip, sort_by=sort_by, order=order)
        return self._get("list", "/users", UserList, params=query)

    def search(self, q: str, *, limit: int = 30, skip: int = 0) -> Awaitable[UserList]:
        query = params.search(q, limit, skip)
        return self._get("search", "/users/search", UserList, params=query)

    def carts(self, user_id: int, *, limit: int = 30, skip: int = 0) -> Awaitable[CartList]:
        query = params.page(limit, skip)
        return self._get("carts", f"/users/{user_id:d}/carts", CartList, params=query)

    def posts(self, user_id: int, *, limit: int = 30, skip: int = 0) -> Awaitable[PostList]:
        query = params.page(limit, skip)
        return self._get("posts", f"/users/{user_id:d}/posts", PostList, params=query)

    def todos(self, user_id: int, *, limit: int = 30, skip: int = 0) -> Awaitable[TodoList]:
        query = params.page(limit, skip)
        return self._get("todos", f"/users/{user_id:d}/todos", TodoList, params=query)
