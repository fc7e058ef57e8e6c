"""The DummyJSON data routes (users, products, carts, posts, comments, todos, quotes, recipes).

Every deterministic GET goes through `_cached`: its body is built and serialized on the first
request for a (path, query) pair, then served from the per-instance cache with its ETag.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from simulator.listing import (
    InvalidParam,
    ListParams,
    paginate,
    parse_list_params,
    parse_select,
    search,
    select_fields,
)
from simulator.responses import (
    PROBLEM_TYPE,
    ApiError,
    Entity,
    dumps,
    entity_response,
    json_response,
)
from simulator.state import SimulatorState

Record = dict[str, Any]
Endpoint = Callable[[Request], Awaitable[Response]]

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _is_number(raw: str) -> bool:
    """JavaScript's `!isNaN(Number(raw))`, near enough: decides 400 vs 404 for bad ids."""
    try:
        float(raw)
    except ValueError:
        return False
    return True


def _group(items: Sequence[Record], key: str) -> dict[Any, list[Record]]:
    groups: defaultdict[Any, list[Record]] = defaultdict(list)
    for item in items:
        groups[item[key]].append(item)
    return dict(groups)


def _list_params(request: Request) -> ListParams:
    try:
        return parse_list_params(request.query_params)
    except InvalidParam as exc:
        raise ApiError(400, str(exc)) from None


def _selected(item: Record, query: Mapping[str, str]) -> Record:
    names = parse_select(query.get("select"))
    return select_fields(item, names) if names else item


