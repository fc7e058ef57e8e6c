"""Client of the carts service."""

from collections.abc import Awaitable

from clients import params
from clients.base import ServiceClient
from schemas.downstream import Cart, CartList


class CartsClient(ServiceClient):
    service = "carts"

    def get(self, cart_id: int) -> Awaitable[Cart]:
        return self._get("get", f"/carts/{cart_id:d}", Cart)

    def by_user(self, user_id: int, *, limit: int = 30, skip: int = 0) -> Awaitable[CartList]:
        query = params.page(limit, skip)
        return self._get("by_user", f"/carts/user/{user_id:d}", CartList, params=query)
