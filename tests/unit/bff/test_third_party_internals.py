"""The private parts of httpx, httpcore and aiohttp the BFF reads are read only on the releases
they were checked against; on any other release the BFF takes the public path.

On the installed releases every check holds (a dependency bump that moves one fails here first);
with a check off, pool gauges are left out rather than guessed, and the queue hook is not used.
"""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import aiohttp
import httpx
import pytest
import uvicorn.protocols.http.httptools_impl
from fastapi import FastAPI
from support import settings_for

import bff.transport
import clients.internals
from bff.app import create_app
from bff.settings import Settings
from bff.transport import build_transport, pool_usage
from clients.internals import (
    REGISTRY,
    Private,
    check_all,
    default_transport,
    parsed_url,
    transport_for,
    verify,
    within,
)
from clients.sender import Sender

pytestmark = pytest.mark.anyio


def test_the_installed_releases_are_the_checked_ones() -> None:
    assert clients.internals.HTTPX_CHECKED
    assert clients.internals.HTTPCORE_CHECKED
    assert clients.internals.AIOHTTP_CHECKED
    assert clients.internals.AIOHTTP_WAIT_HOOK
    assert bff.transport._connector_class() is not None, "the pool-wait hook, no trace signals"


def test_a_release_range_is_major_minor_with_an_open_top() -> None:
    assert within("httpx", (0, 28), (0, 29))
    assert not within("httpx", (0, 29), (1, 0))
    assert not within("a-package-that-is-not-installed", (0, 0), (99, 0))


async def test_the_accessors_read_what_the_public_api_means() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    async with httpx.AsyncClient(transport=transport) as http:
        assert default_transport(http) is transport
        assert Sender(http, "http://down.test").lean, "the lean path, on a checked release"
        assert transport_for(http, httpx.URL("http://down.test/users")) is transport
    reference = parsed_url(httpx.URL("http://down.test:8080/users?limit=1"))
    assert reference is not None
    assert (reference.host, reference.port, reference.path) == ("down.test", 8080, "/users")


async def test_an_unchecked_release_gets_the_public_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clients.internals, "HTTPX_CHECKED", False)
    monkeypatch.setattr(clients.internals, "HTTPCORE_CHECKED", False)
    monkeypatch.setattr(clients.internals, "AIOHTTP_CHECKED", False)
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: r)) as http:
        assert default_transport(http) is None
        assert transport_for(http, httpx.URL("http://down.test/")) is None
        assert not Sender(http, "http://down.test").lean, "every call goes through send"
    assert parsed_url(httpx.URL("http://down.test/")) is None
    for name in ("httpcore", "aiohttp"):
        async with build_transport(settings_for("http://down.test", http_transport=name)) as pool:
            assert pool_usage(pool) is None, name


# The registry: every private name, checked on the installed releases.


@pytest.mark.parametrize(
    "private",
    REGISTRY,
    ids=[f"{p.library}{p.checked_text}:{p.label}" for p in REGISTRY],
)
def test_each_private_name_is_there_on_the_installed_release(private: Private) -> None:
    """Each entry names the releases it was checked against; the installed one is among them,
    and the name is there with the shape its user relies on."""
    assert within(private.library, *private.checked), private.checked_text
    assert check_all((private,)) == []


def test_the_registry_names_each_use_once_and_says_what_happens_without_it() -> None:
    keys = [(private.owner, private.name) for private in REGISTRY]
    assert len(keys) == len(set(keys))
    for private in REGISTRY:
        assert private.used_in
        assert private.flag is None or hasattr(clients.internals, private.flag), private.flag
        if private.fallback is not None:
            assert private.flag is not None, f"{private.label}: a fallback needs a switch"
    assert {"_acquired", "_waiters", "_conns", "_wait_for_available_connection"} <= {
        private.name for private in REGISTRY if private.library == "aiohttp"
    }


def _pretend(monkeypatch: pytest.MonkeyPatch, package: str, release: str) -> None:
    real = clients.internals.version
    monkeypatch.setattr(
        clients.internals, "version", lambda name: release if name == package else real(name)
    )


def test_a_name_gone_with_no_public_path_stops_with_library_release_and_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _pretend(monkeypatch, "uvicorn", "1.2.3")
    monkeypatch.delattr(uvicorn.protocols.http.httptools_impl.HttpToolsProtocol, "on_header")

    with pytest.raises(RuntimeError) as raised:
        verify()

    message = str(raised.value)
    assert "uvicorn 1.2.3: HttpToolsProtocol.on_header is gone (checked against 0.34-0.x)" in (
        message
    )
    assert "no public path" in message


def test_a_write_to_a_name_that_has_gone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _pretend(monkeypatch, "aiohttp", "4.0.1")
    monkeypatch.setattr(aiohttp.ClientSession, "ATTRS", frozenset())
    monkeypatch.setattr(clients.internals, "AIOHTTP_RETRY_SWITCH", False)

    with pytest.raises(RuntimeError, match=r"aiohttp 4\.0\.1: ClientSession\._retry_connection"):
        verify()
    with pytest.raises(
        RuntimeError, match=r"aiohttp 4\.0\.1: ClientSession\._retry_connection is gone"
    ):
        clients.internals.disable_connection_retry(object())  # type: ignore[arg-type]


