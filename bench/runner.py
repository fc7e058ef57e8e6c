"""``python -m bench``: run the BFF and the baselines under the same load, write the results.

For each downstream delay, one simulator process and every variant's server start at once (each
its own process, so /proc gives each one's CPU; the BFF's static route is loaded on the cached
BFF's process); then each variant takes the same load at each concurrency, one after the other,
after a warm-up. Then the bounded 1,000-connection run against the profile screen, and the
cancellation storm per transport. Everything is on 127.0.0.1 and bounded in time: the full
profile takes about 15 minutes (three rounds), the smoke profile a few seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bench.load import LoadResult, pick_generator, run_load
from bench.processes import (
    RAW_DIR,
    Server,
    Servers,
    free_port,
    raise_open_files_limit,
    uvicorn_argv,
)
from bench.report import (
    CACHED_KEY,
    HEALTHZ_KEY,
    TYPED_KEY,
    HighConcurrency,
    Results,
    Run,
    machine_info,
    median_runs,
    ratio_lines,
    write_results,
)
from bench.storm import StormResult, cancellation_storm
from bff.settings import Settings

SCREEN_PATH = "/v1/users/1/profile"
STATIC_PATH = "/healthz"
DEFAULT_TRANSPORT: str = Settings.model_fields["http_transport"].default
TRANSPORTS = ("aiohttp", "httpcore")

CACHE_DISABLED_ENV: dict[str, str] = {"BFF_CACHE_ENABLED": "false"}
"""The issue's targets for the BFF are set with the cache off: they measure the fan-out itself."""

SCREEN_CALLS = ("users.get", "carts.by_user", "users.posts", "users.todos")
"""The cache policies behind the profile screen (``bff/routes/profile.py``)."""
WARM_TTL_S = 3600
CACHE_WARM_ENV: dict[str, str] = {
    "BFF_CACHE_ENABLED": "true",
    # The default TTLs (10 s for carts, 30-60 s for the rest: clients/cache_policies.py) are
    # shorter than a full run, which would measure a refresh now and then: an hour keeps the
    # measured phase all hits (each run's downstream call count shows it).
    "BFF_CACHE_POLICIES": json.dumps({name: {"ttl": WARM_TTL_S} for name in SCREEN_CALLS}),
}
"""The cache-enabled, warm variant: the screen as a cache hit, for the target against (d)."""


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    app: str | None = None
    """``module:attribute`` of a baseline app; None for the BFF itself."""
    transport: str | None = None
    cache: bool = False
    """The BFF with its cache on, warmed before the run (``CACHE_WARM_ENV``)."""
    path: str = SCREEN_PATH
    server_of: str | None = None
    """Another variant whose server process this one loads (a second route of the same app)."""

    @property
    def server_key(self) -> str:
        return self.server_of or self.key

    def server(
        self,
        downstream_url: str,
        log_dir: Path,
        phase: str,
        cpus: frozenset[int] | None = None,
        *,
        quiet: bool = False,
    ) -> Server:
        """The BFF runs with its default logging (the JSON access log at ``info``: a line per
        request), as it ships; ``quiet`` keeps only warnings (``python -m bench --quiet-logs``)."""
        port = free_port()
        log_path = log_dir / f"{phase}-{self.key}.log"
        if self.app is not None:
            return Server(
                self.key,
                uvicorn_argv(self.app, port),
                port,
                log_path,
                env={"BENCH_DOWNSTREAM_URL": downstream_url},
                cpus=cpus,
            )
        argv = [sys.executable, "-m", "bff.cli", "serve", "--host", "127.0.0.1"]
        argv += ["--port", str(port)]
        env = {
            "BFF_DOWNSTREAM_URL": downstream_url,
            "BFF_HTTP_TRANSPORT": self.transport or DEFAULT_TRANSPORT,
            **(CACHE_WARM_ENV if self.cache else CACHE_DISABLED_ENV),
        }
        if quiet:
            argv.append("--no-access-log")
            env["BFF_LOG_LEVEL"] = "warning"
        return Server(self.key, argv, port, log_path, env=env, cpus=cpus)


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
            CACHED_KEY,
            f"BFF, cache enabled and warm ({DEFAULT_TRANSPORT} transport)",
            transport=DEFAULT_TRANSPORT,
            cache=True,
        ),
        Variant(
            HEALTHZ_KEY,
            f"BFF `GET {STATIC_PATH}` (static route, same process as the cached BFF)",
            path=STATIC_PATH,
            server_of=CACHED_KEY,
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
        Variant(
            TYPED_KEY,
            "(t) aiohttp + gather, Pydantic in and out, bytes (the reference)",
            "bench.baselines.typed_gather:app",
        ),
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
    rounds: int = 1
    """How many times the matrix runs (same processes, variants interleaved): each figure is
    the median of its rounds, so one disturbed run on a shared machine does not decide it."""


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
        rounds=3,
    ),
    "smoke": Profile(
        name="smoke",
        delays_ms=(0,),
        connections=(8,),
        duration_s=1,
        warmup_s=0,
        variants=(
            DEFAULT_BFF,
            CACHED_KEY,
            HEALTHZ_KEY,
            "b-httpx",
            "c-aiohttp",
            TYPED_KEY,
            "d-static",
        ),
        probe_connections=4,
        high_connections=32,
        high_duration_s=1,
        high_delay_ms=0,
        high_timeout_s=10,
        storm_rounds=1,
    ),
}


