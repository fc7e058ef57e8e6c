"""Results: the figures per run, their ratios to the baselines, the targets, JSON and Markdown.

The targets are the issue's, for the profile screen (4 downstream calls) with the cache disabled,
but one: with the cache enabled and warm, against the static ceiling (d). The cached screen is also
set against the uncached one and against a static route of the same BFF process (``/healthz``),
which separates what the screen still costs on a hit from what the app's middleware costs anyway.
Where a target is missed, the row says by how much; the reasons go in README "Benchmarks".
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.load import LoadResult
from bench.storm import FRESH_CALLS, StormResult

DOWNSTREAM_CALLS = 4
"""Downstream calls behind one profile screen (user, carts, posts, todos)."""
CPU_VS_B = 1.2
THROUGHPUT_VS_C = 0.8
P50_VS_DELAY = 1.2
CACHED_VS_D = 0.5
TYPED_KEY = "t-typed"
"""Baseline (t): aiohttp + gather with Pydantic models in and out, bytes out; the reference the
BFF's CPU per request is divided by (``bench/baselines/typed_gather.py``)."""
BASELINE_KEYS = {
    "a": "a-requests",
    "b": "b-httpx",
    "b'": "b2-httpx-aiohttp",
    "c": "c-aiohttp",
    "t": TYPED_KEY,
    "d": "d-static",
}
CACHED_KEY = "bff-cached"
"""The BFF (default transport) with its cache on and warm."""
HEALTHZ_KEY = "bff-healthz"
"""``GET /healthz`` of the cached BFF's process: the same app's static ceiling."""
NO_CALL_VARIANTS = frozenset({BASELINE_KEYS["d"], CACHED_KEY, HEALTHZ_KEY})
"""Variants that make no downstream call per request, so CPU per call means nothing for them."""
RESULT_NAMES = {"full": "latest", "smoke": "smoke"}


@dataclass(frozen=True)
class Run:
    variant: str
    delay_ms: int
    connections: int
    load: LoadResult
    cpu_ms_per_request: float | None
    """None when nothing was answered during the run."""
    sim_cpu_ms_per_request: float | None
    exceptions: int
    downstream_calls: int | None = None
    """Requests the simulator received during the run (None: not counted)."""

    @classmethod
    def of(
        cls,
        variant: str,
        delay_ms: int,
        connections: int,
        load: LoadResult,
        cpu_s: float,
        sim_cpu_s: float,
        exceptions: int,
        *,
        downstream_calls: int | None = None,
    ) -> Run:
        requests = load.requests
        return cls(
            variant,
            delay_ms,
            connections,
            load,
            cpu_ms_per_request=1000 * cpu_s / requests if requests else None,
            sim_cpu_ms_per_request=1000 * sim_cpu_s / requests if requests else None,
            exceptions=exceptions,
            downstream_calls=downstream_calls,
        )

    @property
    def calls_per_request(self) -> float | None:
        if self.downstream_calls is None or not self.load.requests:
            return None
        return self.downstream_calls / self.load.requests

    def summary(self) -> str:
        return (
            f"{self.variant:13} delay {self.delay_ms:3} ms  conns {self.connections:4}  "
            f"{self.load.rps:8.1f} req/s  p50 {self.load.p50_ms:8.1f} ms  "
            f"p99 {self.load.p99_ms:8.1f} ms  errors {self.load.errors}  "
            f"cpu {_ms(self.cpu_ms_per_request)} ms/req  "
            f"downstream calls {'-' if self.downstream_calls is None else self.downstream_calls}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "delay_ms": self.delay_ms,
            "connections": self.connections,
            **self.load.to_json(),
            "cpu_ms_per_request": _round(self.cpu_ms_per_request),
            "sim_cpu_ms_per_request": _round(self.sim_cpu_ms_per_request),
            "server_exceptions": self.exceptions,
            "downstream_calls": self.downstream_calls,
        }


