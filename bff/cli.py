"""The bff command: serve the BFF, run the simulator, run both as a demo, export the contract.

The simulator is imported inside the commands that start it, so the application itself never
depends on it: `bff serve` in production loads no simulator code at all. Help texts name every
default, because `bff --help` is what an operator reads first; README's command-line section is
checked against this parser (tests/unit/bff/test_readme_cli.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from pydantic import AnyHttpUrl
from starlette.types import ASGIApp

from bff.logs import log_config
from bff.server import EdgeLimits, serve
from bff.settings import Settings

DEFAULT_OPENAPI_PATH = Path("openapi/openapi.json")
# The example web app, when running from a checkout (an installed package has none).
DEFAULT_WEB_DIR = Path(__file__).resolve().parents[1] / "examples" / "web" / "site"


def _server_options(settings: Settings, *, access_log: bool) -> dict[str, Any]:
    """uvloop when installed (it is, with uvicorn[standard]); the HTTP protocol is httptools's,
    with the limits of ``bff/server.py``. Logs are JSON
    lines (``bff/logs.py``), applied by uvicorn in every worker; the access log is the BFF's own
    request line, so uvicorn's is off."""
    return {
        "loop": "uvloop",
        "log_level": settings.log_level,
        "log_config": log_config(settings.log_level, access_log=access_log),
        "access_log": False,
        # No route takes a WebSocket: an upgrade request is an ordinary (404) request.
        "ws": "none",
        # Clients (browsers, load balancers) usually keep connections longer than uvicorn's 5 s.
        "timeout_keep_alive": 30,
        # After the listener closes, in-flight requests get this long (bff/lifecycle.py).
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
    }


def edge_limits(settings: Settings) -> EdgeLimits:
    return EdgeLimits(
        max_header_bytes=settings.max_header_bytes,
        max_headers=settings.max_headers,
        header_timeout=settings.header_timeout,
        max_connections=settings.max_connections,
    )


def _serve(args: argparse.Namespace) -> int:
    settings = Settings()
    # A per-API setting naming no downstream service fails here, before any worker starts.
    settings.service_policies()
    serve(
        "bff.app:app_from_env",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        ops_port=settings.ops_port,
        # Each worker process builds its own app, pool, cache and breakers (bff/lifecycle.py).
        workers=args.workers or settings.workers,
        limits=edge_limits(settings),
        pool_connections=settings.pool_max_connections,
        **_server_options(settings, access_log=args.access_log),
    )
    return 0


def _simulator(args: argparse.Namespace) -> int:
    from simulator import serve
    from simulator.ratelimit import RateLimit

    print(
        f"simulator: http://{args.host}:{args.port}  (faults: /__sim/faults, stats: /__sim/stats)"
    )

    limit = RateLimit(args.rate_limit, args.rate_window) if args.rate_limit else None
    serve(args.host, args.port, delay_ms=args.delay_ms, seed=args.seed, rate_limit=limit)
    return 0


def web_app(directory: Path) -> ASGIApp:
    """The example web app's static files (``examples/web/site``: HTML, CSS and the compiled,
    committed JavaScript), served from an origin of their own."""
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.staticfiles import StaticFiles

    # Mounted in an app, so that a missing file is a 404 rather than an exception.
    return Starlette(routes=[Mount("/", StaticFiles(directory=directory, html=True))])


