"""Real DuckDB warehouses for the maturity tests: the catalog marts and check results written
by hand (so every level in a test can be worked out on paper), and small rule folders."""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb

from dagster_project.rules import store

CATALOG_DDL = """
create schema if not exists marts;
create table marts.dim_services (service_id varchar, team_id varchar, lifecycle varchar);
create table marts.dim_teams (team_id varchar, name varchar);
create table marts.dim_service_teams (
    service_id varchar, team_id varchar, valid_from date, valid_to date
);
"""


def build_catalog(
    path: Path,
    services: dict[str, str],
    *,
    history: Sequence[tuple[str, str, str, str | None]] = (),
    teams: Iterable[str] | None = None,
) -> Path:
    """A warehouse with dim_services ({service: current team}), dim_teams and the ownership
    history (service, team, valid_from, valid_to); without history a service has one owner
    for all time."""
    con = duckdb.connect(str(path))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(CATALOG_DDL)
        con.execute(store.DDL)
        for service, team in services.items():
            con.execute(
                "insert into marts.dim_services values (?, ?, 'production')", [service, team]
            )
        for team in sorted(set(teams or ()) | set(services.values())):
            con.execute("insert into marts.dim_teams values (?, ?)", [team, team.title()])
        owned = {h[0] for h in history}
        rows = list(history) + [
            (s, t, "1970-01-01", None) for s, t in services.items() if s not in owned
        ]
        con.executemany("insert into marts.dim_service_teams values (?, ?, ?, ?)", rows)
    finally:
        con.close()
    return path


def add_results(
    path: Path,
    as_of: dt.date | str,
    rows: Sequence[tuple],
    *,
    version: str = "v1",
) -> None:
    """check_results rows: (rule_id, level, entity_type, entity_id, status[, rollout])."""
    con = duckdb.connect(str(path))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(store.DDL)
        for row in rows:
            rule_id, level, etype, eid, status, *rest = row
            rollout = rest[0] if rest else "enforced"
            con.execute(
                "insert into scorecards.check_results (as_of, rule_id, rule_version, scorecard, "
                "level, entity_type, entity_id, status, rollout, evaluated_at, run_id) "
                "values (?, ?, ?, 'test', ?, ?, ?, ?, ?, now(), 'test')",
                [as_of, rule_id, f"{rule_id}-{version}", level, etype, eid, status, rollout],
            )
    finally:
        con.close()


def query(path: Path, sql: str, params: Sequence | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def write_rule(
    rules_dir: Path, rule_id: str, header: str, sql: str, scorecard: str = "std"
) -> Path:
    folder = rules_dir / scorecard
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{rule_id}.sql"
    head = f"id: {rule_id}\ntitle: Rule {rule_id}\nscorecard: {scorecard}\nowner: test-team\n"
    path.write_text(
        "/*---\n" + head + textwrap.dedent(header).strip() + "\n---*/\n" + textwrap.dedent(sql)
    )
    return path
