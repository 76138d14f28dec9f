"""The static HTML report: one self-contained file (inline CSS, SVG and a few lines of JS;
no external URL is ever fetched), written after each run from the published copy.

Sections, each a `<section id=... data-state="ok|empty|missing">`: summary, standards
(services x standards, red/yellow/green), maturity (level and what gets each service to the
next one, the distribution per quarter, movements), pass-rates, dora (trends per team),
balanced-scorecard and strategy-map. A section whose data is missing says which table is
missing and which stage writes it, and the rest of the page still renders.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from dagster_project.report import svg
from dagster_project.report.data import ReportData, Row

SECTIONS = (
    ("summary", "Summary"),
    ("standards", "Standards by service"),
    ("maturity", "Maturity"),
    ("pass-rates", "Scorecard pass rates"),
    ("dora", "DORA trends"),
    ("balanced-scorecard", "Balanced scorecard"),
    ("strategy-map", "Strategy map"),
)
STRATEGY_MAP_FILES = ("strategy_map.svg", "strategy_map.png")
DASH = "\u2013"  # shown for a missing value

STATUS_GLYPH = {
    "pass": "✓",
    "warn": "!",
    "fail": "✗",
    "not_reported": "?",
    "error": "⚠",
    "exempt": "E",
    "not_applicable": DASH,
}
STATUS_LABEL = {
    "pass": "pass",
    "warn": "warn",
    "fail": "fail",
    "not_reported": "not reported",
    "error": "rule error",
    "exempt": "exempt",
    "not_applicable": "not applicable",
}
# Pass-rate colours: at least this share passing is green / yellow; below is red.
PASS_RATE_GREEN, PASS_RATE_YELLOW = 0.8, 0.5
# The balanced-scorecard stage says whether a measure moved the right way since the last period.
TREND_TEXT = {"better": "▲ better", "worse": "▼ worse", "same": "= same", "flat": "= same"}


def fmt_number(value: Any) -> str:
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        size = abs(value)
        if size >= 100:
            return f"{value:.0f}"
        text = f"{value:.1f}" if size >= 10 else f"{value:.3g}" if size >= 0.001 else "0"
        return text.rstrip("0").rstrip(".") if "." in text and "e" not in text else text
    return str(value)


def fmt_frequency(v: float) -> str:
    return f"{fmt_number(v)}/wk"


def fmt_hours(v: float) -> str:
    return f"{fmt_number(v / 24)} d" if v >= 48 else f"{fmt_number(v)} h"


Axis = tuple[Callable[[float], str], float]  # (value formatter, axis rounding unit)


def hours_axis(values: Iterable[float | None]) -> Axis:
    """One unit for a whole chart: days when its values reach three days, else hours."""
    top = max((v for v in values if v is not None), default=0.0)
    if top >= 72:
        return (lambda v: f"{fmt_number(v / 24)} d"), 24.0
    return (lambda v: f"{fmt_number(v)} h"), 1.0


def fmt_rate(v: float) -> str:
    return f"{v * 100:.0f}%"


# (column, chart title, axis for the chart's values, compare with the org): the org's
# deployment frequency is the sum of all teams', so it is no yardstick for one team.
DORA_CHARTS: tuple[tuple[str, str, Callable[[Iterable[float | None]], Axis], bool], ...] = (
    ("deployment_frequency", "Deployment frequency", lambda _: (fmt_frequency, 1.0), False),
    ("lead_time_p50_hours", "Lead time for changes (p50)", hours_axis, True),
    ("change_failure_rate", "Change failure rate", lambda _: (fmt_rate, 0.01), True),
    ("recovery_time_p50_hours", "Failed deployment recovery (p50)", hours_axis, True),
)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    state: str  # ok | empty | missing
    body: str


def _missing(what: str, hint: str) -> str:
    return (
        f'<div class="missing"><strong>Not available.</strong> {escape(what)}. {escape(hint)}</div>'
    )


def _empty(what: str) -> str:
    return f'<div class="missing empty"><strong>No data yet.</strong> {escape(what)}.</div>'


def _attr(text: str) -> str:
    return escape(text, quote=True)


# --- summary -----------------------------------------------------------------------------


def summary_section(data: ReportData) -> Section:
    org_dora = [
        r
        for r in data.view("dora_trends") or []
        if r["entity_type"] == "org" and r["period_grain"] == "quarter"
    ]
    closed = [r for r in org_dora if r["is_closed"]]
    tiles = [
        ("Services", str(len(data.services)) if data.services else DASH),
        ("Teams", str(len(data.teams)) if data.teams else DASH),
    ]
    if closed:
        last = max(closed, key=lambda r: r["period_start"])
        tiles += [
            (f"Deploys/week, {last['period_label']}", fmt_frequency_or_dash(last)),
            (
                f"Lead time p50, {last['period_label']}",
                _fmt(last.get("lead_time_p50_hours"), fmt_hours),
            ),
            (
                f"Change failure rate, {last['period_label']}",
                _fmt(last.get("change_failure_rate"), fmt_rate),
            ),
        ]
    rates = [
        r
        for r in data.view("scorecard_pass_rates") or []
        if r["scope"] == "org" and r["as_of"] == data.as_of and r["pass_rate"] is not None
    ]
    for r in sorted(rates, key=lambda r: r["scorecard"]):
        tiles.append((f"Pass rate: {r['scorecard']}", fmt_rate(r["pass_rate"])))
    maturity = data.view("service_maturity") or []
    levels = sorted(r["level"] for r in maturity if r["level"] is not None)  # rated only
    if levels:
        tiles.append(
            (f"Median service level, {maturity[0]['quarter']}", str(levels[len(levels) // 2]))
        )
    body = ['<div class="tiles">']
    body += [
        f'<div class="tile"><div class="tile-value">{escape(v)}</div>'
        f'<div class="tile-label">{escape(k)}</div></div>'
        for k, v in tiles
    ]
    body.append("</div>")
    if data.missing:
        body.append('<details class="gaps" open><summary>What this report lacks</summary><ul>')
        body += [
            f"<li><code>{escape(name)}</code>: {escape(reason)}</li>"
            for name, reason in sorted(data.missing.items())
        ]
        body.append("</ul></details>")
    return Section("summary", "Summary", "ok", "".join(body))


def fmt_frequency_or_dash(row: Row) -> str:
    return _fmt(row.get("deployment_frequency"), fmt_frequency)


def _fmt(value: Any, formatter: Callable[[float], str]) -> str:
    return DASH if value is None else formatter(float(value))


# --- standards grid ----------------------------------------------------------------------


def _check_tooltip(data: ReportData, row: Row) -> str:
    rule = data.rule_catalog.get(row["rule_id"], {})
    lines = [
        data.rule_title(row["rule_id"]),
        f"{row['service_id']} · {row['rule_id']} (level {fmt_number(row.get('level'))}, "
        f"{row.get('rollout') or 'enforced'})",
        f"status: {STATUS_LABEL.get(row['status'], row['status'])}",
    ]
    if row.get("value") is not None:
        unit = f" {rule['unit']}" if rule.get("unit") else ""
        lines.append(f"value: {fmt_number(row['value'])}{unit}")
    if row.get("threshold"):
        lines.append(f"threshold: {row['threshold']}")
    if row.get("note"):
        lines.append(f"note: {row['note']}")
    return "\n".join(lines)


def rule_columns(rows: Iterable[Row]) -> list[tuple[str, str, int | None, str]]:
    """(scorecard, rule_id, level, rollout) of every rule in the grid, ordered by
    scorecard, level and id."""
    seen: dict[tuple[str, str], tuple[int | None, str]] = {}
    for r in rows:
        seen[(r["scorecard"], r["rule_id"])] = (r.get("level"), r.get("rollout") or "enforced")
    return sorted(
        ((sc, rid, lvl, ro) for (sc, rid), (lvl, ro) in seen.items()),
        key=lambda c: (c[0], c[2] if c[2] is not None else 99, c[1]),
    )


def standards_section(data: ReportData) -> Section:
    rows = data.view("service_standards")
    if rows is None:
        return Section(
            "standards",
            "Standards by service",
            "missing",
            _missing(
                data.reason("service_standards"),
                "The rule engine writes scorecards.check_results during `stature run`.",
            ),
        )
    if not rows:
        return Section(
            "standards",
            "Standards by service",
            "empty",
            _empty("No service has been evaluated against a standard"),
        )
    columns = rule_columns(rows)
    by_cell = {(r["service_id"], r["rule_id"]): r for r in rows}
    levels = {r["service_id"]: r for r in data.view("service_maturity") or []}
    services = _grid_services(data, rows)
    teams = sorted({s["team_id"] or "" for s in services})
    out = [
        f'<p class="lead">The latest evaluation ({escape(str(rows[0]["as_of"]))}) of every '
        "standard for every service. Hover a cell for the rule, value, threshold and note.</p>",
        '<div class="controls"><label>Team <select id="team-filter"><option value="">all teams'
        "</option>",
    ]
    out += [
        f'<option value="{_attr(t)}">{escape(data.team_name(t) or "(no team)")}</option>'
        for t in teams
    ]
    out.append("</select></label></div>")
    out.append(_legend())
    out.append('<div class="scroll"><table class="grid" id="standards-grid"><thead>')
    scorecards: dict[str, int] = defaultdict(int)
    for c in columns:
        scorecards[c[0]] += 1
    out.append('<tr><th rowspan="2" class="sticky">Service</th><th rowspan="2">Team</th>')
    out.append('<th rowspan="2">Level</th>')
    out += [f'<th colspan="{n}">{escape(sc)}</th>' for sc, n in scorecards.items()]
    out.append("</tr><tr>")
    for _, rule_id, level, rollout in columns:
        shadow = " shadow" if rollout != "enforced" else ""
        label = f"L{level}" if level is not None else ""
        out.append(
            f'<th class="rule{shadow}" title="{_attr(data.rule_title(rule_id))} ({_attr(rollout)})">'
            f'<span class="rule-id">{escape(rule_id)}</span><span class="rule-level">'
            f"{escape(label)}</span></th>"
        )
    out.append("</tr></thead><tbody>")
    for service in services:
        sid = service["service_id"]
        team = service["team_id"] or ""
        maturity = levels.get(sid)
        level_cell = level_badge(maturity["level"]) if maturity else DASH
        out.append(
            f'<tr data-team="{_attr(team)}" id="service-{_attr(sid)}"><th class="sticky">'
            f"{escape(service['name'] or sid)}</th><td>{escape(data.team_name(team))}</td>"
            f"<td>{level_cell}</td>"
        )
        for _, rule_id, _, _ in columns:
            cell = by_cell.get((sid, rule_id))
            if cell is None:
                out.append('<td class="cell none" title="not evaluated">·</td>')
                continue
            status = cell["status"]
            text = STATUS_GLYPH.get(status, "?")
            if cell.get("value") is not None:
                text += f" {fmt_number(cell['value'])}"
            out.append(
                f'<td class="cell {escape(status)}" data-status="{escape(status)}" '
                f'title="{_attr(_check_tooltip(data, cell))}">{escape(text)}</td>'
            )
        out.append("</tr>")
    out.append("</tbody></table></div>")
    return Section("standards", "Standards by service", "ok", "".join(out))


def _grid_services(data: ReportData, rows: list[Row]) -> list[Row]:
    known = {s["service_id"]: s for s in data.services}
    for r in rows:
        known.setdefault(
            r["service_id"],
            {"service_id": r["service_id"], "name": r["service_name"], "team_id": r["team_id"]},
        )
    evaluated = {r["service_id"] for r in rows}
    return sorted(
        (s for s in known.values() if s["service_id"] in evaluated),
        key=lambda s: (data.team_name(s.get("team_id")), s["service_id"]),
    )


def _legend() -> str:
    items = "".join(
        f'<span class="cell {s}">{escape(g)}</span> {escape(STATUS_LABEL[s])}'
        for s, g in STATUS_GLYPH.items()
    )
    return f'<p class="legend">{items}</p>'


# --- maturity ----------------------------------------------------------------------------


def blocker_text(data: ReportData, service_id: str, rule_id: str) -> str:
    """One blocker as HTML: the rule's title, where the service stands, and how to fix it."""
    check = next(
        (
            r
            for r in data.view("service_standards") or []
            if r["service_id"] == service_id and r["rule_id"] == rule_id
        ),
        None,
    )
    rule = data.rule_catalog.get(rule_id, {})
    parts = [f"<strong>{escape(data.rule_title(rule_id))}</strong>"]
    if rule.get("title"):
        parts.append(f" <code>{escape(rule_id)}</code>")
    if check:
        status = STATUS_LABEL.get(check["status"], check["status"])
        detail = status
        if check.get("value") is not None:
            unit = f" {rule['unit']}" if rule.get("unit") else ""
            detail += f": {fmt_number(check['value'])}{unit}"
        if check.get("threshold"):
            detail += f" (needs {check['threshold']})"
        parts.append(f' — <span class="cell {escape(check["status"])}">{escape(detail)}</span>')
    if rule.get("remediation"):
        parts.append(f' <a href="{_attr(rule["remediation"])}">how to fix</a>')
    return "".join(parts)


