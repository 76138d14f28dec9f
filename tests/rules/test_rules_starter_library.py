"""The shipped standards (rules_sql/): valid against the marts contract, every rule with
golden fixtures that pass, and the whole library evaluating cleanly over many dates."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import duckdb
import pytest
from rules_helpers import build_warehouse

from dagster_project.rules.engine import date_range, evaluate_ruleset
from dagster_project.rules.exemptions import exemptions_path, load_exemptions
from dagster_project.rules.fixtures import fixture_path, run_fixtures
from dagster_project.rules.loader import load_rules
from dagster_project.rules.validate import Catalog, validate_rule

REPO = Path(__file__).resolve().parents[2]
RULES_DIR = REPO / "rules_sql"
EXPECTED = {
    "security": {"tls_all_endpoints", "dependency_scanning_sbom", "static_analysis_ci"},
    "production_readiness": {"runbook_linked", "oncall_assigned", "alerts_in_place"},
    "engineering_maturity": {"deploys_weekly", "slo_defined", "slo_compliance", "mttr_target"},
    "dora": {
        "deployment_frequency_tier",
        "lead_time_tier",
        "change_failure_rate_tier",
        "recovery_time_tier",
        "team_deployment_frequency_tier",
        "org_key_metrics_tier",
    },
}


# The seed article's scorecards and DORA (other scorecards, e.g. the balanced scorecard's
# measures, are tested with their own engine).
RULES = [r for r in load_rules(RULES_DIR) if r.scorecard in EXPECTED]


def test_the_library_has_the_seed_scorecards_and_dora():
    found: dict[str, set[str]] = {}
    for rule in RULES:
        found.setdefault(rule.scorecard, set()).add(rule.rule_id)
    assert found == EXPECTED


@pytest.fixture(scope="module")
def contract_catalog(tmp_path_factory) -> Catalog:
    path = build_warehouse(tmp_path_factory.mktemp("contract") / "warehouse.duckdb")
    con = duckdb.connect(str(path), read_only=True)
    try:
        return Catalog.from_connection(con)
    finally:
        con.close()


@pytest.mark.parametrize("rule", RULES, ids=[r.rule_id for r in RULES])
def test_starter_rule_is_valid_against_the_marts_contract(rule, contract_catalog):
    assert validate_rule(rule, contract_catalog).problems == []
    assert rule.header.remediation and rule.header.description


@pytest.mark.parametrize("rule", RULES, ids=[r.rule_id for r in RULES])
def test_starter_rule_golden_fixtures_pass(rule):
    assert fixture_path(rule).exists(), f"add {fixture_path(rule)}"
    results, problems = run_fixtures(rule)
    assert problems == []
    assert results
    for result in results:
        assert result.failures == [], f"{result.name}: {result.failures}"


def test_shipped_exemptions_file_is_valid():
    entries, problems = load_exemptions(exemptions_path(RULES_DIR))
    assert problems == []
    assert all(e.rule in {r.rule_id for r in load_rules(RULES_DIR)} for e in entries)


def _bench_module():
    spec = importlib.util.spec_from_file_location(
        "bench_rules", REPO / "tests" / "benchmarks" / "bench_rules.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_library_runs_over_many_dates_without_errors_batched_or_not(tmp_path):
    bench = _bench_module()
    warehouse = tmp_path / "synthetic.duckdb"
    bench.build(warehouse, 60, 4)
    dates = date_range(dt.date(2026, 10, 25), dt.date(2026, 11, 15), "week")
    batched_report, batched, _ = evaluate_ruleset(
        warehouse=warehouse, rules=RULES, dates=dates, batching=True
    )
    assert batched_report.failed_rules == [], batched_report.summary()
    _, one_by_one, _ = evaluate_ruleset(
        warehouse=warehouse, rules=RULES, dates=dates, batching=False
    )
    order = [("rule_idx", "ascending"), ("as_of", "ascending"), ("entity_id", "ascending")]
    assert batched.sort_by(order).equals(one_by_one.sort_by(order))
    counts = batched_report.counts
    assert counts["pass"] > 0 and counts["fail"] > 0 and counts["not_applicable"] > 0


README_EXEMPTION = """\
- rule: deploys_weekly
  entity: legacy-billing
  reason: frozen until the billing platform migration ends
  approver: cto@example.com
  expires: 2026-12-31
"""


def test_appending_the_documented_example_to_the_shipped_file_works(tmp_path):
    """The shipped file is comments only (no `[]`), so an entry appended below them parses."""
    path = tmp_path / "exemptions.yml"
    path.write_text(exemptions_path(RULES_DIR).read_text() + README_EXEMPTION)
    entries, problems = load_exemptions(path)
    assert problems == []
    assert [(e.rule, e.entity, e.expires) for e in entries] == [
        ("deploys_weekly", "legacy-billing", dt.date(2026, 12, 31))
    ]
    assert (REPO / "docs" / "rules.md").exists()  # the page the file's comment points to
    assert "docs/rules.md" in exemptions_path(RULES_DIR).read_text()


def test_an_empty_list_left_beside_entries_is_named(tmp_path):
    path = tmp_path / "exemptions.yml"
    path.write_text("# exemptions\n[]\n" + README_EXEMPTION)
    entries, problems = load_exemptions(path)
    assert entries == []
    assert [str(p).partition("exemptions.yml:")[2] for p in problems] == [
        "3:1: not valid YAML: expected '<document start>', but found '<block sequence start>' "
        "(line 2 holds `[]` (an empty list) and the file also has entries starting with '- ': "
        "a file is one list, so delete the `[]` line; no exemption applies until it parses)"
    ]
