"""What a run prints: rejected records, and the org summary read from the published copy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.config import StatureConfig
from dagster_project.publish import DATABASE_NAME, PARQUET_LINK
from dagster_project.warehouse import connect, table_exists
from ingestion.registry import SOURCES


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def fmt(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:,.2f}"
        if isinstance(value, list):
            return ", ".join(str(v) for v in value) or "-"
        return str(value)

    cells = [[fmt(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    out = ["  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    out.append("  " + "  ".join("-" * w for w in widths))
    out += [
        "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
    return "\n".join(out)


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


def print_ingest_counts(result: Any) -> None:
    print("\nIngested:")
    seen: set[str] = set()
    for event in result.get_asset_materialization_events():
        key = event.materialization.asset_key.path
        meta = event.materialization.metadata
        if key[0].startswith("raw_") and "rows_loaded" in meta:
            seen.add(key[0])
            print(f"  {key[0]}.{key[1]}: {meta['rows_loaded'].value} rows")


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
        from dagster_project.maturity.summary import maturity_summary

        print()
        print(maturity_summary(con))
    if has("scorecards", "balanced_scorecard"):
        from dagster_project.maturity.summary import bsc_summary

        print()
        print(bsc_summary(con))
