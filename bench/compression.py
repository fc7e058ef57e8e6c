"""How much compressing the BFF's answers saves, and what it costs per request.

Runs the simulator and a BFF on 127.0.0.1 (ephemeral ports), fetches the real identity bodies of
a few screens and of the NDJSON export, then compresses each with every coding at several levels
(the NDJSON export per page, with a flush per page, as the BFF sends it), timing process CPU.
Prints a Markdown table: bytes, share saved and CPU microseconds per request. Bounded: a fixed
number of repetitions per cell (``--repeat``), a few seconds in all.

    python -m bench.compression [--repeat 200] [--output bench/results/compression.md]
"""

from __future__ import annotations

import argparse
import gzip
import time
import zlib
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import brotli  # type: ignore[import-untyped]
import httpx
import zstandard

from bff.app import create_app
from bff.compression import install_compression
from bff.settings import Settings
from simulator import BackgroundServer, create_simulator_app

SCREENS = ("/v1/home", "/v1/search?q=a", "/v1/users/1/profile", "/v1/products/1")
EXPORT = "/v1/export/products.ndjson"
PAGE_SIZE = 50
LEVELS: dict[str, tuple[int, ...]] = {
    "gzip": (1, 4, 6, 9),
    "br": (1, 2, 3, 4, 5, 9, 11),
    "zstd": (1, 3, 6, 12),
}

Compress = Callable[[Sequence[bytes]], int]


def compressor(coding: str, level: int) -> Compress:
    """Compress the chunks as one stream, flushing after each (as the BFF sends the export);
    return the compressed size."""
    if coding == "gzip":

        def run_gzip(chunks: Sequence[bytes]) -> int:
            if len(chunks) == 1:
                return len(gzip.compress(chunks[0], compresslevel=level))
            encoder = zlib.compressobj(level, zlib.DEFLATED, 31)
            size = sum(
                len(encoder.compress(c)) + len(encoder.flush(zlib.Z_SYNC_FLUSH)) for c in chunks
            )
            return size + len(encoder.flush())

        return run_gzip
    if coding == "br":

        def run_br(chunks: Sequence[bytes]) -> int:
            if len(chunks) == 1:
                return len(brotli.compress(chunks[0], quality=level))
            encoder = brotli.Compressor(quality=level)
            size = sum(len(encoder.process(c)) + len(encoder.flush()) for c in chunks)
            return size + len(encoder.finish())

        return run_br

    def run_zstd(chunks: Sequence[bytes]) -> int:
        codec = zstandard.ZstdCompressor(level=level)
        if len(chunks) == 1:
            return len(codec.compress(chunks[0]))
        encoder = codec.compressobj()
        size = sum(
            len(encoder.compress(c)) + len(encoder.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK))
            for c in chunks
        )
        return size + len(encoder.flush())

    return run_zstd


@dataclass(frozen=True)
class Row:
    body: str
    identity: int
    coding: str
    level: int
    size: int
    cpu_us: float

    @property
    def saved(self) -> float:
        return 1 - self.size / self.identity


def fetch_bodies() -> dict[str, list[bytes]]:
    """Each body as the BFF sends it: one chunk per screen, one per export page."""
    with BackgroundServer(create_simulator_app()) as simulator:
        settings = Settings(
            _env_file=None,
            downstream_url=simulator.url,
            export_page_size=PAGE_SIZE,
            compression_enabled=False,
        )
        with (
            BackgroundServer(create_app(settings)) as bff,
            httpx.Client(base_url=bff.url, timeout=30) as client,
        ):
            bodies = {path: [client.get(path).raise_for_status().content] for path in SCREENS}
            with client.stream("GET", EXPORT) as response:
                lines = b"".join(response.iter_bytes()).splitlines(keepends=True)
            bodies[EXPORT] = [
                b"".join(lines[i : i + PAGE_SIZE]) for i in range(0, len(lines), PAGE_SIZE)
            ]
    return bodies


END_TO_END: tuple[tuple[str, int | None], ...] = (
    ("identity", None),  # compression off
    ("gzip", 1),
    ("gzip", 6),
    ("br", 1),
    ("br", 3),
    ("br", 4),
    ("br", 5),
    ("zstd", 1),
    ("zstd", 3),
)


