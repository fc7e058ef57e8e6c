"""Assertions several test suites share (importable as `support`: tests/ is on pythonpath)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from bff.settings import Settings
from clients import SERVICES, Downstreams
from clients.breaker import CircuitBreaker
from clients.budget import RetryBudget
from clients.registry import shared_cooldowns
from simulator.media import PICTURE_PREFIXES

SENSITIVE_KEYS = frozenset(
    {"password", "bank", "ssn", "ein", "crypto", "ip", "macAddress", "userAgent"}
)


def keys_in(value: Any) -> set[str]:
    """Every object key anywhere in a JSON document."""
    if isinstance(value, dict):
        found = set(value)
        for item in value.values():
            found |= keys_in(item)
        return found
    if isinstance(value, list):
        found = set()
        for item in value:
            found |= keys_in(item)
        return found
    return set()


def assert_no_sensitive_fields(body: Any) -> None:
    leaked = keys_in(body) & SENSITIVE_KEYS
    assert not leaked, f"sensitive fields reached the frontend: {sorted(leaked)}"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """An RFC 9457 error with the request id and nothing that looks like a traceback."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:bff:problem:")
    assert body["title"]
    assert body["detail"]
    assert body["requestId"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    assert "<html" not in response.text.lower()
    return body


def assert_complete(body: dict[str, Any]) -> None:
    meta = body["meta"]
    assert meta["partial"] is False
    assert {section["status"] for section in meta["sections"].values()} == {"ok"}


class ManualClock:
    """A monotonic clock that only the test moves: TTLs, breakers and budgets without sleeps."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


USER: dict[str, Any] = {
    "id": 1,
    "firstName": "Emily",
    "lastName": "Johnson",
    "username": "emilys",
    "email": "emily@example.com",
}
"""The smallest valid downstream user, for respx-backed unit tests."""


def reset_resilience(downstreams: Downstreams, clock: Callable[[], float] | None = None) -> None:
    """Fresh breakers, retry budgets and rate-limit cool-downs for every service of a running app
    (between tests that share one app), on ``clock`` when the app was built with one. Plain
    attribute swaps: the event loop's thread only reads them per call."""
    now = clock or time.monotonic
    policies = {name: getattr(downstreams, name).downstream.policy for name in SERVICES}
    cooldowns = shared_cooldowns(policies, now)
    for name in SERVICES:
        client = getattr(downstreams, name).downstream
        client.breaker = CircuitBreaker(name, client.policy.breaker, clock=now)
        client.budget = RetryBudget(client.policy.budget, clock=now)
        client.cooldown = cooldowns[name]


def simulator_media_origins(simulator_url: str, **query: list[str]) -> dict[str, Any]:
    """The simulator's two picture paths as media origins (it stands in for both hosts); ``query``
    names the parameters a prefix passes on, e.g. ``icon=["bytes"]``."""
    base = simulator_url.rstrip("/")
    return {
        prefix: {"url": f"{base}/{prefix}", "query": query.get(prefix.replace("-", "_"), [])}
        for prefix in PICTURE_PREFIXES
    }


def settings_for(downstream_url: str, **overrides: Any) -> Settings:
    """Settings for a test BFF. The response cache is off unless a test turns it on: most suites
    count downstream calls per request (retries, breakers, fan-out), which a warm cache would
    hide; the cache's own suites (tests/*/cache*) opt in with ``cache_enabled=True``."""
    values: dict[str, Any] = {
        "cache_enabled": False,
        "media_origins": simulator_media_origins(downstream_url),
        **overrides,
    }
    return Settings(_env_file=None, downstream_url=downstream_url, **values)  # type: ignore[call-arg]


@dataclass
class Simulator:
    """The running simulator and its control routes."""

    url: str
    control: httpx.Client

    def faults(self, *rules: dict[str, Any]) -> None:
        response = self.control.put("/__sim/faults", json={"rules": list(rules)})
        response.raise_for_status()

    def clear(self) -> None:
        self.control.delete("/__sim/faults").raise_for_status()
        self.control.delete("/__sim/rate-limit").raise_for_status()
        self.control.delete("/__sim/stats").raise_for_status()

    def rate_limit(self, limit: int, window_s: float) -> None:
        response = self.control.put(
            "/__sim/rate-limit", json={"limit": limit, "window_s": window_s}
        )
        response.raise_for_status()

    def stats(self) -> dict[str, Any]:
        response = self.control.get("/__sim/stats")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def route_count(self, route: str) -> int:
        routes: dict[str, int] = self.stats()["routes"]
        return routes.get(route, 0)

    def path_count(self, path: str) -> int:
        """Calls of one concrete path (``/users/1``), whatever the query."""
        paths: dict[str, int] = self.stats()["paths"]
        return paths.get(path, 0)


@asynccontextmanager
async def in_process(app: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    """Run the app's lifespan and call it in-process, the way a server would.

    Starlette's TestClient is deprecated with httpx; this does the two things it did for us:
    run the lifespan, and hand its state to every request's scope.
    """
    async with app.router.lifespan_context(app) as maybe_state:
        state: dict[str, Any] = dict(maybe_state or {})

        async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
            scope["state"] = dict(state)
            await app(scope, receive, send)

        transport = httpx.ASGITransport(app=with_state)
        async with httpx.AsyncClient(transport=transport, base_url="http://bff.test") as client:
            yield client, state


def pool_in_use(http: httpx.AsyncClient) -> int:
    """Connections of the client's pool that are busy, plus requests waiting for one: zero once
    every response has been closed. Knows both transports of ``BFF_HTTP_TRANSPORT``."""
    transport = http._transport  # type: ignore[attr-defined]
    connector = getattr(transport, "connector", None)
    if connector is not None:  # aiohttp: acquired connections and queued waiters
        waiting = sum(len(queue) for queue in connector._waiters.values())
        return len(connector._acquired) + waiting
    pool = transport._pool
    busy = sum(1 for conn in pool.connections if not conn.is_idle() and not conn.is_closed())
    # `_requests` holds active requests too: only the queued ones are waiting for a connection.
    return busy + sum(1 for request in pool._requests if request.is_queued())


def wait_until(condition: Callable[[], bool], *, within: float = 5.0) -> bool:
    """Poll ``condition`` until it holds or ``within`` seconds pass; for effects that happen on
    another thread (a server noticing a disconnect). Returns the last answer."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class RedisServer:
    """A real ``redis-server`` on a free loopback port, for the shared cache tier's tests.

    The Makefile installs Debian's redis-server when it is missing; without it this fails.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (make test installs it)"
        self.process = subprocess.Popen(
            [
                *(binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--protected-mode", "yes"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_until(self._answers, within=10), "redis-server did not start"
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServeProcess:
    """A ``bff serve`` process started by ``start_serve``; its output goes to ``log``."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def get(self, path: str) -> httpx.Response | None:
        """One request on a new connection; None when nothing answers."""
        try:
            return httpx.get(self.url + path, timeout=5)
        except httpx.TransportError:
            return None

    def status(self, path: str) -> int | None:
        response = self.get(path)
        return None if response is None else response.status_code

    def wait_ready(self, within: float = 60) -> None:
        started = wait_until(
            lambda: self.process.poll() is not None or self.status("/readyz") == 200,
            within=within,
        )
        assert started, self.output()
        assert self.process.poll() is None, self.output()

    def kill(self) -> None:
        """Kill the process and whatever it started: ``--workers`` makes uvicorn spawn worker
        processes, which a SIGKILL of their parent alone would leave serving, orphaned."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # its own group: start_new_session
        self.process.wait(timeout=10)


def start_serve(
    downstream_url: str, directory: Path, *args: str, name: str = "serve", **settings: str
) -> ServeProcess:
    """Start ``bff serve`` in its own process (settings from the environment, as in production),
    in ``directory`` (empty: no ``.env`` file is read), without waiting for it to be ready.
    ``settings`` are ``BFF_*`` settings by lower-case name; the cache is off unless they say."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BFF_", "OTEL_"))}
    env.update(
        {
            "BFF_DOWNSTREAM_URL": downstream_url,
            "BFF_HOST": "127.0.0.1",
            "BFF_PORT": str(port),
            "BFF_CACHE_ENABLED": "false",
            **{f"BFF_{key.upper()}": value for key, value in settings.items()},
        }
    )
    log = directory / f"{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "bff.cli", "serve", *args],
            cwd=directory,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return ServeProcess(process, f"http://127.0.0.1:{port}", log)


@contextmanager
def bff_serves(
    downstream_url: str, directory: Path, count: int, *args: str, **settings: str
) -> Iterator[list[ServeProcess]]:
    """``count`` ``bff serve`` processes with the same settings, started together (each on its
    own port, like replicas behind a Service); killed if a test leaves them running."""
    with ExitStack() as stack:
        serves = []
        for index in range(count):
            serve = start_serve(
                downstream_url, directory, *args, name=f"serve-{index + 1}", **settings
            )
            stack.callback(serve.kill)
            serves.append(serve)
        for serve in serves:
            serve.wait_ready()
        yield serves


@contextmanager
def bff_serve(
    sim: Simulator, directory: Path, *args: str, **settings: str
) -> Iterator[ServeProcess]:
    """One ``bff serve`` process against the simulator (see ``bff_serves``)."""
    with bff_serves(sim.url, directory, 1, *args, **settings) as (serve,):
        yield serve


def docs_reference_hook() -> ModuleType:
    """docs/hooks/reference.py, the docs build's generator of the reference tables, loaded once
    (it is a file of the docs, not a module of a package), so tests check what the pages show."""
    name = "docs_hooks_reference"
    if (module := sys.modules.get(name)) is None:
        path = Path(__file__).resolve().parents[1] / "docs" / "hooks" / "reference.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module
