"""Client of the carts service."""

from clients import params
from clients.base import ServiceClient
from schemas.downstream import Cart, CartList


class CartsClient(ServiceClient):
    service = "carts"

    async def get(self, cart_id: int) -> Cart:
        return await self._get("get", f"/carts/{cart_id:d}", Cart)

    async def by_user(self, user_id: int, *, limit: int = 30, skip: int = 0) -> CartList:
        query = params.page(limit, skip)
        return await self._get("by_user", f"/carts/user/{user_id:d}", CartList, params=query)
