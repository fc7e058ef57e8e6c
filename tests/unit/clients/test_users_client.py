"""UsersClient: the requests it sends and what it decodes them into."""

import pytest
import respx

from clients import Downstreams
from schemas.downstream import CartList, PostList, TodoList, User, UserList

pytestmark = pytest.mark.anyio

USER = {
    "id": 1,
    "firstName": "Emily",
    "lastName": "Johnson",
    "username": "emilys",
    "email": "emily.johnson@x.dummyjson.com",
    "password": "emilyspass",
}


def page(key: str, items: list[object], total: int = 208) -> dict[str, object]:
    return {key: items, "total": total, "skip": 0, "limit": len(items)}


async def test_get(router: respx.Router, downstreams: Downstreams) -> None:
    route = router.get("/users/1").respond(200, json=USER)
    user = await downstreams.users.get(1)
    assert isinstance(user, User)
    assert (user.id, user.first_name, user.password) == (1, "Emily", "emilyspass")
    assert route.calls.last.request.url.params.multi_items() == []


async def test_list_defaults(router: respx.Router, downstreams: Downstreams) -> None:
    route = router.get("/users").respond(200, json=page("users", [USER]))
    users = await downstreams.users.list()
    assert isinstance(users, UserList)
    assert (users.total, users.users[0].username) == (208, "emilys")
    assert dict(route.calls.last.request.url.params) == {"limit": "30", "skip": "0"}


async def test_list_paging_and_sorting(router: respx.Router, downstreams: Downstreams) -> None:
    route = router.get("/users").respond(200, json=page("users", []))
    await downstreams.users.list(limit=10, skip=20, sort_by="firstName", order="desc")
    assert dict(route.calls.last.request.url.params) == {
        "limit": "10",
        "skip": "20",
        "sortBy": "firstName",
        "order": "desc",
    }


async def test_search(router: respx.Router, downstreams: Downstreams) -> None:
    route = router.get("/users/search").respond(200, json=page("users", [USER], total=1))
    users = await downstreams.users.search("Emily J", limit=5)
    assert users.users[0].last_name == "Johnson"
    assert dict(route.calls.last.request.url.params) == {"q": "Emily J", "limit": "5", "skip": "0"}


async def test_carts(router: respx.Router, downstreams: Downstreams) -> None:
    cart = {
        "id": 3,
        "userId": 1,
        "total": 10,
        "discountedTotal": 9.5,
        "totalProducts": 0,
        "totalQuantity": 0,
        "products": [],
    }
    route = router.get("/users/1/carts").respond(200, json=page("carts", [cart], total=1))
    carts = await downstreams.users.carts(1, limit=1)
    assert isinstance(carts, CartList)
    assert (carts.carts[0].id, carts.carts[0].total) == (3, 10.0)
    assert dict(route.calls.last.request.url.params) == {"limit": "1", "skip": "0"}


async def test_posts_may_be_empty(router: respx.Router, downstreams: Downstreams) -> None:
    router.get("/users/5/posts").respond(200, json=page("posts", [], total=0))
    posts = await downstreams.users.posts(5)
    assert isinstance(posts, PostList)
    assert (posts.posts, posts.total) == ([], 0)


async def test_todos(router: respx.Router, downstreams: Downstreams) -> None:
    todo = {"id": 9, "todo": "Write tests", "completed": True, "userId": 1}
    route = router.get("/users/1/todos").respond(200, json=page("todos", [todo], total=1))
    todos = await downstreams.users.todos(1, skip=3)
    assert isinstance(todos, TodoList)
    assert todos.todos[0].completed is True
    assert dict(route.calls.last.request.url.params) == {"limit": "30", "skip": "3"}


@pytest.mark.parametrize("bad_id", ["1/../../admin", 1.5, None])
async def test_ids_cannot_inject_a_path(
    router: respx.Router, downstreams: Downstreams, bad_id: object
) -> None:
    with pytest.raises((ValueError, TypeError)):
        await downstreams.users.get(bad_id)  # type: ignore[arg-type]
    assert router.calls.call_count == 0


async def test_sends_no_credentials(router: respx.Router, downstreams: Downstreams) -> None:
    route = router.get("/users/1").respond(200, json=USER)
    await downstreams.users.get(1)
    assert "Authorization" not in route.calls.last.request.headers
