"""A large landing fills a raw table's row groups in order. A parallel insert of 250,000 rows
leaves a part-filled row group between full ones (122,880 rows each), and the checkpoint of
the next landing then rewrites every row group after it (8 s of the first night after a full
build at 2,000 services). Written for real into a DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingestion import raw_writer


def test_a_large_landing_leaves_full_row_groups_then_one_part_filled(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    target = raw_writer.Target("raw_x", "items", {"id": "bigint", "payload": "json"}, ("id",))
    rows = ({"id": i, "payload": {"n": i, "text": "x" * 200}} for i in range(250_000))
    con = raw_writer.connect(warehouse)
    try:
        threads = con.execute("select current_setting('threads')").fetchone()[0]
        assert threads > 1  # a single thread would fill them in order anyway
        con.execute("begin transaction")
        read = raw_writer.write_tables(con, [(target, rows)], load="1")
        con.execute("commit")
        assert read == {"items": 250_000}
        # the connection's threads are back for what the landing writes next
        assert con.execute("select current_setting('threads')").fetchone()[0] == threads
    finally:
        con.close()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        groups = con.execute(
            "select row_group_id, max(count) from pragma_storage_info('raw_x.items') "
            "group by row_group_id order by row_group_id"
        ).fetchall()
        assert groups == [(0, 122_880), (1, 122_880), (2, 4_240)]
        assert con.execute("select count(*), sum(id) from raw_x.items").fetchone() == (
            250_000,
            249_999 * 250_000 // 2,
        )
