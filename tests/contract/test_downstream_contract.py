"""Consumer contract tests of every typed client, and the simulator held to the same contract.

Each ``Interaction`` below is one route of docs/reference/downstream.md as the BFF's typed client
calls it, with an example payload written from that page, quirks included (a missing ``brand``,
whole numbers where fractions are usual, empty lists). Both sides are checked against the one
set of schemas in ``schemas/downstream``:

- consumer: the client sends the documented request and decodes the example (and an HTML 404
  page becomes a typed ``NotFound``, never a crash);
- provider: the same client call against the embedded simulator succeeds, and every field the
  schemas declare is served by the simulator somewhere in its data.

So a schema change that the simulator does not follow (a new field, a renamed one, a required
one) fails here, as the last test shows on purpose.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import respx
from pydantic import BaseModel, TypeAdapter, ValidationError
from support import Simulator, settings_for

from clients import SERVICES, Downstreams, NotFound, ServicePolicy
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
    Recipe,
    RecipeList,
    Todo,
    TodoList,
    TokenPair,
    User,
    UserList,
)

pytestmark = pytest.mark.anyio

BASE_URL = "http://downstream.test"
HTML_404 = (
    "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>Error</title></head>"
    "<body><pre>Cannot GET /x</pre></body></html>"
)
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6MX0.c2ln"

# --- example payloads, written from docs/reference/downstream.md ("Payload shapes")

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
    "height": 193,  # whole numbers where fractions are usual
    "weight": 63,
    "eyeColor": "Green",
    "hair": {"color": "Brown", "type": "Curly"},
    "ip": "42.48.100.32",
    "address": {
        "address": "626 Main Street",
        "city": "Phoenix",
        "state": "Mississippi",
        "stateCode": "MS",
        "postalCode": "29112",
        "coordinates": {"lat": -77, "lng": 65},
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
        "address": {"city": "San Francisco", "coordinates": {"lat": 71.8, "lng": -161.1}},
    },
    "ein": "977-175",
    "ssn": "900-590-289",
    "userAgent": "Mozilla/5.0",
    "crypto": {"coin": "Bitcoin", "wallet": "0xb9fc2fe63b2a", "network": "Ethereum (ERC20)"},
    "role": "admin",
}
# `brand` absent (not null), whole-number price/rating/discount, empty lists.
UNBRANDED_PRODUCT: dict[str, Any] = {
    "id": 2,
    "title": "Eyeshadow Palette with Mirror",
    "description": "A versatile palette.",
    "category": "beauty",
    "price": 20,
    "discountPercentage": 0,
    "rating": 5,
    "stock": 44,
    "tags": [],
    "sku": "MVCFH27F",
    "weight": 3,
    "dimensions": {"width": 12, "height": 8, "depth": 29},
    "warrantyInformation": "1 year warranty",
    "shippingInformation": "Ships in 2 weeks",
    "availabilityStatus": "In Stock",
    "reviews": [],
    "returnPolicy": "No return policy",
    "minimumOrderQuantity": 32,
    "meta": {
        "createdAt": "2024-05-23T08:56:21.618Z",
        "updatedAt": "2024-05-23T08:56:21.618Z",
        "barcode": "2817839095220",
        "qrCode": "https://assets.dummyjson.com/public/qr-code.png",
    },
    "images": [],
    "thumbnail": "https://cdn.dummyjson.com/products/images/beauty/thumbnail.png",
}
PRODUCT: dict[str, Any] = {
    **UNBRANDED_PRODUCT,
    "id": 1,
    "brand": "Essence",
    "price": 9.99,
    "rating": 4.94,
    "tags": ["beauty", "mascara"],
    "reviews": [
        {
            "rating": 2,
            "comment": "Very unhappy with my purchase!",
            "date": "2024-05-23T08:56:21.618Z",
            "reviewerName": "John Doe",
            "reviewerEmail": "john.doe@x.dummyjson.com",
        }
    ],
    "images": ["https://cdn.dummyjson.com/products/images/beauty/1.png"],
}
CART: dict[str, Any] = {
    "id": 1,
    "products": [
        {
            "id": 144,
            "title": "Cricket Helmet",
            "price": 44,
            "quantity": 4,
            "total": 176,
            "discountPercentage": 11.47,
            "discountedTotal": 155.81,
            "thumbnail": "https://cdn.dummyjson.com/products/images/x/thumbnail.png",
        }
    ],
    "total": 176,
    "discountedTotal": 155.81,
    "userId": 1,
    "totalProducts": 1,
    "totalQuantity": 4,
}
POST: dict[str, Any] = {
    "id": 1,
    "title": "His mother had always taught him",
    "body": "His mother had always taught him not to think of himself as better than others.",
    "tags": [],
    "reactions": {"likes": 192, "dislikes": 25},
    "views": 305,
    "userId": 1,
}
COMMENT: dict[str, Any] = {
    "id": 1,
    "body": "This is some awesome thinking!",
    "postId": 1,
    "likes": 3,
    "user": {"id": 105, "username": "emmac", "fullName": "Emma Wilson"},
}
TODO: dict[str, Any] = {"id": 1, "todo": "Do something nice", "completed": False, "userId": 1}
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
    "tags": [],
    "userId": 166,
    "image": "https://cdn.dummyjson.com/recipe-images/1.webp",
    "rating": 5,
    "reviewCount": 98,
    "mealType": ["Dinner"],
}
LOGIN: dict[str, Any] = {
    "accessToken": TOKEN,
    "refreshToken": TOKEN + "r",
    "id": 1,
    "username": "emilys",
    "email": "emily.johnson@x.dummyjson.com",
    "firstName": "Emily",
    "lastName": "Johnson",
    "gender": "female",
    "image": "https://dummyjson.com/icon/emilys/128",
}
CATEGORIES: list[dict[str, Any]] = [
    {"slug": "beauty", "name": "Beauty", "url": "https://dummyjson.com/products/category/beauty"},
    {"slug": "fragrances", "name": "Fragrances", "url": "https://x.test/fragrances"},
]


def page(key: str, *items: dict[str, Any], total: int | None = None) -> dict[str, Any]:
    return {key: list(items), "total": len(items) if total is None else total, "skip": 0,
            "limit": len(items)}  # fmt: skip


# --- the interactions

Call = Callable[[Downstreams], Awaitable[Any]]


@dataclass(frozen=True)
class Interaction:
    """One downstream route as the BFF's typed client calls it."""

    route: str  # as docs/reference/downstream.md names it
    method: str
    path: str  # the path the call below sends
    call: Call
    example: Any  # the payload written from the contract
    decoded: type[BaseModel] | Any  # what the client returns
    query: dict[str, str] | None = None

    @property
    def by_id(self) -> bool:
        return "{" in self.route