@dataclass(frozen=True)
class Measured:
    load: LoadResult
    cpu_s: float
    sim_cpu_s: float
    exceptions: int
    downstream_calls: int
    """Requests the simulator received during the run: 4 per screen uncached, 0 when warm."""


def _get(url: str, path: str) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def downstream_calls(simulator: Server) -> int:
    """The simulator's request count so far: across a run, it shows whether a warm cache really
    answered every request, and that the uncached variants make their four calls."""
    status, body = _get(simulator.url, "/__sim/stats")
    if status != 200:
        raise RuntimeError(f"simulator stats answered {status}")
    total: int = json.loads(body)["total"]
    return total


def _prime(server: Server, path: str) -> None:
    """Fill the cache before any load, so that even a run without warm-up measures it warm."""
    status, body = _get(server.url, path)
    if status != 200:
        raise RuntimeError(f"{server.name} answered {status} to {path}: {body[:300]!r}")


def _measure(
    server: Server,
    simulator: Server,
    *,
    path: str,
    connections: int,
    duration_s: float,
    timeout_s: float,
    generator: str,
) -> Measured:
    """One load run: the result, CPU seconds of the server and of the simulator, exceptions,
    downstream calls."""
    exceptions_before = server.exceptions_logged()
    calls_before = downstream_calls(simulator)
    cpu_before, sim_before = server.cpu_seconds(), simulator.cpu_seconds()
    load = run_load(
        server.url + path,
        connections=connections,
        duration_s=duration_s,
        timeout_s=timeout_s,
        generator=generator,  # type: ignore[arg-type]
    )
    cpu = server.cpu_seconds() - cpu_before
    sim_cpu = simulator.cpu_seconds() - sim_before
    return Measured(
        load,
        cpu,
        sim_cpu,
        server.exceptions_logged() - exceptions_before,
        downstream_calls(simulator) - calls_before,
    )


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
    if variant.cache:
        _prime(server, variant.path)
    if profile.warmup_s > 0:
        run_load(
            server.url + variant.path,
            connections=connections,
            duration_s=profile.warmup_s,
            timeout_s=timeout_s or profile.timeout_s,
            generator=generator,  # type: ignore[arg-type]
        )
        _settle(server)
    measured = _measure(
        server,
        simulator,
        path=variant.path,
        connections=connections,
        duration_s=duration_s or profile.duration_s,
        timeout_s=timeout_s or profile.timeout_s,
        generator=generator,
    )
    run = Run.of(
        variant.key,
        delay_ms,
        connections,
        measured.load,
        measured.cpu_s,
        measured.sim_cpu_s,
        measured.exceptions,
        downstream_calls=measured.downstream_calls,
    )
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


