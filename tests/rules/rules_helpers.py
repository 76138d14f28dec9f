"""Helpers for the rule engine tests: warehouse files with the marts contract, rule texts."""

from __future__ import annotations

import datetime as dt
import hashlib
import textwrap
from pathlib import Path

import duckdb

from tests.support.marts_schema import marts_ddl

# The marts the rules read, as the dbt models declare them (generated from the manifest).
MARTS_DDL = marts_ddl()

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


def file_hash(path: Path) -> str:
    """What rule_version must be: the first 16 hex digits of the SHA-256 of the file's bytes,
    computed here rather than by the code under test."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