INTERACTIONS = [
    Interaction("GET /users/{id}", "GET", "/users/1", lambda d: d.users.get(1), USER, User),
    Interaction(
        "GET /users", "GET", "/users", lambda d: d.users.list(limit=2, sort_by="id", order="asc"),
        page("users", USER, total=208), UserList,
        {"limit": "2", "skip": "0", "sortBy": "id", "order": "asc"},
    ),
    Interaction(
        "GET /users/search", "GET", "/users/search", lambda d: d.users.search("emily", limit=5),
        page("users", USER), UserList, {"q": "emily", "limit": "5", "skip": "0"},
    ),
    Interaction(
        "GET /users/{id}/carts", "GET", "/users/1/carts", lambda d: d.users.carts(1),
        page("carts", CART), CartList,
    ),
    Interaction(
        "GET /users/{id}/posts", "GET", "/users/1/posts", lambda d: d.users.posts(1),
        page("posts"), PostList,  # may be empty
    ),
    Interaction(
        "GET /users/{id}/todos", "GET", "/users/1/todos", lambda d: d.users.todos(1),
        page("todos"), TodoList,  # may be empty
    ),
    Interaction(
        "GET /products/{id}", "GET", "/products/2", lambda d: d.products.get(2),
        UNBRANDED_PRODUCT, Product,
    ),
    Interaction(
        "GET /products", "GET", "/products",
        lambda d: d.products.list(limit=2, sort_by="rating", order="desc"),
        page("products", PRODUCT, UNBRANDED_PRODUCT, total=194), ProductList,
        {"limit": "2", "skip": "0", "sortBy": "rating", "order": "desc"},
    ),
    Interaction(
        "GET /products/search", "GET", "/products/search",
        lambda d: d.products.search("mascara", limit=5),
        page("products", PRODUCT), ProductList, {"q": "mascara", "limit": "5", "skip": "0"},
    ),
    Interaction(
        "GET /products/categories", "GET", "/products/categories",
        lambda d: d.products.categories(), CATEGORIES, list[Category],
    ),
    Interaction(
        "GET /products/category-list", "GET", "/products/category-list",
        lambda d: d.products.category_list(), ["beauty", "fragrances"], list[str],
    ),
    Interaction(
        "GET /products/category/{slug}", "GET", "/products/category/beauty",
        lambda d: d.products.by_category("beauty", limit=5),
        page("products", UNBRANDED_PRODUCT), ProductList,
    ),
    Interaction(
        "GET /products/category/{slug} (unknown slug)", "GET", "/products/category/no-such-slug",
        lambda d: d.products.by_category("no-such-slug"), page("products"), ProductList,
    ),
    Interaction("GET /carts/{id}", "GET", "/carts/1", lambda d: d.carts.get(1), CART, Cart),
    Interaction(
        "GET /carts/user/{id}", "GET", "/carts/user/1", lambda d: d.carts.by_user(1),
        page("carts", CART), CartList,
    ),
    Interaction("GET /posts/{id}", "GET", "/posts/1", lambda d: d.posts.get(1), POST, Post),
    Interaction(
        "GET /posts", "GET", "/posts", lambda d: d.posts.list(limit=3, sort_by="id", order="desc"),
        page("posts", POST, total=251), PostList,
        {"limit": "3", "skip": "0", "sortBy": "id", "order": "desc"},
    ),
    Interaction(
        "GET /posts/search", "GET", "/posts/search", lambda d: d.posts.search("love", limit=5),
        page("posts"), PostList, {"q": "love", "limit": "5", "skip": "0"},
    ),
    Interaction(
        "GET /posts/{id}/comments", "GET", "/posts/1/comments", lambda d: d.posts.comments(1),
        page("comments", COMMENT), CommentList,
    ),
    Interaction(
        "GET /todos", "GET", "/todos", lambda d: d.todos.list(limit=1),
        page("todos", TODO, total=254), TodoList,
    ),
    Interaction("GET /todos/{id}", "GET", "/todos/1", lambda d: d.todos.get(1), TODO, Todo),
    Interaction(
        "GET /quotes/random", "GET", "/quotes/random", lambda d: d.quotes.random(), QUOTE, Quote
    ),
    Interaction("GET /quotes/{id}", "GET", "/quotes/1", lambda d: d.quotes.get(1), QUOTE, Quote),
    Interaction(
        "GET /recipes/{id}", "GET", "/recipes/1", lambda d: d.recipes.get(1), RECIPE, Recipe
    ),
    Interaction(
        "GET /recipes/search", "GET", "/recipes/search",
        lambda d: d.recipes.search("pizza", limit=5), page("recipes", RECIPE), RecipeList,
        {"q": "pizza", "limit": "5", "skip": "0"},
    ),
    Interaction(
        "POST /auth/login", "POST", "/auth/login",
        lambda d: d.auth.login("emilys", "emilyspass", expires_in_mins=30), LOGIN, LoginResult,
    ),
    Interaction("GET /auth/me", "GET", "/auth/me", lambda d: d.auth.me(TOKEN), USER, User),
    Interaction(
        "POST /auth/refresh", "POST", "/auth/refresh", lambda d: d.auth.refresh(TOKEN + "r"),
        {"accessToken": TOKEN, "refreshToken": TOKEN + "r2"}, TokenPair,
    ),
]  # fmt: skip
IDS = [interaction.route for interaction in INTERACTIONS]