def test_a_name_gone_with_a_public_path_turns_its_accessor_off(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _pretend(monkeypatch, "httpx", "0.28.9")
    monkeypatch.setattr(clients.internals, "HTTPX_CHECKED", True)
    monkeypatch.delattr(httpx.AsyncClient, "_transport_for_url")

    with caplog.at_level(logging.WARNING, "clients.internals"):
        problems = verify()

    assert [problem.private.name for problem in problems] == ["_transport_for_url"]
    assert not clients.internals.HTTPX_CHECKED
    assert "httpx 0.28.9: AsyncClient._transport_for_url is gone (checked against 0.28-0.28)" in (
        caplog.text
    )
    assert "falling back to AsyncClient.send" in caplog.text
    async_client = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    assert not Sender(async_client, "http://down.test").lean


def test_a_release_outside_the_range_with_the_names_present_only_warns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _pretend(monkeypatch, "uvicorn", "1.0.0")
    problems = verify()
    assert problems
    assert all(problem.untested_only for problem in problems)
    assert {problem.private.library for problem in problems} == {"uvicorn"}


async def test_the_lifespan_runs_the_check_first(monkeypatch: pytest.MonkeyPatch) -> None:
    _pretend(monkeypatch, "uvicorn", "1.2.3")
    monkeypatch.delattr(uvicorn.protocols.http.httptools_impl.HttpToolsProtocol, "on_header")
    monkeypatch.setattr(clients.internals, "_verified", False)
    app: FastAPI = create_app(Settings(_env_file=None))  # type: ignore[call-arg]

    with pytest.raises(
        RuntimeError, match=r"uvicorn 1\.2\.3: HttpToolsProtocol\.on_header is gone"
    ):
        async with app.router.lifespan_context(app):
            pass


# No private name of a library outside clients/internals.py.

_LIBRARIES = (
    "httpx",
    "httpcore",
    "aiohttp",
    "uvicorn",
    "starlette",
    "fastapi",
    "h11",
    "httptools",
    "opentelemetry",
)
_ROOT = Path(__file__).resolve().parents[3]
_DOOR = _ROOT / "clients" / "internals.py"
_PRIVATE_NAMES = {
    p.name for p in REGISTRY if p.name.startswith("_") and not p.name.startswith("__")
}
_INTERNAL_MODULES = {
    private.owner.partition(":")[0]
    for private in REGISTRY
    if private.kind == "module-attr" or "._" in private.owner or ".protocols" in private.owner
}


def _private_module(module: str) -> bool:
    parts = module.split(".")
    return parts[0] in _LIBRARIES and (
        any(part.startswith("_") for part in parts[1:]) or module in _INTERNAL_MODULES
    )


def _library_names(tree: ast.Module) -> set[str]:
    """The names a module binds to a library or to something imported from one."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {
                (a.asname or a.name).split(".")[0]
                for a in node.names
                if a.name.split(".")[0] in _LIBRARIES
            }
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.split(".")[0] in _LIBRARIES
        ):
            names |= {a.asname or a.name for a in node.names}
    return names


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _offences(path: Path) -> list[str]:
    """Private library names used in `path`: private-module imports; a registry name read or
    written on anything but our own ``self`` (on ``self`` too in a library subclass, and as a
    method such a subclass defines); a registry name passed to getattr/setattr/hasattr."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    libraries = _library_names(tree)
    library_classes = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and any(_root(base) in libraries for base in node.bases)
    ]
    inside = {id(inner) for cls in library_classes for inner in ast.walk(cls)}
    for node in ast.walk(tree):
        where = f"{path.relative_to(_ROOT)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.ImportFrom) and node.module and _private_module(node.module):
            found.append(f"{where}: from {node.module} import")
        elif isinstance(node, ast.Import):
            found += [f"{where}: import {a.name}" for a in node.names if _private_module(a.name)]
        elif isinstance(node, ast.Attribute) and node.attr in _PRIVATE_NAMES:
            own = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            if not own or id(node) in inside:
                found.append(f"{where}: {ast.unparse(node)}")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name in _PRIVATE_NAMES and id(node) in inside:
                found.append(f"{where}: def {node.name} (overrides a library's private method)")
        elif isinstance(node, ast.Call) and _root(node.func) in {"getattr", "setattr", "hasattr"}:
            names = [arg.value for arg in node.args if isinstance(arg, ast.Constant)]
            found += [f"{where}: {name!r} by name" for name in names if name in _PRIVATE_NAMES]
    return found


def test_no_private_name_of_a_library_is_used_outside_the_internals_module() -> None:
    sources = [
        path
        for package in ("bff", "clients", "schemas", "simulator", "bench", "tools")
        for path in sorted((_ROOT / package).rglob("*.py"))
        if path != _DOOR
    ]
    assert len(sources) > 50
    assert [offence for path in sources for offence in _offences(path)] == []


def test_the_source_walk_sees_what_it_forbids(tmp_path: Path) -> None:
    sample = _ROOT / "bff" / "_sample_for_the_walk.py"
    try:
        sample.write_text(
            "from httpx._urlparse import ParseResult\n"
            "from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol\n"
            "import aiohttp\n"
            "class C(aiohttp.TCPConnector):\n"
            "    async def _wait_for_available_connection(self, key, traces): ...\n"
            "class D:\n"
            "    def _conns(self): return self._acquired\n"
            "def f(c, s):\n"
            "    s._retry_connection = False\n"
            "    return len(c._acquired), getattr(c, '_conns')\n",
            encoding="utf-8",
        )
        assert len(_offences(sample)) == 6
    finally:
        sample.unlink()
