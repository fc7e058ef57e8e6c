"""`python -m simulator`: run the simulator in the foreground."""

from __future__ import annotations

import argparse

from simulator.ratelimit import RateLimit
from simulator.server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Serve the DummyJSON-compatible simulator (plus /__sim/faults, /__sim/stats).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument(
        "--delay-ms", type=int, default=0, help="fixed latency added to every data route"
    )
    parser.add_argument("--seed", type=int, default=42, help="seed of the synthetic data")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=None,
        help="requests per window and client, as the real service limits (100); off by default",
    )
    parser.add_argument(
        "--rate-window", type=float, default=10.0, help="the rate limit's window, in seconds"
    )
    args = parser.parse_args(argv)
    limit = RateLimit(args.rate_limit, args.rate_window) if args.rate_limit else None
    serve(args.host, args.port, delay_ms=args.delay_ms, seed=args.seed, rate_limit=limit)


if __name__ == "__main__":
    main()
