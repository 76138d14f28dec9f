"""Chart geometry for the site's inline SVG: where every point, band, bar and tick goes.
The markup itself is templates/charts.html (Jinja2 macros), so a chart is plain SVG in the
page: no script, nothing fetched, a `<title>` on every point for its value on hover.

A period still running (its rate is to date, per elapsed week) is drawn apart: a dashed
segment to a hollow marker, and "to date" under its label, never as a closed period.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
ORG_COLOR = "#222222"
LEVEL_COLORS = ("#d9d9d9", "#bae4bc", "#7bccc4", "#43a2ca", "#0868ac", "#084081", "#041f40")
UNRATED_COLOR = "#b8bcc2"  # grey: not on the ladder
TIER_COLORS = {"elite": "#d7f0dd", "high": "#e8f4d6", "medium": "#fdf1cf", "low": "#fbe0dc"}


def color_of(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def level_color(level: int | None) -> str:
    if level is None:
        return UNRATED_COLOR
    return LEVEL_COLORS[max(0, min(level - 1, len(LEVEL_COLORS) - 1))]


def nice_scale(value: float, ticks: int = 5) -> tuple[float, float]:
    """(axis top, tick step) for values up to `value`: the step is 1, 2, 2.5 or 5 times a
    power of ten, the top a whole number of steps (about `ticks` of them)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0, 0.25
    raw = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return step * math.ceil(value / step - 1e-9), step


def short_period(label: str) -> str:
    """'2026-Q3' -> "Q3 '26" so eight quarters fit under a small chart."""
    if len(label) == 7 and label[4:6] == "-Q":
        return f"{label[5:]} '{label[2:4]}"
    return label


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str
    dashed: bool = False


@dataclass(frozen=True)
class Band:
    """A tier's value range: drawn behind the lines, named at the right edge."""

    name: str
    lower: float | None  # None: from 0
    upper: float | None  # None: no limit


@dataclass
class Point:
    x: float
    y: float
    title: str
    open: bool  # the period is still running
    color: str


@dataclass
class Line:
    name: str
    color: str
    dashed: bool
    closed_paths: list[str]  # polylines between closed periods
    open_paths: list[str]  # the dashed segment into a running period
    points: list[Point]


@dataclass
class Chart:
    """Everything templates/charts.html needs to draw a line chart."""

    title: str
    width: int
    height: int
    left: int
    top: int
    plot_w: float
    plot_h: float
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_ticks: list[tuple[float, str, bool]] = field(default_factory=list)  # x, label, open
    bands: list[tuple[float, float, str, str]] = field(default_factory=list)  # y, h, name, fill
    lines: list[Line] = field(default_factory=list)
    legend: list[tuple[str, str, bool]] = field(default_factory=list)  # name, color, dashed
    empty: bool = False


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    y_format: Callable[[float], str],
    open_last: bool = False,
    bands: Sequence[Band] = (),
    y_unit: float = 1.0,
    y_top: float | None = None,
    legend: bool = False,
    width: int = 330,
    height: int = 200,
    point_format: Callable[[float], str] | None = None,
) -> Chart:
    """A small multi-series line chart over periods. `open_last`: the last period is still
    running. `y_unit`: the axis is rounded in multiples of it (24 for hours shown as days);
    `y_top`: the axis reaches at least this (1.0 for a share). Tier bands are clipped to
    the axis. `point_format`: a point's value on hover, when it reads unlike a tick."""
    left, right, top = 48, 44 if bands else 10, 30
    bottom = 40 + (16 if legend else 0)
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    highest = max([*values, y_top or 0.0], default=0.0)
    axis_top, axis_step = nice_scale(highest / y_unit)
    y_max, y_step = axis_top * y_unit, axis_step * y_unit
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return left + plot_w * (i + 0.5) / n

    def y(v: float) -> float:
        return top + plot_h - plot_h * min(max(v, 0.0), y_max) / y_max

    chart = Chart(title, width, height, left, top, plot_w, plot_h, empty=not values)
    chart.y_ticks = [
        (y(y_step * k), y_format(y_step * k)) for k in range(round(y_max / y_step) + 1)
    ]
    step = max(1, math.ceil(n / 6))
    for i, label in enumerate(labels):
        if (n - 1 - i) % step == 0:  # counted back from the latest period, always labelled
            chart.x_ticks.append((x(i), short_period(label), open_last and i == n - 1))
    for band in bands:
        low = band.lower or 0.0
        high = y_max if band.upper is None else min(band.upper, y_max)
        if low >= y_max or high <= low:
            continue
        chart.bands.append((y(high), y(low) - y(high), band.name, _band_fill(band.name)))
    for s in series:
        chart.lines.append(_line(s, labels, x, y, point_format or y_format, open_last))
        if legend:
            chart.legend.append((s.name, s.color, s.dashed))
    return chart


