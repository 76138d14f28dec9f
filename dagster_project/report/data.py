"""Reading the published copy for the report and the portal files.

Everything comes from the `reporting` views (so the report, the notebook and a BI tool show
the same numbers) plus the catalog dimensions. A view that is not in the published copy is
recorded with the reason (which stage's table is missing), never raised: every section of
the report says what it lacks and the rest still renders.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.publish import DATABASE_NAME
from dagster_project.report.views import SCHEMA, VIEWS, Catalog
from dagster_project.warehouse import connect

Row = dict[str, Any]


def clean(value: Any) -> Any:
    """NaN and infinities as None: they are 'no value' to a reader, and invalid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Row]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [
        {name: clean(value) for name, value in zip(names, row, strict=True)}
        for row in cursor.fetchall()
    ]


@dataclass
class ReportData:
    """What the published copy holds for the report, and what it lacks (name -> reason)."""

    database: Path
    org_name: str
    published_at: dt.datetime | None = None
    run_id: str | None = None
    as_of: dt.date | None = None
    as_of_source: str = ""  # evaluation (the run's as-of date) | deployments (last one seen)
    services: list[Row] = field(default_factory=list)
    teams: list[Row] = field(default_factory=list)
    views: dict[str, list[Row]] = field(default_factory=dict)
    rule_catalog: dict[str, Row] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def view(self, name: str) -> list[Row] | None:
        """Rows of reporting.<name>, or None when the view is not in the published copy."""
        return self.views.get(name)

    def reason(self, name: str) -> str:
        return self.missing.get(f"{SCHEMA}.{name}", "")

    def team_name(self, team_id: str | None) -> str:
        for team in self.teams:
            if team["team_id"] == team_id:
                return team.get("name") or team_id or ""
        return team_id or ""

    def rule_title(self, rule_id: str) -> str:
        row = self.rule_catalog.get(rule_id)
        return (row or {}).get("title") or rule_id

    def is_open(self, period_end: dt.date | None) -> bool:
        """Whether a period whose last day is `period_end` was still running at as_of."""
        if self.as_of is None or period_end is None:
            return False
        if isinstance(period_end, dt.datetime):
            period_end = period_end.date()
        return period_end > self.as_of


def published_database(published_dir: Path) -> Path:
    return Path(published_dir) / DATABASE_NAME


def load_report_data(database: Path, *, org_name: str) -> ReportData:
    """Read everything the report needs from the published copy at `database`."""
    database = Path(database)
    if not database.exists():
        raise FileNotFoundError(
            f"no published copy at {database}: run `stature run` (or `stature publish`) first"
        )
    data = ReportData(database=database, org_name=org_name)
    with connect(database, read_only=True) as con:
        catalog = Catalog.read(con)
        if _has_table(con, "_stature", "publish_info"):
            info = fetch(con, "select published_at, run_id from _stature.publish_info limit 1")
            if info:
                data.published_at = info[0]["published_at"]
                data.run_id = info[0]["run_id"] or None
        if catalog.has("marts.dim_services"):
            data.services = fetch(con, "select * from marts.dim_services order by service_id")
        else:
            data.missing["marts.dim_services"] = "the dbt marts are not in the published copy"
        if catalog.has("marts.dim_teams"):
            data.teams = fetch(con, "select * from marts.dim_teams order by team_id")
        if catalog.has(f"{SCHEMA}.rule_catalog"):
            data.rule_catalog = {
                r["rule_id"]: r for r in fetch(con, f"select * from {SCHEMA}.rule_catalog")
            }
        for view in VIEWS:
            qualified = f"{SCHEMA}.{view.name}"
            if catalog.has(qualified):
                data.views[view.name] = fetch(con, f"select * from {qualified}")
                continue
            lacking = catalog.missing(view.needs)
            data.missing[qualified] = (
                f"{lacking} in the published copy" if lacking else f"{qualified} was not created"
            )
        data.as_of, data.as_of_source = _as_of(con, catalog)
    return data


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    row = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def _as_of(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> tuple[dt.date | None, str]:
    """The date the published figures run to: the evaluation date of the newest check results
    (or maturity snapshot); without those, the day of the last production deployment."""
    sources = [
        ("scorecards.check_results", "as_of", "max(as_of)", "evaluation"),
        ("scorecards.maturity_snapshots", "as_of", "max(as_of)", "evaluation"),
        ("marts.fct_deployments", "deployed_at", "max(cast(deployed_at as date))", "deployments"),
    ]
    for table, column, expression, kind in sources:
        if catalog.has(table) and column in catalog.columns[table]:
            row = con.execute(f"select {expression} from {table}").fetchone()
            if row and row[0] is not None:
                value = row[0]
                return (value.date() if isinstance(value, dt.datetime) else value), kind
    return None, ""
