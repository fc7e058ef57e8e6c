"""Running ASGI apps under uvicorn: in the foreground (`serve`) or on a background thread.

`BackgroundServer` is generic on purpose: tests, benchmarks and `bff demo` start both the simulator
and the BFF itself with it, on real loopback sockets.
"""

from __future__ import annotations

import importlib.util
import socket
import threading
from types import TracebackType
from typing import Any, Self

import uvicorn

from simulator.app import create_simulator_app
from simulator.ratelimit import RateLimit

KEEP_ALIVE_SECONDS = 5  # the real service closes idle keep-alive connections after 5 s
_STARTUP_TIMEOUT_SECONDS = 15.0
_SHUTDOWN_TIMEOUT_SECONDS = 10.0


def _best_loop() -> str:
    return "uvloop" if importlib.util.find_spec("uvloop") is not None else "auto"


def _best_http() -> str:
    return "httptools" if importlib.util.find_spec("httptools") is not None else "h11"


def serve(
    host: str = "127.0.0.1",
    port: int = 9100,
    *,
    delay_ms: int = 0,
    seed: int = 42,
    rate_limit: RateLimit | None = None,
) -> None:
    """Run the simulator in the foreground until interrupted."""
    uvicorn.run(
        create_simulator_app(seed=seed, delay_ms=delay_ms, rate_limit=rate_limit),
        host=host,
        port=port,
        loop=_best_loop(),
        http=_best_http(),
        access_log=False,
        log_level="warning",
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )


class _NotifyingServer(uvicorn.Server):
    """A uvicorn.Server that signals a threading.Event once it is listening (or gave up)."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()


class BackgroundServer:
    """Serve any ASGI app on a daemon thread with its own event loop, as a context manager.

    `port=0` picks a free port; `.port` and `.url` give the one actually bound. Extra keyword
    arguments go to `uvicorn.Config` (e.g. `lifespan="on"`, `timeout_keep_alive=...`).

    `send_buffer` fixes the kernel send buffer of every accepted connection (they inherit it
    from the listening socket). Streaming tests use it: left to autotuning, each stream to a
    client that stops reading parks megabytes in the kernel, which a test of hundreds of such
    streams in one process pays for in copying, not in anything it measures.
    """

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        http: str | None = None,
        send_buffer: int | None = None,
        **uvicorn_config_kwargs: Any,
    ) -> None:
        options: dict[str, Any] = {
            "loop": _best_loop(),
            "http": http or _best_http(),
            "access_log": False,
            "log_level": "warning",
            "timeout_keep_alive": KEEP_ALIVE_SECONDS,
            "timeout_graceful_shutdown": 2,
        }
        options.update(uvicorn_config_kwargs)
        self.host = host
        self._ready = threading.Event()
        self._server = _NotifyingServer(
            uvicorn.Config(app, host=host, port=port, **options), self._ready
        )
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._port: int | None = None
        self._socket: socket.socket | None = None
        if send_buffer is not None:
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
            listener.bind((host, port))
            self._socket = listener

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server is not running")
        return self._port

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._socket] if self._socket is not None else None)
        except BaseException as exc:  # uvicorn reports a failed bind with SystemExit
            self._error = exc
        finally:
            self._ready.set()

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("the server was already started")
        self._thread = threading.Thread(target=self._run, name="uvicorn-background", daemon=True)
        self._thread.start()
        if not self._ready.wait(_STARTUP_TIMEOUT_SECONDS):
            self.stop()
            raise RuntimeError("the server did not start in time")
        if not self._server.started:
            self.stop()
            raise RuntimeError("the server failed to start") from self._error
        self._port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(_SHUTDOWN_TIMEOUT_SECONDS)
        self._port = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
