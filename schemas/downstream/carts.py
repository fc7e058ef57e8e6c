"""Cart payloads: every amount the cart screen adds up is required."""

from pydantic import Field

from schemas.downstream.base import DownstreamModel, Page


class CartProduct(DownstreamModel):
    id: int
    title: str
    price: float
    quantity: int
    total: float
    discounted_total: float
    discount_percentage: float = 0.0
    thumbnail: str | None = None


class Cart(DownstreamModel):
    id: int
    user_id: int
    total: float
    discounted_total: float
    total_products: int
    total_quantity: int
    products: list[CartProduct] = Field(default_factory=list)


class CartList(Page):
    carts: list[Cart]