def median_runs(runs: Iterable[Run]) -> list[Run]:
    """Per variant and load point, in first-run order: the round with the median CPU per
    request (the lower middle one for an even count; a round that answered nothing counts as
    the most expensive), so its other figures are those of one real run."""
    grouped: dict[tuple[str, int, int], list[Run]] = {}
    for run in runs:
        grouped.setdefault((run.variant, run.delay_ms, run.connections), []).append(run)
    out = []
    for group in grouped.values():
        ranked = sorted(
            group,
            key=lambda run: (
                float("inf") if run.cpu_ms_per_request is None else run.cpu_ms_per_request
            ),
        )
        out.append(ranked[(len(ranked) - 1) // 2])
    return out


@dataclass(frozen=True)
class HighConcurrency:
    run: Run

    @classmethod
    def of(cls, run: Run) -> HighConcurrency:
        return cls(run)

    @property
    def checks(self) -> dict[str, int]:
        load = self.run.load
        return {
            "non-2xx answers": load.non_2xx,
            "degraded (partial) answers, e.g. a pool timeout": load.partial,
            "server exceptions in the log": self.run.exceptions,
            "connection errors": load.connect + load.read + load.write,
            "requests left unanswered past the client's timeout": load.timeout,
        }

    @property
    def passed(self) -> bool:
        return self.run.load.requests > 0 and not any(self.checks.values())


@dataclass(frozen=True)
class Target:
    name: str
    load: str
    limit: float | None
    """None when the baseline it is set against answered nothing."""
    measured: float | None
    unit: str
    at_most: bool
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.measured is None or self.limit is None:
            return None
        return self.measured <= self.limit if self.at_most else self.measured >= self.limit

    @property
    def verdict(self) -> str:
        if self.note:
            return self.note
        if self.measured is None or self.limit is None:
            return "not measured"
        if self.met:
            return "met"
        ratio = self.measured / self.limit if self.limit else float("inf")
        shortfall = (ratio - 1) if self.at_most else (1 - ratio)
        return f"**missed by {100 * shortfall:.0f}%**"

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.name,
            "load": self.load,
            "limit": _round(self.limit),
            "measured": _round(self.measured),
            "unit": self.unit,
            "met": self.met,
            "verdict": self.verdict.replace("*", ""),
        }


@dataclass
class Results:
    profile: str
    generator: str
    machine: dict[str, Any]
    started: float
    elapsed_s: float
    duration_s: float
    warmup_s: float
    default_variant: str
    labels: dict[str, str]
    runs: list[Run]
    """One per variant and load point: the median of its rounds (`median_runs`)."""
    rounds: list[Run] = field(default_factory=list)
    """Every round's run, in the order they ran, when the matrix ran more than once."""
    probes: list[Run] = field(default_factory=list)
    high: HighConcurrency | None = None
    storms: list[StormResult] = field(default_factory=list)
    cache_ttl_s: float | None = None
    """The TTL the cached variant's policies were given for the run (None: the defaults)."""
    bff_logging: str = "default"
    """``default`` (the access log at info, as the BFF ships) or ``quiet`` (warnings only)."""

    def find(self, variant: str, delay_ms: int, connections: int) -> Run | None:
        for run in self.runs:
            if (run.variant, run.delay_ms, run.connections) == (variant, delay_ms, connections):
                return run
        return None

    def rounds_of(self, variant: str, delay_ms: int, connections: int) -> list[Run]:
        return [
            run
            for run in self.rounds
            if (run.variant, run.delay_ms, run.connections) == (variant, delay_ms, connections)
        ]

    def load_points(self) -> list[tuple[int, int]]:
        points = {(run.delay_ms, run.connections) for run in self.runs}
        return sorted(points)

    def targets(self) -> list[Target]:
        targets: list[Target] = []
        bff = self.default_variant

        def ratio_target(
            name: str,
            baseline: str,
            factor: float,
            value: Callable[[Run], float | None],
            unit: str,
            at_most: bool,
            variant: str = bff,
        ) -> None:
            for delay_ms, connections in self.load_points():
                ours = self.find(variant, delay_ms, connections)
                theirs = self.find(BASELINE_KEYS[baseline], delay_ms, connections)
                if ours is None or theirs is None:
                    continue
                their_value = value(theirs)
                targets.append(
                    Target(
                        name,
                        f"delay {delay_ms} ms, {connections} conns",
                        None if their_value is None else factor * their_value,
                        value(ours),
                        unit,
                        at_most,
                        note=f"({baseline}) answered nothing in the run"
                        if their_value is None
                        else "",
                    )
                )

        ratio_target(
            f"CPU per request ≤ {CPU_VS_B}x (b)",
            "b",
            CPU_VS_B,
            lambda run: run.cpu_ms_per_request,
            "ms",
            at_most=True,
        )
        ratio_target(
            f"(stricter, same transport) CPU per request ≤ {CPU_VS_B}x (b')",
            "b'",
            CPU_VS_B,
            lambda run: run.cpu_ms_per_request,
            "ms",
            at_most=True,
        )
        ratio_target(
            f"throughput ≥ {THROUGHPUT_VS_C}x (c)",
            "c",
            THROUGHPUT_VS_C,
            lambda run: run.load.rps or None,
            "req/s",
            at_most=False,
        )
        delay = max((run.delay_ms for run in self.runs), default=0)
        if delay > 0:
            p50_runs = [run for run in self.runs if run.variant == bff and run.delay_ms == delay]
            p50_runs = [
                run for run in p50_runs if run.connections == min(r.connections for r in p50_runs)
            ]
            for run in [*p50_runs, *self.probes]:
                targets.append(
                    Target(
                        f"p50 < {P50_VS_DELAY}x the downstream delay",
                        f"delay {run.delay_ms} ms, {run.connections} conns",
                        P50_VS_DELAY * run.delay_ms,
                        run.load.p50_ms,
                        "ms",
                        at_most=True,
                    )
                )
        ratio_target(
            f"cache enabled and warm: throughput ≥ {CACHED_VS_D}x (d)",
            "d",
            CACHED_VS_D,
            lambda run: run.load.rps or None,
            "req/s",
            at_most=False,
            variant=CACHED_KEY,
        )
        return targets

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "elapsed_s": round(self.elapsed_s, 1),
            "duration_s": self.duration_s,
            "warmup_s": self.warmup_s,
            "load_generator": self.generator,
            "machine": self.machine,
            "default_variant": self.default_variant,
            "cached_variant_ttl_s": self.cache_ttl_s,
            "bff_logging": self.bff_logging,
            "downstream_calls_per_request": DOWNSTREAM_CALLS,
            "variants": self.labels,
            "rounds": len(self.rounds) // max(1, len(self.runs)) or 1,
            "runs": [run.to_json() for run in self.runs],
            "round_runs": [run.to_json() for run in self.rounds],
            "probes": [run.to_json() for run in self.probes],
            "targets": [target.to_json() for target in self.targets()],
            "ratios": [ratio.to_json() for ratio in reference_ratios(self)],
            "high_concurrency": None
            if self.high is None
            else {
                **self.high.run.to_json(),
                "checks": self.high.checks,
                "passed": self.high.passed,
            },
            "cancellation_storm": [storm.to_json() for storm in self.storms],
        }


