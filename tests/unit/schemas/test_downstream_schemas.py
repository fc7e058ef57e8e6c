"""Downstream payloads as docs/reference/downstream.md describes them, quirks included, parse;
drift does not."""

import json
from typing import Any, TypeVar

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from schemas.downstream import (
    Cart,
    CartList,
    Category,
    Comment,
    CommentList,
    LoginResult,
    Post,
    PostList,
    Product,
    ProductList,
    Quote,
    QuoteList,
    Recipe,
    RecipeList,
    Todo,
    TodoList,
    TokenPair,
    User,
    UserList,
)

USER: dict[str, Any] = {
    "id": 1,
    "firstName": "Emily",
    "lastName": "Johnson",
    "maidenName": "Smith",
    "age": 28,
    "gender": "female",
    "email": "emily.johnson@x.dummyjson.com",
    "phone": "+81 965-431-3024",
    "username": "emilys",
    "password": "emilyspass",
    "birthDate": "1996-5-30",
    "image": "https://dummyjson.com/icon/emilys/128",
    "bloodGroup": "O-",
    "height": 193,
    "weight": 63.16,
    "eyeColor": "Green",
    "hair": {"color": "Brown", "type": "Curly"},
    "ip": "42.48.100.32",
    "address": {
        "address": "626 Main Street",
        "city": "Phoenix",
        "state": "Mississippi",
        "stateCode": "MS",
        "postalCode": "29112",
        "coordinates": {"lat": -77, "lng": 65.23},
        "country": "United States",
    },
    "macAddress": "47:fa:41:18:ec:eb",
    "university": "University of Wisconsin--Madison",
    "bank": {
        "cardExpire": "03/26",
        "cardNumber": "9289760655481815",
        "cardType": "Elo",
        "currency": "CNY",
        "iban": "YPUXISOBI7TTHPK2BR3HAIXL",
    },
    "company": {
        "department": "Engineering",
        "name": "Dooley, Kozey and Cronin",
        "title": "Sales Manager",
        "address": {
            "address": "263 Tenth Street",
            "city": "San Francisco",
            "state": "Wisconsin",
            "stateCode": "WI",
            "postalCode": "37657",
            "coordinates": {"lat": 71.814525, "lng": -161.150263},
            "country": "United States",
        },
    },
    "ein": "977-175",
    "ssn": "900-590-289",
    "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)",
    "crypto": {
        "coin": "Bitcoin",
        "wallet": "0xb9fc2fe63b2a6c003f1c324c3bfa53259162181a",
        "network": "Ethereum (ERC20)",
    },
    "role": "admin",
}

PRODUCT: dict[str, Any] = {
    "id": 1,
    "title": "Essence Mascara Lash Princess",
    "description": "A popular mascara.",
    "category": "beauty",
    "price": 9.99,
    "discountPercentage": 7.17,
    "rating": 4.94,
    "stock": 5,
    "tags": ["beauty", "mascara"],
    "brand": "Essence",
    "sku": "RCH45Q1A",
    "weight": 2,
    "dimensions": {"width": 23.17, "height": 14.43, "depth": 28.01},
    "warrantyInformation": "1 month warranty",
    "shippingInformation": "Ships in 1 month",
    "availabilityStatus": "Low Stock",
    "reviews": [
        {
            "rating": 2,
            "comment": "Very unhappy with my purchase!",
            "date": "2024-05-23T08:56:21.618Z",
            "reviewerName": "John Doe",
            "reviewerEmail": "john.doe@x.dummyjson.com",
        }
    ],
    "returnPolicy": "30 days return policy",
    "minimumOrderQuantity": 24,
    "meta": {
        "createdAt": "2024-05-23T08:56:21.618Z",
        "updatedAt": "2024-05-23T08:56:21.618Z",
        "barcode": "9164035109868",
        "qrCode": "https://assets.dummyjson.com/public/qr-code.png",
    },
    "images": ["https://cdn.dummyjson.com/products/images/beauty/1.png"],
    "thumbnail": "https://cdn.dummyjson.com/products/images/beauty/thumbnail.png",
}

CART: dict[str, Any] = {
    "id": 1,
    "products": [
        {
            "id": 144,
            "title": "Cricket Helmet",
            "price": 44.99,
            "quantity": 4,
            "total": 179.96,
            "discountPercentage": 11.47,
            "discountedTotal": 159.32,
            "thumbnail": "https://cdn.dummyjson.com/products/images/x/thumbnail.png",
        }
    ],
    "total": 179.96,
    "discountedTotal": 159.32,
    "userId": 33,
    "totalProducts": 1,
    "totalQuantity": 4,
}

POST: dict[str, Any] = {
    "id": 1,
    "title": "His mother had always taught him",
    "body": "His mother had always taught him not to ever think of himself as better than others.",
    "tags": ["history", "american", "crime"],
    "reactions": {"likes": 192, "dislikes": 25},
    "views": 305,
    "userId": 121,
}

COMMENT: dict[str, Any] = {
    "id": 1,
    "body": "This is some awesome thinking!",
    "postId": 242,
    "likes": 3,
    "user": {"id": 105, "username": "emmac", "fullName": "Emma Wilson"},
}

