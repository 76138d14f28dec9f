"""The balanced scorecard: every measure graded per fiscal quarter and entity against the
target in effect for that quarter, red / yellow / green, with the trend against the quarter
before (DESIGN "Maturity and the balanced scorecard", docs/maturity.md).

A measure is a rule file with `perspective:` in its header (entity team or org; owner,
target and its history, direction, indicator, yellow_band). Its values per quarter come from
`marts.bsc_measures` (measure_id = the rule id); a measure dbt does not compute falls back to
the rule's own check results as of each quarter's last day. A team measure is graded for
every team and for the org, an org measure for the org only.

Grading (`grade`): green when the value meets the target; yellow when it misses it by at most
`yellow_band` x |target| (default 10%, per measure in the header); red beyond; `not_reported`
without a value, `no_target` before the measure's first target. Trend (`trend`): better or
worse in the measure's direction; flat when the change is within
`balanced_scorecard.trend_flat_band` (default 0.1) of the measure's yellow band; NULL without
the quarter right before.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.config import StatureConfig
from dagster_project.maturity.quarters import add_months, quarter_of
from dagster_project.rules.loader import RuleFile, load_rules
from dagster_project.rules.model import (
    DEFAULT_YELLOW_BAND,
    ORG_ENTITY_ID,
    Problem,
    RuleHeader,
    tolerance,
    yellow_limit,
)
from dagster_project.warehouse import connect, table_exists

SCHEMA = "scorecards"
TABLE = f"{SCHEMA}.balanced_scorecard"
TARGETS = f"{SCHEMA}.bsc_targets"
MIN_PER_PERSPECTIVE, MAX_PER_PERSPECTIVE = 3, 5

COLUMNS: tuple[tuple[str, str], ...] = (
    ("period", "VARCHAR NOT NULL"),
    ("period_start", "DATE NOT NULL"),
    ("period_end", "DATE NOT NULL"),
    ("entity_type", "VARCHAR NOT NULL"),
    ("entity_id", "VARCHAR NOT NULL"),
    ("perspective", "VARCHAR NOT NULL"),
    ("objective", "VARCHAR"),
    ("measure_id", "VARCHAR NOT NULL"),
    ("title", "VARCHAR NOT NULL"),
    ("value", "DOUBLE"),
    ("unit", "VARCHAR"),
    ("target", "DOUBLE"),
    ("direction", "VARCHAR NOT NULL"),
    ("yellow_band", "DOUBLE NOT NULL"),
    ("yellow_limit", "DOUBLE"),
    ("status", "VARCHAR NOT NULL"),
    ("previous_value", "DOUBLE"),
    ("trend", "VARCHAR"),
    ("owner", "VARCHAR NOT NULL"),
    ("indicator", "VARCHAR NOT NULL"),
    ("value_source", "VARCHAR"),
    ("rule_version", "VARCHAR NOT NULL"),
    ("as_of", "DATE NOT NULL"),
    ("computed_at", "TIMESTAMPTZ NOT NULL"),
)
TARGET_COLUMNS: tuple[tuple[str, str], ...] = (
    ("measure_id", "VARCHAR NOT NULL"),
    ("valid_from", "DATE"),
    ("valid_to", "DATE"),
    ("target", "DOUBLE NOT NULL"),
    ("direction", "VARCHAR NOT NULL"),
    ("yellow_band", "DOUBLE NOT NULL"),
    ("yellow_limit", "DOUBLE NOT NULL"),
    ("rule_version", "VARCHAR NOT NULL"),
)


def _ddl(table: str, columns: Sequence[tuple[str, str]]) -> str:
    body = ",\n    ".join(f"{n} {k}" for n, k in columns)
    return f"create table if not exists {table} (\n    {body}\n);\n"


DDL = (
    f"create schema if not exists {SCHEMA};\n"
    + _ddl(TABLE, COLUMNS)
    + _ddl(TARGETS, TARGET_COLUMNS)
)


# --- grading ---------------------------------------------------------------------------------


def grade(value: float | None, target: float | None, direction: str, band: float) -> str:
    """green / yellow / red for a value against a target; not_reported, no_target."""
    if value is None:
        return "not_reported"
    if target is None:
        return "no_target"
    limit = yellow_limit(target, direction, band)
    if direction == "higher_is_better":
        if value >= target - tolerance(target):
            return "green"
        return "yellow" if value >= limit - tolerance(limit) else "red"
    if value <= target + tolerance(target):
        return "green"
    return "yellow" if value <= limit + tolerance(limit) else "red"


def trend(
    value: float | None, previous: float | None, direction: str, flat_within: float = 0.0
) -> str | None:
    """better / worse / flat against the previous period, in the measure's direction; a
    change of at most `flat_within` (in the measure's unit) is flat."""
    if value is None or previous is None:
        return None
    change = value - previous
    if abs(change) <= flat_within + tolerance(previous):
        return "flat"
    improved = change > 0 if direction == "higher_is_better" else change < 0
    return "better" if improved else "worse"


# --- measures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """A balanced-scorecard measure: a valid rule with `perspective:` in its header."""

    rule: RuleFile

    @property
    def header(self) -> RuleHeader:
        assert self.rule.header is not None
        return self.rule.header

    @property
    def measure_id(self) -> str:
        return self.rule.rule_id

    @property
    def band(self) -> float:
        band = self.header.yellow_band
        return DEFAULT_YELLOW_BAND if band is None else band

    def entity_types(self) -> tuple[str, ...]:
        return ("team", "org") if self.header.entity == "team" else ("org",)

    def target_for(self, period_start: dt.date) -> float | None:
        return self.header.target_for(period_start)

    def target_periods(self) -> list[tuple[dt.date | None, dt.date | None, float]]:
        """(valid_from, valid_to exclusive, target): the target history as ranges."""
        h = self.header
        changes = [(c.since, c.target) for c in h.target_history]
        out: list[tuple[dt.date | None, dt.date | None, float]] = []
        first = changes[0][0] if changes else None
        if h.target is not None:
            out.append((None, first, h.target))
        for i, (since, target) in enumerate(changes):
            until = changes[i + 1][0] if i + 1 < len(changes) else None
            out.append((since, until, target))
        return out


def load_measures(rules_dir: Path) -> list[Measure]:
    """Every valid, non-draft rule with `perspective:`, in file order."""
    if not Path(rules_dir).is_dir():
        return []
    return [
        Measure(rule)
        for rule in load_rules(Path(rules_dir))
        if rule.ok and rule.header.perspective is not None and rule.header.rollout != "draft"
    ]


def check_measures(measures: Sequence[Measure], config: StatureConfig) -> list[Problem | str]:
    """What the scorecard's shape gets wrong: too many measures (warn above
    `balanced_scorecard.max_measures`), a perspective with fewer than 3 or more than 5, a
    perspective the config does not list (with the file and line)."""
    bsc = config.balanced_scorecard
    out: list[Problem | str] = []
    if len(measures) > bsc.max_measures:
        out.append(
            f"{len(measures)} balanced-scorecard measures: more than "
            f"balanced_scorecard.max_measures ({bsc.max_measures}); keep the few that steer"
        )
    counts = Counter(m.header.perspective for m in measures)
    for m in measures:
        if m.header.perspective not in bsc.perspectives:
            out.append(
                Problem(
                    m.rule.path,
                    m.rule.line_of("perspective"),
                    None,
                    f"perspective '{m.header.perspective}' is not one of "
                    f"balanced_scorecard.perspectives ({', '.join(bsc.perspectives)})",
                )
            )
    if measures:
        for perspective in bsc.perspectives:
            n = counts.get(perspective, 0)
            if not MIN_PER_PERSPECTIVE <= n <= MAX_PER_PERSPECTIVE:
                out.append(
                    f"perspective '{perspective}' has {n} measures "
                    f"({MIN_PER_PERSPECTIVE} to {MAX_PER_PERSPECTIVE} keep it balanced)"
                )
    return out


# --- building the table ----------------------------------------------------------------------


@dataclass
class Value:
    period: str
    period_start: dt.date
    period_end: dt.date
    value: float
    source: str


@dataclass
class BscReport:
    as_of: dt.date
    measures: int = 0
    rows: int = 0
    periods: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)


