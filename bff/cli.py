"""The ``bff`` command: serve the BFF, run the simulator, run both as a demo, export the contract.

The simulator is imported inside the commands that start it, so the application itself never
depends on it: ``bff serve`` in production loads no simulator code at all.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from bff.logs import log_config
from bff.settings import Settings

DEFAULT_OPENAPI_PATH = Path("openapi/openapi.json")
# The example web app, when running from a checkout (an installed package has none).
DEFAULT_WEB_DIR = Path(__file__).resolve().parents[1] / "examples" / "web" / "site"


def _server_options(settings: Settings, *, access_log: bool) -> dict[str, Any]:
    """uvloop and httptools when installed (they are, with uvicorn[standard]). Logs are JSON
    lines (``bff/logs.py``), applied by uvicorn in every worker; the access log is the BFF's own
    request line, so uvicorn's is off."""
    return {
        "loop": "uvloop",
        "http": "httptools",
        "log_level": settings.log_level,
        "log_config": log_config(settings.log_level, access_log=access_log),
        "access_log": False,
        # Clients (browsers, load balancers) usually keep connections longer than uvicorn's 5 s.
        "timeout_keep_alive": 30,
        # After the listener closes, in-flight requests get this long (bff/lifecycle.py).
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
    }


def _serve(args: argparse.Namespace) -> int:
    settings = Settings()
    uvicorn.run(
        "bff.app:app_from_env",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        # Each worker process builds its own app, pool, cache and breakers (bff/lifecycle.py).
        workers=args.workers or settings.workers,
        **_server_options(settings, access_log=args.access_log),
    )
    return 0


def _simulator(args: argparse.Namespace) -> int:
    from simulator import serve

    print(
        f"simulator: http://{args.host}:{args.port}  (faults: /__sim/faults, stats: /__sim/stats)"
    )
    serve(args.host, args.port, delay_ms=args.delay_ms, seed=args.seed)
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


def _demo(args: argparse.Namespace) -> int:
    from bff.app import create_app
    from bff.tracing import provider_from_env
    from simulator import BackgroundServer, create_simulator_app

    simulator_app = create_simulator_app(delay_ms=args.delay_ms)
    with ExitStack() as stack:
        simulator = stack.enter_context(BackgroundServer(simulator_app, port=args.simulator_port))
        settings = Settings(downstream_url=simulator.url)
        host = args.host or settings.host
        port = args.port or settings.port
        web_url = None
        if args.web_port and (args.web_dir / "index.html").is_file():
            web = stack.enter_context(BackgroundServer(web_app(args.web_dir), host, args.web_port))
            # The example app calls the BFF from its own origin: allow it, besides any origins
            # the environment lists.
            if "*" not in settings.cors_origins:
                origins = dict.fromkeys((*settings.cors_origins, *web_origins(host, web.port)))
                settings = Settings(downstream_url=simulator.url, cors_origins=",".join(origins))
            web_url = f"http://{host}:{web.port}/" + (
                "" if port == 8000 else f"?bff=http://{host}:{port}"
            )
        print(f"simulator (demo downstream): {simulator.url}")
        print(f"BFF:                         http://{host}:{port}")
        print(f"docs:                        http://{host}:{port}/docs")
        print(f"try:                         http://{host}:{port}/v1/users/1/profile")
        if web_url is not None:
            print(f"example web app:             {web_url}")
        uvicorn.run(
            create_app(settings, tracer_provider=provider_from_env()),
            host=host,
            port=port,
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bff", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def server_args(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--host", default=None, help="bind address (default: BFF_HOST)")
        sub.add_argument("--port", type=int, default=None, help="port (default: BFF_PORT)")
        sub.add_argument(
            "--access-log",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="one JSON line per request (answers >= 500 are logged either way)",
        )

    serve = commands.add_parser("serve", help="serve the BFF; downstreams from BFF_* settings")
    server_args(serve)
    serve.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: BFF_WORKERS, 1)"
    )
    serve.set_defaults(func=_serve)

    sim = commands.add_parser("simulator", help="serve the DummyJSON-compatible simulator")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=9100)
    sim.add_argument("--delay-ms", type=int, default=0, help="fixed latency on every route")
    sim.add_argument("--seed", type=int, default=42, help="seed of the synthetic data")
    sim.set_defaults(func=_simulator)

    demo = commands.add_parser("demo", help="the simulator and the BFF in one process")
    server_args(demo)
    demo.add_argument("--simulator-port", type=int, default=9100)
    demo.add_argument("--delay-ms", type=int, default=0, help="simulator latency per call")
    demo.add_argument(
        "--web-port",
        type=int,
        default=5173,
        help="port of the example web app (examples/web), served from its own origin, which "
        "the BFF then allows (CORS); 0: no web app",
    )
    demo.add_argument("--web-dir", type=Path, default=DEFAULT_WEB_DIR, help=argparse.SUPPRESS)
    demo.set_defaults(func=_demo)

    spec = commands.add_parser("openapi", help="write the OpenAPI contract")
    spec.add_argument("--output", default=str(DEFAULT_OPENAPI_PATH), help="file, or - for stdout")
    spec.set_defaults(func=_openapi)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
