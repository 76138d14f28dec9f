"""Validation before execution: every class of hostile or broken rule is refused with the
file, line and column named, before anything runs; the sandbox holds even when it is not."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from rules_helpers import build_warehouse, rule_text, statuses

from dagster_project.rules.engine import evaluate_rules
from dagster_project.rules.loader import parse_rule
from dagster_project.rules.sandbox import Sandbox
from dagster_project.rules.validate import Catalog, batch_query, validate_rule

AS_OF = dt.date(2026, 11, 15)
HEADER_LINES = 8  # rule_text(): `/*---`, 6 keys, `---*/`; the SQL starts on line 9


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")


@pytest.fixture(scope="module")
def catalog(warehouse) -> Catalog:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return Catalog.from_connection(con)
    finally:
        con.close()


def check(tmp_path: Path, sql: str, catalog: Catalog | None, **kw) -> list:
    folder = tmp_path / "rules_sql" / "security"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hostile.sql"
    path.write_text(rule_text("hostile", sql, **kw))
    return validate_rule(parse_rule(path, path.read_text()), catalog).problems


HOSTILE = [
    # (class, SQL, message fragment, (line, col) of the problem)
    ("DDL drop", "drop table marts.dim_services", "DROP statement not allowed", (9, 1)),
    ("DDL create", "create table marts.x as select 1", "CREATE statement not allowed", (9, 1)),
    (
        "DML insert",
        "insert into marts.dim_services (service_id) values ('x')",
        "INSERT statement not allowed",
        (9, 1),
    ),
    (
        "DML update",
        "update marts.dim_services set tier = 'x'",
        "UPDATE statement not allowed",
        (9, 1),
    ),
    ("DML delete", "delete from marts.dim_services", "DELETE statement not allowed", (9, 1)),
    ("COPY", "copy (select 1) to '/tmp/stature_pwned.csv'", "COPY statement not allowed", (9, 1)),
    (
        "read_csv",
        "select * from read_csv('/etc/passwd')",
        "table function read_csv() not allowed",
        (9, 15),
    ),
    (
        "read_parquet",
        "select 1 as value, 'x' as service_id from read_parquet('x.parquet')",
        "read_parquet() not allowed",
        (9, 43),
    ),
    (
        "read_text",
        "select content as service_id, 1 as value from read_text('/etc/hostname')",
        "read_text() not allowed",
        (9, 47),
    ),
    (
        "glob",
        "select file as service_id, 1 as value from glob('/etc/*')",
        "table function glob() not allowed",
        (9, 44),
    ),
    (
        "file path",
        "select * from '/etc/passwd'",
        "reading a file is not allowed: '/etc/passwd'",
        (9, 15),
    ),
    ("csv file", 'select * from "data.csv"', "reading a file is not allowed: 'data.csv'", (9, 15)),
    (
        "query()",
        "select * from query('drop table marts.dim_services')",
        "table function query() not allowed",
        (9, 15),
    ),
    (
        "query_table",
        "select * from query_table('marts.dim_services')",
        "query_table() not allowed",
        (9, 15),
    ),
    (
        "scalar file function",
        "select service_id, length(getenv('HOME')) as value from marts.dim_services",
        "function getenv() not allowed",
        (9, 27),
    ),
    ("ATTACH", "attach '/tmp/other.duckdb' as other", "ATTACH statement not allowed", (9, 1)),
    ("INSTALL", "install httpfs", "INSTALL statement not allowed", (9, 1)),
    ("LOAD", "load httpfs", "LOAD statement not allowed", (9, 1)),
    ("PRAGMA", "pragma database_list", "PRAGMA statement not allowed", (9, 1)),
    ("SET", "set threads = 1", "SET statement not allowed", (9, 1)),
    ("SET VARIABLE", "set variable as_of = date '2020-01-01'", "SET statement not allowed", (9, 1)),
    ("CALL", "call pragma_version()", "CALL statement not allowed", (9, 1)),
    (
        "two statements",
        "select service_id, 1 as value from marts.dim_services;\nselect 2",
        "2 statements found",
        (10, 1),
    ),
    (
        "select then drop",
        "select 1 as value, 'a' as service_id; drop table marts.dim_services",
        "2 statements found",
        (9, 39),
    ),
    (
        "raw schema",
        "select 'x' as service_id, 1 as value from raw_github.pulls",
        "schema 'raw_github' not allowed",
        (9, 43),
    ),
    (
        "information schema",
        "select table_name as service_id, 1 as value from information_schema.tables",
        "schema 'information_schema' not allowed",
        (9, 50),
    ),
    (
        "database-qualified",
        "select service_id, 1 as value from wh.marts.dim_services",
        "name no database",
        (9, 36),
    ),
    (
        "unqualified table",
        "select service_id, 1 as value from dim_services",
        "table 'dim_services' has no schema",
        (9, 36),
    ),
    (
        "unknown table",
        "select service_id, 1 as value from marts.dim_servics",
        "unknown table marts.dim_servics",
        (9, 36),
    ),
    (
        "unknown column",
        "select service_id,\n       revnue as value\nfrom marts.dim_services",
        "unknown column 'revnue'",
        (10, 8),
    ),
    (
        "syntax error",
        "select service_id, 1 as value\nfrom marts.dim_services\nwhere (",
        "syntax error",
        (11, 7),
    ),
]


@pytest.mark.parametrize(
    ("kind", "sql", "fragment", "position"), HOSTILE, ids=[h[0] for h in HOSTILE]
)
def test_hostile_rule_is_refused_with_file_line_and_column(
    tmp_path, catalog, kind, sql, fragment, position
):
    problems = check(tmp_path, sql, catalog)
    assert problems, f"{kind} was accepted"
    first = problems[0]
    assert fragment in first.message, [str(p) for p in problems]
    assert (first.line, first.col) == position, [str(p) for p in problems]
    assert str(first).startswith(
        str(first.path) + f":{position[0]}:{position[1]}: "
    ) or "hostile.sql:" in str(first)
    assert first.path.name == "hostile.sql"


def test_hostile_rules_are_refused_without_a_warehouse_too(tmp_path):
    for kind, sql, fragment, _ in HOSTILE:
        if kind in ("unknown table", "unknown column"):
            continue
        problems = check(tmp_path, sql, None)
        assert any(fragment in p.message for p in problems), (kind, [str(p) for p in problems])


def test_accepted_rules(tmp_path, catalog):
    ok = [
        "select service_id, 1 as value from marts.dim_services",
        "with s as (select * from marts.dim_services) select s.service_id, count(*) as value from s group by all",
        "select d.service_id, count(r.run_id) as value from marts.dim_services d left join marts.fct_ci_runs r "
        "on r.service_id = d.service_id and r.created_at > getvariable('as_of') - interval 30 day group by 1",
        "select service_id, endpoint_count * 2 as v2, v2 / 2 as value from marts.dim_services where v2 >= 0",
        "select service_id, list_sum(list_transform([1, 2], x -> x + 1)) as value from marts.dim_services",
        "select service_id, x as value from marts.dim_services, range(3) t(x) qualify row_number() over (partition by service_id order by x) = 1",
        "select service_id, case when has_runbook then 'pass' else 'fail' end as status from marts.dim_services;",
        "select * exclude (name) from (select service_id, name, 1 as value from marts.dim_services)",
    ]
    for sql in ok:
        assert check(tmp_path, sql, catalog) == [], sql


def test_output_must_have_the_entity_key_and_value_or_status(tmp_path, catalog):
    assert (
        "the output has no 'service_id' column"
        in check(tmp_path, "select team_id, 1 as value from marts.dim_services", catalog)[0].message
    )
    assert (
        "neither 'value' nor 'status'"
        in check(tmp_path, "select service_id, 1 as v from marts.dim_services", catalog)[0].message
    )
    problems = check(
        tmp_path, "select service_id, 1 as value from marts.dim_services", catalog, thresholds=None
    )
    assert "no thresholds and no 'status' column" in problems[0].message
    problems = check(
        tmp_path, "select team_id, 1 as value from marts.dim_teams", catalog, entity="team"
    )
    assert problems == []


@pytest.mark.parametrize(
    ("applies_to", "fragment"),
    [
        ("tier in (select tier from marts.dim_services)", "subqueries and tables are not allowed"),
        ("tierr = 'tier-1'", "unknown column 'tierr' in marts.dim_services"),
        ("count(*) > 1", "aggregates and window functions are not allowed"),
        ("length(getenv('HOME')) > 0", "function getenv() is not allowed"),
        ("tier = 'tier-1'; drop table marts.dim_services", "write one condition"),
        ("tier = (", "not a valid SQL expression"),
    ],
)
def test_applies_to_is_an_expression_over_dim_services(tmp_path, catalog, applies_to, fragment):
    problems = check(
        tmp_path,
        "select service_id, 1 as value from marts.dim_services",
        catalog,
        extra=f'applies_to: "{applies_to}"',
    )
    assert len(problems) == 1 and fragment in problems[0].message, [str(p) for p in problems]
    assert problems[0].line == 8  # the applies_to key in the header


def test_refused_rules_never_run_and_others_still_do(tmp_path, make_warehouse, config):
    """The hostile rules get `error` rows; the file COPY and the DROP did not happen."""
    warehouse = make_warehouse()
    rules_dir = tmp_path / "rules_sql"
    (rules_dir / "security").mkdir(parents=True)
    target = tmp_path / "pwned.csv"
    hostile = {
        "copy_out": f"copy (select 1) to '{target}'",
        "drop_table": "drop table marts.dim_services",
        "via_query": "select * from query('drop table marts.dim_services')",
        "read_file": f"select * from read_csv('{target}')",
    }
    for rule_id, sql in hostile.items():
        (rules_dir / "security" / f"{rule_id}.sql").write_text(rule_text(rule_id, sql))
    (rules_dir / "security" / "fine.sql").write_text(
        rule_text("fine", "select service_id, 1 as value from marts.dim_services")
    )
    report = evaluate_rules(
        config, warehouse=warehouse, rules_dir=rules_dir, as_of=AS_OF, run_id="r"
    )
    assert report.failed_rules == sorted(hostile)
    assert not report.ok
    assert not target.exists()
    for rule_id in hostile:
        assert statuses(warehouse, rule_id) == {
            "svc-a": "error",
            "svc-b": "error",
            "svc-c": "error",
        }
        assert f"{rule_id}.sql:9:" in report.rules[rule_id].errors[0]
    assert statuses(warehouse, "fine") == {"svc-a": "pass", "svc-b": "pass", "svc-c": "pass"}


@pytest.mark.parametrize(
    "sql",
    [
        "select * from read_csv('/etc/passwd')",
        "copy (select 1) to '/tmp/stature_sandbox_probe.csv'",
        "select * from glob('/etc/*')",
        "attach '/tmp/stature_sandbox_probe.duckdb' as x",
        "install httpfs",
        "load httpfs",
        "set enable_external_access = true",
        "set lock_configuration = false",
        "create table marts.evil as select 1",
        "drop table marts.dim_services",
    ],
)
def test_the_sandbox_holds_even_for_sql_that_skipped_validation(warehouse, sql):
    with Sandbox(warehouse) as sandbox:
        with pytest.raises(duckdb.Error):
            sandbox.con.execute(sql)
        assert sandbox.con.execute("select count(*) from marts.dim_services").fetchall() == [(3,)]
    assert not Path("/tmp/stature_sandbox_probe.csv").exists()
    assert not Path("/tmp/stature_sandbox_probe.duckdb").exists()


def test_batch_query_rewrites_only_the_as_of_variable():
    sql = "select getvariable('as_of') - interval 1 day, GetVariable( 'as_of' ) from t where x = 'getvariable'"
    assert batch_query(sql) == (
        "select _stature_d.as_of - interval 1 day, _stature_d.as_of from t where x = 'getvariable'"
    )
    assert batch_query("select getvariable('other')") is None
    assert batch_query("select 1") == "select 1"


SYNTAX = [
    # (SQL on line 9, the problem as the analyst reads it, from its line and column on)
    (
        "selct service_id, 1 as value from marts.dim_services",
        "9:17: syntax error near ',': Invalid expression / Unexpected token "
        "('selct': did you mean SELECT?)",
    ),
    (
        "select service_id, 1 as value form marts.dim_services",
        "9:31: syntax error near 'form': Invalid expression / Unexpected token "
        "('form': did you mean FROM?)",
    ),
    (
        "select service_id, (1 + 2 as value from marts.dim_services",
        "9:36: syntax error near 'from': Expecting ) (a '(' is not closed: add the ')' it needs)",
    ),
    (
        "select service_id, case when true then 2 as value from marts.dim_services",
        "9:40: syntax error near '2': Expected END after CASE "
        "(a CASE needs its END: case when ... then ... else ... end)",
    ),
    (
        "select service_id, 1 as value from marts.dim_services group service_id",
        "9:61: syntax error near 'service_id': Invalid expression / Unexpected token "
        "(GROUP needs BY: group by ...)",
    ),
    (
        "select service_id, 1 as value from marts.dim_services where",
        "9:55: syntax error near 'where': Required keyword: 'this' missing for Where "
        "(WHERE has no condition after it)",
    ),
    (
        "select service_id, count(*) as value from marts.dim_services group by all)",
        "9:74: syntax error near ')': Invalid expression / Unexpected token "
        "(a ')' has no '(' before it: remove it or add the '(')",
    ),
]


@pytest.mark.parametrize(("sql", "message"), SYNTAX)
def test_a_syntax_error_says_what_probably_went_wrong(tmp_path, catalog, sql, message):
    problems = check(tmp_path, sql, catalog)
    assert [str(p).partition("hostile.sql:")[2] for p in problems] == [message]
