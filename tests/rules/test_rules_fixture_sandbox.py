"""A rule's test fixture comes in a pull request like the rule: its table names, column names
and pinned types must not reach SQL unchecked. Hostile fixtures get a clear problem naming the
file and line, and no file is read or written."""

from __future__ import annotations

import textwrap

import duckdb
import pytest

from dagster_project.rules.fixtures import TableRows, _locked_connection, build_scratch

TLS_SQL = "select service_id, tls_endpoint_count::double / endpoint_count as value from marts.dim_services"


def _fixture(rules_dir, given: str):
    """A fixture file whose one case is `given` (YAML, indented below `given:` at line 5)."""
    tests = rules_dir / "security" / "tests"
    tests.mkdir(parents=True, exist_ok=True)
    path = tests / "tls.yml"
    body = "as_of: 2026-11-15\ncases:\n  - name: hostile\n    given:\n"
    body += textwrap.indent(given, " " * 6) + "\n    expect:\n      a: pass\n"
    path.write_text(body)
    return path


@pytest.fixture
def canary(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me\n")
    return secret, tmp_path / "pwned.csv"


@pytest.mark.parametrize(
    ("given", "line", "message"),
    [
        (  # a table name that writes a file
            "\"marts.t (a int); copy (select 1) to '{pwned}'; create table marts.u\":\n"
            "  - {{a: 1}}",
            5,
            "table \"marts.t (a int); copy (select 1) to '{pwned}'; create table marts.u\": "
            "name it schema.table, schema one of marts, scorecards, table letters, digits and _",
        ),
        (  # a table name that reads a file (a schema outside the allowed ones)
            "\"read_text('{secret}')\":\n  - {{a: 1}}",
            5,
            "table \"read_text('{secret}')\": name it schema.table",
        ),
        (  # a column name with SQL in it
            "marts.dim_services:\n"
            "  - {{service_id: a, \"x int); copy (select 1) to '{pwned}'; --\": 1}}",
            6,
            "marts.dim_services: column \"x int); copy (select 1) to '{pwned}'; --\": not a name",
        ),
        (  # a pinned type with SQL in it
            "marts.dim_services:\n"
            "  columns: {{service_id: \"varchar); copy (select 1) to '{pwned}'; --\"}}\n"
            "  rows: []",
            6,
            "marts.dim_services.service_id: type \"varchar); copy (select 1) to '{pwned}'; --\" "
            "is not a DuckDB type",
        ),
    ],
)
def test_hostile_fixture_names_are_refused_with_file_and_line(
    cli, capsys, rules_dir, write_rule, canary, given, line, message
):
    secret, pwned = canary
    write_rule("tls", TLS_SQL, thresholds='{pass: "== 1"}')
    path = _fixture(rules_dir, given.format(secret=secret, pwned=pwned))
    assert cli("rules", "test", "--rules-dir", str(rules_dir)) == 1
    out = capsys.readouterr().out
    expected = f"FAIL security/tls: {path}:{line}: {message.format(secret=secret, pwned=pwned)}"
    assert expected in out, out
    assert cli("rules", "check", "--rules-dir", str(rules_dir)) == 2
    assert f"{path}:{line}: " in capsys.readouterr().out
    assert not pwned.exists()


def test_the_scratch_tables_are_built_where_no_file_can_be_read_or_written(tmp_path, canary):
    secret, pwned = canary
    con = _locked_connection(tmp_path / "scratch.duckdb")
    try:
        for sql in (
            f"copy (select 1) to '{pwned}'",
            f"select * from read_text('{secret}')",
            "set enable_external_access = true",
        ):
            with pytest.raises(duckdb.Error):
                con.execute(sql)
    finally:
        con.close()
    assert not pwned.exists()
    # and the builder quotes and re-checks what it is given, even past load_fixture
    with pytest.raises(ValueError, match=r"not an allowed schema\.table name"):
        build_scratch(tmp_path / "b.duckdb", {"marts.t; drop table x": [{"a": 1}]})
    with pytest.raises(ValueError, match="not a column name or type"):
        build_scratch(
            tmp_path / "c.duckdb",
            {"marts.t": TableRows(columns={"a": f"int); copy (select 1) to '{pwned}'; --"})},
        )
    build_scratch(tmp_path / "d.duckdb", {"marts.select": [{"from": 1, "order": "x"}]})
    with duckdb.connect(str(tmp_path / "d.duckdb"), read_only=True) as con:
        assert con.execute('select "from", "order" from marts."select"').fetchall() == [(1, "x")]
    assert not pwned.exists()