TODO: dict[str, Any] = {"id": 1, "todo": "Do something nice", "completed": False, "userId": 152}

QUOTE: dict[str, Any] = {"id": 1, "quote": "Your heart is the size of an ocean.", "author": "Rumi"}

RECIPE: dict[str, Any] = {
    "id": 1,
    "name": "Classic Margherita Pizza",
    "ingredients": ["Pizza dough", "Tomato sauce"],
    "instructions": ["Preheat the oven.", "Bake."],
    "prepTimeMinutes": 20,
    "cookTimeMinutes": 15,
    "servings": 4,
    "difficulty": "Easy",
    "cuisine": "Italian",
    "caloriesPerServing": 300,
    "tags": ["Pizza", "Italian"],
    "userId": 166,
    "image": "https://cdn.dummyjson.com/recipe-images/1.webp",
    "rating": 4.6,
    "reviewCount": 98,
    "mealType": ["Dinner"],
}

LOGIN: dict[str, Any] = {
    "accessToken": "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6MX0.sig",
    "refreshToken": "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6MX0.sig2",
    "id": 1,
    "username": "emilys",
    "email": "emily.johnson@x.dummyjson.com",
    "firstName": "Emily",
    "lastName": "Johnson",
    "gender": "female",
    "image": "https://dummyjson.com/icon/emilys/128",
}

ITEMS: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (User, USER),
    (Product, PRODUCT),
    (Cart, CART),
    (Post, POST),
    (Comment, COMMENT),
    (Todo, TODO),
    (Quote, QUOTE),
    (Recipe, RECIPE),
    (LoginResult, LOGIN),
]

ENVELOPES: list[tuple[type[BaseModel], str, dict[str, Any]]] = [
    (UserList, "users", USER),
    (ProductList, "products", PRODUCT),
    (CartList, "carts", CART),
    (PostList, "posts", POST),
    (CommentList, "comments", COMMENT),
    (TodoList, "todos", TODO),
    (QuoteList, "quotes", QUOTE),
    (RecipeList, "recipes", RECIPE),
]


ITEM_IDS = [model.__name__ for model, _ in ITEMS]
ENVELOPE_IDS = [model.__name__ for model, _, _ in ENVELOPES]
M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], payload: object) -> M:
    """Validate from JSON bytes, as the pipeline does (JSON mode differs from Python mode)."""
    return model.model_validate_json(json.dumps(payload))


def without(payload: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in keys}


@pytest.mark.parametrize(("model", "payload"), ITEMS, ids=ITEM_IDS)
def test_real_payload_parses(model: type[BaseModel], payload: dict[str, Any]) -> None:
    assert parse(model, payload).model_dump(by_alias=True, exclude_unset=True) == payload


