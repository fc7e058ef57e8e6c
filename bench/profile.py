"""``python -m bench.profile``: where one variant's CPU goes under the bench's own load.

Starts the simulator and one variant exactly as ``python -m bench`` does (same settings, same
pinning with ``--pin``), drives it with the same load generator, and samples the server process
with py-spy (``--format raw``: one collapsed stack per line with its sample count) while the load
runs. Then it prints the functions with the largest shares of the samples, by *self* time (the
function itself was running) and by *total* time (it was on the stack), so "what remains" of a
screen's cost can be named function by function. Idle samples (the event loop waiting in
``epoll``) are left out: the shares are of the time the process was busy.

py-spy comes with the ``bench`` extra; it needs to be allowed to read the server's memory (root,
or ``ptrace_scope`` 0), which the bench machine is.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.load import pick_generator, run_load
from bench.processes import RAW_DIR, Server, Servers, free_port, raise_open_files_limit
from bench.runner import VARIANTS

IDLE_FRAMES = ("select (selectors.py", "_run_once (asyncio", "run_forever (uvloop")
"""A sample whose innermost frame is one of these is the loop waiting for work."""


@dataclass(frozen=True)
class Breakdown:
    samples: int
    busy: int
    self_counts: Counter[str]
    total_counts: Counter[str]

    def lines(self, top: int) -> list[str]:
        busy = self.busy or 1
        out = [f"{self.busy} busy samples of {self.samples}"]
        out.append(f"top {top} by self time (% of busy samples):")
        for frame, count in self.self_counts.most_common(top):
            out.append(f"  {100 * count / busy:5.1f}%  {frame}")
        out.append(f"top {top} by total time (% of busy samples):")
        for frame, count in self.total_counts.most_common(top):
            out.append(f"  {100 * count / busy:5.1f}%  {frame}")
        return out


def _frame(raw: str) -> str:
    """``handle (bff/http_caching.py:150)`` -> ``handle (bff/http_caching.py)``: functions,
    not lines, and paths from the package onwards."""
    name, _, where = raw.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        path = path.removeprefix(str(Path(__file__).resolve().parent.parent) + "/")
    return f"{name} ({path})"


def summarize(raw_lines: Sequence[str]) -> Breakdown:
    """Self and total counts per function from py-spy's raw output."""
    self_counts: Counter[str] = Counter()
    total_counts: Counter[str] = Counter()
    samples = busy = 0
    for line in raw_lines:
        stack, _, count_text = line.rstrip().rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame for frame in stack.split(";") if frame]
        samples += count
        if not frames or frames[-1].startswith(IDLE_FRAMES):
            continue
        busy += count
        names = [_frame(frame) for frame in frames]
        self_counts[names[-1]] += count
        for name in set(names):
            total_counts[name] += count
    return Breakdown(samples, busy, self_counts, total_counts)


def record(pid: int, seconds: float, output: Path, rate: int, *, native: bool = False) -> None:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    subprocess.run(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            str(rate),
            "--format",
            "raw",
            "--output",
            str(output),
            *(["--native"] if native else ["--nonblocking"]),
        ],
        check=True,
        capture_output=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="bff-aiohttp")
    parser.add_argument("--delay", type=int, default=0, help="downstream delay, ms")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--output", type=Path, default=RAW_DIR / "profile.raw.txt", help="py-spy's raw samples"
    )
    parser.add_argument("--env", action="append", default=[], help="NAME=value for the server")
    parser.add_argument("--pin", action="store_true", help="as python -m bench --pin")
    parser.add_argument("--quiet-logs", action="store_true", help="as python -m bench --quiet-logs")
    parser.add_argument(
        "--native", action="store_true", help="C frames too (garbage collection, parsers)"
    )
    args = parser.parse_args(argv)
    variant = VARIANTS[args.variant]
    owner = VARIANTS[variant.server_of] if variant.server_of is not None else variant
    server_cpus: frozenset[int] | None = None
    if args.pin:
        cpus = sorted(os.sched_getaffinity(0))
        server_cpus = frozenset(cpus[:1])
        os.sched_setaffinity(0, set(cpus[1:]))
    raise_open_files_limit()
    generator = pick_generator("auto")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    log_dir = args.output.parent / "logs"
    port = free_port()
    simulator = Server(
        "simulator",
        [
            *(sys.executable, "-m", "bff.cli", "simulator", "--host", "127.0.0.1"),
            *("--port", str(port), "--delay-ms", str(args.delay)),
        ],
        port,
        log_dir / "profile-simulator.log",
    )
    with Servers([simulator]):
        server = owner.server(simulator.url, log_dir, "profile", server_cpus, quiet=args.quiet_logs)
        extra = dict(item.split("=", 1) for item in args.env)
        server = Server(
            server.name,
            server.argv,
            server.port,
            server.log_path,
            {**server.env, **extra},
            server.cpus,
        )
        with Servers([server]):
            url = server.url + variant.path
            run_load(
                url, connections=args.connections, duration_s=2, timeout_s=10, generator=generator
            )
            before = server.cpu_seconds()
            result: dict[str, float] = {}

            def load() -> None:
                done = run_load(
                    url,
                    connections=args.connections,
                    duration_s=args.seconds + 2,
                    timeout_s=10,
                    generator=generator,
                )
                result["requests"] = done.requests
                result["rps"] = done.rps

            driver = threading.Thread(target=load)
            driver.start()
            record(server.pid, args.seconds, args.output, args.rate, native=args.native)
            driver.join()
            cpu = server.cpu_seconds() - before
    breakdown = summarize(args.output.read_text().splitlines())
    print(
        f"{args.variant} delay {args.delay} ms, {args.connections} conns: "
        f"{result.get('rps', 0):.0f} req/s, "
        f"{1000 * cpu / max(1, result.get('requests', 0)):.3f} CPU ms/req (while sampled)"
    )
    print("\n".join(breakdown.lines(args.top)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