class DataRoutes:
    def __init__(self, state: SimulatorState) -> None:
        data = state.data
        self._state = state
        self._data = data
        self._carts_by_user = _group(data.carts, "userId")
        self._posts_by_user = _group(data.posts, "userId")
        self._todos_by_user = _group(data.todos, "userId")
        self._comments_by_post = _group(data.comments, "postId")
        self._products_by_category = _group(data.products, "category")

    def routes(self) -> list[BaseRoute]:
        c = self._cached
        return [
            Route("/users", c(self.users)),
            Route("/users/search", c(self.search_users)),
            Route("/users/{id}", c(self.user)),
            Route("/users/{id}/carts", c(self.user_carts)),
            Route("/users/{id}/posts", c(self.user_posts)),
            Route("/users/{id}/todos", c(self.user_todos)),
            Route("/products", c(self.products)),
            Route("/products/search", c(self.search_products)),
            Route("/products/categories", c(lambda _: self._data.categories)),
            Route("/products/category-list", c(self.category_list)),
            Route("/products/category/{slug}", c(self.category_products)),
            Route("/products/{id}", c(self.product)),
            Route("/carts", c(self.carts)),
            Route("/carts/user/{id}", c(self.user_carts)),
            Route("/carts/{id}", c(self.cart)),
            Route("/posts", c(self.posts)),
            Route("/posts/search", c(self.search_posts)),
            Route("/posts/user/{id}", c(self.user_posts)),
            Route("/posts/{id}", c(self.post)),
            Route("/posts/{id}/comments", c(self.post_comments)),
            Route("/comments", c(self.comments)),
            Route("/comments/post/{id}", c(self.post_comments)),
            Route("/comments/{id}", c(self.comment)),
            Route("/todos", c(self.todos)),
            Route("/todos/random", self.random_todo),
            Route("/todos/user/{id}", c(self.user_todos)),
            Route("/todos/{id}", c(self.todo)),
            Route("/quotes", c(self.quotes)),
            Route("/quotes/random", self.random_quote),
            Route("/quotes/{id}", c(self.quote)),
            Route("/recipes", c(self.recipes)),
            Route("/recipes/search", c(self.search_recipes)),
            Route("/recipes/{id}", c(self.recipe)),
            Route("/http/{code}", http_status, methods=ALL_METHODS),
            Route("/http/{code}/{message}", http_status, methods=ALL_METHODS),
            Route("/test", self.test, methods=ALL_METHODS),
        ]

    def _cached(self, build: Callable[[Request], Any]) -> Endpoint:
        cache = self._state.cache

        async def endpoint(request: Request) -> Response:
            scope = request.scope
            key = (scope["path"], scope["query_string"])
            entity = cache.get(key)
            if entity is None:
                entity = Entity.of(build(request))
                cache.put(key, entity)
            return entity_response(request, entity)

        return endpoint

    # --- lookups with the real service's error messages -----------------------------------------
    def _user(self, raw: str) -> Record:
        user = self._data.users_by_id.get(raw)
        if user is None:
            if not _is_number(raw):
                raise ApiError(400, f"Invalid user id '{raw}'")
            raise ApiError(404, f"User with id '{raw}' not found")
        return user

    def _post(self, raw: str) -> Record:
        post = self._data.posts_by_id.get(raw)
        if post is None:
            if not _is_number(raw):
                raise ApiError(400, f"Invalid post id '{raw}'")
            raise ApiError(404, f"Post with id '{raw}' not found")
        return post

    @staticmethod
    def _one(index: Mapping[str, Record], name: str, request: Request) -> Record:
        raw = request.path_params["id"]
        item = index.get(raw)
        if item is None:
            raise ApiError(404, f"{name} with id '{raw}' not found")
        return _selected(item, request.query_params)

    # --- users -----------------------------------------------------------------------------------
    def users(self, request: Request) -> Record:
        return paginate(self._data.users, "users", _list_params(request))

    def search_users(self, request: Request) -> Record:
        params = _list_params(request)
        fields = ("firstName", "lastName", "email", "username")
        return paginate(search(self._data.users, fields, params.q), "users", params)

    def user(self, request: Request) -> Record:
        return _selected(self._user(request.path_params["id"]), request.query_params)

    def user_carts(self, request: Request) -> Record:
        user = self._user(request.path_params["id"])
        items = self._carts_by_user.get(user["id"], [])
        return paginate(items, "carts", _list_params(request))

    def user_posts(self, request: Request) -> Record:
        user = self._user(request.path_params["id"])
        items = self._posts_by_user.get(user["id"], [])
        return paginate(items, "posts", _list_params(request))

    def user_todos(self, request: Request) -> Record:
        user = self._user(request.path_params["id"])
        items = self._todos_by_user.get(user["id"], [])
        return paginate(items, "todos", _list_params(request))

    # --- products --------------------------------------------------------------------------------
    def products(self, request: Request) -> Record:
        return paginate(self._data.products, "products", _list_params(request))

    def search_products(self, request: Request) -> Record:
        params = _list_params(request)
        found = search(self._data.products, ("title", "description"), params.q)
        return paginate(found, "products", params)

    def category_list(self, request: Request) -> list[str]:
        return [category["slug"] for category in self._data.categories]

    def category_products(self, request: Request) -> Record:
        items = self._products_by_category.get(request.path_params["slug"], [])
        return paginate(items, "products", _list_params(request))

    def product(self, request: Request) -> Record:
        return self._one(self._data.products_by_id, "Product", request)

    # --- carts, posts, comments ------------------------------------------------------------------
    def carts(self, request: Request) -> Record:
        return paginate(self._data.carts, "carts", _list_params(request))

    def cart(self, request: Request) -> Record:
        return self._one(self._data.carts_by_id, "Cart", request)

    def posts(self, request: Request) -> Record:
        return paginate(self._data.posts, "posts", _list_params(request))

    def search_posts(self, request: Request) -> Record:
        params = _list_params(request)
        found = search(self._data.posts, ("title", "body"), params.q)
        return paginate(found, "posts", params)

    def post(self, request: Request) -> Record:
        return _selected(self._post(request.path_params["id"]), request.query_params)

    def post_comments(self, request: Request) -> Record:
        post = self._post(request.path_params["id"])
        items = self._comments_by_post.get(post["id"], [])
        return paginate(items, "comments", _list_params(request))

    def comments(self, request: Request) -> Record:
        return paginate(self._data.comments, "comments", _list_params(request))

    def comment(self, request: Request) -> Record:
        return self._one(self._data.comments_by_id, "Comment", request)

    # --- todos, quotes, recipes ------------------------------------------------------------------
    def todos(self, request: Request) -> Record:
        return paginate(self._data.todos, "todos", _list_params(request))

    def todo(self, request: Request) -> Record:
        return self._one(self._data.todos_by_id, "Todo", request)

    async def random_todo(self, request: Request) -> Response:
        return json_response(self._state.rng.choice(self._data.todos))

    def quotes(self, request: Request) -> Record:
        return paginate(self._data.quotes, "quotes", _list_params(request))

    def quote(self, request: Request) -> Record:
        return self._one(self._data.quotes_by_id, "Quote", request)

    async def random_quote(self, request: Request) -> Response:
        return json_response(self._state.rng.choice(self._data.quotes))

    def recipes(self, request: Request) -> Record:
        return paginate(self._data.recipes, "recipes", _list_params(request))

    def search_recipes(self, request: Request) -> Record:
        params = _list_params(request)
        return paginate(search(self._data.recipes, ("name",), params.q), "recipes", params)

    def recipe(self, request: Request) -> Record:
        return self._one(self._data.recipes_by_id, "Recipe", request)

    async def test(self, request: Request) -> Response:
        return json_response({"status": "ok", "method": request.method})


async def http_status(request: Request) -> Response:
    """`/http/{code}[/{message}]`: answer any status, as the real service's testing aid does."""
    raw = request.path_params["code"]
    try:
        code = int(raw)
    except ValueError:
        raise ApiError(400, f"Status code '{raw}' is invalid") from None
    if not 200 <= code <= 599:
        raise ApiError(400, f"Status code '{raw}' is not supported")
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = "Unknown Status"
    title = request.path_params.get("message") or phrase
    if code in (204, 304):
        return Response(status_code=code)
    if code >= 400:
        problem = {
            "status": code,
            "title": title,
            "type": "about:blank",
            "detail": title,
            "message": title,
        }
        return Response(dumps(problem), status_code=code, media_type=PROBLEM_TYPE)
    return json_response({"status": code, "message": title}, code)
