"""Client of the quotes service."""

from collections.abc import Awaitable

from clients.base import ServiceClient
from schemas.downstream import Quote


class QuotesClient(ServiceClient):
    service = "quotes"

    def random(self) -> Awaitable[Quote]:
        return self._get("random", "/quotes/random", Quote)

    def get(self, quote_id: int) -> Awaitable[Quote]:
        return self._get("get", f"/quotes/{quote_id:d}", Quote)
