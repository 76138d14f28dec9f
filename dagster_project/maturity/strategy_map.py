"""The strategy map: the config's cause -> effect links between objectives, drawn with
matplotlib as `<published_dir>/strategy_map.svg` and `.png` for the report.

One horizontal band per perspective, in the config's order from the top (Business Value
first, as in a Kaplan-Norton map); each objective is a box in its perspective's band, listing
the measures that name it (`objective:` in their header); an arrow runs from each cause to
its effect. An objective's perspective comes from its measures, else from
`balanced_scorecard.objectives`; objectives with neither sit in an "Other objectives" band.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dagster_project.config import StatureConfig

SVG_NAME = "strategy_map.svg"
PNG_NAME = "strategy_map.png"
OTHER = "Other objectives"
PERSPECTIVE_COLOURS = ("#e8f1fb", "#eaf6ec", "#fdf3e3", "#f3ecf8", "#f2f2f2")
BOX_COLOUR, EDGE_COLOUR, ARROW_COLOUR = "#ffffff", "#4a5b6d", "#33475b"


@dataclass
class MapLayout:
    """Where everything goes, before drawing (kept apart so tests can check it)."""

    bands: list[str]
    objectives: dict[str, str]  # objective -> band
    measures: dict[str, list[str]] = field(default_factory=dict)  # objective -> measure titles
    links: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def plan(config: StatureConfig, measures: Sequence[object] = ()) -> MapLayout:
    """Bands, objectives and links from the config and the measures (`bsc.Measure`s)."""
    bsc = config.balanced_scorecard
    placed: dict[str, str] = {}
    named: dict[str, list[str]] = {}
    warnings: list[str] = []
    for m in measures:
        header = m.header  # type: ignore[attr-defined]
        if header.objective:
            placed.setdefault(header.objective, header.perspective)
            named.setdefault(header.objective, []).append(header.title)
    for objective, perspective in bsc.objectives.items():
        placed.setdefault(objective, perspective)
    links = [(link.cause, link.effect) for link in bsc.strategy_map]
    for objective in dict.fromkeys(o for link in links for o in link):
        if objective not in placed:
            placed[objective] = OTHER
            warnings.append(
                f"strategy map objective '{objective}' has no perspective: name it in a "
                "measure's `objective:` or in balanced_scorecard.objectives"
            )
    bands = list(bsc.perspectives)
    for perspective in placed.values():
        if perspective not in bands and perspective != OTHER:
            warnings.append(
                f"perspective '{perspective}' is not in balanced_scorecard.perspectives"
            )
            bands.append(perspective)
    if OTHER in placed.values():
        bands.append(OTHER)
    return MapLayout(bands, placed, named, links, warnings)


def draw(layout: MapLayout, out_dir: Path, *, title: str = "Strategy map") -> list[Path]:
    """Write the SVG and the PNG (each replaced atomically); returns their paths."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    bands = [b for b in layout.bands if b in layout.objectives.values()] or layout.bands
    per_band = {b: [o for o, p in layout.objectives.items() if p == b] for b in bands}
    width, band_h, label_w = 100.0, 10.0, 14.0
    height = band_h * max(len(bands), 1)
    fig = Figure(figsize=(13, 1.9 * max(len(bands), 1) + 0.6))
    ax = fig.add_axes((0.005, 0.005, 0.99, 0.99 - 0.45 / fig.get_figheight()))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    fig.suptitle(title, x=0.01, ha="left", fontsize=13, fontweight="bold")

    centres: dict[str, tuple[float, float]] = {}
    box_w = {}
    box_h = band_h * 0.62
    for i, band in enumerate(bands):
        y0 = height - (i + 1) * band_h
        colour = PERSPECTIVE_COLOURS[i % len(PERSPECTIVE_COLOURS)]
        ax.add_patch(
            FancyBboxPatch(
                (0.3, y0 + 0.3),
                width - 0.6,
                band_h - 0.6,
                boxstyle="round,pad=0,rounding_size=0.8",
                fc=colour,
                ec="none",
            )
        )
        ax.text(
            1.2,
            y0 + band_h / 2,
            "\n".join(textwrap.wrap(band, 14)),
            va="center",
            ha="left",
            fontsize=10,
            fontweight="bold",
            color="#1f2d3d",
        )
        members = per_band[band]
        span = (width - label_w - 2) / max(len(members), 1)
        for k, objective in enumerate(members):
            cx, cy = label_w + span * (k + 0.5), y0 + band_h / 2
            w = min(span * 0.82, 28.0)
            centres[objective], box_w[objective] = (cx, cy), w
            ax.add_patch(
                FancyBboxPatch(
                    (cx - w / 2, cy - box_h / 2),
                    w,
                    box_h,
                    boxstyle="round,pad=0,rounding_size=0.6",
                    fc=BOX_COLOUR,
                    ec=EDGE_COLOUR,
                    lw=1.2,
                    zorder=3,
                )
            )
            lines = textwrap.wrap(objective, 30)
            measures = layout.measures.get(objective, [])
            ax.text(
                cx,
                cy + (0.9 if measures else 0),
                "\n".join(lines),
                ha="center",
                va="center" if not measures else "bottom",
                fontsize=9.5,
                fontweight="bold",
                color="#1f2d3d",
                zorder=4,
            )
            if measures:
                shown = measures[:3] + ([f"+{len(measures) - 3} more"] if len(measures) > 3 else [])
                ax.text(
                    cx,
                    cy + 0.6,
                    "\n".join(textwrap.shorten(t, 48, placeholder=" …") for t in shown),
                    ha="center",
                    va="top",
                    fontsize=7,
                    color="#4a5b6d",
                    zorder=4,
                )
    band_of = {o: bands.index(b) for o, b in layout.objectives.items() if b in bands}
    for (start, end), rad in _routes(layout.links, centres, box_w, box_h, band_of):
        ax.add_patch(
            FancyArrowPatch(
                start,
                end,
                arrowstyle="-|>",
                mutation_scale=14,
                lw=1.3,
                color=ARROW_COLOUR,
                connectionstyle=f"arc3,rad={rad:.3f}",
                zorder=5,
            )
        )
    written = []
    with matplotlib.rc_context({"svg.hashsalt": "stature", "svg.fonttype": "none"}):
        for name, kwargs in ((SVG_NAME, {"metadata": {"Date": None}}), (PNG_NAME, {"dpi": 110})):
            target = out_dir / name
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=out_dir)
            os.close(fd)
            try:
                fig.savefig(tmp, format=name.rsplit(".", 1)[1], **kwargs)
                os.chmod(tmp, 0o644)  # mkstemp makes it private; readers serve it
                os.replace(tmp, target)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            written.append(target)
    return written