def machine_info(generator: str) -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    generator_version = "python (bench/pyload.py)"
    if generator == "wrk":
        done = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        generator_version = (done.stdout or done.stderr).splitlines()[0].strip()
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average_at_end": [round(value, 2) for value in os.getloadavg()],
        "load_generator": generator_version,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    if not ours or not theirs:
        return "-"
    return f"{ours / theirs:.2f}"


def _table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _cpu(run: Run | None) -> float | None:
    return run.cpu_ms_per_request if run else None


def _rps(run: Run | None) -> float:
    return run.load.rps if run else 0.0


@dataclass(frozen=True)
class Ratios:
    """One load point's headline figures: the BFF's CPU per request against the typed reference
    (t), and the warm cached screen against a static route of the same process."""

    delay_ms: int
    connections: int
    bff_cpu_ms: float | None
    typed_cpu_ms: float | None
    cached_cpu_ms: float | None
    healthz_cpu_ms: float | None
    cached_rps: float | None
    healthz_rps: float | None

    @staticmethod
    def _of(ours: float | None, theirs: float | None) -> float | None:
        return ours / theirs if ours and theirs else None

    @property
    def bff_vs_typed(self) -> float | None:
        return self._of(self.bff_cpu_ms, self.typed_cpu_ms)

    @property
    def cached_vs_healthz_cpu(self) -> float | None:
        return self._of(self.cached_cpu_ms, self.healthz_cpu_ms)

    @property
    def cached_vs_healthz_rps(self) -> float | None:
        return self._of(self.cached_rps, self.healthz_rps)

    def line(self) -> str:
        def x(value: float | None) -> str:
            return "-" if value is None else f"{value:.2f}x"

        return (
            f"  delay {self.delay_ms:3} ms, {self.connections:4} conns: "
            f"BFF {_ms(self.bff_cpu_ms)} / (t) {_ms(self.typed_cpu_ms)} CPU ms/req = "
            f"{x(self.bff_vs_typed)}; cached {_ms(self.cached_cpu_ms)} / /healthz "
            f"{_ms(self.healthz_cpu_ms)} CPU ms/req = {x(self.cached_vs_healthz_cpu)} "
            f"(req/s {x(self.cached_vs_healthz_rps)})"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "delay_ms": self.delay_ms,
            "connections": self.connections,
            "bff_cpu_ms_per_request": _round(self.bff_cpu_ms),
            "typed_cpu_ms_per_request": _round(self.typed_cpu_ms),
            "bff_cpu_vs_typed": _round(self.bff_vs_typed),
            "cached_cpu_ms_per_request": _round(self.cached_cpu_ms),
            "healthz_cpu_ms_per_request": _round(self.healthz_cpu_ms),
            "cached_cpu_vs_healthz": _round(self.cached_vs_healthz_cpu),
            "cached_rps_vs_healthz": _round(self.cached_vs_healthz_rps),
        }


