"""The before/after comparison a refactor is checked with must see a changed row."""

from __future__ import annotations

import duckdb

from tests.support.compare_published import compare, main


def _warehouse(path, *, value: float, evaluated_at: str, extra_table: bool = False):
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema scorecards")
    con.execute("create table marts.dora_metrics as select 'svc' as entity_id, ? as value", [value])
    con.execute(
        "create table scorecards.check_results as select 'r' as rule_id, 'pass' as status, "
        "?::timestamp as evaluated_at",
        [evaluated_at],
    )
    if extra_table:
        con.execute("create table marts.fct_new as select 1 as x")
    con.close()
    return path


def test_equal_rows_compare_equal_whatever_the_run_time(tmp_path):
    a = _warehouse(tmp_path / "a.duckdb", value=1.5, evaluated_at="2026-01-01 02:00")
    b = _warehouse(tmp_path / "b.duckdb", value=1.5, evaluated_at="2026-02-01 03:00")
    result = compare(a, b)
    assert result.ok
    assert result.equal == ["marts.dora_metrics", "scorecards.check_results"]


def test_a_changed_value_is_reported_and_exits_1(tmp_path, capsys):
    a = _warehouse(tmp_path / "a.duckdb", value=1.5, evaluated_at="2026-01-01")
    b = _warehouse(tmp_path / "b.duckdb", value=1.25, evaluated_at="2026-01-01")
    result = compare(a, b)
    assert result.different == {"marts.dora_metrics": "2 rows differ (1 rows before, 1 after)"}
    assert main([str(a), str(b)]) == 1
    assert "DIFFERENT  marts.dora_metrics" in capsys.readouterr().out


def test_a_new_table_is_fine_a_gone_one_is_not(tmp_path):
    a = _warehouse(tmp_path / "a.duckdb", value=1.0, evaluated_at="2026-01-01")
    b = _warehouse(tmp_path / "b.duckdb", value=1.0, evaluated_at="2026-01-01", extra_table=True)
    assert compare(a, b).ok and compare(a, b).only_after == ["marts.fct_new"]
    assert not compare(b, a).ok and compare(b, a).only_before == ["marts.fct_new"]