def _spread(n: int, k: int, width: float) -> float:
    """The offset of the k-th of n arrow ends along an edge of `width` (0 for one)."""
    return 0.0 if n <= 1 else (k / (n - 1) - 0.5) * width * 0.6


def _routes(
    links: Sequence[tuple[str, str]],
    centres: dict[str, tuple[float, float]],
    box_w: dict[str, float],
    box_h: float,
    band_of: dict[str, int],
) -> list[tuple[tuple[tuple[float, float], tuple[float, float]], float]]:
    """Start, end and curvature of each arrow: ends spread along the box edges so arrows
    into one box do not meet in a point; an arrow that skips a band bends around the boxes
    between, through the gap beside them; arrows within a band arc over."""
    outgoing: dict[str, list[str]] = {}
    incoming: dict[str, list[str]] = {}
    for cause, effect in links:
        outgoing.setdefault(cause, []).append(effect)
        incoming.setdefault(effect, []).append(cause)
    for o in outgoing:
        outgoing[o].sort(key=lambda e: centres[e][0])
    for o in incoming:
        incoming[o].sort(key=lambda c: centres[c][0])
    routes = []
    for cause, effect in links:
        (x1, y1), (x2, y2) = centres[cause], centres[effect]
        if abs(y1 - y2) < 1e-9:
            sign = 1 if x2 > x1 else -1
            start = (x1 + sign * box_w[cause] / 2, y1)
            end = (x2 - sign * box_w[effect] / 2, y2)
            routes.append(((start, end), -0.3 * sign))
            continue
        up = 1 if y2 > y1 else -1
        dx1 = _spread(len(outgoing[cause]), outgoing[cause].index(effect), box_w[cause])
        dx2 = _spread(len(incoming[effect]), incoming[effect].index(cause), box_w[effect])
        skips = abs(band_of.get(cause, 0) - band_of.get(effect, 0)) > 1
        rad = 0.0
        if skips and abs(x1 - x2) < 1e-9:
            # beside the boxes in between: shift both ends to the right edge and bow out
            side = 1
            dx1 = dx2 = side * box_w[cause] * 0.38
            dist = abs(y2 - y1) - box_h
            bulge = box_w[cause] * 0.12 + 2.0
            rad = up * side * 2 * bulge / dist
        start = (x1 + dx1, y1 + up * box_h / 2)
        end = (x2 + dx2, y2 - up * box_h / 2)
        routes.append(((start, end), rad))
    return routes


def draw_strategy_map(
    config: StatureConfig, measures: Sequence[object], out_dir: Path | None = None
) -> tuple[list[Path], MapLayout]:
    """Plan and draw the config's strategy map into the published folder."""
    layout = plan(config, measures)
    out = Path(out_dir) if out_dir is not None else config.published_path
    return draw(layout, out, title=f"{config.org.name}: strategy map"), layout
