"""The repository holds sources, not what a run leaves behind: no tracked file over 300 KB but the
images listed here, and no server logs or profiler output (bench/ writes those to bench/out/,
which git ignores)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
LIMIT_BYTES = 300 * 1024
# Pictures the docs show that may be larger than the limit; none is today.
LARGE_IMAGES: frozenset[str] = frozenset()
RUN_OUTPUTS = ("logs/", "bench/out/", "bench/results/logs/")


def tracked_files() -> list[str]:
    done = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30
    )
    return [name for name in done.stdout.decode().split("\0") if name]


def test_no_tracked_file_is_over_the_limit_but_a_listed_image() -> None:
    files = tracked_files()
    large = [
        name
        for name in files
        if (ROOT / name).is_file() and (ROOT / name).stat().st_size > LIMIT_BYTES
    ]

    assert files
    assert sorted(set(large) - LARGE_IMAGES) == []
    assert all(name.endswith((".png", ".svg", ".webp")) for name in LARGE_IMAGES)


def test_no_log_or_profiler_output_is_tracked() -> None:
    leftovers = [
        name
        for name in tracked_files()
        if name.startswith(RUN_OUTPUTS) or name.endswith((".log", ".raw.txt"))
    ]

    assert leftovers == []


def test_the_bench_raw_folder_is_ignored() -> None:
    paths = ["bench/out/profile.raw.txt", "bench/out/logs/bff.log"]
    done = subprocess.run(
        ["git", "check-ignore", *paths], cwd=ROOT, capture_output=True, text=True, timeout=30
    )

    assert done.stdout.split() == paths
