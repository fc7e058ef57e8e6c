"""The benchmark summary as a picture: req/s and CPU per request of every variant, per load point.

Tables hold every figure; the picture answers the first question at a glance: how the BFF
compares with each baseline at each downstream delay and concurrency. One row of panels per
load point, req/s on the left, CPU ms per request on the right, one bar per variant on a log
scale (the variants span two orders of magnitude), each labelled with its value and its ratio to
the reference baseline.

It is drawn from the results JSON (what ``write_results`` writes), so a past run can be redrawn
without running it again: ``python -m bench.chart bench/results/latest.json``. matplotlib comes
with the ``bench`` extra only; the service and its tests never import this module.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import BASELINE_KEYS

REFERENCE = BASELINE_KEYS["t"]
"""The baseline every bar is divided by: (t), an aiohttp session and ``asyncio.gather`` with
Pydantic models in and out and bytes out, the least a typed endpoint making the same four calls
can cost. (c) is not it: it returns dicts through ``jsonable_encoder``, which doubles its CPU."""

BFF_COLOUR = "#1f6fb4"
REFERENCE_COLOUR = "#e07b1a"
BASELINE_COLOUR = "#9a9a9a"


@dataclass(frozen=True)
class Bar:
    variant: str
    label: str
    value: float | None
    """None when the variant answered nothing at this load point."""
    ratio: float | None
    """``value`` divided by the reference's value at the same load point."""


@dataclass(frozen=True)
class Panel:
    delay_ms: int
    connections: int
    metric: str
    unit: str
    bars: list[Bar]


METRICS = (("rps", "throughput", "req/s"), ("cpu_ms_per_request", "CPU per request", "ms"))


def panels(results: dict[str, Any], reference: str = REFERENCE) -> list[Panel]:
    """The figures to draw, per load point and metric, in the runs' order of variants."""
    labels: dict[str, str] = results.get("variants", {})
    points = sorted({(run["delay_ms"], run["connections"]) for run in results["runs"]})
    out = []
    for delay_ms, connections in points:
        runs = [
            run
            for run in results["runs"]
            if (run["delay_ms"], run["connections"]) == (delay_ms, connections)
        ]
        for key, title, unit in METRICS:
            values = {run["variant"]: _value(run, key) for run in runs}
            theirs = values.get(reference)
            bars = [
                Bar(
                    variant,
                    labels.get(variant, variant).replace("`", ""),
                    value,
                    value / theirs if value is not None and theirs else None,
                )
                for variant, value in values.items()
            ]
            out.append(Panel(delay_ms, connections, title, unit, bars))
    return out


def _value(run: dict[str, Any], key: str) -> float | None:
    if not run.get("requests"):
        return None
    value = run.get(key)
    return float(value) if isinstance(value, int | float) and value > 0 else None


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def draw(results: dict[str, Any], path: Path, reference: str = REFERENCE) -> Path:
    """Write the picture to ``path`` (PNG) and return it."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    drawn = panels(results, reference)
    rows = max(1, len(drawn) // len(METRICS))
    bars_per_panel = max((len(panel.bars) for panel in drawn), default=1)
    figure, axes = plt.subplots(
        rows,
        len(METRICS),
        figsize=(15, 1.4 + rows * (0.4 * bars_per_panel + 0.8)),
        squeeze=False,
        layout="constrained",
    )
    reference_label = results.get("variants", {}).get(reference, reference)
    for index, panel in enumerate(drawn):
        axis = axes[index // len(METRICS)][index % len(METRICS)]
        _draw_panel(axis, panel, reference, show_labels=index % len(METRICS) == 0)
    machine = results.get("machine", {})
    figure.suptitle(
        f"GET /v1/users/1/profile: the BFF against its baselines "
        f"(profile {results.get('profile', '?')}, {results.get('started', '')}, "
        f"{machine.get('nproc', '?')} CPUs)\n"
        f"bars on a log scale; Nx = the variant's figure ÷ {reference_label}'s; "
        "higher req/s and lower CPU are better",
        fontsize=11,
    )
    figure.legend(
        handles=[
            Patch(color=BFF_COLOUR, label="the BFF"),
            Patch(color=REFERENCE_COLOUR, label=f"{reference_label} (the reference)"),
            Patch(color=BASELINE_COLOUR, label="the other baselines"),
        ],
        loc="outside lower center",
        ncols=3,
        fontsize=9,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path


def _draw_panel(axis: Any, panel: Panel, reference: str, *, show_labels: bool) -> None:
    from matplotlib.ticker import NullLocator

    bars = list(reversed(panel.bars))  # matplotlib draws the first bar at the bottom
    values = [bar.value or 0.0 for bar in bars]
    colours = [
        BFF_COLOUR
        if bar.variant.startswith("bff")
        else REFERENCE_COLOUR
        if bar.variant == reference
        else BASELINE_COLOUR
        for bar in bars
    ]
    positions = range(len(bars))
    axis.barh(positions, values, color=colours)
    axis.set_xscale("log")
    # Decades are enough to read a log scale; minor ticks cost most of the drawing time.
    axis.xaxis.set_minor_locator(NullLocator())
    present = [value for value in values if value > 0]
    if present:
        # Room on the right for the labels.
        axis.set_xlim(min(present) / 2, max(present) * 12)
    axis.set_yticks(list(positions))
    axis.set_yticklabels([bar.label for bar in bars] if show_labels else [], fontsize=9)
    axis.set_title(
        f"{panel.metric} ({panel.unit}): downstream delay {panel.delay_ms} ms, "
        f"{panel.connections} connections",
        fontsize=10,
    )
    axis.grid(axis="x", which="major", alpha=0.3)
    for position, bar in zip(positions, bars, strict=True):
        if bar.value is None:
            text = "answered nothing"
            anchor = min(present) if present else 1.0
        else:
            ratio = "" if bar.ratio is None else f"  {bar.ratio:.2f}x"
            text = f"{_number(bar.value)} {panel.unit}{ratio}"
            anchor = bar.value
        axis.text(anchor * 1.08, position, text, va="center", fontsize=8)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.chart", description="Redraw a results JSON's summary picture."
    )
    parser.add_argument("results", type=Path, help="a results JSON, e.g. bench/results/latest.json")
    parser.add_argument("--output", type=Path, help="PNG to write (default: beside the JSON)")
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    path = draw(results, args.output or args.results.with_suffix(".png"))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