def web_origins(host: str, port: int) -> tuple[str, ...]:
    """The origins a browser gives the example app's pages: both names of the loopback host."""
    origins = [f"http://{host}:{port}"]
    if host in ("127.0.0.1", "localhost"):
        origins = [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
    return tuple(origins)


def _demo_settings(simulator_url: str, **overrides: Any) -> Settings:
    """The demo's settings: the simulator is every downstream and stands in for both picture
    hosts too."""
    from simulator.media import PICTURE_PREFIXES

    media = {prefix: AnyHttpUrl(f"{simulator_url}/{prefix}") for prefix in PICTURE_PREFIXES}
    return Settings(downstream_url=simulator_url, media_origins=media, **overrides)


def _demo(args: argparse.Namespace) -> int:
    from bff.app import create_app
    from bff.memory import return_large_buffers
    from bff.tracing import provider_from_env
    from simulator import BackgroundServer, create_simulator_app

    return_large_buffers()
    simulator_app = create_simulator_app(delay_ms=args.delay_ms)
    with ExitStack() as stack:
        simulator = stack.enter_context(BackgroundServer(simulator_app, port=args.simulator_port))
        settings = _demo_settings(simulator.url)
        host = args.host or settings.host
        port = args.port or settings.port
        web_url = None
        if args.web_port and (args.web_dir / "index.html").is_file():
            web = stack.enter_context(BackgroundServer(web_app(args.web_dir), host, args.web_port))
            # The example app calls the BFF from its own origin: allow it, besides any origins
            # the environment lists.
            if "*" not in settings.cors_origins:
                origins = dict.fromkeys((*settings.cors_origins, *web_origins(host, web.port)))
                settings = _demo_settings(simulator.url, cors_origins=",".join(origins))
            web_url = f"http://{host}:{web.port}/" + (
                "" if port == 8000 else f"?bff=http://{host}:{port}"
            )
        print(f"simulator (demo downstream): {simulator.url}")
        print(f"BFF:                         http://{host}:{port}")
        print(f"docs:                        http://{host}:{port}/docs")
        print(f"try:                         http://{host}:{port}/v1/users/1/profile")
        if web_url is not None:
            print(f"example web app:             {web_url}")
        serve(
            create_app(settings, tracer_provider=provider_from_env()),
            host=host,
            port=port,
            ops_port=settings.ops_port,
            workers=1,
            limits=edge_limits(settings),
            pool_connections=settings.pool_max_connections,
            **_server_options(settings, access_log=args.access_log),
        )
    return 0


def openapi_document() -> dict[str, Any]:
    from bff.app import create_app

    return create_app(Settings(_env_file=None)).openapi()


def render_openapi() -> str:
    """The committed form of the contract: stable key order, two-space indent, final newline."""
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"


def _openapi(args: argparse.Namespace) -> int:
    text = render_openapi()
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    path = Path(args.output)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


SIMULATOR_HOST = "127.0.0.1"
SIMULATOR_PORT = 9100
SIMULATOR_SEED = 42


def _setting_default(name: str) -> object:
    return Settings.model_fields[name].default


def _help_formatter(prog: str) -> argparse.HelpFormatter:
    """Room for the longest option (``--access-log, --no-access-log``) beside its help."""
    return argparse.HelpFormatter(prog, max_help_position=32)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bff",
        formatter_class=_help_formatter,
        description=__doc__.splitlines()[0],
        epilog="Settings come from BFF_* environment variables (or .env); see README.md.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def server_args(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--host",
            default=None,
            help=f"address to bind (default: BFF_HOST, else {_setting_default('host')})",
        )
        sub.add_argument(
            "--port",
            type=int,
            default=None,
            help=f"port to bind (default: BFF_PORT, else {_setting_default('port')})",
        )
        sub.add_argument(
            "--access-log",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="one JSON line per request; --no-access-log keeps only answers >= 500 "
            "(default: on)",
        )

    serve = commands.add_parser(
        "serve",
        formatter_class=_help_formatter,
        help="serve the BFF; downstreams from BFF_* settings",
        description="Serve the BFF with uvicorn; downstream URLs and everything else come from "
        "BFF_* settings.",
    )
    server_args(serve)
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help=f"worker processes, each with its own pool and cache (default: BFF_WORKERS, else "
        f"{_setting_default('workers')})",
    )
    serve.set_defaults(func=_serve)

    sim = commands.add_parser(
        "simulator",
        formatter_class=_help_formatter,
        help="serve the DummyJSON-compatible simulator",
        description="Serve the DummyJSON-compatible simulator (fault injection at /__sim/faults).",
    )
    sim.add_argument(
        "--host", default=SIMULATOR_HOST, help=f"address to bind (default: {SIMULATOR_HOST})"
    )
    sim.add_argument(
        "--port", type=int, default=SIMULATOR_PORT, help=f"port to bind (default: {SIMULATOR_PORT})"
    )
    sim.add_argument(
        "--delay-ms",
        type=int,
        default=0,
        metavar="MS",
        help="fixed latency added to every data route (default: 0)",
    )
    sim.add_argument(
        "--seed",
        type=int,
        default=SIMULATOR_SEED,
        help=f"seed of the synthetic data (default: {SIMULATOR_SEED})",
    )
    sim.add_argument(
        "--rate-limit",
        type=int,
        default=None,
        metavar="N",
        help="requests per window and client, as the real service limits (100) (default: off)",
    )
    sim.add_argument(
        "--rate-window",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="the rate limit's window (default: 10.0)",
    )
    sim.set_defaults(func=_simulator)

    demo = commands.add_parser(
        "demo",
        formatter_class=_help_formatter,
        help="the simulator and the BFF in one process (make run)",
        description="Start the simulator on loopback and the BFF in front of it, in one process.",
    )
    server_args(demo)
    demo.add_argument(
        "--simulator-port",
        type=int,
        default=SIMULATOR_PORT,
        metavar="PORT",
        help=f"port of the simulator, on 127.0.0.1 (default: {SIMULATOR_PORT})",
    )
    demo.add_argument(
        "--delay-ms",
        type=int,
        default=0,
        metavar="MS",
        help="the simulator's latency per call (default: 0)",
    )
    demo.add_argument(
        "--web-port",
        type=int,
        default=5173,
        metavar="PORT",
        help="port of the example web app (examples/web), served from its own origin, which "
        "the BFF then allows (CORS); 0: no web app (default: 5173)",
    )
    demo.add_argument("--web-dir", type=Path, default=DEFAULT_WEB_DIR, help=argparse.SUPPRESS)
    demo.set_defaults(func=_demo)

    spec = commands.add_parser(
        "openapi",
        formatter_class=_help_formatter,
        help="write the OpenAPI contract",
        description="Write the app's OpenAPI document in its committed form.",
    )
    spec.add_argument(
        "--output",
        default=str(DEFAULT_OPENAPI_PATH),
        metavar="FILE",
        help=f"file to write, or - for stdout (default: {DEFAULT_OPENAPI_PATH})",
    )
    spec.set_defaults(func=_openapi)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except ModuleNotFoundError as exc:
        if exc.name != "simulator":
            raise
        # The production image ships the service alone (see the Dockerfile).
        print(
            "bff: the simulator is not installed here (the container image ships the service "
            "alone); run `bff demo` and `bff simulator` from a source checkout (`make run`)",
            file=sys.stderr,
        )
        return 2
    return result


if __name__ == "__main__":
    raise SystemExit(main())
