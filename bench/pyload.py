"""The fallback load generator, for machines without wrk: ``python -m bench.pyload --url ...``.

Closed loop like wrk: each of ``--connections`` workers keeps one keep-alive connection and sends
its next request when the previous answer is in. It spends far more CPU than wrk, so its figures
are only comparable with each other; it prints the same ``BENCH-RESULT`` line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from collections.abc import Sequence

import aiohttp

_PARTIAL = b'"partial":true'


def _percentile(sorted_values: Sequence[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, int(fraction * len(sorted_values)))
    return sorted_values[index]


async def _drive(
    url: str, connections: int, duration: float, request_timeout: float
) -> dict[str, int]:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    client_timeout = aiohttp.ClientTimeout(total=request_timeout)
    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session:
        started = time.perf_counter()
        deadline = started + duration

        async def worker() -> None:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    async with session.get(url) as response:
                        body = await response.read()
                        status = response.status
                except TimeoutError:
                    errors["timeout"] += 1
                    continue
                except aiohttp.ClientConnectorError:
                    errors["connect"] += 1
                    continue
                except aiohttp.ClientError:
                    errors["read"] += 1
                    continue
                latencies.append(time.perf_counter() - sent)
                if not 200 <= status <= 299:
                    errors["non_2xx"] += 1
                elif _PARTIAL in body:
                    errors["partial"] += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "duration_us": int(elapsed * 1e6),
        "p50_us": int(_percentile(latencies, 0.50) * 1e6),
        "p99_us": int(_percentile(latencies, 0.99) * 1e6),
        "max_us": int((latencies[-1] if latencies else 0.0) * 1e6),
        **{kind: errors[kind] for kind in ("connect", "read", "write", "timeout")},
        "non_2xx": errors["non_2xx"],
        "partial": errors["partial"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pyload", description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--connections", type=int, required=True)
    parser.add_argument("--duration", type=float, required=True, help="seconds")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    args = parser.parse_args(argv)
    result = asyncio.run(_drive(args.url, args.connections, args.duration, args.timeout))
    print("BENCH-RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
