"""The strategy map: the config's cause -> effect links between objectives, drawn as inline
SVG (templates/strategy_map.svg): `<published_dir>/strategy_map.svg` after each run, and the
same drawing in the site's balanced-scorecard page.

One horizontal band per perspective, in the config's order from the top (Business Value
first, as in a Kaplan-Norton map); each objective is a box in its perspective's band, listing
the measures that name it (`objective:` in their header), coloured by its measures' latest
status (red if any is red, else yellow if any is yellow, else green; grey without one); an
arrow runs from each cause to its effect. An objective's perspective comes from its
measures, else from `balanced_scorecard.objectives`; objectives with neither sit in an
"Other objectives" band.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from dagster_project.config import StatureConfig
from dagster_project.publish import DATABASE_NAME
from dagster_project.warehouse import connect

SVG_NAME = "strategy_map.svg"
OLD_PNG_NAME = "strategy_map.png"  # drawn by versions before the map was SVG only
OTHER = "Other objectives"
BAND_COLOURS = ("#e8f1fb", "#eaf6ec", "#fdf3e3", "#f3ecf8", "#f2f2f2")
# An objective's fill and a measure's dot by status; grey: no graded value yet.
STATUS_COLOURS = {"green": "#d1f0d8", "yellow": "#fff1b8", "red": "#ffd6d6"}
DOT_COLOURS = {"green": "#1a7f37", "yellow": "#b08800", "red": "#cf222e"}
GREY, GREY_DOT = "#f6f8fa", "#8c959f"
WORST_FIRST = ("red", "yellow", "green")

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("dagster_project.maturity", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class MeasureRef:
    """What the map needs of a measure: from a rule header or a rule-catalog row."""

    measure_id: str
    title: str
    perspective: str | None
    objective: str | None


@dataclass
class MapLayout:
    """Where everything goes, before drawing (kept apart so tests can check it)."""

    bands: list[str]
    objectives: dict[str, str]  # objective -> band
    measures: dict[str, list[MeasureRef]] = field(default_factory=dict)  # objective -> measures
    links: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def measure_refs(measures: Iterable[object]) -> list[MeasureRef]:
    """MeasureRefs from balanced-scorecard measures (`bsc.Measure`: a rule and its header)."""
    refs = []
    for m in measures:
        header = m.header  # type: ignore[attr-defined]
        refs.append(
            MeasureRef(m.measure_id, header.title, header.perspective, header.objective)  # type: ignore[attr-defined]
        )
    return refs


def plan(config: StatureConfig, measures: Iterable[MeasureRef]) -> MapLayout:
    """Bands, objectives and links from the config and the measures."""
    bsc = config.balanced_scorecard
    placed: dict[str, str] = {}
    named: dict[str, list[MeasureRef]] = {}
    warnings: list[str] = []
    for m in measures:
        if m.objective and m.perspective:
            placed.setdefault(m.objective, m.perspective)
            named.setdefault(m.objective, []).append(m)
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


def objective_status(measures: Sequence[MeasureRef], status_of: Mapping[str, str]) -> str | None:
    """The worst red / yellow / green status among an objective's measures (None: none)."""
    statuses = {status_of.get(m.measure_id) for m in measures}
    return next((s for s in WORST_FIRST if s in statuses), None)


# --- geometry ------------------------------------------------------------------------------

WIDTH, LABEL_W, BAND_H, BOX_H = 980, 150, 118, 84


@dataclass
class Box:
    objective: str
    x: float
    y: float
    w: float
    lines: list[str]
    measures: list[tuple[str, str, str]]  # text, dot colour, hover title
    fill: str
    status: str | None

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + BOX_H / 2


def _boxes(layout: MapLayout, bands: list[str], status_of: Mapping[str, str]) -> dict[str, Box]:
    boxes = {}
    for i, band in enumerate(bands):
        members = [o for o, b in layout.objectives.items() if b == band]
        span = (WIDTH - LABEL_W - 10) / max(len(members), 1)
        for k, objective in enumerate(members):
            w = min(span * 0.86, 230.0)
            x = LABEL_W + span * (k + 0.5) - w / 2
            y = 10 + i * BAND_H + (BAND_H - BOX_H) / 2
            measures = layout.measures.get(objective, [])
            status = objective_status(measures, status_of)
            shown = [
                (
                    textwrap.shorten(m.title, int(w / 6.2), placeholder="…"),
                    DOT_COLOURS.get(status_of.get(m.measure_id, ""), GREY_DOT),
                    f"{m.title} ({m.measure_id}): {status_of.get(m.measure_id) or 'no status'}",
                )
                for m in measures[:3]
            ]
            if len(measures) > 3:
                shown.append((f"+{len(measures) - 3} more", GREY_DOT, ""))
            boxes[objective] = Box(
                objective,
                x,
                y,
                w,
                textwrap.wrap(objective, int(w / 7.2))[:2],
                shown,
                STATUS_COLOURS.get(status or "", GREY),
                status,
            )
    return boxes


