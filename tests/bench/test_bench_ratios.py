"""The headline ratios a bench run prints: the BFF's CPU per request against the typed baseline
(t), and the warm cached screen against the same process's /healthz (no load run here)."""

from __future__ import annotations

from bench.load import LoadResult
from bench.report import (
    CACHED_KEY,
    HEALTHZ_KEY,
    TYPED_KEY,
    Results,
    Run,
    markdown,
    median_runs,
    ratio_lines,
    reference_ratios,
    round_ratios,
)


def _run(variant: str, requests: int, cpu_s: float, connections: int = 64) -> Run:
    load = LoadResult(requests, 4.0, 10.0, 20.0, 30.0, 0, 0, 0, 0, 0, 0)
    return Run.of(variant, 0, connections, load, cpu_s, 0.0, 0)


def _results(runs: list[Run]) -> Results:
    return Results(
        profile="smoke",
        generator="wrk",
        machine={
            "nproc": 2,
            "cpu_model": "test",
            "kernel": "6",
            "python": "3.11",
            "load_average_at_end": [0.0],
            "load_generator": "wrk",
        },
        started=0.0,
        elapsed_s=1.0,
        duration_s=4.0,
        warmup_s=1.0,
        default_variant="bff-aiohttp",
        labels={},
        runs=runs,
    )


def test_ratios_per_load_point() -> None:
    results = _results(
        [
            _run("bff-aiohttp", 1000, 2.0),  # 2 ms per request
            _run(TYPED_KEY, 2000, 1.0),  # 0.5 ms
            _run(CACHED_KEY, 4000, 2.0),  # 0.5 ms
            _run(HEALTHZ_KEY, 8000, 2.0),  # 0.25 ms
            _run("bff-aiohttp", 1000, 3.0, connections=512),  # (t) not run at this point
        ]
    )

    first, second = reference_ratios(results)

    assert (first.bff_vs_typed, first.cached_vs_healthz_cpu, first.cached_vs_healthz_rps) == (
        4.0,
        2.0,
        0.5,
    )
    assert (second.connections, second.bff_vs_typed, second.cached_vs_healthz_cpu) == (
        512,
        None,
        None,
    )
    lines = ratio_lines(results)
    assert "= 4.00x" in lines[1]
    assert "= 2.00x (req/s 0.50x)" in lines[1]
    assert "= -;" in lines[2]
    assert results.to_json()["ratios"][0]["bff_cpu_vs_typed"] == 4.0
    assert "## Headline ratios" in markdown(results)


def test_rounds_give_the_median_run_and_each_round_its_own_ratios() -> None:
    rounds = [
        _run("bff-aiohttp", 1000, 2.0),
        _run(TYPED_KEY, 1000, 1.0),
        _run("bff-aiohttp", 1000, 9.0),  # a disturbed round
        _run(TYPED_KEY, 1000, 1.5),
        _run("bff-aiohttp", 1000, 3.0),
        _run(TYPED_KEY, 0, 0.0),  # answered nothing: counts as the most expensive
    ]
    results = _results(median_runs(rounds))
    results.rounds = rounds

    (ratio,) = reference_ratios(results)
    per_round = round_ratios(results)
    lines = ratio_lines(results)

    assert (ratio.bff_cpu_ms, ratio.typed_cpu_ms) == (3.0, 1.5)
    assert [ratios[0].bff_vs_typed for ratios in per_round] == [2.0, 6.0, None]
    assert "medians of 3 rounds" in lines[0]
    assert [line for line in lines if line.startswith(" round")] == [
        " round 1:",
        " round 2:",
        " round 3:",
    ]
