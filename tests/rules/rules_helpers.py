"""Helpers for the rule engine tests: warehouse files with the marts contract, rule texts."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import duckdb

# The marts contract the rules read (the dbt models own the real thing).
MARTS_DDL = """
create schema if not exists marts;
create table marts.dim_services (
    service_id varchar, name varchar, team_id varchar, system varchar, type varchar,
    tier varchar, lifecycle varchar, repo varchar, pagerduty_service_id varchar,
    opsgenie_team varchar, runbook_url varchar, has_runbook boolean, has_oncall boolean,
    alerts_url varchar, has_alerts boolean, endpoint_count integer,
    tls_endpoint_count integer, slo_target double
);
create table marts.dim_teams (team_id varchar, name varchar, service_count integer);
create table marts.dim_service_teams (
    service_id varchar, team_id varchar, valid_from date, valid_to date
);
create table marts.fct_deployments (
    deployment_id varchar, service_id varchar, environment varchar, deployed_at timestamptz,
    sha varchar, source varchar, is_failure boolean, failure_reasons varchar[],
    is_rework boolean, recovered_at timestamptz, recovery_hours double
);
create table marts.fct_changes (
    change_id varchar, service_id varchar, first_commit_at timestamptz, opened_at timestamptz,
    first_review_at timestamptz, merged_at timestamptz, deployment_id varchar,
    deployed_at timestamptz, lead_time_hours double, coding_hours double,
    pickup_hours double, review_hours double, deploy_hours double
);
create table marts.fct_incidents (
    incident_id varchar, service_id varchar, source varchar, severity varchar,
    created_at timestamptz, resolved_at timestamptz, restore_hours double,
    deployment_id varchar
);
create table marts.dora_metrics (
    period_grain varchar, period_start date, period_label varchar, entity_type varchar,
    entity_id varchar, deployments integer, deploy_days integer,
    deployment_frequency double, lead_time_p50_hours double, lead_time_p75_hours double,
    lead_time_p90_hours double, change_failure_rate double, recovery_time_p50_hours double,
    rework_rate double, changes integer, failed_deployments integer,
    deployment_frequency_tier varchar, lead_time_tier varchar,
    change_failure_rate_tier varchar, recovery_time_tier varchar, benchmark_edition varchar
);
create table marts.fct_ci_runs (
    run_id varchar, service_id varchar, workflow_name varchar, conclusion varchar,
    created_at timestamptz, updated_at timestamptz, is_deploy boolean,
    is_security_scan boolean, is_sbom boolean, is_static_analysis boolean
);
create table marts.fct_issues (
    issue_id varchar, service_id varchar, title varchar, labels varchar[],
    created_at timestamptz, closed_at timestamptz
);
create table marts.fct_manual_measures (
    period_start date, period_end date, period_grain varchar, entity_type varchar,
    entity_id varchar, measure_id varchar, value double, unit varchar, source varchar
);
"""

SERVICE_DEFAULTS = {
    "name": None,
    "team_id": "payments",
    "system": "core",
    "type": "service",
    "tier": "tier-1",
    "lifecycle": "production",
    "repo": None,
    "pagerduty_service_id": None,
    "opsgenie_team": None,
    "runbook_url": None,
    "has_runbook": False,
    "has_oncall": False,
    "alerts_url": None,
    "has_alerts": False,
    "endpoint_count": 0,
    "tls_endpoint_count": 0,
    "slo_target": None,
}


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    columns = list(dict.fromkeys(k for row in rows for k in row))
    sql = f"insert into {table} ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})"
    con.executemany(sql, [[row.get(c) for c in columns] for row in rows])


def build_warehouse(path: Path, tables: dict[str, list[dict]] | None = None) -> Path:
    """A warehouse file with every contract table, filled with `tables` rows."""
    tables = dict(tables or {})
    services = tables.pop("marts.dim_services", None)
    if services is None:
        services = [{"service_id": s, "tier": "tier-1"} for s in ("svc-a", "svc-b", "svc-c")]
    services = [{**SERVICE_DEFAULTS, "name": s["service_id"], **s} for s in services]
    teams = tables.pop("marts.dim_teams", None)
    if teams is None:
        teams = [
            {"team_id": t, "name": t.title()} for t in sorted({s["team_id"] for s in services})
        ]
    con = duckdb.connect(str(path))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(MARTS_DDL)
        insert_rows(con, "marts.dim_services", services)
        insert_rows(con, "marts.dim_teams", teams)
        for table, rows in tables.items():
            insert_rows(con, table, rows)
    finally:
        con.close()
    return path


def rule_text(
    rule_id: str,
    sql: str,
    *,
    scorecard: str = "security",
    level: int = 2,
    extra: str = "",
    thresholds: str | None = '{pass: ">= 1", warn: ">= 0.5"}',
    entity: str | None = None,
) -> str:
    header = [
        f"id: {rule_id}",
        f"title: Rule {rule_id}",
        f"scorecard: {scorecard}",
        f"level: {level}",
        "owner: platform-team",
    ]
    if entity:
        header.append(f"entity: {entity}")
    if thresholds:
        header.append(f"thresholds: {thresholds}")
    header += [line for line in textwrap.dedent(extra).splitlines() if line.strip()]
    return "/*---\n" + "\n".join(header) + "\n---*/\n" + textwrap.dedent(sql).strip() + "\n"


def read_results(warehouse: Path, where: str = "true") -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "select as_of, rule_id, entity_id, status, value from scorecards.check_results "
            f"where {where} order by as_of, rule_id, entity_id"
        ).fetchall()
    finally:
        con.close()


def statuses(warehouse: Path, rule_id: str, as_of: dt.date | None = None) -> dict[str, str]:
    where = f"rule_id = '{rule_id}'" + (f" and as_of = DATE '{as_of}'" if as_of else "")
    return {row[2]: row[3] for row in read_results(warehouse, where)}