def _read_values(
    con: duckdb.DuckDBPyConnection, measures: Sequence[Measure], config: StatureConfig
) -> dict[tuple[str, str, str], dict[dt.date, Value]]:
    """{(measure, entity_type, entity_id): {period_start: Value}} from bsc_measures, and for
    measures it lacks, from their check results as of each quarter's last day."""
    values: dict[tuple[str, str, str], dict[dt.date, Value]] = defaultdict(dict)
    ids = [m.measure_id for m in measures]
    found: set[str] = set()
    if ids and table_exists(con, "marts", "bsc_measures"):
        for row in con.execute(
            "select measure_id, entity_type, entity_id, period, period_start, period_end, value "
            "from marts.bsc_measures where measure_id in (select unnest($ids::varchar[])) "
            "and value is not null",
            {"ids": ids},
        ).fetchall():
            measure_id, etype, eid, period, start, end, value = row
            values[(measure_id, etype, eid)][start] = Value(
                period, start, end, value, "bsc_measures"
            )
            found.add(measure_id)
    rest = [i for i in ids if i not in found]
    if rest and table_exists(con, SCHEMA, "check_results"):
        start_month = config.org.fiscal_year_start_month
        for measure_id, etype, eid, as_of, value in con.execute(
            f"select rule_id, entity_type, entity_id, as_of, value from {SCHEMA}.check_results "
            "where rule_id in (select unnest($ids::varchar[])) and value is not null",
            {"ids": rest},
        ).fetchall():
            q = quarter_of(as_of, start_month)
            if as_of == q.end:
                values[(measure_id, etype, eid)][q.start] = Value(
                    q.label, q.start, q.end, value, "check_results"
                )
    return values


