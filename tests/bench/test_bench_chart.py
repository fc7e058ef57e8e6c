"""The benchmark picture: the right figures per load point, each set against the reference
baseline, and a PNG written beside the results (drawn from a results JSON, no load run here)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from bench.chart import REFERENCE, draw, panels
from bench.report import RESULT_NAMES


def _run(
    variant: str, delay_ms: int, connections: int, rps: float, cpu: float | None
) -> dict[str, Any]:
    return {
        "variant": variant,
        "delay_ms": delay_ms,
        "connections": connections,
        "requests": int(rps * 4),
        "rps": rps,
        "cpu_ms_per_request": cpu,
    }


RESULTS: dict[str, Any] = {
    "profile": "smoke",
    "started": "2026-11-29T12:00:00Z",
    "machine": {"nproc": 2},
    "variants": {"bff-aiohttp": "BFF", REFERENCE: "(c) aiohttp", "d-static": "(d) `static`"},
    "runs": [
        _run("bff-aiohttp", 0, 64, 300, 3.0),
        _run(REFERENCE, 0, 64, 600, 1.5),
        _run("d-static", 0, 64, 6000, 0.1),
        _run("bff-aiohttp", 50, 512, 250, 4.0),
        _run(REFERENCE, 50, 512, 500, 2.0),
        _run("d-static", 50, 512, 0, None),
    ],
}


def test_each_load_point_has_a_throughput_and_a_cpu_panel() -> None:
    drawn = panels(RESULTS)

    assert [(p.delay_ms, p.connections, p.metric) for p in drawn] == [
        (0, 64, "throughput"),
        (0, 64, "CPU per request"),
        (50, 512, "throughput"),
        (50, 512, "CPU per request"),
    ]
    assert [bar.variant for bar in drawn[0].bars] == ["bff-aiohttp", REFERENCE, "d-static"]


def test_bars_are_divided_by_the_reference_at_the_same_load_point() -> None:
    throughput, cpu, throughput_50, _ = panels(RESULTS)

    bff = {bar.variant: bar for bar in throughput.bars}["bff-aiohttp"]
    assert (bff.value, bff.ratio) == (300, pytest.approx(0.5))
    assert {bar.variant: bar.ratio for bar in cpu.bars}["bff-aiohttp"] == pytest.approx(2.0)
    assert {bar.variant: bar.ratio for bar in throughput_50.bars}[REFERENCE] == pytest.approx(1)


def test_a_variant_that_answered_nothing_has_no_bar_and_no_ratio() -> None:
    throughput_50 = panels(RESULTS)[2]

    static = {bar.variant: bar for bar in throughput_50.bars}["d-static"]
    assert (static.value, static.ratio) == (None, None)


def test_labels_lose_their_markdown() -> None:
    assert panels(RESULTS)[0].bars[2].label == "(d) static"


def test_the_picture_is_a_png(tmp_path: Path) -> None:
    path = draw(RESULTS, tmp_path / "smoke.png")

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 800
    assert height > 300


def test_the_benchmarks_page_shows_the_full_run_s_picture() -> None:
    root = Path(__file__).resolve().parents[2]
    hook = (root / "docs" / "hooks" / "reference.py").read_text()
    page = (root / "docs" / "benchmarks.md").read_text()

    # The docs hook adds the committed chart to the site under assets/bench/, where the page
    # links it (the site is built from docs/, which the chart is not in).
    assert f'"bench" / "results" / "{RESULT_NAMES["full"]}.png"' in hook
    assert 'CHART_URI = "assets/bench/latest.png"' in hook
    assert "](assets/bench/latest.png)" in page
