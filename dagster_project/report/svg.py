"""Inline SVG charts for the static report: plain markup, no scripts, no external resources.

Every data point carries a `<title>`, so hovering shows its value in any browser.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
ORG_COLOR = "#222222"
LEVEL_COLORS = ("#d9d9d9", "#bae4bc", "#7bccc4", "#43a2ca", "#0868ac", "#084081", "#041f40")


def color_of(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


UNRATED_COLOR = "#b8bcc2"  # grey: not on the ladder


def level_color(level: int | None) -> str:
    if level is None:
        return UNRATED_COLOR
    return LEVEL_COLORS[max(0, min(level - 1, len(LEVEL_COLORS) - 1))]


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def nice_scale(value: float, ticks: int = 5) -> tuple[float, float]:
    """(axis top, tick step) for values up to `value`: the step is 1, 2, 2.5 or 5 times a
    power of ten, the top a whole number of steps (about `ticks` of them)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0, 0.25
    raw = value / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return step * math.ceil(value / step - 1e-9), step


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str
    dashed: bool = False


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    y_format: Callable[[float], str],
    partial_last: bool = False,
    y_unit: float = 1.0,
    legend: bool = False,
    y_top: float | None = None,
    width: int = 320,
    height: int = 190,
) -> str:
    """A small multi-series line chart; a partial last period is drawn with open markers.
    `y_unit`: the axis is rounded in multiples of it (24 for hours shown as days); `y_top`:
    the axis reaches at least this value (1.0 for a share)."""
    legend_rows = _legend_rows([s.name for s in series], width - 46) if legend else []
    left, right, top, bottom = 46, 10, 32, 34 + 16 * len(legend_rows)
    height += 16 * max(len(legend_rows) - 1, 0)
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    highest = max([*values, y_top or 0.0]) if values or y_top else 0.0
    axis_top, axis_step = nice_scale(highest / y_unit)
    y_max, y_step = axis_top * y_unit, axis_step * y_unit
    n = len(x_labels)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n if n else 0)

    def y(v: float) -> float:
        return top + plot_h - plot_h * (v / y_max)

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="14" class="chart-title">{escape(title)}</text>',
    ]
    for k in range(round(y_max / y_step) + 1):
        v = y_step * k
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'class="grid"/><text x="{left - 4}" y="{y(v) + 3:.1f}" class="tick" '
            f'text-anchor="end">{escape(y_format(v))}</text>'
        )
    step = max(1, math.ceil(n / 6))
    for i, label in enumerate(x_labels):
        if (n - 1 - i) % step == 0:  # counted back from the latest period, always labelled
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 14}" class="tick" '
                f'text-anchor="middle">{escape(_short_period(label))}</text>'
            )
    by_name = {s.name: s for s in series}
    for row, names in enumerate(legend_rows):
        legend_x = left
        y_line = height - 16 * (len(legend_rows) - row) + 8
        for name in names:
            s = by_name[name]
            dash = ' stroke-dasharray="4 3"' if s.dashed else ""
            parts.append(
                f'<line x1="{legend_x}" x2="{legend_x + 16}" y1="{y_line}" y2="{y_line}" '
                f'stroke="{s.color}" stroke-width="2"{dash}/><text x="{legend_x + 20}" '
                f'y="{y_line + 4}" class="tick">{escape(name)}</text>'
            )
            legend_x += _legend_width(name)
    for s in series:
        points = [(i, v) for i, v in enumerate(s.values) if v is not None]
        segments: list[list[tuple[int, float]]] = []
        for i, v in points:
            if segments and segments[-1][-1][0] == i - 1:
                segments[-1].append((i, v))
            else:
                segments.append([(i, v)])
        dash = ' stroke-dasharray="4 3"' if s.dashed else ""
        for segment in segments:
            if len(segment) > 1:
                path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in segment)
                parts.append(
                    f'<polyline points="{path}" fill="none" stroke="{s.color}" '
                    f'stroke-width="2"{dash}/>'
                )
        for i, v in points:
            is_partial = partial_last and i == n - 1
            fill = "#ffffff" if is_partial else s.color
            note = " (to date)" if is_partial else ""
            parts.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.2" fill="{fill}" '
                f'stroke="{s.color}" stroke-width="1.5" class="point">'
                f"<title>{escape(s.name)} · {escape(x_labels[i])}{note}: "
                f"{escape(y_format(v))}</title></circle>"
            )
    if not values:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" class="tick" '
            'text-anchor="middle">no data</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend_width(name: str) -> int:
    return 20 + 6 * len(name) + 16  # marker, text at ~6 px a character, gap


def _legend_rows(names: Sequence[str], room: int) -> list[list[str]]:
    """Legend entries wrapped into rows that fit `room` pixels."""
    rows: list[list[str]] = [[]]
    used = 0
    for name in names:
        if rows[-1] and used + _legend_width(name) > room:
            rows.append([])
            used = 0
        rows[-1].append(name)
        used += _legend_width(name)
    return rows if rows[0] else []


def _short_period(label: str) -> str:
    """'2026-Q3' -> "Q3 '26" so eight quarters fit under a small chart."""
    if len(label) == 7 and label[4:6] == "-Q":
        return f"{label[5:]} '{label[2:4]}"
    return label