@pytest.mark.parametrize(("model", "payload"), ITEMS, ids=ITEM_IDS)
def test_missing_id_fails(model: type[BaseModel], payload: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        parse(model, without(payload, "id"))
    assert info.value.errors()[0]["loc"] == ("id",)


@pytest.mark.parametrize(("model", "payload"), ITEMS, ids=ITEM_IDS)
def test_unknown_fields_are_ignored(model: type[BaseModel], payload: dict[str, Any]) -> None:
    parsed = parse(model, {**payload, "brandNewField": {"nested": True}})
    assert "brandNewField" not in parsed.model_dump(by_alias=True)


def test_user_keeps_sensitive_fields_for_the_response_layer_to_drop() -> None:
    user = parse(User, USER)
    assert user.first_name == "Emily"
    assert user.password == "emilyspass"
    assert user.ssn == "900-590-289"
    assert user.ein == "977-175"
    assert user.ip == "42.48.100.32"
    assert user.mac_address == "47:fa:41:18:ec:eb"
    assert user.user_agent is not None
    assert user.bank is not None
    assert user.bank.card_number == "9289760655481815"
    assert user.crypto is not None
    assert user.crypto.wallet.startswith("0x")  # type: ignore[union-attr]


def test_user_numbers_and_nesting() -> None:
    user = parse(User, USER)
    assert user.height == 193.0
    assert isinstance(user.height, float)
    assert user.address is not None
    assert user.address.coordinates is not None
    assert user.address.coordinates.lat == -77.0
    assert user.company is not None
    assert user.company.address is not None
    assert user.company.address.state_code == "WI"
    # Not a date: the real service sends unpadded dates.
    assert user.birth_date == "1996-5-30"


def test_user_needs_only_what_the_bff_depends_on() -> None:
    minimal = {
        "id": 7,
        "firstName": "A",
        "lastName": "B",
        "username": "ab",
        "email": "a@b.c",
    }
    user = parse(User, minimal)
    assert (user.hair, user.address, user.bank, user.role) == (None, None, None, None)


def test_unknown_role_is_accepted() -> None:
    assert parse(User, {**USER, "role": "superuser"}).role == "superuser"


def test_product_without_brand() -> None:
    product = parse(Product, without(PRODUCT, "brand"))
    assert product.brand is None


def test_product_whole_numbers_parse_as_floats() -> None:
    product = parse(Product, {**PRODUCT, "price": 10, "rating": 5, "discountPercentage": 0})
    assert (product.price, product.rating, product.discount_percentage) == (10.0, 5.0, 0.0)
    assert all(isinstance(v, float) for v in (product.price, product.rating))


def test_product_with_empty_lists() -> None:
    product = parse(Product, {**PRODUCT, "tags": [], "reviews": [], "images": []})
    assert (product.tags, product.reviews, product.images) == ([], [], [])


def test_product_nested_shapes() -> None:
    product = parse(Product, PRODUCT)
    assert product.dimensions is not None
    assert product.dimensions.depth == 28.01
    assert product.reviews[0].reviewer_name == "John Doe"
    assert product.reviews[0].rating == 2.0
    assert product.meta is not None
    assert product.meta.qr_code is not None
    assert product.availability_status == "Low Stock"


@pytest.mark.parametrize("field", ["title", "price", "category"])
def test_product_needs_what_screens_show(field: str) -> None:
    with pytest.raises(ValidationError):
        parse(Product, without(PRODUCT, field))


def test_price_must_be_a_number() -> None:
    with pytest.raises(ValidationError):
        parse(Product, {**PRODUCT, "price": "cheap"})


def test_categories_array() -> None:
    payload = [
        {
            "slug": "beauty",
            "name": "Beauty",
            "url": "https://dummyjson.com/products/category/beauty",
        },
        {"slug": "home-decoration", "name": "Home Decoration"},
    ]
    categories = TypeAdapter(list[Category]).validate_json(json.dumps(payload))
    assert [c.slug for c in categories] == ["beauty", "home-decoration"]
    assert categories[1].url is None


def test_cart_amounts() -> None:
    cart = parse(Cart, CART)
    assert cart.user_id == 33
    assert cart.products[0].discounted_total == 159.32
    assert cart.total_quantity == 4


@pytest.mark.parametrize("field", ["userId", "total", "discountedTotal", "totalQuantity"])
def test_cart_needs_its_amounts(field: str) -> None:
    with pytest.raises(ValidationError):
        parse(Cart, without(CART, field))


def test_cart_product_needs_quantity() -> None:
    item = without(CART["products"][0], "quantity")
    with pytest.raises(ValidationError):
        parse(Cart, {**CART, "products": [item]})


def test_post_and_comment() -> None:
    post = parse(Post, POST)
    assert post.reactions is not None
    assert (post.user_id, post.reactions.likes, post.views) == (121, 192, 305)
    comment = parse(Comment, COMMENT)
    assert (comment.post_id, comment.user.full_name) == (242, "Emma Wilson")


def test_auth_payloads() -> None:
    login = parse(LoginResult, LOGIN)
    assert login.access_token == LOGIN["accessToken"]
    assert login.first_name == "Emily"
    pair = parse(TokenPair, {"accessToken": "a", "refreshToken": "r"})
    assert (pair.access_token, pair.refresh_token) == ("a", "r")
    with pytest.raises(ValidationError):
        parse(TokenPair, {"accessToken": "a"})


@pytest.mark.parametrize(("model", "key", "item"), ENVELOPES, ids=ENVELOPE_IDS)
def test_envelope_parses(model: type[BaseModel], key: str, item: dict[str, Any]) -> None:
    page = parse(model, {key: [item], "total": 208, "skip": 0, "limit": 1})
    assert (page.total, page.skip, page.limit) == (208, 0, 1)  # type: ignore[attr-defined]
    assert len(getattr(page, key)) == 1


@pytest.mark.parametrize(("model", "key", "item"), ENVELOPES, ids=ENVELOPE_IDS)
def test_empty_envelope_parses(model: type[BaseModel], key: str, item: dict[str, Any]) -> None:
    page = parse(model, {key: [], "total": 0, "skip": 0, "limit": 0})
    assert getattr(page, key) == []


@pytest.mark.parametrize(("model", "key", "item"), ENVELOPES, ids=ENVELOPE_IDS)
def test_envelope_without_its_items_fails(
    model: type[BaseModel], key: str, item: dict[str, Any]
) -> None:
    """A renamed items key must fail loudly, not read as an empty page."""
    with pytest.raises(ValidationError):
        parse(model, {"data": [item], "total": 1, "skip": 0, "limit": 1})


@pytest.mark.parametrize("field", ["total", "skip", "limit"])
def test_envelope_needs_paging(field: str) -> None:
    page = {"users": [], "total": 0, "skip": 0, "limit": 0}
    with pytest.raises(ValidationError):
        parse(UserList, without(page, field))


def test_models_are_frozen_and_accept_python_names() -> None:
    quote = Quote(id=1, quote="q", author="a")
    with pytest.raises(ValidationError):
        quote.author = "b"  # type: ignore[misc]
    todo = Todo(id=1, todo="t", completed=True, user_id=3)
    assert todo.model_dump(by_alias=True) == {"id": 1, "todo": "t", "completed": True, "userId": 3}