def maturity_section(data: ReportData) -> Section:
    current = data.view("service_maturity")
    distribution = data.view("maturity_distribution")
    movements = data.view("maturity_movements")
    if current is None and distribution is None:
        return Section(
            "maturity",
            "Maturity",
            "missing",
            _missing(
                data.reason("service_maturity"),
                "The maturity stage writes scorecards.maturity_snapshots during `stature run`.",
            ),
        )
    out: list[str] = []
    if distribution:
        out.append(_distribution_chart(data, distribution))
    if movements:
        out.append(_movements(movements))
    if current:
        quarter = current[0]["quarter"]
        out.append(
            f"<h3>Each service in {escape(quarter)}: its level and what gets it to the next"
            '</h3><div class="scroll"><table class="list" id="maturity-table"><thead><tr>'
            "<th>Service</th><th>Team</th><th>Level</th><th>Next level</th>"
            "<th>What gets it there</th></tr></thead><tbody>"
        )
        for r in sorted(current, key=lambda r: (data.team_name(r["team_id"]), r["service_id"])):
            blockers = list(r.get("blockers") or [])
            if r["level"] is None:
                todo = "No enforced, levelled rule applies to it: it is not rated."
            elif r["next_level"] is None:
                todo = "Top of the ladder."
            elif blockers:
                todo = (
                    "<ul>"
                    + "".join(
                        f"<li>{blocker_text(data, r['service_id'], b)}</li>" for b in blockers
                    )
                    + "</ul>"
                )
            else:
                todo = "No enforced rule blocks the next level."
            next_level = (
                f"{r['next_level']} {escape(r['next_level_name'] or '')}"
                if r["next_level"] is not None
                else DASH
            )
            out.append(
                f'<tr data-team="{_attr(r["team_id"] or "")}" '
                f'id="maturity-{_attr(r["service_id"])}"><td>{escape(r["service_name"])}</td>'
                f"<td>{escape(data.team_name(r['team_id']))}</td><td>"
                f"{level_badge(r['level'])} {escape(r['level_name'] or '')}</td>"
                f"<td>{next_level}</td><td>{todo}</td></tr>"
            )
        out.append("</tbody></table></div>")
    state = "ok" if (current or distribution) else "empty"
    if state == "empty":
        out.append(_empty("No maturity snapshot has been taken"))
    return Section("maturity", "Maturity", state, "".join(out))