def stacked_bars(
    categories: Sequence[str],
    stacks: Sequence[tuple[str, str]],
    counts: dict[str, dict[str, int]],
    *,
    title: str,
    unit: str,
    partial_last: bool = False,
    width: int = 640,
    height: int = 240,
) -> str:
    """One bar per category (a quarter), split into stacks (levels): shares of the total."""
    left, right, top, bottom = 40, 10, 24, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(categories), 1)
    bar_w = plot_w / n * 0.7
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="14" class="chart-title">{escape(title)}</text>',
    ]
    for k in range(5):
        share = k / 4
        yy = top + plot_h - plot_h * share
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" class="grid"/>'
            f'<text x="{left - 4}" y="{yy + 3:.1f}" class="tick" text-anchor="end">'
            f"{int(share * 100)}%</text>"
        )
    for i, category in enumerate(categories):
        by_stack = counts.get(category, {})
        total = sum(by_stack.values())
        x0 = left + plot_w * i / n + (plot_w / n - bar_w) / 2
        base = top + plot_h
        for name, color in stacks:
            count = by_stack.get(name, 0)
            if not total or not count:
                continue
            h = plot_h * count / total
            base -= h
            parts.append(
                f'<rect x="{x0:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{color}" class="bar"><title>{escape(category)} · {escape(name)}: '
                f"{count} {escape(unit)} ({100 * count / total:.0f}%)</title></rect>"
            )
        label = _short_period(category) + (" *" if partial_last and i == n - 1 else "")
        parts.append(
            f'<text x="{x0 + bar_w / 2:.1f}" y="{height - bottom + 14}" class="tick" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    legend_x = left
    for name, color in stacks:
        parts.append(
            f'<rect x="{legend_x}" y="{height - 12}" width="10" height="10" fill="{color}"/>'
            f'<text x="{legend_x + 14}" y="{height - 3}" class="tick">{escape(name)}</text>'
        )
        legend_x += 14 + 7 * len(name) + 14
    parts.append("</svg>")
    return "".join(parts)


def strategy_map(
    links: Sequence[tuple[str, str]],
    perspectives: Sequence[str],
    perspective_of: dict[str, str],
    *,
    width: int = 820,
) -> str:
    """Objectives as boxes in one row per perspective (the first perspective on top, as in
    a Kaplan-Norton map), arrows from cause to effect. Objectives whose perspective is not
    known are placed by depth: effects above their causes."""
    objectives = list(dict.fromkeys([o for link in links for o in link]))
    rows: dict[str, int] = {}
    known = [p for p in perspectives]
    for objective in objectives:
        perspective = perspective_of.get(objective)
        if perspective in known:
            rows[objective] = known.index(perspective)
    if len(rows) < len(objectives):
        # depth from the top: an objective with no effect sits on the top row
        depth = {o: 0 for o in objectives}
        for _ in objectives:
            for cause, effect in links:
                depth[cause] = max(depth[cause], depth[effect] + 1)
        offset = len(known) if rows else 0
        for objective in objectives:
            rows.setdefault(objective, offset + depth[objective])
    row_ids = sorted(set(rows.values()))
    row_index = {r: i for i, r in enumerate(row_ids)}
    box_w, box_h, row_h, label_w = 150, 38, 78, 150
    height = 20 + row_h * len(row_ids)
    positions: dict[str, tuple[float, float]] = {}
    for r in row_ids:
        members = [o for o in objectives if rows[o] == r]
        span = (width - label_w - 20) / max(len(members), 1)
        for k, objective in enumerate(members):
            cx = label_w + span * (k + 0.5)
            cy = 20 + row_h * row_index[r] + box_h / 2
            positions[objective] = (cx, cy)
    parts = [
        f'<svg class="strategy-map" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
        "<title>Strategy map: cause and effect between objectives</title>",
        '<defs><marker id="stature-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
    ]
    for r in row_ids:
        name = known[r] if r < len(known) else "Objectives"
        yy = 20 + row_h * row_index[r]
        parts.append(
            f'<rect x="0" y="{yy - 8}" width="{width}" height="{row_h - 10}" '
            f'fill="{"#f6f8fa" if row_index[r] % 2 == 0 else "#ffffff"}"/>'
            f'<text x="8" y="{yy + box_h / 2 + 4:.1f}" class="tick">{escape(name)}</text>'
        )
    for cause, effect in links:
        (x1, y1), (x2, y2) = positions[cause], positions[effect]
        if y1 > y2:
            y1, y2 = y1 - box_h / 2, y2 + box_h / 2
        elif y1 < y2:
            y1, y2 = y1 + box_h / 2, y2 - box_h / 2
        else:
            x1, x2 = (
                (x1 + box_w / 2, x2 - box_w / 2) if x1 < x2 else (x1 - box_w / 2, x2 + box_w / 2)
            )
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#555" '
            f'stroke-width="1.5" marker-end="url(#stature-arrow)"><title>{escape(cause)} '
            f"drives {escape(effect)}</title></line>"
        )
    for objective, (cx, cy) in positions.items():
        parts.append(
            f'<g class="objective"><rect x="{cx - box_w / 2:.1f}" y="{cy - box_h / 2:.1f}" '
            f'width="{box_w}" height="{box_h}" rx="6" fill="#ffffff" stroke="#0072B2"/>'
            f'<text x="{cx:.1f}" y="{cy + 4:.1f}" text-anchor="middle" class="objective-label">'
            f"{escape(_fit(objective, 22))}</text><title>{escape(objective)}</title></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _fit(text: str, limit: int) -> str:
    text = text.replace("_", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
