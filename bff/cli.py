"""The ``bff`` command: serve the BFF, run the simulator, run both as a demo, export the contract.

The simulator is imported inside the commands that start it, so the application itself never
depends on it: ``bff serve`` in production loads no simulator code at all.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bff.logs import log_config
from bff.server import EdgeLimits, serve
from bff.settings import Settings

DEFAULT_OPENAPI_PATH = Path("openapi/openapi.json")


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

    print(
        f"simulator: http://{args.host}:{args.port}  (faults: /__sim/faults, stats: /__sim/stats)"
    )
    serve(args.host, args.port, delay_ms=args.delay_ms, seed=args.seed)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from bff.app import create_app
    from bff.tracing import provider_from_env
    from simulator import BackgroundServer, create_simulator_app

    simulator_app = create_simulator_app(delay_ms=args.delay_ms)
    with BackgroundServer(simulator_app, port=args.simulator_port) as simulator:
        settings = Settings(downstream_url=simulator.url)
        host = args.host or settings.host
        port = args.port or settings.port
        print(f"simulator (demo downstream): {simulator.url}")
        print(f"BFF:                         http://{host}:{port}")
        print(f"docs:                        http://{host}:{port}/docs")
        print(f"try:                         http://{host}:{port}/v1/users/1/profile")
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
