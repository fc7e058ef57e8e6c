"""TodosClient: the requests it sends and what it decodes them into."""

import pytest
import respx

from clients import Downstreams
from schemas.downstream import Todo, TodoList

pytestmark = pytest.mark.anyio

TODO = {"id": 1, "todo": "Do something nice for someone", "completed": False, "userId": 152}


async def test_list(router: respx.Router, downstreams: Downstreams) -> None:
    body = {"todos": [TODO], "total": 254, "skip": 10, "limit": 1}
    route = router.get("/todos").respond(200, json=body)
    todos = await downstreams.todos.list(limit=1, skip=10)
    assert isinstance(todos, TodoList)
    assert (todos.total, todos.skip, todos.todos[0].user_id) == (254, 10, 152)
    assert dict(route.calls.last.request.url.params) == {"limit": "1", "skip": "10"}


async def test_get(router: respx.Router, downstreams: Downstreams) -> None:
    router.get("/todos/1").respond(200, json=TODO)
    todo = await downstreams.todos.get(1)
    assert isinstance(todo, Todo)
    assert todo.completed is False
