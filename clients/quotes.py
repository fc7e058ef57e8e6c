"""Client of the quotes service."""

from clients.base import ServiceClient
from schemas.downstream import Quote


class QuotesClient(ServiceClient):
    service = "quotes"

    async def random(self) -> Quote:
        return await self._get("random", "/quotes/random", Quote)

    async def get(self, quote_id: int) -> Quote:
        return await self._get("get", f"/quotes/{quote_id:d}", Quote)
