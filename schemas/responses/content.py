"""Posts, comments, todos, quotes and carts as frontends render them."""

from __future__ import annotations

from pydantic import Field

from schemas.downstream import Cart, CartProduct, Comment, Post, Quote, Todo
from schemas.responses.base import ResponseModel
from schemas.responses.catalog import ProductSummary
from schemas.responses.users import UserSummary


class PostSummary(ResponseModel):
    """A post, with its reaction counts."""

    id: int = Field(examples=[1])
    title: str = Field(examples=["His mother had always taught him"])
    body: str = Field(description="The full text.")
    tags: list[str] = Field(default_factory=list, examples=[["history", "american"]])
    likes: int = Field(0, examples=[192])
    dislikes: int = Field(0, examples=[25])
    views: int = Field(0, examples=[305])
    user_id: int = Field(description="The author's user id.")

    @classmethod
    def from_downstream(cls, post: Post) -> PostSummary:
        reactions = post.reactions
        return cls(
            id=post.id,
            title=post.title,
            body=post.body,
            tags=list(post.tags),
            likes=reactions.likes if reactions else 0,
            dislikes=reactions.dislikes if reactions else 0,
            views=post.views or 0,
            user_id=post.user_id,
        )


class CommentItem(ResponseModel):
    """A comment on a post, with its author."""

    id: int = Field(examples=[1])
    body: str = Field(examples=["This is some awesome thinking!"])
    likes: int = Field(0, examples=[3])
    user: UserSummary = Field(description="Who wrote it.")

    @classmethod
    def from_downstream(cls, comment: Comment) -> CommentItem:
        return cls(
            id=comment.id,
            body=comment.body,
            likes=comment.likes or 0,
            user=UserSummary.from_comment_user(comment.user),
        )


class TodoItem(ResponseModel):
    """One entry of a user's todo list."""

    id: int = Field(examples=[1])
    todo: str = Field(examples=["Do something nice for someone you care about"])
    completed: bool = Field(examples=[False])

    @classmethod
    def from_downstream(cls, todo: Todo) -> TodoItem:
        return cls(id=todo.id, todo=todo.todo, completed=todo.completed)


class QuoteItem(ResponseModel):
    """A quotation and who said it."""

    id: int = Field(examples=[1])
    quote: str = Field(
        examples=["Your heart is the size of an ocean. Go find yourself in its hidden depths."]
    )
    author: str = Field(examples=["Rumi"])

    @classmethod
    def from_downstream(cls, quote: Quote) -> QuoteItem:
        return cls(id=quote.id, quote=quote.quote, author=quote.author)


class CartSummary(ResponseModel):
    """A cart's totals, without its lines."""

    id: int = Field(examples=[1])
    user_id: int = Field(description="The owner's user id.", examples=[33])
    total: float = Field(description="Sum of the lines before discounts.", examples=[103774.85])
    discounted_total: float = Field(description="What the owner pays.", examples=[89686.65])
    total_products: int = Field(description="Distinct products.", examples=[4])
    total_quantity: int = Field(description="Items, counting quantities.", examples=[15])

    @classmethod
    def from_downstream(cls, cart: Cart) -> CartSummary:
        return cls(
            id=cart.id,
            user_id=cart.user_id,
            total=cart.total,
            discounted_total=cart.discounted_total,
            total_products=cart.total_products,
            total_quantity=cart.total_quantity,
        )


class CartLine(ResponseModel):
    """One line of a cart: what was put in it, and the product as it is now."""

    product_id: int = Field(examples=[168])
    title: str = Field(
        description="The title when the line was added.", examples=["Charger SXT RWD"]
    )
    price: float = Field(description="Unit price when the line was added.")
    quantity: int = Field(examples=[3])
    total: float = Field(description="Price times quantity.", examples=[98899.17])
    discounted_total: float | None = Field(None, description="The line's total after discount.")
    thumbnail: str | None = Field(None, description="Thumbnail URL.")
    product: ProductSummary | None = Field(
        None, description="The product's current data; null when it could not be fetched."
    )

    @classmethod
    def from_downstream(cls, line: CartProduct, product: ProductSummary | None) -> CartLine:
        return cls(
            product_id=line.id,
            title=line.title,
            price=line.price,
            quantity=line.quantity,
            total=line.total,
            discounted_total=line.discounted_total,
            thumbnail=line.thumbnail,
            product=product,
        )