def level_badge(level: int | None) -> str:
    """A level's coloured badge; an unrated entity gets a grey dash (not on the ladder)."""
    if level is None:
        return (
            f'<span class="level-badge" style="background:{svg.level_color(None)}" '
            'title="Unrated: no enforced, levelled rule applies">' + DASH + "</span>"
        )
    return f'<span class="level-badge" style="background:{svg.level_color(level)}">{level}</span>'


def _level_label(level: int | None, name: str | None) -> str:
    if level is None:
        return name or "Unrated"
    return f"{level} {name}"


def _distribution_chart(data: ReportData, distribution: list[Row]) -> str:
    services = [r for r in distribution if r["entity_type"] == "service"]
    if not services:
        return ""
    quarters = sorted({(r["quarter_start"], r["quarter"]) for r in services})
    labels = [q for _, q in quarters]
    # unrated services (level NULL) are a segment of their own, after the ladder's levels
    levels = sorted(
        {(r["level"], r["level_name"]) for r in services},
        key=lambda lv: (lv[0] is None, lv[0] or 0),
    )
    stacks = [(_level_label(lvl, name), svg.level_color(lvl)) for lvl, name in levels]
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for r in services:
        counts[r["quarter"]][_level_label(r["level"], r["level_name"])] = r["entities"]
    last_open = any(not r["is_closed"] for r in services if r["quarter"] == labels[-1])
    chart = svg.stacked_bars(
        labels,
        stacks,
        counts,
        title="Services per maturity level, by quarter",
        unit="services",
        partial_last=last_open,
    )
    note = " (* quarter to date)" if last_open else ""
    return (
        f'<figure id="maturity-distribution">{chart}<figcaption>{len(labels)} quarters{note}'
        "</figcaption></figure>"
    )


