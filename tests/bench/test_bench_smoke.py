"""A smoke run of ``make bench``: the whole runner, tiny durations, checked for shape, not speed.

The full benchmark never decides whether the suite passes; this only proves it still runs end to
end (servers, load generator, /proc CPU, targets, JSON, Markdown and the picture) and that
nothing it drove answered with an error. wrk must be installed (``make test`` installs it, as
``make bench`` does).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def _bench(output_dir: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "bench", "--profile", "smoke"),
            *("--output-dir", str(output_dir), "--raw-dir", str(output_dir / "raw"), *args),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results: dict[str, Any] = json.loads((output_dir / "smoke.json").read_text())
    return results


def _assert_clean_run(run: dict[str, Any]) -> None:
    assert run["requests"] > 0, run
    assert run["non_2xx"] == run["partial"] == run["server_exceptions"] == 0, run
    for key in ("rps", "p50_ms", "p99_ms", "cpu_ms_per_request"):
        assert isinstance(run[key], int | float), (key, run)
        assert math.isfinite(run[key]), (key, run)
        assert run[key] >= 0, (key, run)


def test_a_smoke_run_with_wrk_writes_complete_results(tmp_path: Path) -> None:
    results = _bench(tmp_path, "--generator", "wrk")

    assert results["profile"] == "smoke"
    assert results["machine"]["load_generator"].startswith("wrk")
    assert results["machine"]["nproc"] >= 1
    variants = {run["variant"] for run in results["runs"]}
    assert {results["default_variant"], "b-httpx", "c-aiohttp", "t-typed", "d-static"} <= variants
    assert {"bff-cached", "bff-healthz"} <= variants
    for run in [*results["runs"], *results["probes"], results["high_concurrency"]]:
        _assert_clean_run(run)
    runs = {run["variant"]: run for run in results["runs"]}
    assert runs[results["default_variant"]]["downstream_calls"] > 0, "the cache is off there"
    assert runs["bff-cached"]["downstream_calls"] == 0, "warm: every measured request a hit"
    assert results["high_concurrency"]["passed"] is True, results["high_concurrency"]
    assert [storm["transport"] for storm in results["cancellation_storm"]] == [
        "aiohttp",
        "httpcore",
    ]
    targets = {target["target"] for target in results["targets"]}
    assert any(target.startswith("CPU per request") for target in targets)
    assert any(target.startswith("throughput") for target in targets)
    assert any(target.startswith("cache enabled") for target in targets), "the cached target"
    (ratio,) = results["ratios"]
    assert ratio["bff_cpu_vs_typed"] > 0, "the BFF against the typed baseline (t)"
    assert ratio["cached_cpu_vs_healthz"] > 0
    markdown = (tmp_path / "smoke.md").read_text()
    assert markdown.startswith("# Benchmark results")
    assert "| variant | req/s | p50 ms |" in markdown
    assert "## The cache" in markdown
    assert "## Targets" in markdown
    picture = (tmp_path / "smoke.png").read_bytes()
    assert picture.startswith(b"\x89PNG\r\n\x1a\n"), "the summary picture beside the tables"


def test_the_python_load_generator_stands_in_for_wrk(tmp_path: Path) -> None:
    results = _bench(tmp_path, "--generator", "python", "--variants", "d-static", "--matrix-only")

    assert results["load_generator"] == "python"
    (run,) = results["runs"]
    _assert_clean_run(run)