def _arrow(cause: Box, effect: Box, out_rank: float, in_rank: float) -> str:
    """An SVG path from the cause's edge to the effect's edge: straight between bands,
    bowed over the boxes within one band or when it skips a band straight above."""
    if abs(cause.cy - effect.cy) < 1e-6:
        sign = 1 if effect.cx > cause.cx else -1
        x1, x2 = cause.cx + sign * cause.w / 2, effect.cx - sign * effect.w / 2
        y = cause.y + 10
        return f"M {x1:.1f} {y:.1f} Q {(x1 + x2) / 2:.1f} {y - 40:.1f} {x2:.1f} {y:.1f}"
    up = effect.cy < cause.cy
    x1 = cause.cx + out_rank * cause.w * 0.6
    x2 = effect.cx + in_rank * effect.w * 0.6
    y1 = cause.y if up else cause.y + BOX_H
    y2 = effect.y + BOX_H if up else effect.y
    if abs(cause.cy - effect.cy) > BAND_H * 1.5 and abs(x1 - x2) < cause.w / 2:
        # a quadratic curve's middle is halfway to its control point: put that middle
        # beside the boxes of the bands in between
        beside = max(cause.x + cause.w, effect.x + effect.w) + 16
        control = 2 * beside - (x1 + x2) / 2
        return f"M {x1:.1f} {y1:.1f} Q {control:.1f} {(y1 + y2) / 2:.1f} {x2:.1f} {y2:.1f}"
    return f"M {x1:.1f} {y1:.1f} L {x2:.1f} {y2:.1f}"


def _spread(items: list[str], item: str) -> float:
    """Where along an edge (-0.5 .. 0.5) the k-th of n arrow ends sits (0 for one)."""
    n = len(items)
    return 0.0 if n <= 1 else items.index(item) / (n - 1) - 0.5


def render_svg(
    layout: MapLayout,
    *,
    title: str = "Strategy map",
    status_of: Mapping[str, str] | None = None,
    standalone: bool = True,
    id_prefix: str = "stature",
) -> str:
    """The map as SVG markup: a file of its own (`standalone`) or inline in a page.
    `status_of`: measure id -> its latest status (red / yellow / green)."""
    status_of = status_of or {}
    bands = [b for b in layout.bands if b in layout.objectives.values()] or layout.bands
    boxes = _boxes(layout, bands, status_of)
    outgoing: dict[str, list[str]] = {}
    incoming: dict[str, list[str]] = {}
    for cause, effect in layout.links:
        outgoing.setdefault(cause, []).append(effect)
        incoming.setdefault(effect, []).append(cause)
    for group in (*outgoing.values(), *incoming.values()):
        group.sort(key=lambda o: boxes[o].cx)
    arrows = [
        (
            _arrow(
                boxes[c],
                boxes[e],
                _spread(outgoing[c], e),
                _spread(incoming[e], c),
            ),
            f"{c} drives {e}",
        )
        for c, e in layout.links
    ]
    return _TEMPLATES.get_template("strategy_map.svg").render(
        title=title,
        width=WIDTH,
        height=20 + BAND_H * max(len(bands), 1) + 24,
        bands=[
            (b, 10 + i * BAND_H, BAND_COLOURS[i % len(BAND_COLOURS)], textwrap.wrap(b, 18))
            for i, b in enumerate(bands)
        ],
        band_h=BAND_H,
        box_h=BOX_H,
        boxes=list(boxes.values()),
        arrows=arrows,
        legend=[
            ("green", STATUS_COLOURS["green"]),
            ("yellow", STATUS_COLOURS["yellow"]),
            ("red", STATUS_COLOURS["red"]),
            ("no status yet", GREY),
        ],
        standalone=standalone,
        id_prefix=id_prefix,
    )


# --- the file in the published folder ------------------------------------------------------


def published_statuses(published_dir: Path) -> dict[str, str]:
    """measure id -> the org's latest red / yellow / green status in the published copy
    (empty before the balanced scorecard is published)."""
    database = Path(published_dir) / DATABASE_NAME
    if not database.exists():
        return {}
    with connect(database, read_only=True) as con:
        present = con.execute(
            "select count(*) from duckdb_views() where schema_name = 'reporting' "
            "and view_name = 'balanced_scorecard'"
        ).fetchone()[0]
        if not present:
            return {}
        rows = con.execute(
            "select measure_id, status from reporting.balanced_scorecard "
            "where is_latest and entity_type = 'org'"
        ).fetchall()
    return {measure: status for measure, status in rows if status}


def draw(
    layout: MapLayout, out_dir: Path, *, title: str, status_of: Mapping[str, str] | None = None
) -> list[Path]:
    """Write strategy_map.svg (replaced atomically); returns its path in a list."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / SVG_NAME
    fd, tmp = tempfile.mkstemp(prefix=f".{SVG_NAME}.", dir=out_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(render_svg(layout, title=title, status_of=status_of))
        os.chmod(tmp, 0o644)  # mkstemp makes it private; readers serve it
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    (out_dir / OLD_PNG_NAME).unlink(missing_ok=True)
    return [target]


def draw_strategy_map(
    config: StatureConfig, measures: Sequence[object], out_dir: Path | None = None
) -> tuple[list[Path], MapLayout]:
    """Plan and draw the config's strategy map into the published folder, coloured by the
    published balanced scorecard's latest org statuses."""
    layout = plan(config, measure_refs(measures))
    out = Path(out_dir) if out_dir is not None else config.published_path
    statuses = published_statuses(config.published_path)
    return draw(layout, out, title=f"{config.org.name}: strategy map", status_of=statuses), layout