def _movements(movements: list[Row]) -> str:
    services = [r for r in movements if r["entity_type"] == "service"]
    if not services:
        return ""
    last = max(r["quarter_start"] for r in services)
    latest = [r for r in services if r["quarter_start"] == last]
    quarter = latest[0]["quarter"]
    counts = {
        m: sum(1 for r in latest if r["movement"] == m)
        for m in ("up", "down", "same", "new", "unrated")
    }
    moved = sorted(
        (r for r in latest if r["movement"] in ("up", "down")),
        key=lambda r: (r["movement"], r["entity_id"]),
    )
    items = "".join(
        f'<li class="move-{r["movement"]}">{escape(r["entity_id"])}: {r["level_from"]} → '
        f"{r['level_to']} ({escape(r['level_name_to'] or '')})</li>"
        for r in moved
    )
    return (
        f'<div id="maturity-movements"><h3>Movements into {escape(quarter)}</h3><p>'
        f"{counts['up']} up, {counts['down']} down, {counts['same']} unchanged, "
        f"{counts['new']} new"
        + (f", {counts['unrated']} unrated" if counts["unrated"] else "")
        + f".</p><ul>{items}</ul></div>"
    )


# --- pass rates --------------------------------------------------------------------------


def _rate_class(rate: float | None) -> str:
    if rate is None:
        return "not_applicable"
    if rate >= PASS_RATE_GREEN:
        return "pass"
    if rate >= PASS_RATE_YELLOW:
        return "warn"
    return "fail"


