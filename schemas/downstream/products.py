"""Product and category payloads.

Prices, discounts and ratings are floats because the real service sends whole numbers for some
products; `brand` is absent (not null) on about half of them.
"""

from pydantic import Field

from schemas.downstream.base import DownstreamModel, Page


class Dimensions(DownstreamModel):
    width: float
    height: float
    depth: float


class Review(DownstreamModel):
    rating: float
    comment: str | None = None
    date: str | None = None
    reviewer_name: str | None = None
    reviewer_email: str | None = None


class ProductMeta(DownstreamModel):
    created_at: str | None = None
    updated_at: str | None = None
    barcode: str | None = None
    qr_code: str | None = None


class Product(DownstreamModel):
    id: int
    title: str
    price: float
    category: str
    description: str | None = None
    discount_percentage: float = 0.0
    rating: float | None = None
    stock: int | None = None
    tags: list[str] = Field(default_factory=list)
    brand: str | None = None
    sku: str | None = None
    weight: float | None = None
    dimensions: Dimensions | None = None
    warranty_information: str | None = None
    shipping_information: str | None = None
    # A plain str: "In Stock" | "Low Stock" | "Out of Stock" today, open to new states tomorrow.
    availability_status: str | None = None
    reviews: list[Review] = Field(default_factory=list)
    return_policy: str | None = None
    minimum_order_quantity: int | None = None
    meta: ProductMeta | None = None
    images: list[str] = Field(default_factory=list)
    thumbnail: str | None = None


class ProductList(Page):
    products: list[Product]


class Category(DownstreamModel):
    slug: str
    name: str
    url: str | None = None
