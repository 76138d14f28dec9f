"""Publish: a complete read-only copy swapped in atomically; readers never see half of it."""

from __future__ import annotations

import os
import stat

import duckdb
import pyarrow.parquet as pq
import pytest

from dagster_project.publish import publish


def make_warehouse(path, rows: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists scorecards")
        con.execute("create schema if not exists reporting")
        con.execute("create schema if not exists staging")
        con.execute(
            "create or replace table marts.fct_x as select range as id from range(?)", [rows]
        )
        con.execute("create or replace table scorecards.check_results as select 'pass' as status")
        con.execute("create or replace table staging.private as select 1 as secret")
        con.execute(
            "create or replace view reporting.x_count as select count(*) as n from marts.fct_x"
        )


def test_publish_copies_public_schemas_read_only_with_parquet(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    make_warehouse(warehouse, 5)
    report = publish(warehouse, tmp_path / "published", run_id="r1")

    assert report.tables == {"marts.fct_x": 5, "scorecards.check_results": 1}
    assert report.views == ["reporting.x_count"]
    assert not os.stat(report.database).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    with duckdb.connect(str(report.database), read_only=True) as con:
        assert con.execute("select n from reporting.x_count").fetchone()[0] == 5
        assert con.execute("select run_id from _stature.publish_info").fetchone()[0] == "r1"
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_tables()").fetchall()}
        assert "staging" not in schemas
    assert pq.read_table(report.parquet_dir / "marts" / "fct_x.parquet").num_rows == 5


def test_a_reader_keeps_its_copy_while_a_new_one_is_published(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    published = tmp_path / "published"
    make_warehouse(warehouse, 5)
    first = publish(warehouse, published)

    reader = duckdb.connect(str(first.database), read_only=True)
    assert reader.execute("select count(*) from marts.fct_x").fetchone()[0] == 5
    make_warehouse(warehouse, 8)  # the writer is free: the reader holds only the published copy
    second = publish(warehouse, published)
    # the open reader still sees its consistent snapshot; a new reader sees the new one
    assert reader.execute("select count(*) from marts.fct_x").fetchone()[0] == 5
    reader.close()
    with duckdb.connect(str(second.database), read_only=True) as fresh:
        assert fresh.execute("select count(*) from marts.fct_x").fetchone()[0] == 8
    assert pq.read_table(second.parquet_dir / "marts" / "fct_x.parquet").num_rows == 8
    assert len(list(published.glob("parquet-*"))) <= 2
    assert not list(published.glob(".*.tmp"))


def test_a_failed_publish_leaves_the_previous_copy(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    published = tmp_path / "published"
    make_warehouse(warehouse, 3)
    first = publish(warehouse, published)
    with pytest.raises(duckdb.Error):
        publish(tmp_path / "missing" / "nope.duckdb", published)
    with duckdb.connect(str(first.database), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_x").fetchone()[0] == 3
    assert not list(published.glob(".*.tmp"))


def test_the_next_publish_removes_what_a_killed_publish_left(tmp_path):
    """What `kill -9` mid-publish leaves (tests/reliability kills a real run): the copy being
    built, its WAL, a half-made link and a partial Parquet version, newer than the current."""
    warehouse = tmp_path / "w.duckdb"
    published = tmp_path / "published"
    make_warehouse(warehouse, 3)
    first = publish(warehouse, published)
    current = (published / "parquet").resolve().name
    killed = "parquet-99991231T235959-dead00"
    (published / killed / "marts").mkdir(parents=True)
    (published / killed / "marts" / "fct_x.parquet").write_bytes(b"PAR1 half")
    leftovers = [
        published / ".stature.duckdb.99991231T235959-dead00.tmp",
        published / ".stature.duckdb.99991231T235959-dead00.tmp.wal",
    ]
    for path in leftovers:
        path.write_bytes(b"half")
    (published / f".parquet.{killed}.tmp").symlink_to(killed)

    make_warehouse(warehouse, 4)
    second = publish(warehouse, published)

    assert sorted(p.name for p in published.glob(".*")) == []
    assert not (published / killed).exists()
    versions = sorted(p.name for p in published.glob("parquet-*"))
    assert current in versions and len(versions) == 2  # the new one and the one it replaced
    assert pq.read_table(second.parquet_dir / "marts" / "fct_x.parquet").num_rows == 4
    with duckdb.connect(str(first.database), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_x").fetchone()[0] == 4
