"""Reading the published copy for the site and the portal files.

Everything comes from the `reporting` views (dbt models, so the site, the notebook and a BI
tool show the same numbers) plus the catalog dimensions. A view that is not in the
published copy is recorded with the reason (which of the tables it reads are missing, from
the dbt manifest), never raised: every page says what it lacks and the rest still renders.

Views that grow with services x rules x quarters are read with the columns the pages need
only, as tuples (`ReportData.history`), so 2,000 services fit in memory comfortably.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.manifest import ManifestError, schema_models
from dagster_project.publish import DATABASE_NAME, PUBLISH_INFO
from dagster_project.warehouse import connect

Row = dict[str, Any]
SCHEMA = "reporting"
# view -> the rows the pages read (None: all of them)
VIEW_FILTERS: dict[str, str | None] = {
    "dora_trends": "period_grain = 'quarter'",
    "dora_trends_by_metric": "period_grain = 'quarter' and entity_type <> 'service'",
    "dora_tier_bands": None,
    "scorecard_pass_rates": "is_quarter_close or as_of = (select max(as_of) from {view})",
    "rule_pass_rates": None,
    "maturity_distribution": None,
    "maturity_movements": None,
    "maturity_history": None,
    "balanced_scorecard": None,
    "service_standards": None,
    "service_maturity": None,
    "initiative_status": None,
    "initiative_progress": "grain <> 'entity'",  # the burn-up and per-team progress
    "initiative_late_entities": None,
}
VIEW_NAMES = (*VIEW_FILTERS, "check_history")
# check_history, as tuples: one per (quarter, rule, entity)
HISTORY_COLUMNS = (
    "quarter_start",
    "quarter",
    "rule_id",
    "entity_type",
    "entity_id",
    "status",
    "value",
    "team_id",
)
# The publish stamp: where it is now, then where copies published before it kept it.
PUBLISH_INFO_TABLES = (PUBLISH_INFO, "_stature.publish_info")


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
    """What the published copy holds for the site, and what it lacks (name -> reason)."""

    database: Path
    org_name: str
    published_at: dt.datetime | None = None
    run_id: str | None = None
    as_of: dt.date | None = None
    as_of_source: str = ""  # evaluation (the run's as-of date) | deployments (last one seen)
    services: list[Row] = field(default_factory=list)
    teams: list[Row] = field(default_factory=list)
    views: dict[str, list[Row]] = field(default_factory=dict)
    # check_history: HISTORY_COLUMNS tuples (None when the view is missing)
    history: list[tuple] | None = None
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
        """Whether a period whose last day is `period_end` was still running at as_of (the
        period views say it themselves in `is_closed`; this is for rows without it)."""
        if self.as_of is None or period_end is None:
            return False
        if isinstance(period_end, dt.datetime):
            period_end = period_end.date()
        return period_end > self.as_of


def published_database(published_dir: Path) -> Path:
    return Path(published_dir) / DATABASE_NAME


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_catalog = current_database()"
    ).fetchall()
    return {r[0] for r in rows}


def _why_missing(name: str, tables: set[str]) -> str:
    """Why reporting.<name> is not in the published copy: the tables it reads that are not
    there either (from the dbt manifest), else that it was not built."""
    qualified = f"{SCHEMA}.{name}"
    try:
        needs = {m.relation: m.depends_on for m in schema_models(SCHEMA)}.get(qualified, ())
    except ManifestError:
        needs = ()
    lacking = sorted(t for t in needs if not t.startswith(SCHEMA + ".") and t not in tables)
    if lacking:
        table = "tables" if len(lacking) > 1 else "table"
        return f"missing {table} {', '.join(lacking)} in the published copy"
    return f"{qualified} was not built (the dbt reporting step has not run)"


def load_report_data(database: Path, *, org_name: str) -> ReportData:
    """Read everything the site needs from the published copy at `database`."""
    database = Path(database)
    if not database.exists():
        raise FileNotFoundError(
            f"no published copy at {database}: run `stature run` (or `stature publish`) first"
        )
    data = ReportData(database=database, org_name=org_name)
    with connect(database, read_only=True) as con:
        tables = _tables(con)
        info = next((t for t in PUBLISH_INFO_TABLES if t in tables), None)
        if info:
            rows = fetch(con, f"select published_at, run_id from {info} limit 1")
            if rows:
                data.published_at = rows[0]["published_at"]
                data.run_id = rows[0]["run_id"] or None
        if "marts.dim_services" in tables:
            data.services = fetch(con, "select * from marts.dim_services order by service_id")
        else:
            data.missing["marts.dim_services"] = "the dbt marts are not in the published copy"
        if "marts.dim_teams" in tables:
            data.teams = fetch(con, "select * from marts.dim_teams order by team_id")
        if f"{SCHEMA}.rule_catalog" in tables:
            data.rule_catalog = {
                r["rule_id"]: r for r in fetch(con, f"select * from {SCHEMA}.rule_catalog")
            }
        for name, where in VIEW_FILTERS.items():
            qualified = f"{SCHEMA}.{name}"
            if qualified not in tables:
                data.missing[qualified] = _why_missing(name, tables)
                continue
            sql = f"select * from {qualified}"
            if where:
                sql += " where " + where.format(view=qualified)
            data.views[name] = fetch(con, sql)
        if f"{SCHEMA}.check_history" in tables:
            data.history = con.execute(
                f"select {', '.join(HISTORY_COLUMNS)} from {SCHEMA}.check_history "
                "order by entity_type, entity_id, rule_id, quarter_start"
            ).fetchall()
        else:
            data.missing[f"{SCHEMA}.check_history"] = _why_missing("check_history", tables)
        data.as_of, data.as_of_source = _as_of(con, tables)
    return data


def _as_of(con: duckdb.DuckDBPyConnection, tables: set[str]) -> tuple[dt.date | None, str]:
    """The date the published figures run to: the evaluation date of the newest check results
    (or maturity snapshot); without those, the day of the last production deployment."""
    sources = [
        ("scorecards.check_results", "max(as_of)", "evaluation"),
        ("scorecards.maturity_snapshots", "max(as_of)", "evaluation"),
        ("marts.fct_deployments", "max(cast(deployed_at as date))", "deployments"),
    ]
    for table, expression, kind in sources:
        if table in tables:
            row = con.execute(f"select {expression} from {table}").fetchone()
            if row and row[0] is not None:
                value = row[0]
                return (value.date() if isinstance(value, dt.datetime) else value), kind
    return None, ""
