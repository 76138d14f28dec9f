"""`scorecards.rule_catalog`: one row per rule file with a readable header (title, unit,
thresholds, remediation, the balanced-scorecard fields), so reports, BI tools and the
balanced scorecard can say what a rule means, not only its id.

The rule engine rewrites it from the rules directory every time it stores results, so it is
filled after a nightly run, a backfill or a snapshot alike. The dbt view reporting.rule_catalog
and the model scorecards.balanced_scorecard read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.rules.loader import RuleFile
from dagster_project.rules.model import DEFAULT_YELLOW_BAND
from dagster_project.warehouse import connect

TABLE = "scorecards.rule_catalog"
COLUMNS: tuple[tuple[str, str], ...] = (
    ("rule_id", "VARCHAR NOT NULL"),
    ("scorecard", "VARCHAR NOT NULL"),
    ("title", "VARCHAR"),
    ("level", "INTEGER"),
    ("entity", "VARCHAR"),
    ("owner", "VARCHAR"),
    ("unit", "VARCHAR"),
    ("thresholds", "VARCHAR"),
    ("rollout", "VARCHAR"),
    ("remediation", "VARCHAR"),
    ("description", "VARCHAR"),
    ("perspective", "VARCHAR"),
    ("objective", "VARCHAR"),
    ("indicator", "VARCHAR"),
    ("direction", "VARCHAR"),
    ("rule_version", "VARCHAR NOT NULL"),
    ("yellow_band", "DOUBLE"),
    ("is_valid", "BOOLEAN NOT NULL"),
    ("path", "VARCHAR"),
)
DDL = (
    "create schema if not exists scorecards;\n"
    f"create table if not exists {TABLE} ("
    + ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
    + ");\n"
)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def catalog_row(rule: RuleFile) -> dict[str, Any] | None:
    """The catalog row of a rule file, or None when it has no readable header."""
    h = rule.header
    if h is None:
        return None
    band = None
    if h.perspective is not None:
        band = DEFAULT_YELLOW_BAND if h.yellow_band is None else h.yellow_band
    return {
        "rule_id": h.id,
        "scorecard": h.scorecard,
        "title": h.title,
        "level": h.level,
        "entity": h.entity,
        "owner": h.owner,
        "unit": h.unit,
        "thresholds": str(h.thresholds) if h.thresholds else None,
        "rollout": h.rollout,
        "remediation": h.remediation,
        "description": h.description,
        "perspective": h.perspective,
        "objective": h.objective,
        "indicator": h.indicator,
        "direction": h.direction,
        "rule_version": rule.version,
        "yellow_band": band,
        "is_valid": rule.ok,
        "path": str(rule.path),
    }


def write_rule_catalog(warehouse: Path, rules: Sequence[RuleFile]) -> int:
    """Replace scorecards.rule_catalog with the rows of `rules` (one transaction)."""
    unique: dict[str, dict[str, Any]] = {}
    for rule in rules:
        row = catalog_row(rule)
        # Two files claiming one id: the first stands, as for the rule assets.
        if row is not None and row["rule_id"] not in unique:
            unique[row["rule_id"]] = row
    names = [name for name, _ in COLUMNS]
    with connect(warehouse) as con:
        ensure_schema(con)
        con.execute("begin transaction")
        try:
            con.execute(f"delete from {TABLE}")
            if unique:
                con.executemany(
                    f"insert into {TABLE} ({', '.join(names)}) "
                    f"values ({', '.join('?' for _ in names)})",
                    [[row[n] for n in names] for row in unique.values()],
                )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return len(unique)
