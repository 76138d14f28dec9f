"""`scorecards.check_results` (docs/rules.md): its DDL, and writing one evaluation so
that re-running a date replaces that date's rows for those rules in one transaction.

`scorecards.rule_versions` keeps the text of every rule version that produced results, keyed
by `rule_version`, so a stored row can always be traced to the exact SQL and thresholds that
graded it (and `rules regrade` can tell a threshold change from a query change).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from dagster_project.warehouse import connect

CHECK_RESULTS_COLUMNS = (
    ("as_of", "DATE NOT NULL"),
    ("rule_id", "VARCHAR NOT NULL"),
    ("rule_version", "VARCHAR NOT NULL"),
    ("scorecard", "VARCHAR NOT NULL"),
    ("level", "INTEGER"),
    ("entity_type", "VARCHAR NOT NULL"),
    ("entity_id", "VARCHAR NOT NULL"),
    ("status", "VARCHAR NOT NULL"),
    ("value", "DOUBLE"),
    ("threshold", "VARCHAR"),
    ("note", "VARCHAR"),
    ("evidence_url", "VARCHAR"),
    ("rollout", "VARCHAR NOT NULL"),
    ("evaluated_at", "TIMESTAMPTZ NOT NULL"),
    ("run_id", "VARCHAR NOT NULL"),
    # The note as the rule wrote it, when it holds placeholders ({pass}, {unit}, ...): a
    # regrade renders it again with the new thresholds. NULL otherwise.
    ("note_template", "VARCHAR"),
)

DDL = f"""
create schema if not exists scorecards;
create table if not exists scorecards.check_results (
    {", ".join(f"{name} {kind}" for name, kind in CHECK_RESULTS_COLUMNS)}
);
create table if not exists scorecards.rule_versions (
    rule_version VARCHAR NOT NULL,
    rule_id VARCHAR NOT NULL,
    scorecard VARCHAR NOT NULL,
    path VARCHAR,
    content VARCHAR NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL
);
"""

# Columns of the per-rule metadata table the engine hands over with its results.
META_SCHEMA = pa.schema(
    [
        ("rule_idx", pa.int32()),
        ("rule_id", pa.string()),
        ("rule_version", pa.string()),
        ("scorecard", pa.string()),
        ("level", pa.int32()),
        ("entity_type", pa.string()),
        ("threshold", pa.string()),
        ("rollout", pa.string()),
        ("enforce_from", pa.date32()),
        ("path", pa.string()),
        ("content", pa.string()),
    ]
)

# The narrow results: one row per (date, rule, entity); the rest comes from the meta table.
ROWS_SQL = """
select
    r.as_of, m.rule_id, m.rule_version, m.scorecard, m.level, m.entity_type, r.entity_id,
    r.status, r.value, m.threshold, r.note, r.evidence_url, r.note_template,
    case
        when m.enforce_from is null then m.rollout
        when r.as_of >= m.enforce_from then 'enforced'
        else 'shadow'
    end as rollout,
    $evaluated_at::timestamptz as evaluated_at,
    $run_id as run_id
from _stature_results r join _stature_meta m using (rule_idx)
"""


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)
    # Warehouses made before notes could hold placeholders lack the column.
    con.execute(
        "alter table scorecards.check_results add column if not exists note_template varchar"
    )


def write_results(
    warehouse: Path,
    results: pa.Table,
    meta: pa.Table,
    dates: Sequence[dt.date],
    *,
    run_id: str,
    evaluated_at: dt.datetime,
) -> int:
    """Replace the rows of (dates x rules in `meta`) with `results`, in one transaction."""
    with connect(warehouse) as con:
        ensure_schema(con)
        # Row order in check_results means nothing; without it DuckDB appends in parallel.
        con.execute("SET preserve_insertion_order = false")
        con.register("_stature_results", results)
        con.register("_stature_meta", meta)
        params = {"evaluated_at": evaluated_at, "run_id": run_id}
        con.execute("begin transaction")
        try:
            con.execute(
                "delete from scorecards.check_results "
                "where as_of in (select unnest($dates::date[])) "
                "and rule_id in (select rule_id from _stature_meta)",
                {"dates": list(dates)},
            )
            con.execute(f"insert into scorecards.check_results by name {ROWS_SQL}", params)
            con.execute(
                "insert into scorecards.rule_versions "
                "select distinct m.rule_version, m.rule_id, m.scorecard, m.path, m.content, $now::timestamptz "
                "from _stature_meta m where m.content is not null and not exists ("
                "  select 1 from scorecards.rule_versions v "
                "  where v.rule_version = m.rule_version and v.rule_id = m.rule_id)",
                {"now": evaluated_at},
            )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        finally:
            con.unregister("_stature_results")
            con.unregister("_stature_meta")
        return results.num_rows


def full_rows(
    results: pa.Table, meta: pa.Table, *, run_id: str, evaluated_at: dt.datetime
) -> list[dict]:
    """The results as check_results rows (for preview, diff and tests: nothing is written)."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("_stature_results", results)
        con.register("_stature_meta", meta)
        cur = con.execute(
            f"{ROWS_SQL} order by as_of, rule_id, entity_id",
            {"evaluated_at": evaluated_at, "run_id": run_id},
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()
