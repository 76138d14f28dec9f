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
        assert con.execute("select run_id from reporting.publish_info").fetchone()[0] == "r1"
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


# --- every way a publish can fail: the previous copy stays whole for readers -----------------


def published_state(published) -> dict:
    """What a reader sees: the database's tables and row counts, and the Parquet files the
    `parquet` link leads to with theirs."""
    state: dict = {"database": {}, "parquet": {}}
    database = published / "stature.duckdb"
    if database.exists():
        with duckdb.connect(str(database), read_only=True) as con:
            for schema, table in con.execute(
                "select schema_name, table_name from duckdb_tables() order by all"
            ).fetchall():
                count = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
                state["database"][f"{schema}.{table}"] = count
    link = published / "parquet"
    if link.is_dir():
        for path in sorted(link.glob("*/*.parquet")):
            state["parquet"][f"{path.parent.name}.{path.stem}"] = pq.read_table(path).num_rows
    return state


def reader_tables(state: dict) -> dict:
    return {k: v for k, v in state["database"].items() if k != "reporting.publish_info"}


def test_a_view_that_cannot_be_copied_fails_mid_publish_and_leaves_the_previous_copy(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    published = tmp_path / "published"
    make_warehouse(warehouse, 3)
    publish(warehouse, published)
    before = published_state(published)
    assert before["parquet"] == {
        "marts.fct_x": 3,
        "scorecards.check_results": 1,
        "reporting.x_count": 1,
    }
    # A reporting view that reads a private schema: the tables are copied and their Parquet
    # written before the view fails to re-create in the copy.
    make_warehouse(warehouse, 7)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create view reporting.leaky as select * from staging.private")
    with pytest.raises(duckdb.CatalogException, match="private"):
        publish(warehouse, published)
    assert published_state(published) == before
    assert not list(published.glob(".*.tmp"))
    assert len(list(published.glob("parquet-*"))) == 1  # the half-written version is gone


def test_a_table_whose_parquet_cannot_be_written_leaves_the_previous_copy(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    published = tmp_path / "published"
    make_warehouse(warehouse, 3)
    publish(warehouse, published)
    before = published_state(published)
    make_warehouse(warehouse, 7)
    with duckdb.connect(str(warehouse)) as con:
        # a name DuckDB accepts and a file system cannot hold as one file name
        con.execute('create table scorecards."by/team" as select 1 as x')
    with pytest.raises(duckdb.IOException):
        publish(warehouse, published)
    assert published_state(published) == before
    assert not list(published.glob(".*.tmp"))
    assert len(list(published.glob("parquet-*"))) == 1


def test_a_failure_between_the_two_swaps_leaves_each_copy_whole(tmp_path):
    """The database is swapped in first, then the `parquet` link. Here the link cannot be
    swapped (a plain file sits where it goes): publish fails loudly, the database readers see
    the new copy, whole, and nothing points Parquet readers at a half-written folder."""
    warehouse = tmp_path / "w.duckdb"
    published = tmp_path / "published"
    make_warehouse(warehouse, 3)
    published.mkdir()
    (published / "parquet").write_text("not a folder")
    with pytest.raises(NotADirectoryError):
        publish(warehouse, published)
    after = published_state(published)
    assert reader_tables(after) == {"marts.fct_x": 3, "scorecards.check_results": 1}
    assert (published / "parquet").read_text() == "not a folder"
    (version,) = published.glob("parquet-*")
    assert pq.read_table(version / "marts" / "fct_x.parquet").num_rows == 3
    # once the file is gone, the next publish puts both copies in step
    (published / "parquet").unlink()
    make_warehouse(warehouse, 4)
    publish(warehouse, published)
    state = published_state(published)
    assert reader_tables(state) == {"marts.fct_x": 4, "scorecards.check_results": 1}
    assert state["parquet"] == {
        "marts.fct_x": 4,
        "scorecards.check_results": 1,
        "reporting.x_count": 1,
    }


KILLED_WRITER = """
import sys
from dagster_project.publish import publish
publish(sys.argv[1], sys.argv[2], run_id="killed")
"""


def test_a_publish_killed_mid_copy_leaves_the_previous_copy_and_the_next_one_works(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    warehouse = tmp_path / "w.duckdb"
    published = tmp_path / "published"
    make_warehouse(warehouse, 3)
    publish(warehouse, published, run_id="first")
    before = published_state(published)
    make_warehouse(warehouse, 3_000_000)  # big enough that the copy takes a while
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(warehouse), str(published)])
    deadline = time.monotonic() + 60
    while not list(published.glob(".stature.duckdb.*.tmp")) and writer.poll() is None:
        assert time.monotonic() < deadline, "the publish never started its copy"
        time.sleep(0.005)
    writer.send_signal(signal.SIGKILL)
    assert writer.wait() == -signal.SIGKILL, "the publish finished before it could be killed"
    assert published_state(published) == before
    with duckdb.connect(str(published / "stature.duckdb"), read_only=True) as con:
        assert con.execute("select run_id from reporting.publish_info").fetchone() == ("first",)
    # the next publish replaces it whole and removes the killed one's database file
    publish(warehouse, published, run_id="next")
    state = published_state(published)
    assert reader_tables(state) == {"marts.fct_x": 3_000_000, "scorecards.check_results": 1}
    assert state["parquet"]["marts.fct_x"] == 3_000_000
    assert not list(published.glob(".stature.duckdb.*.tmp"))


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