def pass_rates_section(data: ReportData) -> Section:
    rows = data.view("scorecard_pass_rates")
    if rows is None:
        return Section(
            "pass-rates",
            "Scorecard pass rates",
            "missing",
            _missing(
                data.reason("scorecard_pass_rates"),
                "The rule engine writes scorecards.check_results during `stature run`.",
            ),
        )
    closes = [r for r in rows if r["is_quarter_close"]]
    if not closes:
        return Section("pass-rates", "Scorecard pass rates", "empty", _empty("No evaluation yet"))
    quarters = sorted({(r["quarter_start"], r["quarter"]) for r in closes})
    labels = [q for _, q in quarters]
    last_open = any(not r["is_closed"] for r in closes if r["quarter"] == labels[-1])
    scorecards = sorted({r["scorecard"] for r in closes})
    org = {(r["scorecard"], r["quarter"]): r["pass_rate"] for r in closes if r["scope"] == "org"}
    series = [
        svg.Series(sc, [org.get((sc, q)) for q in labels], svg.color_of(i))
        for i, sc in enumerate(scorecards)
    ]
    chart = svg.line_chart(
        labels,
        series,
        title="Org pass rate by scorecard (enforced rules, last evaluation of each quarter)",
        y_format=fmt_rate,
        partial_last=last_open,
        legend=True,
        y_top=1.0,
        width=640,
        height=250,
    )
    out = [f'<figure id="pass-rate-chart">{chart}</figure>']
    out.append(
        '<div class="scroll"><table class="list heat" id="pass-rate-table"><thead><tr>'
        "<th>Scorecard</th><th>Team</th>"
        + "".join(f"<th>{escape(q)}</th>" for q in labels)
        + "</tr></thead><tbody>"
    )
    by_key = {(r["scorecard"], r["scope"], r["team_id"], r["quarter"]): r for r in closes}
    groups = sorted(
        {(r["scorecard"], r["scope"], r["team_id"]) for r in closes},
        key=lambda g: (g[0], g[1] != "org", data.team_name(g[2])),
    )
    for scorecard, scope, team_id in groups:
        name = data.org_name if scope == "org" else data.team_name(team_id)
        cells = []
        for q in labels:
            r = by_key.get((scorecard, scope, team_id, q))
            if r is None:
                cells.append('<td class="cell none">·</td>')
                continue
            rate = r["pass_rate"]
            tip = (
                f"{name} · {scorecard} · {q} (as of {r['as_of']}): {r['passed']} pass, "
                f"{r['warned']} warn, {r['failed']} fail, {r['not_reported']} not reported, "
                f"{r['errored']} error"
            )
            cells.append(
                f'<td class="cell {_rate_class(rate)}" title="{_attr(tip)}">'
                f"{DASH if rate is None else fmt_rate(rate)}</td>"
            )
        out.append(
            f'<tr data-team="{_attr(team_id or "")}"><td>{escape(scorecard)}</td>'
            f"<td>{escape(name)}</td>{''.join(cells)}</tr>"
        )
    out.append("</tbody></table></div>")
    out.append(
        f'<p class="note">Green: at least {PASS_RATE_GREEN:.0%} of graded checks pass; '
        f"yellow: at least {PASS_RATE_YELLOW:.0%}; red: fewer. Shadow rules are not counted."
        "</p>"
    )
    return Section("pass-rates", "Scorecard pass rates", "ok", "".join(out))


# --- DORA --------------------------------------------------------------------------------


