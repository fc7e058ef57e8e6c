"""Load generation: wrk when installed (cheap, C), else the Python generator in ``pyload.py``.

Both run as their own process and print one ``BENCH-RESULT {json}`` line, so the runner reads them
alike. Every run is bounded: a fixed duration, a fixed number of connections, loopback only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

Generator = Literal["wrk", "python"]

WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")
RESULT_PREFIX = "BENCH-RESULT "
ERROR_KINDS = ("connect", "read", "write", "timeout", "non_2xx", "partial")


@dataclass(frozen=True)
class LoadResult:
    """What one load run measured. ``partial`` counts 200 answers that say they are degraded."""

    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    connect: int
    read: int
    write: int
    timeout: int
    non_2xx: int
    partial: int

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def errors(self) -> int:
        return sum(getattr(self, kind) for kind in ERROR_KINDS)

    def to_json(self) -> dict[str, float | int]:
        return {**asdict(self), "rps": round(self.rps, 1), "errors": self.errors}


def pick_generator(wanted: str) -> Generator:
    """``auto`` means wrk when it is on PATH; asking for wrk when it is missing is an error."""
    has_wrk = shutil.which("wrk") is not None
    if wanted == "python":
        return "python"
    if wanted == "wrk" and not has_wrk:
        raise RuntimeError("wrk is not installed (make bench installs it: apt-get install wrk)")
    return "wrk" if has_wrk else "python"


def _check_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        raise ValueError(f"benchmarks only target loopback addresses, not {host!r}")


def run_load(
    url: str,
    *,
    connections: int,
    duration_s: float,
    timeout_s: float,
    generator: Generator,
) -> LoadResult:
    """Drive ``url`` with ``connections`` keep-alive connections for ``duration_s`` seconds."""
    _check_loopback(url)
    if generator == "wrk":
        # wrk takes whole seconds; one thread is plenty for loopback rates and leaves the
        # second core to the simulator.
        argv = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(duration_s))}s",
            f"--timeout={max(1, round(timeout_s))}s",
            "-s",
            str(WRK_SCRIPT),
            url,
        ]
    else:
        argv = [
            sys.executable,
            "-m",
            "bench.pyload",
            "--url",
            url,
            "--connections",
            str(connections),
            "--duration",
            str(duration_s),
            "--timeout",
            str(timeout_s),
        ]
    limit = duration_s + timeout_s + 30
    done = subprocess.run(argv, capture_output=True, text=True, timeout=limit, check=False)
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return _parse(json.loads(line.removeprefix(RESULT_PREFIX)))
    raise RuntimeError(
        f"{generator} printed no result (exit {done.returncode}): {done.stderr.strip()[-500:]}"
    )


def _parse(raw: dict[str, int | float]) -> LoadResult:
    return LoadResult(
        requests=int(raw["requests"]),
        duration_s=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        **{kind: int(raw[kind]) for kind in ERROR_KINDS},
    )
