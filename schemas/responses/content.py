"""Posts, comments, todos, quotes and carts as frontends render them."""

from __future__ import annotations

from pydantic import Field

from schemas.downstream import Cart, CartProduct, Comment, Post, Quote, Todo
from schemas.responses.base import ResponseModel
from schemas.responses.catalog import ProductSummary
from schemas.responses.users import UserSummary


class PostSummary(ResponseModel):
    id: int = Field(examples=[1])
    title: str = Field(examples=["His mother had always taught him"])
    body: str
    tags: list[str] = Field(default_factory=list)
    likes: int = 0
    dislikes: int = 0
    views: int = 0
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
    id: int
    body: str
    likes: int = 0
    user: UserSummary

    @classmethod
    def from_downstream(cls, comment: Comment) -> CommentItem:
        return cls(
            id=comment.id,
            body=comment.body,
            likes=comment.likes or 0,
            user=UserSummary.from_comment_user(comment.user),
        )


class TodoItem(ResponseModel):
    id: int
    todo: str = Field(examples=["Do something nice for someone you care about"])
    completed: bool

    @classmethod
    def from_downstream(cls, todo: Todo) -> TodoItem:
        return cls(id=todo.id, todo=todo.todo, completed=todo.completed)


class QuoteItem(ResponseModel):
    id: int
    quote: str
    author: str

    @classmethod
    def from_downstream(cls, quote: Quote) -> QuoteItem:
        return cls(id=quote.id, quote=quote.quote, author=quote.author)


class CartSummary(ResponseModel):
    """A cart's totals, without its lines."""

    id: int = Field(examples=[1])
    user_id: int
    total: float
    discounted_total: float
    total_products: int
    total_quantity: int

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

    product_id: int
    title: str
    price: float = Field(description="Unit price when the line was added.")
    quantity: int
    total: float
    discounted_total: float | None = None
    thumbnail: str | None = None
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