def compute_rows(
    measures: Sequence[Measure],
    values: dict[tuple[str, str, str], dict[dt.date, Value]],
    *,
    as_of: dt.date,
    computed_at: dt.datetime,
    flat_band: float = 0.1,
) -> list[dict[str, Any]]:
    """The scorecard's rows for every complete quarter (ended on or before as_of): each
    entity with any value in a quarter gets a row for every measure of its type."""
    periods: dict[dt.date, Value] = {}
    present: dict[dt.date, set[tuple[str, str]]] = defaultdict(set)
    by_id = {m.measure_id: m for m in measures}
    for (measure_id, etype, eid), series in values.items():
        if etype not in by_id[measure_id].entity_types():
            continue
        for start, v in series.items():
            if v.period_end <= as_of:
                periods.setdefault(start, v)
                present[start].add((etype, eid))
    rows: list[dict[str, Any]] = []
    for start in sorted(periods):
        period = periods[start]
        previous_start = add_months(start, -3)
        for etype, eid in sorted(present[start], key=lambda e: (e[0] != "org", e[1])):
            for m in measures:
                if etype not in m.entity_types():
                    continue
                series = values.get((m.measure_id, etype, eid), {})
                current = series.get(start)
                before = series.get(previous_start)
                prior = before.value if before else None
                target = m.target_for(start)
                h = m.header
                value = current.value if current else None
                rows.append(
                    {
                        "period": period.period,
                        "period_start": start,
                        "period_end": period.period_end,
                        "entity_type": etype,
                        "entity_id": eid,
                        "perspective": h.perspective,
                        "objective": h.objective,
                        "measure_id": m.measure_id,
                        "title": h.title,
                        "value": value,
                        "unit": h.unit,
                        "target": target,
                        "direction": h.direction,
                        "yellow_band": m.band,
                        "yellow_limit": None
                        if target is None
                        else yellow_limit(target, h.direction, m.band),
                        "status": grade(value, target, h.direction, m.band),
                        "previous_value": prior,
                        "trend": trend(
                            value, prior, h.direction, flat_width(m, target, prior, flat_band)
                        ),
                        "owner": h.owner,
                        "indicator": h.indicator,
                        "value_source": current.source if current else None,
                        "rule_version": m.rule.version,
                        "as_of": as_of,
                        "computed_at": computed_at,
                    }
                )
    return rows


def flat_width(
    measure: Measure, target: float | None, previous: float | None, flat_band: float
) -> float:
    """How far a value may move and still be a flat trend: `flat_band` of the measure's
    yellow band (yellow_band x |target|, or x |previous| without a target)."""
    scale = abs(target) if target is not None else abs(previous or 0.0)
    return flat_band * measure.band * scale


def _target_rows(measures: Sequence[Measure]) -> list[tuple[Any, ...]]:
    rows = []
    for m in measures:
        for since, until, target in m.target_periods():
            rows.append(
                (
                    m.measure_id,
                    since,
                    until,
                    target,
                    m.header.direction,
                    m.band,
                    yellow_limit(target, m.header.direction, m.band),
                    m.rule.version,
                )
            )
    return rows


def build_balanced_scorecard(
    config: StatureConfig, *, warehouse: Path, rules_dir: Path, as_of: dt.date
) -> BscReport:
    """Grade every measure for every complete quarter and replace the scorecard tables."""
    report = BscReport(as_of=as_of)
    measures = load_measures(rules_dir)
    report.measures = len(measures)
    report.warnings += [str(p) for p in check_measures(measures, config)]
    with connect(warehouse) as con:
        con.execute(DDL)
        values = _read_values(con, measures, config)
        for m in measures:
            if not any(key[0] == m.measure_id for key in values):
                report.warnings.append(
                    f"measure {m.measure_id} has no values: not in marts.bsc_measures and no "
                    "check results as of a quarter's last day"
                )
        rows = compute_rows(
            measures,
            values,
            as_of=as_of,
            computed_at=dt.datetime.now(dt.UTC),
            flat_band=config.balanced_scorecard.trend_flat_band,
        )
        names = [n for n, _ in COLUMNS]
        con.execute("begin transaction")
        try:
            con.execute(f"delete from {TABLE}")
            if rows:
                con.executemany(
                    f"insert into {TABLE} ({', '.join(names)}) "
                    f"values ({', '.join('?' for _ in names)})",
                    [[r[n] for n in names] for r in rows],
                )
            con.execute(f"delete from {TARGETS}")
            targets = _target_rows(measures)
            if targets:
                con.executemany(
                    f"insert into {TARGETS} values ({', '.join('?' for _ in TARGET_COLUMNS)})",
                    targets,
                )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    report.rows = len(rows)
    report.periods = sorted({r["period"] for r in rows})
    report.statuses = Counter(r["status"] for r in rows)
    return report


__all__ = [
    "ORG_ENTITY_ID",
    "BscReport",
    "Measure",
    "build_balanced_scorecard",
    "check_measures",
    "compute_rows",
    "grade",
    "load_measures",
    "trend",
]