def dora_section(data: ReportData) -> Section:
    rows = data.view("dora_trends")
    if rows is None:
        return Section(
            "dora",
            "DORA trends",
            "missing",
            _missing(
                data.reason("dora_trends"),
                "dbt builds marts.dora_metrics during `stature run`.",
            ),
        )
    quarterly = [
        r for r in rows if r["period_grain"] == "quarter" and r["entity_type"] != "service"
    ]
    if not quarterly:
        return Section("dora", "DORA trends", "empty", _empty("No quarterly DORA figures yet"))
    periods = sorted({(r["period_start"], r["period_label"], r["period_end"]) for r in quarterly})
    labels = [p[1] for p in periods]
    partial = any(not r["is_closed"] for r in quarterly if r["period_label"] == labels[-1])
    by_entity: dict[tuple[str, str], dict[str, Row]] = defaultdict(dict)
    names: dict[tuple[str, str], str] = {}
    for r in quarterly:
        by_entity[(r["entity_type"], r["entity_id"])][r["period_label"]] = r
        names[(r["entity_type"], r["entity_id"])] = r["entity_name"] or r["entity_id"]
    org_key = next((k for k in by_entity if k[0] == "org"), None)
    teams = sorted((k for k in by_entity if k[0] == "team"), key=lambda k: names[k])
    out = [
        f'<p class="lead">Quarterly figures for {len(labels)} quarters'
        + (" (the last one to date, open markers)" if partial else "")
        + ". Each team against the whole org (dashed; not for deployment frequency, where the "
        "org's figure is the sum of all teams). Hover a point for its value.</p>"
    ]
    for index, key in enumerate([*teams, *([org_key] if org_key else [])]):
        is_org = key[0] == "org"
        color = svg.ORG_COLOR if is_org else svg.color_of(index)
        charts = []
        for column, title, axis, compare in DORA_CHARTS:
            series = [
                svg.Series(
                    names[key],
                    [_value(by_entity[key].get(q), column) for q in labels],
                    color,
                )
            ]
            if org_key and not is_org and compare:
                series.append(
                    svg.Series(
                        names[org_key],
                        [_value(by_entity[org_key].get(q), column) for q in labels],
                        "#999999",
                        dashed=True,
                    )
                )
            formatter, unit = axis([v for s in series for v in s.values])
            charts.append(
                svg.line_chart(
                    labels,
                    series,
                    title=title,
                    y_format=formatter,
                    partial_last=partial,
                    y_unit=unit,
                )
            )
        team_attr = "" if is_org else key[1]
        out.append(
            f'<div class="dora-team" data-team="{_attr(team_attr)}" '
            f'id="dora-{_attr(key[0])}-{_attr(key[1])}"><h3>{escape(names[key])}'
            f"{' (whole org)' if is_org else ''}</h3>"
            f'<div class="charts">{"".join(charts)}</div></div>'
        )
    return Section("dora", "DORA trends", "ok", "".join(out))


def _value(row: Row | None, column: str) -> float | None:
    if row is None or row.get(column) is None:
        return None
    return float(row[column])


# --- balanced scorecard ------------------------------------------------------------------


def balanced_scorecard_section(data: ReportData) -> Section:
    rows = data.view("balanced_scorecard")
    if rows is None:
        return Section(
            "balanced-scorecard",
            "Balanced scorecard",
            "missing",
            _missing(
                data.reason("balanced_scorecard"),
                "The balanced-scorecard stage writes scorecards.balanced_scorecard from the "
                "measures with `perspective:` in their header.",
            ),
        )
    latest = [r for r in rows if r["is_latest"]]
    if not latest:
        return Section(
            "balanced-scorecard",
            "Balanced scorecard",
            "empty",
            _empty("No balanced-scorecard measure has a value yet"),
        )
    out = [
        '<p class="lead">The latest period of every measure. The org\'s measures first; each '
        "perspective's team measures fold out below them.</p>"
    ]
    perspectives = sorted({(r["perspective_order"], r["perspective"]) for r in latest})
    for _, perspective in perspectives:
        measures = sorted(
            (r for r in latest if r["perspective"] == perspective),
            key=lambda r: (r["entity_type"] != "org", r["entity_name"] or "", r["measure_id"]),
        )
        org = [r for r in measures if r["entity_type"] == "org"]
        teams = [r for r in measures if r["entity_type"] != "org"]
        out.append(f'<div class="perspective"><h3>{escape(perspective)}</h3>')
        if org:
            out.append(_bsc_table(data, org))
        if teams:
            out.append(
                f"<details{'' if org else ' open'}><summary>By team ({len(teams)} measures)"
                f"</summary>{_bsc_table(data, teams)}</details>"
            )
        out.append("</div>")
    return Section("balanced-scorecard", "Balanced scorecard", "ok", "".join(out))


