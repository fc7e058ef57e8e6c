"""QuotesClient: the requests it sends and what it decodes them into."""

import pytest
import respx

from clients import Downstreams
from schemas.downstream import Quote

pytestmark = pytest.mark.anyio

QUOTE = {"id": 7, "quote": "Your heart is the size of an ocean.", "author": "Rumi"}


async def test_random(router: respx.Router, downstreams: Downstreams) -> None:
    route = router.get("/quotes/random").respond(200, json=QUOTE)
    quote = await downstreams.quotes.random()
    assert isinstance(quote, Quote)
    assert quote.author == "Rumi"
    assert route.call_count == 1


async def test_get(router: respx.Router, downstreams: Downstreams) -> None:
    router.get("/quotes/7").respond(200, json=QUOTE)
    assert (await downstreams.quotes.get(7)).id == 7
