"""What a run prints: rejected records, rows landed, and the org summary read from the published
copy (services, DORA by team, check results, maturity, balanced scorecard)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.config import StatureConfig
from dagster_project.publish import DATABASE_NAME, PARQUET_LINK
from dagster_project.terminal import table_text
from dagster_project.warehouse import connect, table_exists
from ingestion.registry import SOURCES


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A summary table, indented under its heading (drawn by rich: dagster_project/terminal)."""
    return table_text(headers, rows, indent=2)


def print_ingest_rejections(warehouse: Path, *, since: float) -> None:
    """Rejected records this run landed in raw_<source>._rejected (dlt load ids are epochs)."""
    if not warehouse.exists():
        return
    rows: list[tuple[Any, ...]] = []
    with connect(warehouse, read_only=True) as con:
        for source in SOURCES:
            if table_exists(con, f"raw_{source}", "_rejected"):
                rows += con.execute(
                    f"select source, file, record_key, reason from raw_{source}._rejected "
                    "where try_cast(_dlt_load_id as double) >= ? order by file, record_key",
                    [since - 1],
                ).fetchall()
    if rows:
        print(f"\nRejected records ({len(rows)}): they were skipped, everything else was loaded")
        for source, file, key, reason in rows:
            print(f"  {source}: {file}{f' [{key}]' if key else ''}: {reason}")


def print_ingest_counts(rows_by_table: dict[str, int]) -> None:
    """Rows this run landed per raw table ("raw_<source>.<table>" -> rows)."""
    print("\nIngested:")
    for table, rows in rows_by_table.items():
        print(f"  {table}: {rows} rows")


