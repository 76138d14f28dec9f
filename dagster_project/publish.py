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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

PUBLIC_SCHEMAS = ("marts", "scorecards", "reporting")
DATABASE_NAME = "stature.duckdb"
PARQUET_LINK = "parquet"
# When and by which run the copy was published: a one-row table beside the reporting views.
PUBLISH_INFO = "reporting.publish_info"
# Tables and views copied at once (_on_threads).
PUBLISH_THREADS = max(1, min(4, os.cpu_count() or 1))


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
            (parquet_version / schema).mkdir(parents=True, exist_ok=True)
        tables = [(schema, name) for schema, name, kind, _ in objects if kind == "table"]
        report.tables = dict(
            _on_threads(con, tables, partial(_copy_table, parquet=parquet_version))
        )
        # Views are re-created from their SQL (they read the copied tables by the same
        # schema-qualified names), then written to Parquet like the tables.
        views = [(schema, name, sql) for schema, name, kind, sql in objects if kind == "view"]
        for *_, sql in views:
            con.execute(sql)
        report.views = _on_threads(
            con, [view[:2] for view in views], partial(_copy_view, parquet=parquet_version)
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


def _on_threads(
    con: duckdb.DuckDBPyConnection,
    items: list[tuple[str, str]],
    work: Callable[[duckdb.DuckDBPyConnection, tuple[str, str]], Any],
) -> list[Any]:
    """`work(cursor, item)` for each item, on PUBLISH_THREADS threads with a cursor each (a
    connection to the same database: the attached warehouse included), results in order.
    DuckDB spreads one large table's copy over the CPUs but a small one's barely: publishing a
    2,000-service warehouse (29 tables, 18 views) took 4.4 to 4.9 s on one thread and 3.4 to
    4.2 s on two."""

    def run(item: tuple[str, str]) -> Any:
        with con.cursor() as cursor:
            cursor.execute("SET TimeZone = 'UTC'")
            return work(cursor, item)

    with ThreadPoolExecutor(PUBLISH_THREADS) as pool:
        return list(pool.map(run, items))


def _copy_table(
    cursor: duckdb.DuckDBPyConnection, table: tuple[str, str], *, parquet: Path
) -> tuple[str, int]:
    """Copy one table from the warehouse and write it to Parquet: its name and row count."""
    schema, name = table
    qualified = f"{_quote(schema)}.{_quote(name)}"
    cursor.execute(f"CREATE TABLE {qualified} AS SELECT * FROM wh.{qualified}")
    rows = cursor.execute(f"SELECT count(*) FROM {qualified}").fetchone()[0]
    path = parquet / schema / f"{name}.parquet"
    cursor.execute(f"COPY {qualified} TO {_sql_string(path)} (FORMAT parquet)")
    return f"{schema}.{name}", rows


def _copy_view(cursor: duckdb.DuckDBPyConnection, view: tuple[str, str], *, parquet: Path) -> str:
    """Write one re-created view's rows to Parquet: its name."""
    schema, name = view
    path = parquet / schema / f"{name}.parquet"
    cursor.execute(
        f"COPY (SELECT * FROM {_quote(schema)}.{_quote(name)}) TO {_sql_string(path)} "
        "(FORMAT parquet)"
    )
    return f"{schema}.{name}"


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