def end_to_end(requests: int, rounds: int = 10) -> list[tuple[str, int | None, float, int]]:
    """CPU per request of a whole round trip of `/v1/home` (cache warm) through real BFFs on
    loopback sockets, in this process (server threads and client together, so the differences
    between rows are the server's compression); bodies are read raw. The variants take turns,
    `rounds` times, so that a change of the machine's load hits all alike. Unlike the codec
    table, this includes what a call costs inside a busy server rather than in a tight loop."""
    with ExitStack() as stack:
        simulator = stack.enter_context(BackgroundServer(create_simulator_app()))
        clients = []
        for coding, level in END_TO_END:
            settings = Settings(
                _env_file=None,
                downstream_url=simulator.url,
                cache_enabled=True,
                compression_enabled=False,
            )
            app = create_app(settings)
            if level is not None:
                levels = {"gzip": "gzip_level", "br": "brotli_quality", "zstd": "zstd_level"}
                install_compression(
                    app, minimum_size=settings.compression_min_size, **{levels[coding]: level}
                )
            bff = stack.enter_context(BackgroundServer(app))
            client = stack.enter_context(
                httpx.Client(base_url=bff.url, timeout=30, headers={"Accept-Encoding": coding})
            )
            clients.append(client)

        def once(client: httpx.Client) -> int:
            with client.stream("GET", "/v1/home") as response:
                return len(b"".join(response.iter_raw()))

        sizes = [once(client) for client in clients]
        for client in clients:
            for _ in range(50):  # warm: the cache, the pools, the codecs
                once(client)
        cpu = [0.0] * len(clients)
        per_round = max(1, requests // rounds)
        for _ in range(rounds):
            for index, client in enumerate(clients):
                started = time.process_time()
                for _ in range(per_round):
                    once(client)
                cpu[index] += time.process_time() - started
    done = per_round * rounds
    return [
        (coding, level, cpu[i] / done * 1e6, sizes[i])
        for i, (coding, level) in enumerate(END_TO_END)
    ]


def end_to_end_report(results: list[tuple[str, int | None, float, int]]) -> str:
    base = results[0][2]
    lines = [
        "\n## `/v1/home` end to end (cache warm, one process)\n",
        "| coding | level | bytes on the wire | CPU µs per request | over identity |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {coding} | {'' if level is None else level} | {size:,} | {cpu:,.0f} | "
        f"{cpu - base:+,.0f} |"
        for coding, level, cpu, size in results
    ]
    return "\n".join(lines) + "\n"


def measure(bodies: dict[str, list[bytes]], repeat: int) -> list[Row]:
    rows = []
    for path, chunks in bodies.items():
        identity = sum(len(chunk) for chunk in chunks)
        runs = max(1, repeat // len(chunks)) if len(chunks) > 1 else repeat
        for coding, levels in LEVELS.items():
            for level in levels:
                run = compressor(coding, level)
                size = run(chunks)  # warm-up, and the size
                started = time.process_time()
                for _ in range(runs):
                    run(chunks)
                cpu = (time.process_time() - started) / runs
                rows.append(Row(path, identity, coding, level, size, cpu * 1e6))
    return rows


HEADING = (
    "# Compression: bytes and CPU per request\n\n"
    "Written by `make bench-compression` (`bench/compression.py`): each body compressed by each "
    "coding and level, CPU as process time per compression, the mean over the repetitions; the "
    f"NDJSON export flushed per {PAGE_SIZE}-product page, as the BFF sends it.\n\n"
)


def report(rows: list[Row]) -> str:
    lines = [
        "| body | identity bytes | coding | level | bytes | saved | CPU µs per request |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| `{row.body}` | {row.identity:,} | {row.coding} | {row.level} | {row.size:,} "
            f"| {row.saved:.1%} | {row.cpu_us:,.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="compressions per cell")
    parser.add_argument("--output", type=Path, default=None, help="also write the table here")
    parser.add_argument("--requests", type=int, default=500, help="round trips per variant")
    args = parser.parse_args(argv)
    table = report(measure(fetch_bodies(), args.repeat)) + end_to_end_report(
        end_to_end(args.requests)
    )
    print(table, end="")
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(HEADING + table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
