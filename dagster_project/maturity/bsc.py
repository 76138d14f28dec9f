"""The balanced scorecard's inputs that are not arithmetic: which rules are measures, their
target history (`scorecards.bsc_targets`), and what the scorecard's shape gets wrong.

A measure is a rule file with `perspective:` in its header (entity team or org; owner,
target and its history, direction, indicator, yellow_band). The grading itself (red / yellow
/ green against the target in effect for each quarter, the trend against the quarter before)
is SQL: the dbt model scorecards.balanced_scorecard reads this table, the rule catalog
(scorecards.rule_catalog, written by the rule engine) and marts.bsc_measures.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.config import StatureConfig
from dagster_project.maturity.quarters import quarter_of
from dagster_project.rules.loader import RuleFile, load_rules
from dagster_project.rules.model import (
    DEFAULT_YELLOW_BAND,
    ORG_ENTITY_ID,
    Problem,
    RuleHeader,
    yellow_limit,
)
from dagster_project.warehouse import connect, table_exists

SCHEMA = "scorecards"
TARGETS = f"{SCHEMA}.bsc_targets"
MIN_PER_PERSPECTIVE, MAX_PER_PERSPECTIVE = 3, 5

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

DDL = (
    f"create schema if not exists {SCHEMA};\n"
    f"create table if not exists {TARGETS} (\n    "
    + ",\n    ".join(f"{n} {k}" for n, k in TARGET_COLUMNS)
    + "\n);\n"
)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


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


# --- the target history -------------------------------------------------------------------


@dataclass
class BscReport:
    measures: int = 0
    targets: int = 0
    warnings: list[str] = field(default_factory=list)


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
                    # The yellow band's far edge, as the rule header defines it for grading.
                    yellow_limit(target, m.header.direction, m.band),
                    m.rule.version,
                )
            )
    return rows


def _measures_with_values(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str], start_month: int
) -> set[str]:
    """The measures the scorecard will find values for: in marts.bsc_measures, or in their
    own check results as of a quarter's last day."""
    found: set[str] = set()
    if not ids:
        return found
    params = {"ids": list(ids)}
    if table_exists(con, "marts", "bsc_measures"):
        found |= {
            r[0]
            for r in con.execute(
                "select distinct measure_id from marts.bsc_measures "
                "where measure_id in (select unnest($ids::varchar[])) and value is not null",
                params,
            ).fetchall()
        }
    if table_exists(con, SCHEMA, "check_results"):
        found |= {
            rule_id
            for rule_id, as_of in con.execute(
                f"select distinct rule_id, as_of from {SCHEMA}.check_results "
                "where rule_id in (select unnest($ids::varchar[])) and value is not null",
                params,
            ).fetchall()
            if quarter_of(as_of, start_month).end == as_of
        }
    return found


def write_targets(config: StatureConfig, *, warehouse: Path, rules_dir: Path) -> BscReport:
    """Replace scorecards.bsc_targets with the measures' target history and say what the
    scorecard's shape gets wrong and which measures have no values to grade."""
    report = BscReport()
    measures = load_measures(rules_dir)
    report.measures = len(measures)
    report.warnings += [str(p) for p in check_measures(measures, config)]
    rows = _target_rows(measures)
    with connect(warehouse) as con:
        ensure_schema(con)
        found = _measures_with_values(
            con, [m.measure_id for m in measures], config.org.fiscal_year_start_month
        )
        con.execute("begin transaction")
        try:
            con.execute(f"delete from {TARGETS}")
            if rows:
                con.executemany(
                    f"insert into {TARGETS} values ({', '.join('?' for _ in TARGET_COLUMNS)})",
                    rows,
                )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    for m in measures:
        if m.measure_id not in found:
            report.warnings.append(
                f"measure {m.measure_id} has no values: not in marts.bsc_measures and no "
                "check results as of a quarter's last day"
            )
    report.targets = len(rows)
    return report


__all__ = [
    "ORG_ENTITY_ID",
    "BscReport",
    "Measure",
    "check_measures",
    "ensure_schema",
    "load_measures",
    "write_targets",
]
