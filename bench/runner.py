"""``python -m bench``: run the BFF and the baselines under the same load, write the results.

For each downstream delay, one simulator process and every variant's server start at once (each
its own process, so /proc gives each one's CPU); then each variant takes the same load at each
concurrency, one after the other, after a warm-up. Then the bounded 1,000-connection run against
the profile screen, and the cancellation storm per transport. Everything is on 127.0.0.1 and
bounded in time: the full profile takes a few minutes, the smoke profile a few seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bench.load import LoadResult, pick_generator, run_load
from bench.processes import Server, Servers, free_port, raise_open_files_limit, uvicorn_argv
from bench.report import HighConcurrency, Results, Run, machine_info, write_results
from bench.storm import StormResult, cancellation_storm
from bff.settings import Settings

SCREEN_PATH = "/v1/users/1/profile"
DEFAULT_TRANSPORT: str = Settings.model_fields["http_transport"].default
TRANSPORTS = ("aiohttp", "httpcore")

CACHE_DISABLED_ENV: dict[str, str] = {}
"""Settings that turn the BFF's cache off for the cache-disabled targets.
SLOT: the caching issue adds its switch here (and a cache-enabled, warm variant)."""


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    app: str | None = None
    """``module:attribute`` of a baseline app; None for the BFF itself."""
    transport: str | None = None

    def server(self, downstream_url: str, log_dir: Path, phase: str) -> Server:
        port = free_port()
        log_path = log_dir / f"{phase}-{self.key}.log"
        if self.app is not None:
            return Server(
                self.key,
                uvicorn_argv(self.app, port),
                port,
                log_path,
                env={"BENCH_DOWNSTREAM_URL": downstream_url},
            )
        argv = [sys.executable, "-m", "bff.cli", "serve", "--host", "127.0.0.1"]
        argv += ["--port", str(port), "--no-access-log"]
        env = {
            "BFF_DOWNSTREAM_URL": downstream_url,
            "BFF_HTTP_TRANSPORT": self.transport or DEFAULT_TRANSPORT,
            "BFF_LOG_LEVEL": "warning",
            **CACHE_DISABLED_ENV,
        }
        return Server(self.key, argv, port, log_path, env=env)


VARIANTS = {
    variant.key: variant
    for variant in (
        *(
            Variant(
                f"bff-{name}",
                f"BFF, {name} transport" + (" (default)" if name == DEFAULT_TRANSPORT else ""),
                transport=name,
            )
            for name in TRANSPORTS
        ),
        Variant(
            "a-requests", "(a) def + requests, sequential", "bench.baselines.requests_sync:app"
        ),
        Variant("b-httpx", "(b) httpx.AsyncClient + gather", "bench.baselines.httpx_gather:app"),
        Variant(
            "b2-httpx-aiohttp",
            "(b') = (b) on the aiohttp transport",
            "bench.baselines.httpx_on_aiohttp:app",
        ),
        Variant("c-aiohttp", "(c) aiohttp session + gather", "bench.baselines.aiohttp_gather:app"),
        Variant("d-static", "(d) static bytes (ceiling)", "bench.baselines.static:app"),
    )
}
DEFAULT_BFF = f"bff-{DEFAULT_TRANSPORT}"


@dataclass(frozen=True)
class Profile:
    name: str
    delays_ms: tuple[int, ...]
    connections: tuple[int, ...]
    duration_s: float
    warmup_s: float
    variants: tuple[str, ...]
    probe_connections: int
    """A light-load run of the default BFF at the largest delay: latency without CPU queueing."""
    high_connections: int
    high_duration_s: float
    high_delay_ms: int
    high_timeout_s: float
    """How long a client waits at 1,000 connections, where queueing makes answers slow by design
    (Little's law); longer than the BFF's own 10 s deadline, so a late answer is measured as
    latency and a lost one shows as an error."""
    storm_rounds: int
    timeout_s: float = 10.0


PROFILES = {
    "full": Profile(
        name="full",
        delays_ms=(0, 50),
        connections=(64, 512),
        duration_s=4,
        warmup_s=1,
        variants=tuple(VARIANTS),
        probe_connections=8,
        high_connections=1000,
        high_duration_s=30,
        high_delay_ms=50,
        high_timeout_s=30,
        storm_rounds=5,
    ),
    "smoke": Profile(
        name="smoke",
        delays_ms=(0,),
        connections=(8,),
        duration_s=1,
        warmup_s=0,
        variants=(DEFAULT_BFF, "b-httpx", "c-aiohttp", "d-static"),
        probe_connections=4,
        high_connections=32,
        high_duration_s=1,
        high_delay_ms=0,
        high_timeout_s=10,
        storm_rounds=1,
    ),
}


def _measure(
    server: Server,
    simulator: Server,
    *,
    connections: int,
    duration_s: float,
    timeout_s: float,
    generator: str,
) -> tuple[LoadResult, float, float, int]:
    """One load run: the result, CPU seconds of the server and of the simulator, exceptions."""
    exceptions_before = server.exceptions_logged()
    cpu_before, sim_before = server.cpu_seconds(), simulator.cpu_seconds()
    load = run_load(
        server.url + SCREEN_PATH,
        connections=connections,
        duration_s=duration_s,
        timeout_s=timeout_s,
        generator=generator,  # type: ignore[arg-type]
    )
    cpu = server.cpu_seconds() - cpu_before
    sim_cpu = simulator.cpu_seconds() - sim_before
    return load, cpu, sim_cpu, server.exceptions_logged() - exceptions_before


def _run(
    profile: Profile,
    variant: Variant,
    server: Server,
    simulator: Server,
    delay_ms: int,
    connections: int,
    generator: str,
    *,
    duration_s: float | None = None,
    timeout_s: float | None = None,
) -> Run:
    if profile.warmup_s > 0:
        run_load(
            server.url + SCREEN_PATH,
            connections=connections,
            duration_s=profile.warmup_s,
            timeout_s=timeout_s or profile.timeout_s,
            generator=generator,  # type: ignore[arg-type]
        )
        _settle(server)
    load, cpu, sim_cpu, exceptions = _measure(
        server,
        simulator,
        connections=connections,
        duration_s=duration_s or profile.duration_s,
        timeout_s=timeout_s or profile.timeout_s,
        generator=generator,
    )
    run = Run.of(variant.key, delay_ms, connections, load, cpu, sim_cpu, exceptions)
    print(f"  {run.summary()}", flush=True)
    _settle(server)
    simulator.wait_idle()
    return run


def _settle(server: Server) -> None:
    """A server still working off requests the load generator gave up on would steal CPU from
    the next variant's run: give it a few seconds, then restart it."""
    if not server.wait_idle(within=5):
        print(f"  {server.name} still busy after the run: restarted", flush=True)
        server.restart()


def run_benchmarks(profile: Profile, output_dir: Path, generator: str) -> Results:
    log_dir = output_dir / "logs"
    started = time.time()
    runs: list[Run] = []
    probes: list[Run] = []
    high: HighConcurrency | None = None
    storms: list[StormResult] = []
    variants = [VARIANTS[key] for key in profile.variants]
    for delay_ms in profile.delays_ms:
        phase = f"delay{delay_ms}"
        print(f"downstream delay {delay_ms} ms", flush=True)
        simulator_port = free_port()
        simulator = Server(
            "simulator",
            [
                *(sys.executable, "-m", "bff.cli", "simulator", "--host", "127.0.0.1"),
                *("--port", str(simulator_port), "--delay-ms", str(delay_ms)),
            ],
            simulator_port,
            log_dir / f"{phase}-simulator.log",
        )
        with Servers([simulator]):
            servers = {v.key: v.server(simulator.url, log_dir, phase) for v in variants}
            with Servers(list(servers.values())):
                for connections in profile.connections:
                    for variant in variants:
                        runs.append(
                            _run(
                                profile,
                                variant,
                                servers[variant.key],
                                simulator,
                                delay_ms,
                                connections,
                                generator,
                            )
                        )
                if (
                    profile.probe_connections
                    and delay_ms == max(profile.delays_ms)
                    and DEFAULT_BFF in servers
                ):
                    print("light-load latency probe", flush=True)
                    probes.append(
                        _run(
                            profile,
                            VARIANTS[DEFAULT_BFF],
                            servers[DEFAULT_BFF],
                            simulator,
                            delay_ms,
                            profile.probe_connections,
                            generator,
                        )
                    )
                if (
                    profile.high_connections
                    and delay_ms == profile.high_delay_ms
                    and DEFAULT_BFF in servers
                ):
                    print(f"{profile.high_connections} connections", flush=True)
                    high = HighConcurrency.of(
                        _run(
                            profile,
                            VARIANTS[DEFAULT_BFF],
                            servers[DEFAULT_BFF],
                            simulator,
                            delay_ms,
                            profile.high_connections,
                            generator,
                            duration_s=profile.high_duration_s,
                            timeout_s=profile.high_timeout_s,
                        )
                    )
            if not storms and profile.storm_rounds:
                print("cancellation storm", flush=True)
                for name in TRANSPORTS:
                    storm = asyncio.run(
                        cancellation_storm(simulator.url, name, rounds=profile.storm_rounds)
                    )
                    print(f"  {storm.to_json()}", flush=True)
                    storms.append(storm)
    return Results(
        profile=profile.name,
        generator=generator,
        machine=machine_info(generator),
        started=started,
        elapsed_s=time.time() - started,
        duration_s=profile.duration_s,
        warmup_s=profile.warmup_s,
        default_variant=DEFAULT_BFF,
        labels={key: variant.label for key, variant in VARIANTS.items()},
        runs=runs,
        probes=probes,
        high=high,
        storms=storms,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument(
        "--output-dir", type=Path, default=Path(__file__).parent / "results", help="results go here"
    )
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--variants", nargs="*", choices=sorted(VARIANTS), help="only these (development runs)"
    )
    parser.add_argument("--delays", nargs="*", type=int, help="downstream delays, ms")
    parser.add_argument("--connections", nargs="*", type=int, help="concurrency levels")
    parser.add_argument(
        "--matrix-only", action="store_true", help="skip the probe, 1,000 connections and storm"
    )
    args = parser.parse_args(argv)
    profile = PROFILES[args.profile]
    overrides: dict[str, object] = {}
    if args.variants:
        overrides["variants"] = tuple(args.variants)
    if args.delays:
        overrides["delays_ms"] = tuple(args.delays)
        overrides["high_delay_ms"] = max(args.delays)
    if args.connections:
        overrides["connections"] = tuple(args.connections)
    if args.matrix_only:
        overrides.update(probe_connections=0, high_connections=0, storm_rounds=0)
    profile = replace(profile, **overrides)  # type: ignore[arg-type]
    generator = pick_generator(args.generator)
    raise_open_files_limit()
    print(f"bench profile {profile.name}, load generator {generator}", flush=True)
    results = run_benchmarks(profile, args.output_dir, generator)
    json_path, markdown_path = write_results(results, args.output_dir)
    print(f"wrote {json_path} and {markdown_path}")
    return 0
