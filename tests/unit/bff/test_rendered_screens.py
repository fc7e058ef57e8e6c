"""Warm screens are rendered once per distinct set of parts; anything else every time."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import BaseModel, ConfigDict

from bff.http_caching import RenderedScreens, etag_of
from clients import narrowed, scope_var
from clients.record import CallRecord

URL = "/v1/things/1"


class Part(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str


class Meta(BaseModel):
    partial: bool = False


class Screen(BaseModel):
    first: str
    second: str
    meta: Meta


def _calls(*statuses: str | None) -> Iterator[None]:
    token = narrowed(
        calls=[
            CallRecord("users", "GET", f"/users/{index}", "users.get", cache=status)
            for index, status in enumerate(statuses)
        ]
    )
    try:
        yield
    finally:
        scope_var.reset(token)


@pytest.fixture
def all_hits() -> Iterator[None]:
    yield from _calls("hit", "hit")


class Builder:
    def __init__(self) -> None:
        self.built = 0

    def __call__(self, parts: tuple[Part, Part], meta: Meta) -> Screen:
        self.built += 1
        return Screen(first=parts[0].name, second=parts[1].name, meta=meta)


@pytest.mark.usefixtures("all_hits")
def test_the_same_parts_render_once_with_the_bytes_and_tag_of_a_fresh_rendering() -> None:
    screens, build = RenderedScreens(), Builder()
    parts = (Part(name="a"), Part(name="b"))

    first = screens.render(URL, parts, Meta(), lambda: build(parts, Meta()))
    second = screens.render(URL, parts, Meta(), lambda: build(parts, Meta()))

    expected = Screen(first="a", second="b", meta=Meta()).model_dump_json().encode()
    assert build.built == 1
    assert first.body == second.body == expected
    assert first.etag == second.etag == etag_of(expected)
    assert first is not second  # each answer has headers of its own
    assert second.headers["content-type"] == "application/json"
    assert second.headers["content-length"] == str(len(expected))


@pytest.mark.usefixtures("all_hits")
def test_equal_but_distinct_parts_or_another_meta_render_again() -> None:
    screens, build = RenderedScreens(), Builder()
    parts = (Part(name="a"), Part(name="b"))
    screens.render(URL, parts, Meta(), lambda: build(parts, Meta()))

    again = (Part(name="a"), Part(name="b"))
    screens.render(URL, again, Meta(), lambda: build(again, Meta()))
    partial = screens.render(
        URL, again, Meta(partial=True), lambda: build(again, Meta(partial=True))
    )

    assert build.built == 3
    assert b'"partial":true' in bytes(partial.body)


@pytest.mark.parametrize("statuses", [("hit", "miss"), ("hit", "stale"), ("hit", None), ()])
def test_a_screen_not_made_wholly_of_fresh_hits_is_rendered_every_time_and_kept_nowhere(
    statuses: tuple[str | None, ...],
) -> None:
    screens, build = RenderedScreens(), Builder()
    parts = (Part(name="a"), Part(name="b"))
    for _ in _calls(*statuses):
        screens.render(URL, parts, Meta(), lambda: build(parts, Meta()))
        screens.render(URL, parts, Meta(), lambda: build(parts, Meta()))

    assert build.built == 2
    assert len(screens) == 0


@pytest.mark.usefixtures("all_hits")
def test_the_renderings_kept_are_bounded() -> None:
    screens, build = RenderedScreens(max_entries=2), Builder()
    for name in "abc":
        parts = (Part(name=name), Part(name=name))
        screens.render(URL, parts, Meta(), lambda parts=parts: build(parts, Meta()))  # type: ignore[misc]

    assert len(screens) == 2


@pytest.mark.usefixtures("all_hits")
def test_another_url_with_the_same_parts_renders_again() -> None:
    """A query parameter may shape the answer without changing the parts (a limit applied to
    cached lists): the URL is part of what a rendering is kept under."""
    screens, build = RenderedScreens(), Builder()
    parts = (Part(name="a"), Part(name="b"))
    screens.render(URL, parts, Meta(), lambda: build(parts, Meta()))
    screens.render(URL + "?limit=1", parts, Meta(), lambda: build(parts, Meta()))

    assert build.built == 2
