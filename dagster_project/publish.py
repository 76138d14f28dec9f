"""Publish: copy the public schemas to a read-only DuckDB file and Parquet, atomically.

Readers (notebooks, BI tools, the report) open `data/published/stature.duckdb` or the Parquet
files under `data/published/parquet/`, never the live warehouse, so they never wait for, or
block, the nightly writer. Each publish builds a complete new copy beside the old one and
swaps it in with one rename, so a reader sees the previous run or this one, never half of it;
a reader that already has the old file open keeps reading it undisturbed.

A publish that was killed leaves its temporary copy (`.stature.duckdb.<stamp>.tmp`, its WAL)
and a partial `parquet-<stamp>/` behind; readers never see them (nothing points to them), and
the next publish removes them: temporary files at its start, every Parquet version but the
new one and the one it replaced at its end.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

PUBLIC_SCHEMAS = ("marts", "scorecards", "reporting")
DATABASE_NAME = "stature.duckdb"
PARQUET_LINK = "parquet"
# When and by which run the copy was published: a one-row table beside the reporting views.
PUBLISH_INFO = "reporting.publish_info"


@dataclass
class PublishReport:
    database: Path
    parquet_dir: Path
    tables: dict[str, int] = field(default_factory=dict)  # "schema.table" -> rows
    views: list[str] = field(default_factory=list)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_string(text: str | Path) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def publish(warehouse: str | Path, published_dir: str | Path, *, run_id: str = "") -> PublishReport:
    warehouse = Path(warehouse).resolve()
    published_dir = Path(published_dir).resolve()
    published_dir.mkdir(parents=True, exist_ok=True)
    remove_leftovers(published_dir)
    previous = _link_target(published_dir / PARQUET_LINK)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    tmp_db = published_dir / f".{DATABASE_NAME}.{stamp}.tmp"
    parquet_version = published_dir / f"parquet-{stamp}"
    report = PublishReport(published_dir / DATABASE_NAME, published_dir / PARQUET_LINK)

    con = duckdb.connect(str(tmp_db))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"ATTACH {_sql_string(warehouse)} AS wh (READ_ONLY)")
        objects = con.execute(
            """
            select schema_name, table_name, 'table' as kind, null as sql
            from duckdb_tables() where database_name = 'wh' and schema_name in ?
            union all
            select schema_name, view_name, 'view', sql
            from duckdb_views() where database_name = 'wh' and schema_name in ? and not internal
            order by 3, 1, 2
            """,
            [list(PUBLIC_SCHEMAS), list(PUBLIC_SCHEMAS)],
        ).fetchall()
        for schema in sorted({o[0] for o in objects}):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
        for schema, name, kind, sql in objects:
            qualified = f"{_quote(schema)}.{_quote(name)}"
            if kind == "table":
                con.execute(f"CREATE TABLE {qualified} AS SELECT * FROM wh.{qualified}")
                rows = con.execute(f"SELECT count(*) FROM {qualified}").fetchone()[0]
                report.tables[f"{schema}.{name}"] = rows
                target = parquet_version / schema
                target.mkdir(parents=True, exist_ok=True)
                con.execute(
                    f"COPY {qualified} TO {_sql_string(target / (name + '.parquet'))} "
                    "(FORMAT parquet)"
                )
            else:
                # Views are re-created from their SQL: they read the copied tables by the same
                # schema-qualified names.
                con.execute(sql)
                report.views.append(f"{schema}.{name}")
                target = parquet_version / schema
                target.mkdir(parents=True, exist_ok=True)
                con.execute(
                    f"COPY (SELECT * FROM {qualified}) TO "
                    f"{_sql_string(target / (name + '.parquet'))} (FORMAT parquet)"
                )
        con.execute("CREATE SCHEMA IF NOT EXISTS reporting")
        con.execute(
            f"CREATE TABLE {PUBLISH_INFO} AS SELECT now() AS published_at, ? AS run_id, "
            "? AS tables",
            [run_id, len(report.tables)],
        )
        con.execute("DETACH wh")
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp_db.unlink(missing_ok=True)
        shutil.rmtree(parquet_version, ignore_errors=True)
        raise
    con.close()

    os.chmod(tmp_db, 0o444)
    os.replace(tmp_db, report.database)
    _swap_link(published_dir / PARQUET_LINK, parquet_version)
    _prune(published_dir, keep={parquet_version.name, previous})
    return report


def _swap_link(link: Path, target: Path) -> None:
    """Point `link` at `target` with one atomic rename (a symlink, so readers follow it)."""
    tmp_link = link.with_name(f".{link.name}.{target.name}.tmp")
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(target.name, target_is_directory=True)
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)
    os.replace(tmp_link, link)


def _link_target(link: Path) -> str | None:
    """The folder name the Parquet link points to (None before the first publish)."""
    return os.readlink(link) if link.is_symlink() else None


def remove_leftovers(published_dir: Path) -> list[Path]:
    """Temporary files of a publish that did not finish (killed): the copy being built, its
    WAL, a half-made link. Only one run writes a warehouse, and only it publishes there."""
    removed = []
    for pattern in (
        f".{DATABASE_NAME}.*.tmp",
        f".{DATABASE_NAME}.*.tmp.wal",
        f".{PARQUET_LINK}.*.tmp",
    ):
        for leftover in published_dir.glob(pattern):
            if leftover.is_symlink() or leftover.is_file():
                leftover.unlink(missing_ok=True)
                removed.append(leftover)
    return removed


def _prune(published_dir: Path, keep: set[str | None]) -> None:
    """Every Parquet version but the current one and the one it replaced (a reader may be
    mid-way through it): older versions, and partial ones a killed publish left."""
    for version in published_dir.glob("parquet-*"):
        if version.is_dir() and not version.is_symlink() and version.name not in keep:
            shutil.rmtree(version, ignore_errors=True)