def run_benchmarks(
    profile: Profile,
    output_dir: Path,
    generator: str,
    server_cpus: frozenset[int] | None = None,
    *,
    quiet_logs: bool = False,
    raw_dir: Path = RAW_DIR,
) -> Results:
    """``server_cpus`` pins the servers under test there (the simulator and the load generator
    inherit the runner's own CPUs). The servers' logs go to ``raw_dir``, not beside the
    results that are committed."""
    log_dir = raw_dir / "logs"
    started = time.time()
    rounds: list[Run] = []
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
            # One process per server key: a variant with `server_of` loads another one's process.
            servers = {
                key: VARIANTS[key].server(
                    simulator.url, log_dir, phase, server_cpus, quiet=quiet_logs
                )
                for key in dict.fromkeys(v.server_key for v in variants)
            }
            with Servers(list(servers.values())):
                for round_index in range(profile.rounds):
                    if profile.rounds > 1:
                        print(f" round {round_index + 1} of {profile.rounds}", flush=True)
                    for connections in profile.connections:
                        for variant in variants:
                            rounds.append(
                                _run(
                                    profile,
                                    variant,
                                    servers[variant.server_key],
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
        runs=median_runs(rounds),
        rounds=rounds if profile.rounds > 1 else [],
        probes=probes,
        high=high,
        storms=storms,
        cache_ttl_s=WARM_TTL_S,
        bff_logging="quiet" if quiet_logs else "default",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="full")
    parser.add_argument(
        "--output-dir", type=Path, default=Path(__file__).parent / "results", help="results go here"
    )
    parser.add_argument(
        "--raw-dir", type=Path, default=RAW_DIR, help="servers' logs go here (git-ignored)"
    )
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--variants", nargs="*", choices=sorted(VARIANTS), help="only these (development runs)"
    )
    parser.add_argument("--delays", nargs="*", type=int, help="downstream delays, ms")
    parser.add_argument("--connections", nargs="*", type=int, help="concurrency levels")
    parser.add_argument(
        "--rounds", type=int, help="runs of the matrix; each figure is the median of its rounds"
    )
    parser.add_argument(
        "--matrix-only", action="store_true", help="skip the probe, 1,000 connections and storm"
    )
    parser.add_argument(
        "--quiet-logs",
        action="store_true",
        help="the BFF without its access log, warnings only (default: its default logging)",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="servers under test on CPU 0; this runner, the simulator and the load generator "
        "on the other CPUs (needs 2 or more)",
    )
    args = parser.parse_args(argv)
    profile = PROFILES[args.profile]
    server_cpus: frozenset[int] | None = None
    if args.pin:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            parser.error("--pin needs at least 2 CPUs")
        server_cpus = frozenset(cpus[:1])
        os.sched_setaffinity(0, set(cpus[1:]))
    overrides: dict[str, object] = {}
    if args.variants:
        overrides["variants"] = tuple(args.variants)
    if args.delays:
        overrides["delays_ms"] = tuple(args.delays)
        overrides["high_delay_ms"] = max(args.delays)
    if args.connections:
        overrides["connections"] = tuple(args.connections)
    if args.rounds:
        overrides["rounds"] = args.rounds
    if args.matrix_only:
        overrides.update(probe_connections=0, high_connections=0, storm_rounds=0)
    profile = replace(profile, **overrides)  # type: ignore[arg-type]
    generator = pick_generator(args.generator)
    raise_open_files_limit()
    print(f"bench profile {profile.name}, load generator {generator}", flush=True)
    results = run_benchmarks(
        profile,
        args.output_dir,
        generator,
        server_cpus,
        quiet_logs=args.quiet_logs,
        raw_dir=args.raw_dir,
    )
    json_path, markdown_path, picture_path = write_results(results, args.output_dir)
    print("\n".join(ratio_lines(results)), flush=True)
    print(f"wrote {json_path}, {markdown_path} and {picture_path}")
    return 0
