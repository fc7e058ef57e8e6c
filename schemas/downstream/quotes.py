"""Quote payloads."""

from schemas.downstream.base import DownstreamModel, Page


class Quote(DownstreamModel):
    id: int
    quote: str
    author: str


class QuoteList(Page):
    quotes: list[Quote]