def reference_ratios(results: Results) -> list[Ratios]:
    """The headline ratios per load point (None where a variant was not run or answered
    nothing)."""
    out = []
    for delay_ms, connections in results.load_points():
        bff, typed, cached, healthz = (
            results.find(key, delay_ms, connections)
            for key in (results.default_variant, TYPED_KEY, CACHED_KEY, HEALTHZ_KEY)
        )
        out.append(
            Ratios(
                delay_ms,
                connections,
                _cpu(bff),
                _cpu(typed),
                _cpu(cached),
                _cpu(healthz),
                _rps(cached) or None,
                _rps(healthz) or None,
            )
        )
    return out


def round_ratios(results: Results) -> list[list[Ratios]]:
    """The headline ratios of each round alone (empty when the matrix ran once)."""
    by_round: list[list[Run]] = []
    seen: dict[tuple[str, int, int], int] = {}
    for run in results.rounds:
        key = (run.variant, run.delay_ms, run.connections)
        index = seen[key] = seen.get(key, -1) + 1
        if index == len(by_round):
            by_round.append([])
        by_round[index].append(run)
    return [reference_ratios(replace(results, runs=runs, rounds=[])) for runs in by_round]


def ratio_lines(results: Results) -> list[str]:
    """What ``make bench`` prints at the end: the ratios per load point (of the medians, and
    of each round when there were several)."""
    lines = [
        "CPU per request of the BFF (default transport, cache off) ÷ the typed baseline (t), "
        "and of the warm cached screen ÷ the same process's /healthz"
        + (f" (medians of {len(round_ratios(results))} rounds):" if results.rounds else ":"),
        *(ratio.line() for ratio in reference_ratios(results)),
    ]
    for number, ratios in enumerate(round_ratios(results), start=1):
        lines.append(f" round {number}:")
        lines += [ratio.line() for ratio in ratios]
    return lines