@pytest.fixture
def router() -> respx.Router:
    return respx.Router(base_url=BASE_URL, assert_all_called=False)


@pytest.fixture
def consumer(router: respx.Router) -> Downstreams:
    """Typed clients over the respx router (through the transport seam, no patching)."""
    http = httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler))
    return Downstreams.build(
        http, dict.fromkeys(SERVICES, ServicePolicy(base_url=BASE_URL, timeout=2.0))
    )


def is_instance(value: Any, decoded: Any) -> bool:
    if isinstance(decoded, type):
        return isinstance(value, decoded)
    TypeAdapter(decoded).validate_python(value)  # list[Category] etc.
    return isinstance(value, list)


# --- consumer side


@pytest.mark.parametrize("interaction", INTERACTIONS, ids=IDS)
async def test_client_decodes_the_contract_example(
    interaction: Interaction, router: respx.Router, consumer: Downstreams
) -> None:
    route = router.route(method=interaction.method, path=interaction.path).respond(
        200, json=interaction.example
    )
    result = await interaction.call(consumer)

    assert route.call_count == 1, f"{interaction.route}: the client called another path"
    if interaction.query is not None:
        assert dict(route.calls.last.request.url.params) == interaction.query
    assert is_instance(result, interaction.decoded)
    if isinstance(result, BaseModel):
        # Nothing of the example was lost on the way (whole numbers stay numbers, etc.).
        dumped = result.model_dump(mode="json", by_alias=True, exclude_unset=True)
        assert_subset(dumped, interaction.example)


