"""Trends the pages share: DORA by quarter with tier bands (throughput and instability, as
DORA groups them since 2024), the summary cards that compare the last closed quarter with
the one before, pass rates by quarter, and a maturity level's path.

A quarter still running is never drawn as a finished one: its rates are per elapsed week
(the reporting views compute them so), its point hollow at the end of a dashed segment, and
its label says "to date"; cards compare closed quarters only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from dagster_project.report import charts
from dagster_project.report import format as fmt
from dagster_project.report.data import Row
from dagster_project.report.site import Site

# (metric, column of reporting.dora_trends, title, unit, better), in DORA's groups.
DORA_GROUPS: tuple[tuple[str, tuple[tuple[str, str, str, str, str], ...]], ...] = (
    (
        "Throughput",
        (
            ("deployment_frequency", "deployment_frequency", "Deployment frequency",
             "deploys/week", "higher"),
            ("lead_time", "lead_time_p50_hours", "Change lead time (p50)", "hours", "lower"),
            ("recovery_time", "recovery_time_p50_hours", "Failed deployment recovery time (p50)",
             "hours", "lower"),
        ),
    ),
    (
        "Instability",
        (
            ("change_failure_rate", "change_failure_rate", "Change failure rate", "ratio",
             "lower"),
            ("rework_rate", "rework_rate", "Deployment rework rate", "ratio", "lower"),
        ),
    ),
)  # fmt: skip
TIER_COLUMN = {
    "deployment_frequency": "deployment_frequency_tier",
    "lead_time": "lead_time_tier",
    "recovery_time": "recovery_time_tier",
    "change_failure_rate": "change_failure_rate_tier",
    "rework_rate": "rework_rate_tier",
}


def _axis(
    unit: str, values: Iterable[float | None]
) -> tuple[Callable[[float], str], float, float | None]:
    """(tick format, rounding unit, minimum top) for a metric's axis."""
    if unit == "ratio":
        return fmt.fmt_rate, 0.01, None
    if unit == "hours":
        top = max((v for v in values if v is not None), default=0.0)
        if top >= 72:
            return (lambda v: f"{fmt.fmt_number(v / 24)} d"), 24.0, None
        return (lambda v: f"{fmt.fmt_number(v)} h"), 1.0, None
    return fmt.fmt_frequency, 1.0, None


def quarter_labels(site: Site, limit: int = 8) -> tuple[list[str], bool]:
    """The last `limit` quarters with data, and whether the last one is still running."""
    shown = site.quarters[-limit:]
    return [q[1] for q in shown], bool(shown) and not shown[-1][2]


def dora_groups(site: Site, key: tuple[str, str], *, limit: int = 8) -> list[dict[str, Any]]:
    """One group per DORA category, each with a chart per metric for the entity `key`,
    drawn over the benchmark's tier bands."""
    labels, open_last = quarter_labels(site, limit)
    by_label = {r["period_label"]: r for r in site.dora.get(key, [])}
    name = _entity_name(site, key)
    groups = []
    for group, metrics in DORA_GROUPS:
        items = []
        for metric, column, title, unit, better in metrics:
            values = [_float((by_label.get(q) or {}).get(column)) for q in labels]
            formatter, y_unit, _ = _axis(unit, values)
            chart = charts.line_chart(
                labels,
                [
                    charts.Series(
                        name, values, charts.ORG_COLOR if key[0] == "org" else charts.PALETTE[0]
                    )
                ],
                title=title,
                y_format=formatter,
                open_last=open_last,
                bands=site.bands.get(metric, ()),
                y_unit=y_unit,
                y_top=None,
            )
            items.append({"metric": metric, "chart": chart, "better": better})
        groups.append({"name": group, "charts": items})
    return groups


def _entity_name(site: Site, key: tuple[str, str]) -> str:
    if key[0] == "org":
        return site.data.org_name
    if key[0] == "team":
        return site.team_name(key[1])
    return site.service_name(key[1])


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass
class Card:
    label: str
    value: str
    period: str = ""
    tier: str = ""
    change: str = ""
    direction: str = ""  # better | worse | same | ""
    note: str = ""
    title: str = ""  # on hover: the id or what it counts


def dora_cards(site: Site, key: tuple[str, str]) -> list[tuple[str, list[Card]]]:
    """Per DORA group, a card per metric: the last closed quarter against the quarter
    before, and the running quarter's figure to date beside it."""
    rows = site.dora.get(key, [])
    closed = [r for r in rows if r["is_closed"]]
    running = next((r for r in reversed(rows) if not r["is_closed"]), None)
    if not closed:
        return []
    last = closed[-1]
    before = closed[-2] if len(closed) > 1 and _adjacent(closed[-2], last) else None
    out = []
    for group, metrics in DORA_GROUPS:
        cards = []
        for metric, column, title, unit, better in metrics:
            value = _float(last.get(column))
            previous = _float(before.get(column)) if before else None
            card = Card(
                title,
                fmt.fmt_metric(value, unit),
                last["period_label"],
                tier=last.get(TIER_COLUMN[metric]) or "",
                change=fmt.change_text(value, previous, unit),
                direction=fmt.change_direction(value, previous, better, unit),
                title=metric,
            )
            if before:
                card.change += f" vs {before['period_label']}"
            if running and running.get(column) is not None:
                card.note = (
                    f"{running['period_label']} to date: {fmt.fmt_metric(running[column], unit)}"
                )
            cards.append(card)
        out.append((group, cards))
    return out


def _adjacent(before: Row, after: Row) -> bool:
    """The two quarters follow each other (no quarter without a row between them)."""
    return (after["period_start"] - before["period_end"]).days == 1


def pass_rate_chart(
    rows: list[Row], labels: list[str], open_last: bool, *, title: str, group_by: str
) -> charts.Chart:
    """Pass rate by quarter, one line per `group_by` value (a scorecard, a team)."""
    series: dict[str, dict[str, float | None]] = {}
    for r in rows:
        series.setdefault(r[group_by] or "", {})[r["quarter"]] = r["pass_rate"]
    lines = [
        charts.Series(fmt.humanize(name) if group_by == "scorecard" else name,
                      [values.get(q) for q in labels], charts.color_of(i))
        for i, (name, values) in enumerate(sorted(series.items()))
    ]  # fmt: skip
    return charts.line_chart(
        labels,
        lines,
        title=title,
        y_format=fmt.fmt_rate,
        open_last=open_last,
        y_unit=0.01,
        y_top=1.0,
        legend=True,
        width=660,
        height=240 + 16 * (len(lines) // 4),
    )


def level_path_chart(site: Site, key: tuple[str, str], *, title: str) -> charts.Chart | None:
    """An entity's maturity level quarter by quarter (unrated quarters left as gaps)."""
    rows = site.path.get(key, [])
    if not rows:
        return None
    labels, open_last = quarter_labels(site)
    by_quarter = {r["quarter"]: r for r in rows}
    names = {r["level"]: r["level_name"] for r in rows if r["level"] is not None}
    values = [
        float(by_quarter[q]["level"])
        if q in by_quarter and by_quarter[q]["level"] is not None
        else None
        for q in labels
    ]
    return charts.line_chart(
        labels,
        [charts.Series(_entity_name(site, key), values, charts.PALETTE[2])],
        title=title,
        y_format=lambda v: str(int(v)) if v >= 1 else "",
        point_format=lambda v: fmt.level_label(int(v), names.get(int(v))),
        open_last=open_last,
        y_unit=1.0,
        y_top=5.0,
        width=420,
    )