def _band_fill(name: str) -> str:
    return TIER_COLORS.get(name, "#f0f0f0")


def _line(
    s: Series,
    labels: Sequence[str],
    x: Callable[[int], float],
    y: Callable[[float], float],
    y_format: Callable[[float], str],
    open_last: bool,
) -> Line:
    last = len(labels) - 1
    points = [(i, v) for i, v in enumerate(s.values) if v is not None]
    closed: list[list[tuple[int, float]]] = []
    for i, v in points:
        if open_last and i == last:
            continue
        if closed and closed[-1][-1][0] == i - 1:
            closed[-1].append((i, v))
        else:
            closed.append([(i, v)])
    open_paths = []
    if open_last and points and points[-1][0] == last and len(points) > 1:
        (i0, v0), (i1, v1) = points[-2], points[-1]
        if i0 == last - 1:
            open_paths.append(f"{x(i0):.1f},{y(v0):.1f} {x(i1):.1f},{y(v1):.1f}")
    return Line(
        s.name,
        s.color,
        s.dashed,
        [" ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in seg) for seg in closed if len(seg) > 1],
        open_paths,
        [
            Point(
                x(i),
                y(v),
                f"{s.name} · {labels[i]}{' (to date)' if open_last and i == last else ''}: "
                f"{y_format(v)}",
                open_last and i == last,
                s.color,
            )
            for i, v in points
        ],
    )


@dataclass
class Bars:
    """A stacked bar chart of shares (levels per quarter)."""

    title: str
    width: int
    height: int
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    bars: list[tuple[float, float, str, list[tuple[float, float, str, str]]]] = field(
        default_factory=list
    )  # x, width, label, segments (y, h, color, title)
    legend: list[tuple[float, str, str]] = field(default_factory=list)  # x, color, name


def stacked_bars(
    categories: Sequence[str],
    stacks: Sequence[tuple[str, str]],
    counts: dict[str, dict[str, int]],
    *,
    title: str,
    unit: str,
    open_last: bool = False,
    width: int = 640,
    height: int = 250,
) -> Bars:
    """One bar per category (a quarter), split into stacks (levels): shares of the total."""
    left, right, top, bottom = 40, 10, 26, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(categories), 1)
    bar_w = plot_w / n * 0.7
    chart = Bars(title, width, height)
    for k in range(5):
        chart.y_ticks.append((top + plot_h - plot_h * k / 4, f"{k * 25}%"))
    for i, category in enumerate(categories):
        by_stack = counts.get(category, {})
        total = sum(by_stack.values())
        x0 = left + plot_w * i / n + (plot_w / n - bar_w) / 2
        base = top + plot_h
        segments = []
        for name, color in stacks:
            count = by_stack.get(name, 0)
            if not total or not count:
                continue
            h = plot_h * count / total
            base -= h
            segments.append(
                (
                    base,
                    h,
                    color,
                    f"{category} · {name}: {count} {unit} ({100 * count / total:.0f}%)",
                )
            )
        label = short_period(category) + (" (to date)" if open_last and i == n - 1 else "")
        chart.bars.append((x0, bar_w, label, segments))
    legend_x = float(left)
    for name, color in stacks:
        chart.legend.append((legend_x, color, name))
        legend_x += 14 + 7 * len(name) + 14
    return chart