def assert_subset(decoded: Any, sent: Any, where: str = "body") -> None:
    """Every field the schema keeps has the value that was sent (unknown ones are ignored)."""
    if isinstance(decoded, dict):
        for key, value in decoded.items():
            assert key in sent, f"{where}.{key} appeared from nowhere"
            assert_subset(value, sent[key], f"{where}.{key}")
    elif isinstance(decoded, list):
        assert len(decoded) == len(sent), where
        for index, (left, right) in enumerate(zip(decoded, sent, strict=True)):
            assert_subset(left, right, f"{where}[{index}]")
    else:
        assert decoded == sent, f"{where}: {decoded!r} != {sent!r}"


@pytest.mark.parametrize(
    "interaction", [i for i in INTERACTIONS if i.by_id and i.method == "GET"],
    ids=[i.route for i in INTERACTIONS if i.by_id and i.method == "GET"],
)  # fmt: skip
async def test_an_html_404_page_is_a_typed_not_found(
    interaction: Interaction, router: respx.Router, consumer: Downstreams
) -> None:
    """The real service answers unknown paths with an HTML page, not JSON."""
    router.route(method="GET", path=interaction.path).respond(404, html=HTML_404)
    with pytest.raises(NotFound) as raised:
        await interaction.call(consumer)
    assert "<html" not in str(raised.value).lower()


# --- provider side: the simulator


@pytest.fixture
async def provider(sim: Simulator) -> Any:
    async with httpx.AsyncClient() as http:
        yield Downstreams.build(http, settings_for(sim.url).service_policies())


PROVIDER_CALLS: dict[str, Call] = {
    # Routes whose example ids do not exist in the simulator's data, or that need a real token.
    "GET /auth/me": lambda d: _me(d),
    "POST /auth/refresh": lambda d: _refresh(d),
}


async def _me(downstreams: Downstreams) -> User:
    login = await downstreams.auth.login("emilys", "emilyspass")
    return await downstreams.auth.me(login.access_token)


async def _refresh(downstreams: Downstreams) -> TokenPair:
    login = await downstreams.auth.login("emilys", "emilyspass")
    return await downstreams.auth.refresh(login.refresh_token)


@pytest.mark.parametrize("interaction", INTERACTIONS, ids=IDS)
async def test_the_simulator_answers_through_the_same_client(
    interaction: Interaction, provider: Downstreams
) -> None:
    call = PROVIDER_CALLS.get(interaction.route, interaction.call)
    result = await call(provider)
    assert is_instance(result, interaction.decoded)


def nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside ``M``, ``M | None`` or ``list[M]``, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType):
        for argument in typing.get_args(annotation):
            found = nested_model(argument)
            if found is not None:
                return found
    return None


def unserved_fields(model: type[BaseModel], payloads: list[Any], where: str = "") -> list[str]:
    """Fields ``model`` declares that no payload carries (recursively, by wire name)."""
    missing: list[str] = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        values = [p[key] for p in payloads if isinstance(p, dict) and key in p]
        if not values:
            missing.append(f"{where}{key}")
            continue
        inner = nested_model(field.annotation)
        if inner is not None:
            items: list[Any] = []
            for value in values:
                items.extend(value if isinstance(value, list) else [value])
            missing.extend(unserved_fields(inner, items, f"{where}{key}."))
    return missing


def every(path: str, key: str, sim: Simulator) -> list[Any]:
    body = sim.control.get(path, params={"limit": 0}).raise_for_status().json()
    items: list[Any] = body[key]
    assert len(items) == body["total"]
    return items


SERVED: list[tuple[type[BaseModel], str, str]] = [
    (User, "/users", "users"),
    (Product, "/products", "products"),
    (Cart, "/carts", "carts"),
    (Post, "/posts", "posts"),
    (Comment, "/comments", "comments"),
    (Todo, "/todos", "todos"),
    (Quote, "/quotes", "quotes"),
    (Recipe, "/recipes", "recipes"),
]


@pytest.mark.parametrize(("model", "path", "key"), SERVED, ids=[m.__name__ for m, _, _ in SERVED])
def test_the_simulator_serves_every_field_the_schema_declares(
    model: type[BaseModel], path: str, key: str, sim: Simulator
) -> None:
    items = every(path, key, sim)
    for item in items:
        model.model_validate(item)
    assert unserved_fields(model, items) == [], f"{path}: the simulator never serves these"


def test_the_simulator_serves_every_auth_and_category_field(sim: Simulator) -> None:
    login = sim.control.post("/auth/login", json={"username": "emilys", "password": "emilyspass"})
    login_body = login.raise_for_status().json()
    assert unserved_fields(LoginResult, [login_body]) == []
    refreshed = sim.control.post("/auth/refresh", json={"refreshToken": login_body["refreshToken"]})
    assert unserved_fields(TokenPair, [refreshed.raise_for_status().json()]) == []
    categories = sim.control.get("/products/categories").raise_for_status().json()
    assert unserved_fields(Category, categories) == []


def test_a_schema_change_the_simulator_does_not_follow_fails_the_suite(sim: Simulator) -> None:
    """The guard itself: a new field on the BFF's side, absent from the simulator, is caught."""
    products = every("/products", "products", sim)

    class ProductWithWarehouse(Product):
        warehouse: str

    class ProductWithOptionalWarehouse(Product):
        warehouse: str | None = None

    with pytest.raises(ValidationError, match="warehouse"):
        ProductWithWarehouse.model_validate(products[0])
    assert unserved_fields(ProductWithOptionalWarehouse, products) == ["warehouse"]


def test_every_route_of_the_contract_has_an_interaction() -> None:
    """The route table of docs/reference/downstream.md, as of this writing; a new client route
    needs a row above."""
    documented = {
        "GET /users/{id}", "GET /users", "GET /users/search", "GET /users/{id}/carts",
        "GET /users/{id}/posts", "GET /users/{id}/todos", "GET /products/{id}", "GET /products",
        "GET /products/search", "GET /products/categories", "GET /products/category-list",
        "GET /products/category/{slug}", "GET /carts/{id}", "GET /carts/user/{id}",
        "GET /posts/{id}", "GET /posts/{id}/comments", "GET /todos", "GET /quotes/random",
        "GET /quotes/{id}", "GET /recipes/{id}", "GET /recipes/search", "POST /auth/login",
        "GET /auth/me", "POST /auth/refresh",
    }  # fmt: skip
    assert documented <= set(IDS)