def _last_full_quarter_start(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dt.date | None:
    row = con.execute(
        "select max(period_start) from marts.dora_metrics where period_grain = 'quarter' "
        "and period_start + interval 3 month <= ?",
        [as_of],
    ).fetchone()
    return row[0] if row else None


def print_summary(config: StatureConfig, *, as_of: dt.date | None) -> None:
    database = config.published_path / DATABASE_NAME
    if not database.exists():
        print(f"No published copy at {database} yet: run `stature run` first.")
        return
    with connect(database, read_only=True) as con:
        _print_sections(con, as_of)
    print("\nPublished (read-only, safe to open while a run writes):")
    print(f"  DuckDB:  {database}")
    print(f"  Parquet: {config.published_path / PARQUET_LINK}/<schema>/<table>.parquet")
    report = config.published_path / "report" / "index.html"
    if report.exists():
        print(f"  Report:  {report}")


def _print_sections(con: duckdb.DuckDBPyConnection, as_of: dt.date | None) -> None:
    has = lambda schema, table: table_exists(con, schema, table)  # noqa: E731
    if has("marts", "dim_services") and has("marts", "dim_teams"):
        teams = con.execute(
            "select t.team_id, count(s.service_id), "
            "count(*) filter (where s.lifecycle = 'production') "
            "from marts.dim_teams t left join marts.dim_services s using (team_id) "
            "group by 1 order by 1"
        ).fetchall()
        services = sum(r[1] for r in teams)
        print(f"\nServices and teams: {services} services in {len(teams)} teams")
        print(format_table(["team", "services", "in production"], teams))
    if has("marts", "dora_metrics"):
        if as_of is None:
            as_of = con.execute(
                "select max(period_start) + interval 1 day from marts.dora_metrics"
            ).fetchone()[0]
        quarter = _last_full_quarter_start(con, as_of)
        rows = con.execute(
            "select entity_id, deployments, deployment_frequency, lead_time_p50_hours, "
            "change_failure_rate, recovery_time_p50_hours, rework_rate "
            "from marts.dora_metrics where period_grain = 'quarter' "
            "and entity_type in ('team', 'org') and period_start = ? "
            "order by entity_type desc, entity_id",
            [quarter],
        ).fetchall()
        print(f"\nDORA by team, quarter starting {quarter}:")
        print(
            format_table(
                ["team", "deploys", "deploys/wk", "lead p50 h", "CFR", "recovery p50 h", "rework"],
                rows,
            )
        )
    if has("marts", "unmapped_entities"):
        section = unmapped_summary(con)
        if section:
            print()
            print(section)
    if has("scorecards", "check_results"):
        rows = con.execute(
            "select status, count(*) from scorecards.check_results "
            "where as_of = (select max(as_of) from scorecards.check_results) "
            "group by 1 order by 2 desc"
        ).fetchall()
        day = con.execute("select max(as_of) from scorecards.check_results").fetchone()[0]
        print(f"\nCheck results as of {day}:")
        print(format_table(["status", "checks"], rows))
    if has("scorecards", "maturity_snapshots"):
        print()
        print(maturity_summary(con))
    if has("scorecards", "balanced_scorecard"):
        print()
        print(bsc_summary(con))


def unmapped_summary(con: duckdb.DuckDBPyConnection, *, limit: int = 20) -> str:
    """What the sources sent that maps to no service (marts.unmapped_entities): source, key,
    record count and what to do; empty when everything maps."""
    if not table_exists(con, "marts", "unmapped_entities"):
        return ""
    rows = con.execute(
        "select source, entity_kind, entity_key, records, reason from marts.unmapped_entities "
        "order by records desc, source, entity_kind, entity_key"
    ).fetchall()
    if not rows:
        return ""
    lines = [f"Not mapped to any service ({len(rows)}): their records count for no service"]
    lines.append(format_table(["source", "kind", "key", "records", "why"], rows[:limit]))
    if len(rows) > limit:
        lines.append(f"  ... and {len(rows) - limit} more: select * from marts.unmapped_entities")
    return "\n".join(lines)


def maturity_summary(con: duckdb.DuckDBPyConnection, *, quarters: int = 8) -> str:
    """Levels of the teams and the org per quarter (the last `quarters` closed ones and the
    open one), services per level, who moved in the latest quarter, and what blocks."""
    if not table_exists(con, "scorecards", "maturity_snapshots"):
        return "No maturity snapshots yet."
    shown = [
        r[0]
        for r in con.execute(
            "select quarter from (select distinct quarter, quarter_start, is_closed "
            "from scorecards.maturity_snapshots) order by quarter_start desc limit ?",
            [quarters + 1],
        ).fetchall()
    ][::-1]
    if not shown:
        return "No maturity snapshots yet."
    open_quarters = {
        r[0]
        for r in con.execute(
            "select distinct quarter from scorecards.maturity_snapshots where not is_closed"
        ).fetchall()
    }
    labels = [q + (" (open)" if q in open_quarters else "") for q in shown]
    parts = []
    levels = con.execute(
        "select entity_type, entity_id, quarter, level from scorecards.maturity_snapshots "
        "where entity_type in ('team', 'org') and quarter in (select unnest(?::varchar[]))",
        [shown],
    ).fetchall()
    grid: dict[tuple[str, str], dict[str, int | str]] = {}
    for etype, eid, quarter, level in levels:
        # a team no enforced, levelled rule rates: say so, "-" is for no snapshot
        grid.setdefault((etype, eid), {})[quarter] = "unrated" if level is None else level
    rows = [
        [key[1], *[grid[key].get(q) for q in shown]]
        for key in sorted(grid, key=lambda k: (k[0] == "org", k[1]))
    ]
    closed = len([q for q in shown if q not in open_quarters])
    parts.append(
        f"Maturity by quarter ({closed} closed quarter{'s' if closed != 1 else ''}"
        f"{' and the open one' if open_quarters & set(shown) else ''}; "
        "team and org = the lower median of their services, capped by their own rules):"
    )
    parts.append(format_table(["team", *labels], rows))
    latest = shown[-1]
    services = con.execute(
        "select level, level_name, count(*) from scorecards.maturity_snapshots "
        "where entity_type = 'service' and quarter = ? group by all order by level",
        [latest],
    ).fetchall()
    parts.append(f"\nServices per maturity level, {latest}:")
    parts.append(format_table(["level", "name", "services"], services))
    if table_exists(con, "scorecards", "maturity_movements"):
        moved = con.execute(
            "select quarter, entity_type, entity_id, level_name_from || ' -> ' || level_name_to, "
            "movement from scorecards.maturity_movements "
            "where movement in ('up', 'down') and quarter in (select unnest(?::varchar[])) "
            "order by quarter_start desc, entity_type desc, entity_id limit 12",
            [shown],
        ).fetchall()
        parts.append("\nMovements (latest first):")
        parts.append(
            format_table(["quarter", "type", "entity", "level", "moved"], moved)
            if moved
            else "  none: every entity held its level"
        )
    blockers = con.execute(
        "select entity_id, level_name, next_level_name, blockers "
        "from scorecards.maturity_snapshots where quarter = ? and entity_type in ('team', 'org') "
        "order by entity_type = 'org', entity_id",
        [latest],
    ).fetchall()
    parts.append(f"\nWhat blocks the next level, {latest}:")
    parts.append(format_table(["team", "level", "next", "blocking rules"], blockers))
    return "\n".join(parts)


def bsc_summary(con: duckdb.DuckDBPyConnection) -> str:
    """The latest complete quarter's balanced scorecard: the org's measures, and red /
    yellow / green counts per team."""
    if not table_exists(con, "scorecards", "balanced_scorecard"):
        return "No balanced scorecard yet."
    row = con.execute("select max(period) from scorecards.balanced_scorecard").fetchone()
    period = row[0] if row else None
    if period is None:
        return "No balanced scorecard yet (no complete quarter with measures)."
    org = con.execute(
        "select perspective, measure_id, value, unit, target, status, trend, owner "
        "from scorecards.balanced_scorecard where period = ? and entity_type = 'org' "
        "order by perspective, measure_id",
        [period],
    ).fetchall()
    teams = con.execute(
        "select entity_id, count(*) filter (where status = 'green'), "
        "count(*) filter (where status = 'yellow'), count(*) filter (where status = 'red'), "
        "count(*) filter (where status not in ('green', 'yellow', 'red')) "
        "from scorecards.balanced_scorecard where period = ? and entity_type = 'team' "
        "group by entity_id order by entity_id",
        [period],
    ).fetchall()
    parts = [f"Balanced scorecard, org, {period}:"]
    parts.append(
        format_table(
            ["perspective", "measure", "value", "unit", "target", "RYG", "trend", "owner"], org
        )
    )
    parts.append(f"\nBalanced scorecard by team, {period} (measures per status):")
    parts.append(format_table(["team", "green", "yellow", "red", "no data"], teams))
    return "\n".join(parts)