def summary(results: Results) -> list[str]:
    """The default BFF against each baseline, and the two transports against each other, per
    load point: the tables README quotes."""
    out = [
        "## Headline ratios",
        "",
        "CPU per request of the BFF (default transport, cache off) ÷ the typed baseline (t), and "
        "of the warm cached screen ÷ `GET /healthz` of the same process.",
        "",
    ]

    def x(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    out += _table(
        [
            "delay",
            "conns",
            "BFF CPU ms/req",
            "(t) CPU ms/req",
            "BFF ÷ (t)",
            "cached CPU ms/req",
            "/healthz CPU ms/req",
            "cached ÷ /healthz (CPU)",
            "cached ÷ /healthz (req/s)",
        ],
        [
            [
                f"{ratio.delay_ms} ms",
                str(ratio.connections),
                _ms(ratio.bff_cpu_ms),
                _ms(ratio.typed_cpu_ms),
                x(ratio.bff_vs_typed),
                _ms(ratio.cached_cpu_ms),
                _ms(ratio.healthz_cpu_ms),
                x(ratio.cached_vs_healthz_cpu),
                x(ratio.cached_vs_healthz_rps),
            ]
            for ratio in reference_ratios(results)
        ],
    )
    out += ["", "## Summary: the BFF (default transport) against the baselines", ""]
    rows = []
    transport_rows = []
    for delay_ms, connections in results.load_points():
        bff = results.find(results.default_variant, delay_ms, connections)
        if bff is None:
            continue

        b, b2, c, t, d = (
            results.find(BASELINE_KEYS[key], delay_ms, connections)
            for key in ("b", "b'", "c", "t", "d")
        )
        rows.append(
            [
                f"{delay_ms} ms",
                str(connections),
                f"{bff.load.rps:.0f}",
                _ms(bff.load.p50_ms if bff.load.requests else None),
                _ms(bff.cpu_ms_per_request),
                _ratio(bff.cpu_ms_per_request, _cpu(b)),
                _ratio(bff.cpu_ms_per_request, _cpu(b2)),
                _ratio(bff.cpu_ms_per_request, _cpu(c)),
                _ratio(bff.cpu_ms_per_request, _cpu(t)),
                _ratio(bff.load.rps, _rps(c)),
                _ratio(bff.load.rps, _rps(d)),
            ]
        )
        runs = {
            key: results.find(f"bff-{key}", delay_ms, connections)
            for key in ("aiohttp", "httpcore")
        }
        if all(runs.values()):
            transport_rows.append(
                [
                    f"{delay_ms} ms",
                    str(connections),
                    f"{_rps(runs['aiohttp']):.0f}",
                    _ms(_cpu(runs["aiohttp"])),
                    f"{_rps(runs['httpcore']):.0f}",
                    _ms(_cpu(runs["httpcore"])),
                    _ratio(_cpu(runs["httpcore"]), _cpu(runs["aiohttp"])),
                ]
            )
    out += _table(
        [
            "delay",
            "conns",
            "req/s",
            "p50 ms",
            "CPU ms/req",
            "CPU ÷ (b)",
            "CPU ÷ (b')",
            "CPU ÷ (c)",
            "CPU ÷ (t)",
            "req/s ÷ (c)",
            "req/s ÷ (d)",
        ],
        rows,
    )
    out.append("")
    if transport_rows:
        out += ["## The transports (`BFF_HTTP_TRANSPORT`)", ""]
        out += _table(
            [
                "delay",
                "conns",
                "aiohttp req/s",
                "aiohttp CPU ms/req",
                "httpcore req/s",
                "httpcore CPU ms/req",
                "httpcore CPU ÷ aiohttp",
            ],
            transport_rows,
        )
        out.append("")
    out += cache_summary(results)
    return out


def _calls(run: Run) -> str:
    return "-" if run.downstream_calls is None else str(run.downstream_calls)


def cache_summary(results: Results) -> list[str]:
    """The cached screen's throughput against the uncached screen of the same BFF, the same
    process's static route and the static baseline (d), per load point."""
    rows = []
    for delay_ms, connections in results.load_points():
        cached = results.find(CACHED_KEY, delay_ms, connections)
        if cached is None:
            continue
        uncached, healthz, d = (
            results.find(key, delay_ms, connections)
            for key in (results.default_variant, HEALTHZ_KEY, BASELINE_KEYS["d"])
        )
        rows.append(
            [
                f"{delay_ms} ms",
                str(connections),
                f"{cached.load.rps:.0f}",
                _ms(cached.load.p50_ms if cached.load.requests else None),
                _ms(cached.cpu_ms_per_request),
                _calls(cached),
                _ratio(cached.load.rps, _rps(uncached)),
                _ratio(cached.load.rps, _rps(healthz)),
                _ratio(cached.load.rps, _rps(d)),
                _ratio(cached.cpu_ms_per_request, _cpu(uncached)),
            ]
        )
    if not rows:
        return []
    out = [
        "## The cache: the profile screen served warm (`BFF_CACHE_ENABLED=true`)",
        "",
        f"The cache policies of the screen's four calls held for {_warm_ttl(results)}, so that "
        "every measured request is a hit (the downstream calls column counts what reached the "
        "simulator during the run). `/healthz` is a static route of the same BFF process.",
        "",
    ]
    out += _table(
        [
            "delay",
            "conns",
            "req/s",
            "p50 ms",
            "CPU ms/req",
            "downstream calls",
            "req/s ÷ uncached BFF",
            "req/s ÷ BFF /healthz",
            "req/s ÷ (d)",
            "CPU ÷ uncached BFF",
        ],
        rows,
    )
    out.append("")
    return out


def _warm_ttl(results: Results) -> str:
    ttl = results.cache_ttl_s
    return "the defaults' TTLs" if ttl is None else f"{ttl:g} s (`BFF_CACHE_POLICIES`)"


def markdown(results: Results) -> str:
    machine = results.machine
    data = results.to_json()
    out = [
        "# Benchmark results",
        "",
        f"Profile `{results.profile}`, {data['started']}, {data['elapsed_s']} s in all: "
        f"{results.duration_s:g} s per run after {results.warmup_s:g} s of warm-up. "
        f"Machine: {machine['nproc']} CPUs, {machine['cpu_model']}, Linux {machine['kernel']}, "
        f"Python {machine['python']}; load generator {machine['load_generator']}; "
        f"load average at the end {machine['load_average_at_end']}.",
        "",
        "Every variant serves `GET /v1/users/1/profile` (4 downstream calls) from the same "
        "simulator, but the BFF's `GET /healthz` (a static route); CPU is the server process's "
        "user + system time per answered request. The BFF logs "
        + (
            "as it ships (a JSON access-log line per request)."
            if results.bff_logging == "default"
            else "warnings only (`--quiet-logs`)."
        )
        + (
            f" Each figure is the median of {len(results.rounds) // max(1, len(results.runs))} "
            "rounds."
            if results.rounds
            else ""
        ),
        "",
    ]
    out += summary(results)
    for delay_ms, connections in results.load_points():
        b = results.find(BASELINE_KEYS["b"], delay_ms, connections)
        c = results.find(BASELINE_KEYS["c"], delay_ms, connections)
        t = results.find(BASELINE_KEYS["t"], delay_ms, connections)
        d = results.find(BASELINE_KEYS["d"], delay_ms, connections)
        rows = []
        for run in results.runs:
            if (run.delay_ms, run.connections) != (delay_ms, connections):
                continue
            cpu = run.cpu_ms_per_request
            per_call = (
                None if cpu is None or run.variant in NO_CALL_VARIANTS else cpu / DOWNSTREAM_CALLS
            )
            calls = run.calls_per_request
            rows.append(
                [
                    results.labels.get(run.variant, run.variant),
                    f"{run.load.rps:.0f}",
                    _ms(run.load.p50_ms if run.load.requests else None),
                    _ms(run.load.p99_ms if run.load.requests else None),
                    str(run.load.errors) if run.load.requests else "no answer",
                    _ms(cpu),
                    _ms(per_call),
                    _ratio(cpu, b.cpu_ms_per_request if b else None),
                    _ratio(cpu, c.cpu_ms_per_request if c else None),
                    _ratio(cpu, _cpu(t)),
                    _ratio(run.load.rps, c.load.rps if c else None),
                    _ratio(run.load.rps, d.load.rps if d else None),
                    "-" if calls is None else f"{calls:.2f}",
                ]
            )
        out += [f"## Downstream delay {delay_ms} ms, {connections} connections", ""]
        out += _table(
            [
                "variant",
                "req/s",
                "p50 ms",
                "p99 ms",
                "errors",
                "CPU ms/req",
                "CPU ms/call",
                "CPU ÷ (b)",
                "CPU ÷ (c)",
                "CPU ÷ (t)",
                "req/s ÷ (c)",
                "req/s ÷ (d)",
                "downstream calls/req",
            ],
            rows,
        )
        out.append("")
    if results.probes:
        out += ["## Light load (latency without CPU queueing)", ""]
        out += _table(
            ["variant", "delay ms", "conns", "req/s", "p50 ms", "p99 ms", "errors"],
            [
                [
                    results.labels.get(run.variant, run.variant),
                    str(run.delay_ms),
                    str(run.connections),
                    f"{run.load.rps:.0f}",
                    _ms(run.load.p50_ms),
                    _ms(run.load.p99_ms),
                    str(run.load.errors),
                ]
                for run in results.probes
            ],
        )
        out.append("")
    out += ["## Targets (profile screen; cache disabled unless the target says otherwise)", ""]
    out += _table(
        ["target", "load", "limit", "measured", "result"],
        [
            [
                target.name,
                target.load,
                "-" if target.limit is None else f"{target.limit:.3g} {target.unit}",
                "-" if target.measured is None else f"{target.measured:.3g} {target.unit}",
                target.verdict,
            ]
            for target in results.targets()
        ],
    )
    out.append("")
    if results.high is not None:
        run = results.high.run
        out += [
            f"## {run.connections} connections for {run.load.duration_s:.0f} s "
            f"(downstream delay {run.delay_ms} ms): "
            + ("passed" if results.high.passed else "**failed**"),
            "",
            f"{run.load.requests} answers, {run.load.rps:.0f} req/s, "
            f"p50 {_ms(run.load.p50_ms)} ms, p99 {_ms(run.load.p99_ms)} ms, "
            f"CPU {_ms(run.cpu_ms_per_request)} ms/req.",
            "",
        ]
        out += _table(
            ["check", "count"], [[name, str(count)] for name, count in results.high.checks.items()]
        )
        out.append("")
    if results.storms:
        out += [
            "## Cancellation storm (pool of 4, 200 calls a round cancelled at random moments)",
            "",
        ]
        out += _table(
            ["transport", "rounds", "completed", "cancelled", "leaked slots", "fresh calls served"],
            [
                [
                    storm.transport,
                    str(storm.rounds),
                    str(storm.completed),
                    str(storm.cancelled),
                    str(storm.leaked),
                    f"{storm.served_after}/{FRESH_CALLS}",
                ]
                for storm in results.storms
            ],
        )
        out.append("")
    return "\n".join(out)


def write_results(results: Results, output_dir: Path) -> tuple[Path, Path, Path]:
    """The JSON, the Markdown tables and the summary picture (bench/chart.py), side by side."""
    from bench.chart import draw

    output_dir.mkdir(parents=True, exist_ok=True)
    name = RESULT_NAMES.get(results.profile, results.profile)
    json_path = output_dir / f"{name}.json"
    markdown_path = output_dir / f"{name}.md"
    data = results.to_json()
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    markdown_path.write_text(markdown(results))
    return json_path, markdown_path, draw(data, output_dir / f"{name}.png")
