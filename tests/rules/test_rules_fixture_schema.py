"""A golden fixture is checked against the tables the rule really reads (the warehouse's, else
the dbt contracts): a misspelt table or column, or a table the case leaves out, is the
fixture's mistake, named with the fixture's file and line and a "did you mean"; never blamed
on the rule."""

from __future__ import annotations

import textwrap

import pytest

DEPLOYS_SQL = """
select s.service_id, count(d.deployment_id) as value
from marts.dim_services as s
left join marts.fct_deployments as d on d.service_id = s.service_id
group by s.service_id
"""

CASE = """\
as_of: 2026-11-15
cases:
  - name: one deploy passes
    given:
      marts.dim_services:
        - {service_id: a, lifecycle: production}
        - {service_id: b, lifecycle: production}
{deployments}
    expect:
      a: pass
      b: fail
"""


def _fixture(rules_dir, deployments: str):
    tests = rules_dir / "security" / "tests"
    tests.mkdir(parents=True, exist_ok=True)
    path = tests / "deploys.yml"
    path.write_text(CASE.replace("{deployments}", textwrap.indent(deployments, " " * 6)))
    return path


@pytest.mark.parametrize(
    ("deployments", "message"),
    [
        (  # the case: a misspelt fixture table was blamed on the rule
            "marts.fct_deployment:\n  - {deployment_id: d1, service_id: a}",
            "8: case 'one deploy passes': table marts.fct_deployment is not in the warehouse "
            "or the dbt models (did you mean marts.fct_deployments?)",
        ),
        (  # a misspelt column used to be NULL without a word
            "marts.fct_deployments:\n  - {deployment_id: d1, servce_id: a}",
            "9: case 'one deploy passes': marts.fct_deployments has no column 'servce_id' "
            "(did you mean service_id?)",
        ),
        (  # a pinned column
            "marts.fct_deployments:\n  columns: {deployed: timestamptz}\n  rows: []",
            "9: case 'one deploy passes': marts.fct_deployments has no column 'deployed' "
            "(did you mean deployed_at?)",
        ),
        (  # a table the rule reads, left out ("build the marts first" before)
            "",
            "3: case 'one deploy passes': leaves out marts.fct_deployments, which deploys reads "
            "(add it under given: (marts.fct_deployments: [] for an empty table))",
        ),
    ],
)
def test_fixture_mistakes_name_the_fixture(
    cli, capsys, make_warehouse, rules_dir, write_rule, deployments, message
):
    warehouse = make_warehouse()
    write_rule("deploys", DEPLOYS_SQL, thresholds='{pass: ">= 1"}')
    path = _fixture(rules_dir, deployments)
    for verb, code in (("test", 1), ("check", 2)):
        assert (
            cli("rules", verb, "--rules-dir", str(rules_dir), "--warehouse", str(warehouse)) == code
        )
        out = capsys.readouterr().out
        lines = [line for line in out.splitlines() if str(path) in line]
        assert [line.partition(f"{path}:")[2] for line in lines] == [message], out
        assert "security/deploys.sql" not in out  # the rule is not blamed


def test_without_a_warehouse_the_dbt_contracts_check_the_marts(
    cli, capsys, tmp_path, rules_dir, write_rule
):
    write_rule("deploys", DEPLOYS_SQL, thresholds='{pass: ">= 1"}')
    path = _fixture(rules_dir, "marts.fct_deployments:\n  - {deployment_id: d1, servce_id: a}")
    args = ["--rules-dir", str(rules_dir), "--warehouse", str(tmp_path / "none.duckdb")]
    assert cli("rules", "test", *args) == 1
    out = capsys.readouterr().out
    assert (
        f"{path}:9: case 'one deploy passes': marts.fct_deployments has no column 'servce_id' "
        "(did you mean service_id?)"
    ) in out


def test_an_empty_table_needs_no_columns_and_left_out_columns_are_null(
    cli, capsys, make_warehouse, rules_dir, write_rule
):
    """The scratch tables carry the real columns and types: `[]` is an empty table, and a
    column no row names (here deployed_at, read by the rule) is NULL, not an unknown column."""
    warehouse = make_warehouse()
    write_rule(
        "deploys",
        DEPLOYS_SQL.replace(
            "on d.service_id = s.service_id",
            "on d.service_id = s.service_id and d.deployed_at is null",
        ),
        thresholds='{pass: ">= 1"}',
    )
    _fixture(rules_dir, "marts.fct_deployments:\n  - {deployment_id: d1, service_id: a}")
    assert cli("rules", "test", "--rules-dir", str(rules_dir), "--warehouse", str(warehouse)) == 0
    assert "PASS security/deploys: one deploy passes" in capsys.readouterr().out
    _fixture(rules_dir, "marts.fct_deployments: []")
    (rules_dir / "security" / "tests" / "deploys.yml").write_text(
        (rules_dir / "security" / "tests" / "deploys.yml").read_text().replace("a: pass", "a: fail")
    )
    assert cli("rules", "test", "--rules-dir", str(rules_dir), "--warehouse", str(warehouse)) == 0
    assert "PASS security/deploys: one deploy passes" in capsys.readouterr().out
