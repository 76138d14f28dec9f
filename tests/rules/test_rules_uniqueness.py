"""`rules check` warns, from the query's structure, when a rule can return more than one row
per entity (at run time that makes the whole date an error), and stays quiet where the
structure shows one row per entity; the starter library gets no warning."""

from __future__ import annotations

import pytest
from rules_helpers import rule_text

from dagster_project.manifest import unique_keys
from dagster_project.rules.loader import load_rules, parse_rule
from dagster_project.rules.uniqueness import duplicate_warning
from tests.conftest import REPO

REPEATS = {
    "an event table read per service": (
        "select service_id, 1 as value from marts.fct_deployments",
        "marts.fct_deployments has many rows per service_id",
    ),
    "a join to an event table": (
        "select s.service_id, d.deployed_at::date - date '2026-01-01' as value\n"
        "from marts.dim_services as s\n"
        "left join marts.fct_deployments as d on d.service_id = s.service_id",
        "marts.fct_deployments has many rows per service_id",
    ),
    "a compound grain left open (a range of weeks)": (
        "select entity_id as service_id, deployments as value from marts.dora_metrics\n"
        "where entity_type = 'service' and period_grain = 'week'\n"
        "  and period_start > getvariable('as_of') - interval 28 day",
        "marts.dora_metrics has many rows per entity_id",
    ),
}

ONE_ROW = {
    "the catalog itself": "select service_id, 1 as value from marts.dim_services",
    "grouped by the key": "select service_id, count(*) as value from marts.fct_deployments group by service_id",
    "grouped by position": "select service_id, count(*) as value from marts.fct_deployments group by 1",
    "grouped by all": "select service_id, count(*) as value from marts.fct_deployments group by all",
    "distinct": "select distinct service_id, 1 as value from marts.fct_deployments",
    "deduped with qualify": (
        "select service_id, 1 as value from marts.fct_deployments\n"
        "qualify row_number() over (partition by service_id order by deployed_at desc) = 1"
    ),
    "a join to a CTE grouped on the join key": (
        "with d as (select service_id, count(*) as n from marts.fct_deployments group by 1)\n"
        "select s.service_id, d.n as value from marts.dim_services as s\n"
        "left join d on d.service_id = s.service_id"
    ),
    "a subquery grouped by the key": (
        "select service_id, n as value\n"
        "from (select service_id, count(*) as n from marts.fct_deployments group by service_id) as t"
    ),
    "a compound grain pinned by equalities": (
        "select entity_id as service_id, deployments as value from marts.dora_metrics\n"
        "where entity_type = 'service' and period_grain = 'week' and period_start = getvariable('as_of')"
    ),
}  # fmt: skip


def _rule(tmp_path, sql: str):
    path = tmp_path / "rules_sql" / "security" / "r.sql"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(rule_text("r", sql))
    return parse_rule(path, path.read_text())


@pytest.mark.parametrize("case", REPEATS)
def test_a_query_that_can_repeat_an_entity_is_warned_about(tmp_path, case):
    sql, fragment = REPEATS[case]
    warning = duplicate_warning(_rule(tmp_path, sql), unique_keys())
    assert warning is not None
    assert warning.message == (
        f"warning: the query may return more than one row per service_id: {fragment}, "
        "and the query has no GROUP BY service_id"
    )


@pytest.mark.parametrize("case", ONE_ROW)
def test_one_row_per_entity_is_not_warned_about(tmp_path, case):
    assert duplicate_warning(_rule(tmp_path, ONE_ROW[case]), unique_keys()) is None


def test_the_starter_library_gets_no_warning():
    rules = load_rules(REPO / "rules_sql")
    assert [str(w) for r in rules if (w := duplicate_warning(r, unique_keys()))] == []


def test_check_prints_the_warning_with_its_line_and_exits_0(
    cli, capsys, make_warehouse, rules_dir, write_rule
):
    warehouse = make_warehouse()
    write_rule("per_deploy", "select service_id, 1 as value\nfrom marts.fct_deployments")
    write_rule("tls", "select service_id, 1 as value from marts.dim_services", scorecard="securty")
    write_rule("sbom", "select service_id, 1 as value from marts.dim_services")
    code = cli("rules", "check", "--rules-dir", str(rules_dir), "--warehouse", str(warehouse))
    out = capsys.readouterr().out
    assert code == 0, out
    assert (
        "security/per_deploy.sql:10:6: warning: the query may return more than one row per "
        "service_id: marts.fct_deployments has many rows per service_id, and the query has no "
        "GROUP BY service_id (group by service_id and aggregate the rest, or keep one row per "
        "service_id (qualify row_number() over (partition by service_id order by ...) = 1); "
        "at run time a repeated entity makes the whole date an error)"
    ) in out
    assert (
        "securty/tls.sql:4: warning: scorecard 'securty' is new beside 'security': did you mean "
        "security? (move the file to security/ and set scorecard: security, if so)"
    ) in out
    assert out.strip().endswith("3 valid, 0 invalid; 2 warnings")
