"""Products, categories and recipes as frontends render them (cards and detail pages)."""

from __future__ import annotations

from pydantic import Field

from schemas.downstream import Category, Product, Recipe
from schemas.responses.base import ResponseModel


class CategoryItem(ResponseModel):
    """A product category, for navigation."""

    slug: str = Field(description="Stable identifier, for URLs.", examples=["smartphones"])
    name: str = Field(description="Display name.", examples=["Smartphones"])

    @classmethod
    def from_downstream(cls, category: Category) -> CategoryItem:
        return cls(slug=category.slug, name=category.name)


class ProductSummary(ResponseModel):
    """A product card."""

    id: int = Field(examples=[1])
    title: str = Field(examples=["Essence Mascara Lash Princess"])
    category: str = Field(examples=["beauty"])
    price: float = Field(examples=[9.99])
    discount_percentage: float | None = Field(None, examples=[7.17])
    rating: float | None = Field(None, examples=[4.94])
    stock: int | None = Field(None, examples=[5])
    brand: str | None = Field(None, description="Absent for unbranded products.")
    availability_status: str | None = Field(None, examples=["In Stock"])
    thumbnail: str | None = Field(None, description="Thumbnail URL.")

    @classmethod
    def from_downstream(cls, product: Product) -> ProductSummary:
        return cls(
            id=product.id,
            title=product.title,
            category=product.category,
            price=product.price,
            discount_percentage=product.discount_percentage,
            rating=product.rating,
            stock=product.stock,
            brand=product.brand,
            availability_status=product.availability_status,
            thumbnail=product.thumbnail,
        )


class ProductReview(ResponseModel):
    """One customer review, without the reviewer's e-mail address."""

    rating: float = Field(description="From 1 to 5.", examples=[4])
    comment: str = Field(examples=["Very satisfied!"])
    date: str | None = Field(
        None, description="When it was written (ISO 8601).", examples=["2024-05-23T08:56:21.618Z"]
    )
    reviewer_name: str | None = Field(None, examples=["John Doe"])


class ProductDetail(ProductSummary):
    """A product page: the card plus what only the detail view shows."""

    description: str | None = Field(None, examples=["A popular mascara for volume and length."])
    tags: list[str] = Field(default_factory=list, examples=[["beauty", "mascara"]])
    images: list[str] = Field(default_factory=list, description="Image URLs, largest first.")
    sku: str | None = Field(None, description="Stock keeping unit.", examples=["RCH45Q1A"])
    warranty_information: str | None = Field(None, examples=["1 month warranty"])
    shipping_information: str | None = Field(None, examples=["Ships in 1 month"])
    return_policy: str | None = Field(None, examples=["30 days return policy"])
    minimum_order_quantity: int | None = Field(None, examples=[24])
    reviews: list[ProductReview] = Field(
        default_factory=list, description="Reviews without the reviewers' e-mail addresses."
    )

    @classmethod
    def from_downstream(cls, product: Product) -> ProductDetail:
        card = ProductSummary.from_downstream(product)
        return cls(
            **card.model_dump(),
            description=product.description,
            tags=list(product.tags),
            images=list(product.images),
            sku=product.sku,
            warranty_information=product.warranty_information,
            shipping_information=product.shipping_information,
            return_policy=product.return_policy,
            minimum_order_quantity=product.minimum_order_quantity,
            reviews=[
                ProductReview(
                    rating=review.rating,
                    comment=review.comment,
                    date=review.date,
                    reviewer_name=review.reviewer_name,
                )
                for review in product.reviews
            ],
        )


class RecipeSummary(ResponseModel):
    """A recipe card."""

    id: int = Field(examples=[1])
    name: str = Field(examples=["Classic Margherita Pizza"])
    cuisine: str | None = Field(None, examples=["Italian"])
    difficulty: str | None = Field(None, examples=["Easy"])
    total_time_minutes: int | None = Field(None, description="Preparation plus cooking time.")
    rating: float | None = Field(None, description="Average rating, 1 to 5.", examples=[4.6])
    image: str | None = Field(None, description="Picture URL.")

    @classmethod
    def from_downstream(cls, recipe: Recipe) -> RecipeSummary:
        total = None
        if recipe.prep_time_minutes is not None and recipe.cook_time_minutes is not None:
            total = recipe.prep_time_minutes + recipe.cook_time_minutes
        return cls(
            id=recipe.id,
            name=recipe.name,
            cuisine=recipe.cuisine,
            difficulty=recipe.difficulty,
            total_time_minutes=total,
            rating=recipe.rating,
            image=recipe.image,
        )