def _bsc_table(data: ReportData, rows: list[Row]) -> str:
    out = [
        '<table class="list bsc"><thead><tr><th>Measure</th><th>For</th><th>Period</th>'
        "<th>Value</th><th>Target</th><th>Status</th><th>Trend</th><th>Owner</th>"
        "<th>Indicator</th></tr></thead><tbody>"
    ]
    for r in rows:
        unit = f" {r['unit']}" if r.get("unit") else ""
        title = r.get("title") or data.rule_title(r["measure_id"])
        status = (r.get("status") or "").lower()
        rag = {"green": "pass", "yellow": "warn", "red": "fail"}.get(status, "not_applicable")
        trend = r.get("trend") or ""
        target = f"{fmt_number(r['target'])}{unit}" if r["target"] is not None else DASH
        out.append(
            f"<tr><td>{escape(title)}</td><td>{escape(r['entity_name'] or '')}</td>"
            f"<td>{escape(str(r['period']))}</td>"
            f"<td>{escape(fmt_number(r['value']))}{escape(unit)}</td><td>{escape(target)}</td>"
            f'<td><span class="cell {rag}">{escape(status or DASH)}</span></td>'
            f'<td class="trend-{_attr(trend)}">{escape(TREND_TEXT.get(trend, trend or DASH))}</td>'
            f"<td>{escape(r.get('owner') or '')}</td>"
            f"<td>{escape(r.get('indicator') or '')}</td></tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


# --- strategy map ------------------------------------------------------------------------


def strategy_map_section(
    data: ReportData,
    published_dir: Path,
    links: Sequence[tuple[str, str]],
    perspectives: Sequence[str],
) -> Section:
    """The map drawn by the balanced-scorecard stage if it left one in the published
    folder; else one drawn here from `balanced_scorecard.strategy_map`; else a notice."""
    for name in STRATEGY_MAP_FILES:
        path = Path(published_dir) / name
        if path.is_file() and path.stat().st_size > 0:
            kind = "image/svg+xml" if name.endswith(".svg") else "image/png"
            payload = base64.b64encode(path.read_bytes()).decode("ascii")
            # As an <img>, an SVG can neither run scripts nor fetch anything.
            body = (
                f'<figure><img class="strategy-map" alt="Strategy map" '
                f'src="data:{kind};base64,{payload}"><figcaption>From {escape(name)}.'
                "</figcaption></figure>"
            )
            return Section("strategy-map", "Strategy map", "ok", body)
    if links:
        perspective_of: dict[str, str] = {}
        for rule in data.rule_catalog.values():
            if rule.get("perspective"):
                for key in (rule.get("objective"), rule.get("rule_id")):
                    if key:
                        perspective_of[key] = rule["perspective"]
        for r in data.view("balanced_scorecard") or []:
            for key in (r["measure_id"], r.get("objective")):
                if key:
                    perspective_of.setdefault(key, r["perspective"])
        body = svg.strategy_map(links, perspectives, perspective_of)
        return Section(
            "strategy-map",
            "Strategy map",
            "ok",
            f"<figure>{body}<figcaption>Drawn from <code>balanced_scorecard.strategy_map"
            "</code> in stature.yml.</figcaption></figure>",
        )
    return Section(
        "strategy-map",
        "Strategy map",
        "missing",
        _missing(
            "No strategy map: neither strategy_map.svg nor strategy_map.png is in the "
            "published folder, and stature.yml has no balanced_scorecard.strategy_map",
            "Add cause -> effect links under balanced_scorecard.strategy_map.",
        ),
    )


# --- the page ----------------------------------------------------------------------------

CSS = """
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#ffffff; --soft:#f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  background: var(--bg); margin: 0; }
header { padding: 18px 28px; border-bottom: 1px solid var(--line); background: var(--soft); }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .meta { color: var(--muted); }
nav { padding: 8px 28px; border-bottom: 1px solid var(--line); position: sticky; top: 0;
  background: var(--bg); z-index: 3; }
nav a { margin-right: 14px; color: #0969da; text-decoration: none; }
main { padding: 0 28px 40px; }
section { margin-top: 26px; }
h2 { font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.lead, .note, figcaption { color: var(--muted); }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 150px; }
.tile-value { font-size: 20px; font-weight: 600; }
.tile-label { color: var(--muted); font-size: 12px; }
.missing { border: 1px dashed #bf8700; background: #fff8c5; padding: 10px 14px; border-radius: 6px; }
.missing.empty { border-color: var(--line); background: var(--soft); }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; }
table.grid th, table.grid td { border: 1px solid var(--line); padding: 3px 6px; white-space: nowrap; }
table.grid th.rule { writing-mode: vertical-rl; transform: rotate(180deg); font-weight: 500;
  vertical-align: bottom; padding: 6px 3px; }
table.grid th.rule.shadow { color: var(--muted); font-style: italic; }
.rule-level { color: var(--muted); margin-top: 4px; }
th.sticky { position: sticky; left: 0; background: var(--bg); z-index: 1; text-align: left; }
table.list th, table.list td { border-bottom: 1px solid var(--line); padding: 5px 8px;
  text-align: left; vertical-align: top; }
table.list ul { margin: 0; padding-left: 18px; }
.cell { text-align: center; font-variant-numeric: tabular-nums; }
span.cell { padding: 1px 6px; border-radius: 4px; }
.pass { background: #d1f0d8; color: #0f5323; }
.warn { background: #fff1b8; color: #6b4f00; }
.fail, .not_reported, .error { background: #ffd6d6; color: #8a1111; }
.exempt { background: #dbeafe; color: #1e3a8a; }
.not_applicable, .none { background: #f0f0f0; color: #6e7781; }
.legend span.cell { display: inline-block; min-width: 22px; margin: 0 2px 0 10px; }
.level-badge { display: inline-block; min-width: 20px; text-align: center; border-radius: 10px;
  padding: 0 6px; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 8px; }
svg.chart { border: 1px solid var(--line); border-radius: 6px; background: #fff; }
svg .chart-title { font-size: 11px; font-weight: 600; fill: var(--fg); }
svg .tick { font-size: 10px; fill: var(--muted); }
svg .grid { stroke: #eaeef2; }
svg .objective-label { font-size: 11px; fill: var(--fg); }
img.strategy-map { max-width: 100%; }
.trend-better { color: #1a7f37; } .trend-worse { color: #cf222e; }
table.bsc td:nth-child(3), table.bsc td:nth-child(7) { white-space: nowrap; }
.move-up::marker { content: "▲ "; color: #1a7f37; }
.move-down::marker { content: "▼ "; color: #cf222e; }
details.gaps { margin-top: 12px; }
footer { color: var(--muted); padding: 14px 28px; border-top: 1px solid var(--line); }
@media print { nav { display: none; } }
"""

SCRIPT = """
(function () {
  "use strict";
  var select = document.getElementById("team-filter");
  if (!select) { return; }
  select.addEventListener("change", function () {
    var team = select.value;
    document.querySelectorAll("[data-team]").forEach(function (element) {
      element.hidden = team !== "" && element.getAttribute("data-team") !== team &&
        element.getAttribute("data-team") !== "";
    });
  });
})();
"""


def render_page(data: ReportData, sections: Sequence[Section], *, generated_at: dt.datetime) -> str:
    nav = "".join(f'<a href="#{s.id}">{escape(s.title)}</a>' for s in sections)
    if data.as_of is None:
        meta = ["no data yet"]
    elif data.as_of_source == "evaluation":
        meta = [f"as of {data.as_of}"]
    else:
        meta = [f"data through {data.as_of}"]
    if data.published_at:
        published = data.published_at
        if isinstance(published, dt.datetime):
            published = published.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        meta.append(f"published {published}")
    if data.run_id:
        meta.append(f"run {data.run_id}")
    body = "".join(
        f'<section id="{s.id}" data-state="{s.state}"><h2>{escape(s.title)}</h2>{s.body}</section>'
        for s in sections
    )
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(data.org_name)} engineering report</title>"
        f"<style>{CSS}</style></head><body>"
        f"<header><h1>{escape(data.org_name)}: engineering standards, maturity and DORA</h1>"
        f'<div class="meta">{escape(" · ".join(meta))}</div></header>'
        f"<nav>{nav}</nav><main>{body}</main>"
        f"<footer>Generated {generated_at.strftime('%Y-%m-%d %H:%M UTC')} by Stature from the "
        "published copy. Self-contained: opens offline.</footer>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def render_report(
    data: ReportData,
    *,
    published_dir: Path,
    strategy_links: Sequence[tuple[str, str]] = (),
    perspectives: Sequence[str] = (),
    generated_at: dt.datetime | None = None,
) -> tuple[str, list[Section]]:
    sections = [
        summary_section(data),
        standards_section(data),
        maturity_section(data),
        pass_rates_section(data),
        dora_section(data),
        balanced_scorecard_section(data),
        strategy_map_section(data, published_dir, strategy_links, perspectives),
    ]
    page = render_page(data, sections, generated_at=generated_at or dt.datetime.now(dt.UTC))
    return page, sections
