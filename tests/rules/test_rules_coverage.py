"""Status coverage of the golden fixtures: which statuses a rule can give (read from its header
and query), which its passing cases show, and `stature rules test` saying so per rule."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from rules_helpers import rule_text

from dagster_project.rules.coverage import always_reports, coverage, own_statuses, producible
from dagster_project.rules.loader import load_rules, parse_rule

REPO = Path(__file__).resolve().parents[2]
STARTER = {r.rule_id: r for r in load_rules(REPO / "rules_sql")}


def rule(sql: str, **kw) -> object:
    path = Path("/rules/security/r.sql")
    return parse_rule(path, rule_text("r", sql, **kw))


# Worked from each header and query by hand: applies_to gives not_applicable; thresholds give
# pass and fail (warn with a warn threshold); a status column gives what it spells out; a
# query over dim_services with a value that is never NULL cannot leave an entity unreported.
@pytest.mark.parametrize(
    ("rule_id", "statuses"),
    [
        ("recovery_time_tier", ("pass", "warn", "fail", "not_applicable", "not_reported")),
        ("team_deployment_frequency_tier", ("pass", "warn", "fail", "not_reported")),
        ("mttr_target", ("pass", "warn", "fail", "not_applicable", "not_reported")),
        ("deploys_weekly", ("pass", "warn", "fail", "not_applicable")),
        ("slo_defined", ("pass", "fail", "not_applicable")),
        ("dependency_scanning_sbom", ("pass", "fail", "not_applicable")),
        ("tls_all_endpoints", ("pass", "fail", "not_applicable", "not_reported")),
        ("org_key_metrics_tier", ("pass", "warn", "fail", "not_reported")),
        ("internal_mobility", ("pass", "warn", "fail", "not_reported")),
    ],
)
def test_what_a_starter_rule_can_give(rule_id, statuses):
    assert producible(STARTER[rule_id]) == statuses


def test_a_status_column_gives_what_it_spells_out():
    own = "case when value > 2 then 'pass' when value > 1 then 'not_applicable' end as status"
    r = rule(f"select service_id, 1.5 as value, {own} from marts.dim_services", thresholds=None)
    assert own_statuses(r) == {"pass", "not_applicable"}
    # no thresholds: a NULL status is not_reported; nothing else can come out
    assert producible(r) == ("pass", "not_applicable", "not_reported")
    plain = rule("select service_id, 1 as value from marts.dim_services")
    assert own_statuses(plain) is None


@pytest.mark.parametrize(
    ("sql", "reports"),
    [
        ("select service_id, 1 as value from marts.dim_services", True),
        (
            "select service_id, case when has_runbook then 1 else 0 end as value "
            "from marts.dim_services",
            True,
        ),
        (
            "select s.service_id, count(d.deployment_id) / 4.0 as value from marts.dim_services s "
            "left join marts.fct_deployments d on d.service_id = s.service_id group by s.service_id",
            True,
        ),
        # a filter, an inner join, a nullable value, a divisor that may be 0: can miss
        ("select service_id, 1 as value from marts.dim_services where tier = 'tier-1'", False),
        (
            "select s.service_id, 1 as value from marts.dim_services s "
            "join marts.fct_deployments d on d.service_id = s.service_id",
            False,
        ),
        (
            "select service_id, case when has_runbook then 1 end as value from marts.dim_services",
            False,
        ),
        ("select service_id, endpoint_count / 2 as value from marts.dim_services", False),
        ("select service_id, 1 / endpoint_count as value from marts.dim_services", False),
        ("select entity_id as service_id, deployments as value from marts.dora_metrics", False),
    ],
)
def test_when_every_entity_gets_a_value(sql, reports):
    assert always_reports(rule(sql)) is reports
    assert ("not_reported" in producible(rule(sql))) is not reports


def test_coverage_names_what_the_cases_miss():
    r = STARTER["lead_time_tier"]
    partial = coverage(r, [["pass", "fail"], ["not_reported"]])
    assert partial.missing == ("warn", "not_applicable")
    assert partial.line() == (
        "COVERAGE dora/lead_time_tier: pass, fail, not_reported; missing warn, not_applicable"
    )
    full = coverage(r, [["pass", "fail", "warn"], ["not_reported", "not_applicable", "exempt"]])
    assert full.complete and full.line() == (
        "COVERAGE dora/lead_time_tier: pass, warn, fail, not_applicable, not_reported, exempt "
        "(every status it can give)"
    )


def test_the_starter_library_covers_every_status_each_rule_can_give(cli, capsys):
    code = cli("rules", "test", "--require-coverage", "--rules-dir", str(REPO / "rules_sql"))
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.startswith("COVERAGE ")]
    assert len(lines) == len(STARTER) == 30
    assert [ln for ln in lines if not ln.endswith("(every status it can give)")] == []
    assert "FAIL" not in out
    assert code == 0


def test_rules_test_prints_coverage_and_fails_on_gaps_when_asked(
    cli, capsys, rules_dir, write_rule
):
    write_rule(
        "tls",
        "select service_id, tls_endpoint_count::double / endpoint_count as value "
        "from marts.dim_services",
        thresholds='{pass: "== 1"}',
    )
    tests = rules_dir / "security" / "tests"
    tests.mkdir()
    (tests / "tls.yml").write_text(
        textwrap.dedent(
            """
            as_of: 2026-11-15
            cases:
              - name: half fails
                given:
                  marts.dim_services:
                    - {service_id: a, endpoint_count: 2, tls_endpoint_count: 2}
                    - {service_id: b, endpoint_count: 2, tls_endpoint_count: 1}
                expect: {a: pass, b: fail}
            """
        )
    )
    assert cli("rules", "test", "--rules-dir", str(rules_dir)) == 0
    out = capsys.readouterr().out
    assert "COVERAGE security/tls: pass, fail; missing not_reported" in out
    assert out.strip().endswith("1 passed, 0 failed, 1 rules miss a status they can give")
    assert cli("rules", "test", "--require-coverage", "--rules-dir", str(rules_dir)) == 1
    capsys.readouterr()
    # the missing case, added: complete
    with (tests / "tls.yml").open("a") as f:
        f.write(
            "  - name: an unknown count is not reported\n"
            "    given:\n"
            "      marts.dim_services:\n"
            "        - {service_id: c, endpoint_count: 2, tls_endpoint_count: null}\n"
            "    expect: {c: not_reported}\n"
        )
    assert cli("rules", "test", "--require-coverage", "--rules-dir", str(rules_dir)) == 0
    out = capsys.readouterr().out
    assert "COVERAGE security/tls: pass, fail, not_reported (every status it can give)" in out


def test_a_status_that_is_never_null_always_reports():
    own = "case when tier = 'tier-1' then 'pass' else 'warn' end as status"
    r = rule(f"select service_id, null as value, {own} from marts.dim_services", thresholds=None)
    assert producible(r) == ("pass", "warn")


def test_fixture_cases_can_expect_exempt_and_error(cli, capsys, rules_dir, write_rule):
    # The value is cast from text: a catalog holding 'n/a' makes the rule fail at run time.
    write_rule(
        "parsed",
        "select service_id, cast(runbook_url as double) as value from marts.dim_services",
        thresholds='{pass: ">= 1"}',
    )
    tests = rules_dir / "security" / "tests"
    tests.mkdir()
    (tests / "parsed.yml").write_text(
        textwrap.dedent(
            """
            as_of: 2026-11-15
            cases:
              - name: a live exemption wins over a failing value
                given:
                  marts.dim_services:
                    - {service_id: a, runbook_url: "0"}
                    - {service_id: b, runbook_url: "2"}
                exemptions:
                  - {entity: a, reason: migrating, approver: cto@example.com, expires: 2026-12-01}
                expect:
                  a: {status: exempt, note: "exempt until 2026-12-01 (approved by cto@example.com): migrating"}
                  b: {status: pass, value: 2.0}
              - name: a value that is not a number errors every entity
                given:
                  marts.dim_services:
                    - {service_id: a, runbook_url: "1"}
                    - {service_id: b, runbook_url: "n/a"}
                expect: {a: error, b: error}
            """
        )
    )
    code = cli("rules", "test", "--rules-dir", str(rules_dir))
    out = capsys.readouterr().out
    assert "PASS security/parsed: a live exemption wins over a failing value" in out
    assert "PASS security/parsed: a value that is not a number errors every entity" in out
    assert "COVERAGE security/parsed: pass, exempt, error; missing fail, not_reported" in out
    assert code == 0
