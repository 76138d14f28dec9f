"""The leaders' view, data side: the reporting views (dbt models) on a hand-made warehouse,
the per-service JSON and per-team Markdown, the `stature report` verb, the Dagster assets,
and the chart geometry. The site's pages are tests/test_site.py (and, at the size of a real
org, tests/test_site_at_scale.py).

Quick tests run on a hand-made warehouse shaped like the public tables, small enough to work
the expected figures out by hand, with the real dbt reporting models built on it once per
session. The slow ones read the session's nightly run of the generated sample org.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import duckdb
import pyarrow.parquet as pq
import pytest

from dagster_project.cli import main as cli_main
from dagster_project.report import charts
from dagster_project.report.format import STATUS_LABEL, fmt_rate
from dagster_project.report.outputs import write_atomic, write_outputs
from dagster_project.rules import catalog
from dagster_project.rules.loader import load_rules
from tests.conftest import SMALL_ORG_END, Workspace, copy_of_nightly
from tests.support.report_warehouse import (
    ALPHA_OPEN_QUARTER_DEPLOYS,
    AS_OF,
    LATEST,
    QUARTER_ENDS,
    QUARTERS,
    VIEW_NAMES,
    built_warehouse,
    make_config,
    published_copy,
    write_rules,
)
from tests.support.site_pages import records, tables


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """Every public table filled, published, with the report and portal files written."""
    root = tmp_path_factory.mktemp("full")
    config, views, report = published_copy(root)
    outputs = write_outputs(config, generated_at=dt.datetime(2026, 11, 16, 3, tzinfo=dt.UTC))
    return config, views, report, outputs


def published_rows(report, sql: str) -> list[tuple]:
    with duckdb.connect(str(report.database), read_only=True) as con:
        return con.execute(sql).fetchall()


# --- the reporting views -------------------------------------------------------------------


def test_every_view_is_built_by_dbt_and_published(full):
    _, views, report, _ = full
    assert views == VIEW_NAMES
    assert report.views == VIEW_NAMES
    # the views read tables by schema-qualified names only: they work in the published copy
    for name in VIEW_NAMES:
        assert published_rows(report, f"select count(*) > 0 from {name}") == [(True,)], name
    # the rule engine's catalog: the five rule files with a header, not the one without
    assert report.tables["scorecards.rule_catalog"] == 5


def test_views_are_published_as_parquet_too(full):
    _, _, report, _ = full
    for name in VIEW_NAMES:
        schema, view = name.split(".")
        path = report.parquet_dir / schema / f"{view}.parquet"
        assert path.exists(), f"{path} (publish writes Parquet for views too)"
        rows = published_rows(report, f"select count(*) from {name}")[0][0]
        assert pq.read_table(path).num_rows == rows


def test_pass_rates_count_enforced_checks_for_the_team_that_owned_the_service(full):
    _, _, report, _ = full
    sql = """
        select scope, team_id, team_name, entities, passed, warned, failed, not_reported,
               errored, exempt, not_applicable, graded, round(pass_rate, 4)
        from reporting.scorecard_pass_rates
        where as_of = ? and scorecard = ?
        order by scope, team_id
    """
    with duckdb.connect(str(report.database), read_only=True) as con:
        latest = con.execute(sql, [AS_OF, "engineering_maturity"]).fetchall()
        security = con.execute(sql, [AS_OF, "security"]).fetchall()
        before_reorg = con.execute(sql, [dt.date(2025, 12, 31), "engineering_maturity"]).fetchall()
        closes = con.execute(
            "select distinct as_of, quarter, quarter_start, is_quarter_close "
            "from reporting.scorecard_pass_rates where as_of >= '2026-09-30' order by as_of"
        ).fetchall()
    # shadow preview_rule is not counted: 8 enforced rows at the org
    assert latest == [
        ("org", None, "Acme Test", 5, 4, 1, 2, 1, 0, 0, 0, 8, 0.5),
        ("team", "alpha", "Alpha Team", 3, 3, 0, 2, 0, 0, 0, 0, 5, 0.6),
        ("team", "beta", "Beta Team", 2, 1, 1, 0, 1, 0, 0, 0, 3, 0.3333),
    ]
    assert security == [
        ("org", None, "Acme Test", 3, 0, 0, 1, 0, 0, 1, 1, 1, 0.0),
        ("team", "alpha", "Alpha Team", 2, 0, 0, 1, 0, 0, 0, 1, 1, 0.0),
        ("team", "beta", "Beta Team", 1, 0, 0, 0, 0, 0, 1, 0, 0, None),
    ]
    # before the reorg (2026-01-01) jobs' results count for alpha
    assert [(r[1], r[4], r[11]) for r in before_reorg] == [
        (None, 4, 8),
        ("alpha", 4, 7),
        ("beta", 0, 1),
    ]
    assert closes == [
        (dt.date(2026, 9, 30), "2026-Q3", dt.date(2026, 7, 1), True),
        (dt.date(2026, 11, 14), "2026-Q4", dt.date(2026, 10, 1), False),
        (dt.date(2026, 11, 15), "2026-Q4", dt.date(2026, 10, 1), True),
    ]


def test_pass_rates_mark_the_last_evaluation_of_each_week_month_and_quarter(full):
    _, _, report, _ = full
    rows = published_rows(
        report,
        "select distinct as_of, week_label, is_week_close, month_label, is_month_close, "
        "quarter, is_quarter_close, quarter_end, is_closed, elapsed_days, period_days "
        "from reporting.scorecard_pass_rates where as_of >= '2026-06-30' order by as_of",
    )
    # 2026-11-14 (Saturday) and 2026-11-15 (Sunday) share ISO week 46 and November: only
    # the 15th closes them; every quarter end closes its week, month and quarter. 2026-Q4
    # is open on 2026-11-15 with 46 of its 92 days gone.
    assert rows == [
        (dt.date(2026, 6, 30), "2026-W27", True, "2026-06", True, "2026-Q2", True,
         dt.date(2026, 6, 30), True, 91, 91),
        (dt.date(2026, 9, 30), "2026-W40", True, "2026-09", True, "2026-Q3", True,
         dt.date(2026, 9, 30), True, 92, 92),
        (dt.date(2026, 11, 14), "2026-W46", False, "2026-11", False, "2026-Q4", False,
         dt.date(2026, 12, 31), False, 46, 92),
        (dt.date(2026, 11, 15), "2026-W46", True, "2026-11", True, "2026-Q4", True,
         dt.date(2026, 12, 31), False, 46, 92),
    ]  # fmt: skip


def test_a_weekly_backfill_draws_a_point_per_week(tmp_path):
    """Evaluations every 7 days are each the last of their ISO week: a weekly trend gets a
    point for each, a monthly one for the last of each month."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse(), warehouse)
    weekly = [dt.date(2026, 10, 4) + dt.timedelta(days=7 * k) for k in range(5)]  # Sundays
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into scorecards.check_results (as_of, rule_id, rule_version, scorecard, "
            "level, entity_type, entity_id, status, rollout, evaluated_at, run_id) "
            "select d, 'has_runbook', 'v1', 'backfill', 2, 'service', 'api', 'pass', "
            "'enforced', now(), 'backfill' from unnest(?::date[]) as t(d)",
            [weekly],
        )
        rows = con.execute(
            "select as_of, is_week_close, is_month_close from reporting.scorecard_pass_rates "
            "where scorecard = 'backfill' and scope = 'org' order by as_of"
        ).fetchall()
    assert rows == [
        (dt.date(2026, 10, 4), True, False),
        (dt.date(2026, 10, 11), True, False),
        (dt.date(2026, 10, 18), True, False),
        (dt.date(2026, 10, 25), True, True),
        (dt.date(2026, 11, 1), True, True),
    ]


DORA_TRENDS_COLUMNS = [
    "period_grain",
    "period_start",
    "period_end",
    "period_label",
    "entity_type",
    "entity_id",
    "entity_name",
    "team_id",
    "deployments",
    "deploy_days",
    "deployment_frequency",
    "lead_time_sample_size",
    "lead_time_p50_hours",
    "lead_time_p75_hours",
    "lead_time_p90_hours",
    "failed_deployments",
    "change_failure_rate",
    "recovery_sample_size",
    "recovery_time_p50_hours",
    "rework_deployments",
    "rework_rate",
    "incidents",
    "restore_time_p50_hours",
    "linkage_coverage",
    "deployment_frequency_tier",
    "lead_time_tier",
    "change_failure_rate_tier",
    "recovery_time_tier",
    "rework_rate_tier",
    "benchmark_edition",
    "is_closed",
    "elapsed_days",
    "period_days",
    "as_of",
]


def test_dora_trends_names_entities_and_the_owning_team_by_period(full):
    _, _, report, _ = full
    with duckdb.connect(str(report.database), read_only=True) as con:
        columns = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = "
                "'reporting' and table_name = 'dora_trends' order by ordinal_position"
            ).fetchall()
        ]
        grains = con.execute(
            "select period_grain, entity_type, count(*) from reporting.dora_trends "
            "group by all order by all"
        ).fetchall()
        jobs = con.execute(
            "select period_label, team_id from reporting.dora_trends where entity_id = 'jobs' "
            "and period_grain = 'quarter' and period_start between '2025-07-01' and '2026-06-30' "
            "order by period_start"
        ).fetchall()
        alpha = con.execute(
            "select period_label, entity_name, deployments, lead_time_p50_hours "
            "from reporting.dora_trends where entity_id = 'alpha' and period_grain = 'quarter' "
            "order by period_start"
        ).fetchall()
        org = con.execute(
            "select distinct entity_name, team_id from reporting.dora_trends "
            "where entity_type = 'org'"
        ).fetchall()
    assert columns == DORA_TRENDS_COLUMNS
    # weeks are left out: month and quarter only
    assert grains == [
        ("month", "org", 3),
        ("quarter", "org", 8),
        ("quarter", "service", 24),
        ("quarter", "team", 16),
    ]
    assert jobs == [
        ("2025-Q3", "alpha"),
        ("2025-Q4", "alpha"),
        ("2026-Q1", "beta"),
        ("2026-Q2", "beta"),
    ]
    assert alpha == [
        (label, "Alpha Team", 10 + 2 * i if i < 7 else ALPHA_OPEN_QUARTER_DEPLOYS, 48.0 - 4 * i)
        for i, (label, _) in enumerate(QUARTERS)
    ]
    assert org == [("Acme Test", None)]


def test_an_open_period_rate_is_per_elapsed_week_and_says_so(full):
    _, _, report, _ = full
    rows = published_rows(
        report,
        "select period_grain, period_label, entity_id, deployments, deployment_frequency, "
        "deployment_frequency_tier, is_closed, elapsed_days, period_days "
        "from reporting.dora_trends where entity_type <> 'service' and period_start >= "
        "'2026-07-01' order by period_grain, period_start, entity_type, entity_id",
    )
    # As of Sunday 2026-11-15, 2026-Q4 is open with 46 of its 92 days gone: alpha's 46
    # deploys are 46 / (46 / 7) = 7.0 a week (not 46 / (92 / 7) = 3.5), which the 2023
    # benchmarks grade high (elite is more than 7). November is open with 15 of 30 days: the
    # org's 30 deploys are 30 / (15 / 7) = 14.0 a week, elite. Closed periods keep the
    # mart's figures: 2026-Q3 alpha 22 / (92 / 7), the org in September 10 / (30 / 7).
    assert rows == [
        ("month", "2026-09", "org", 10, 10 / (30 / 7), "high", True, 30, 30),
        ("month", "2026-10", "org", 10, 10 / (31 / 7), "high", True, 31, 31),
        ("month", "2026-11", "org", 30, 14.0, "elite", False, 15, 30),
        ("quarter", "2026-Q3", "org", 36, 36 / (92 / 7), "high", True, 92, 92),
        ("quarter", "2026-Q3", "alpha", 22, 22 / (92 / 7), "high", True, 92, 92),
        ("quarter", "2026-Q3", "beta", 14, 14 / (92 / 7), "high", True, 92, 92),
        ("quarter", "2026-Q4", "org", 59, 59 / (46 / 7), "elite", False, 46, 92),
        ("quarter", "2026-Q4", "alpha", 46, 7.0, "high", False, 46, 92),
        ("quarter", "2026-Q4", "beta", 13, 13 / (46 / 7), "high", False, 46, 92),
    ]


def test_dora_metrics_by_row_name_their_group(full):
    _, _, report, _ = full
    rows = published_rows(
        report,
        "select metric, metric_group, title, unit, value, tier, sample_size "
        "from reporting.dora_trends_by_metric where entity_id = 'alpha' "
        "and period_label = '2026-Q4' order by display_order",
    )
    assert rows == [
        ("deployment_frequency", "throughput", "Deployment frequency", "deploys/week", 7.0,
         "high", 46),
        ("lead_time", "throughput", "Change lead time (p50)", "hours", 20.0, "high", 92),
        ("recovery_time", "throughput", "Failed deployment recovery time (p50)", "hours", 3.0,
         "high", 3),
        ("change_failure_rate", "instability", "Change failure rate", "ratio",
         pytest.approx(0.06), "elite", 46),
        ("rework_rate", "instability", "Deployment rework rate", "ratio", 0.05, "elite", 46),
    ]  # fmt: skip


def test_maturity_distribution_counts_every_level_of_the_ladder(full):
    _, _, report, _ = full
    rows = published_rows(
        report,
        "select quarter, is_closed, level, level_name, entities, total_entities, share "
        "from reporting.maturity_distribution where entity_type = 'service' "
        "and quarter in ('2026-Q3', '2026-Q4') order by quarter, level",
    )
    assert rows == [
        ("2026-Q3", True, 1, "Ad hoc", 0, 4, 0.0),
        ("2026-Q3", True, 2, "Defined", 3, 4, 0.75),
        ("2026-Q3", True, 3, "Measured", 1, 4, 0.25),
        ("2026-Q3", True, 4, "Embedded", 0, 4, 0.0),
        ("2026-Q3", True, 5, "Systemic", 0, 4, 0.0),
        ("2026-Q3", True, None, "Unrated", 0, 4, 0.0),
        ("2026-Q4", False, 1, "Ad hoc", 1, 4, 0.25),
        ("2026-Q4", False, 2, "Defined", 2, 4, 0.5),
        ("2026-Q4", False, 3, "Measured", 1, 4, 0.25),
        ("2026-Q4", False, 4, "Embedded", 0, 4, 0.0),
        ("2026-Q4", False, 5, "Systemic", 0, 4, 0.0),
        ("2026-Q4", False, None, "Unrated", 0, 4, 0.0),
    ]
    # five levels and the unrated row, for services and teams, in 8 quarters
    assert published_rows(report, "select count(*) from reporting.maturity_distribution") == [
        (8 * 2 * 6,)
    ]


def test_maturity_movements_compare_each_entity_with_its_previous_quarter(full):
    _, _, report, _ = full
    rows = published_rows(
        report,
        "select quarter, previous_quarter, entity_id, level_from, level_to, level_change, "
        "movement from reporting.maturity_movements where entity_type = 'service' "
        "and quarter in ('2026-Q3', '2026-Q4') order by quarter, entity_id",
    )
    assert rows == [
        ("2026-Q3", "2026-Q2", "api", 3, 3, 0, "same"),
        ("2026-Q3", "2026-Q2", "jobs", 1, 2, 1, "up"),
        ("2026-Q3", None, "newsvc", None, 2, None, "new"),
        ("2026-Q3", "2026-Q2", "web", 2, 2, 0, "same"),
        ("2026-Q4", "2026-Q3", "api", 3, 3, 0, "same"),
        ("2026-Q4", "2026-Q3", "jobs", 2, 2, 0, "same"),
        ("2026-Q4", "2026-Q3", "newsvc", 2, 2, 0, "same"),
        ("2026-Q4", "2026-Q3", "web", 2, 1, -1, "down"),
    ]


def test_service_maturity_and_standards_are_the_latest_per_service(full):
    _, _, report, _ = full
    maturity = published_rows(
        report,
        "select quarter, service_id, service_name, team_id, team_name, level, level_name, "
        "next_level, next_level_name, blockers, blocker_count, blockers_text, is_closed, "
        "elapsed_days from reporting.service_maturity order by service_id",
    )
    assert maturity == [
        ("2026-Q4", "api", "API", "alpha", "Alpha Team", 3, "Measured", 4, "Embedded",
         ["sec_scan"], 1, "sec_scan", False, 46),
        ("2026-Q4", "jobs", "Jobs", "beta", "Beta Team", 2, "Defined", 3, "Measured",
         ["perf_budget"], 1, "perf_budget", False, 46),
        ("2026-Q4", "newsvc", "newsvc", "beta", "Beta Team", 2, "Defined", 3, "Measured", [], 0,
         "", False, 46),
        ("2026-Q4", "web", "Web", "alpha", "Alpha Team", 1, "Ad hoc", 2, "Defined",
         ["has_runbook"], 1, "has_runbook", False, 46),
    ]  # fmt: skip
    standards = published_rows(
        report,
        "select service_id, rule_id, status, rag, value from reporting.service_standards "
        "where as_of = '2026-11-15' order by service_id, rule_id",
    )
    assert len(standards) == 12
    assert {(s, r): (st, rag) for s, r, st, rag, _ in standards} == {
        (s, r): (st, {"pass": "green", "warn": "yellow", "fail": "red", "not_reported": "red"}
                 .get(st, "grey"))
        for (r, s), (st, _) in LATEST.items()
        if s in ("api", "web", "jobs")
    }  # fmt: skip
    assert published_rows(report, "select distinct as_of from reporting.service_standards") == [
        (AS_OF,)
    ]


def test_service_standards_show_each_rule_at_its_newest_evaluation(tmp_path):
    """A rule added and backfilled to 2026-09-30 only shows at that date beside the rules
    evaluated on 2026-11-15; a rule the catalog no longer lists is left out."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse(), warehouse)
    rules = write_rules(tmp_path / "rules")
    (rules / "engineering_maturity" / "new_rule.sql").write_text(
        "/*---\nid: new_rule\ntitle: A new rule\nscorecard: engineering_maturity\n"
        'level: 2\nowner: platform-team\nunit: things\nthresholds: {pass: "== 1"}\n---*/\n'
        "select service_id, 1 as value from marts.dim_services\n"
    )
    (rules / "engineering_maturity" / "has_runbook.sql").unlink()
    catalog.write_rule_catalog(warehouse, load_rules(rules))
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into scorecards.check_results (as_of, rule_id, rule_version, scorecard, "
            "entity_type, entity_id, status, value, rollout, evaluated_at, run_id) values "
            "('2026-09-30', 'new_rule', 'v1', 'engineering_maturity', 'service', 'api', 'pass', "
            "1, 'enforced', now(), 'backfill')"
        )
        rows = con.execute(
            "select rule_id, as_of, status, rule_title, unit from reporting.service_standards "
            "where service_id = 'api' order by rule_id"
        ).fetchall()
    assert rows == [
        ("deploys_weekly", AS_OF, "pass", "Deploys to production weekly", None),
        ("new_rule", dt.date(2026, 9, 30), "pass", "A new rule", "things"),
        ("preview_rule", AS_OF, "fail", "Preview environments", None),
        ("sec_scan", AS_OF, "fail", "Security scanning in CI", None),
    ]


def test_balanced_scorecard_orders_perspectives_and_flags_the_latest_period(full):
    _, _, report, _ = full
    rows = published_rows(
        report,
        "select perspective_order, perspective, measure_id, entity_name, period, value, target, "
        "status, unit from reporting.balanced_scorecard where is_latest "
        "order by perspective_order, measure_id",
    )
    assert rows == [
        (1, "Business Value", "revenue_per_engineer", "Acme Test", "2026-Q3", 210.0, 200.0,
         "green", "kEUR"),
        (2, "Customer Outcomes", "availability", "Acme Test", "2026-Q3", 0.998, 0.999, "yellow",
         "ratio"),
        (3, "Engineering Excellence", "deploys_per_week", "Alpha Team", "2026-Q3", 1.5, 2.0,
         "yellow", "deploys/week"),
        (3, "Engineering Excellence", "lead_time_days", "Acme Test", "2026-Q3", 2.0, 1.0, "red",
         "days"),
        (4, "Team Capability", "enps", "Acme Test", "2026-Q3", 30.0, 20.0, "green", "score"),
    ]  # fmt: skip
    assert published_rows(report, "select count(*) from reporting.balanced_scorecard") == [(9,)]
    with duckdb.connect(str(report.database), read_only=True) as con:
        columns = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = "
                "'reporting' and table_name = 'balanced_scorecard' order by ordinal_position"
            ).fetchall()
        ]
    assert columns == [
        "period", "period_start", "period_end", "is_latest", "entity_type", "entity_id",
        "entity_name", "perspective_order", "perspective", "objective", "measure_id", "title",
        "value", "unit", "target", "direction", "status", "previous_value", "trend", "owner",
        "indicator", "is_closed", "elapsed_days", "period_days", "as_of", "yellow_limit",
        "value_source",
    ]  # fmt: skip


def test_rule_catalog_holds_the_valid_rule_headers(full):
    _, _, report, _ = full
    assert published_rows(
        report,
        "select rule_id, scorecard, title, level, entity, owner, unit, thresholds, rollout, "
        "remediation, is_valid from reporting.rule_catalog order by rule_id",
    ) == [
        ("deploys_weekly", "engineering_maturity", "Deploys to production weekly", 3, "service",
         "platform-team", None, "pass >= 1; warn >= 0.25", "enforced", None, True),
        ("has_runbook", "engineering_maturity", "Has a runbook", 2, "service", "platform-team",
         "runbooks", "pass == 1", "enforced", "https://wiki.example/runbooks", True),
        ("preview_rule", "engineering_maturity", "Preview environments", 4, "service",
         "platform-team", None, "pass == 1", "shadow", None, True),
        ("sec_scan", "security", "Security scanning in CI", 4, "service", "security-team", None,
         "pass == 1", "enforced", None, True),
        ("team_oncall", "engineering_maturity", "The team has an on-call rota", 2, "team",
         "platform-team", None, "pass == 1", "enforced", None, True),
    ]  # fmt: skip


def test_check_history_keeps_each_rules_last_result_per_quarter(full):
    _, _, report, _ = full
    rows = published_rows(
        report,
        "select quarter, as_of, team_id, status, rag, value, is_closed from reporting.check_history "
        "where entity_id = 'jobs' and rule_id = 'has_runbook' order by quarter_start",
    )
    # jobs moved from alpha to beta on 2026-01-01; its runbook landed in 2026-Q2 (i >= 5);
    # in the open quarter the latest evaluation (2026-11-15, not 2026-11-14) stands
    assert rows == [
        (q, end, "alpha" if i < 4 else "beta", "pass" if i >= 5 else "fail",
         "green" if i >= 5 else "red", 1.0 if i >= 5 else 0.0, i < 7)
        for i, ((q, _), end) in enumerate(zip(QUARTERS, [*QUARTER_ENDS, AS_OF], strict=True))
    ]  # fmt: skip
    team_rule = published_rows(
        report,
        "select entity_type, entity_id, team_id, status from reporting.check_history "
        "where rule_id = 'team_oncall' and quarter = '2026-Q4' order by entity_id",
    )
    assert team_rule == [
        ("team", "alpha", "alpha", "pass"),
        ("team", "beta", "beta", "not_reported"),
    ]


def test_rule_pass_rates_count_each_standard_per_team_and_org_by_quarter(full):
    _, _, report, _ = full
    rows = published_rows(
        report,
        "select quarter, scope, team_id, team_name, passed, failed, graded, pass_rate, rule_title "
        "from reporting.rule_pass_rates where rule_id = 'has_runbook' "
        "and quarter in ('2026-Q1', '2026-Q4') order by quarter_start, scope, team_id",
    )
    # 2026-Q1 (as of 2026-03-31): api and web pass, jobs (beta's since the reorg) fails;
    # 2026-Q4 (as of 2026-11-15): web fails
    assert rows == [
        ("2026-Q1", "org", None, "Acme Test", 2, 1, 3, 2 / 3, "Has a runbook"),
        ("2026-Q1", "team", "alpha", "Alpha Team", 2, 0, 2, 1.0, "Has a runbook"),
        ("2026-Q1", "team", "beta", "Beta Team", 0, 1, 1, 0.0, "Has a runbook"),
        ("2026-Q4", "org", None, "Acme Test", 2, 1, 3, 2 / 3, "Has a runbook"),
        ("2026-Q4", "team", "alpha", "Alpha Team", 1, 1, 2, 0.5, "Has a runbook"),
        ("2026-Q4", "team", "beta", "Beta Team", 1, 0, 1, 1.0, "Has a runbook"),
    ]
    # a shadow rule is counted on its own page: preview_rule, 1 of 3 pass now
    assert published_rows(
        report,
        "select passed, graded, rollout from reporting.rule_pass_rates "
        "where rule_id = 'preview_rule' and quarter = '2026-Q4' and scope = 'org'",
    ) == [(1, 3, "shadow")]


def test_maturity_history_keeps_every_entitys_level_and_blockers_by_quarter(full):
    _, _, report, _ = full
    rows = published_rows(
        report,
        "select quarter, entity_type, entity_id, entity_name, level, level_name, next_level, "
        "blockers_text, blocker_count, is_closed from reporting.maturity_history "
        "where quarter in ('2026-Q3', '2026-Q4') order by quarter, entity_type, entity_id",
    )
    assert rows == [
        ("2026-Q3", "service", "api", "API", 3, "Measured", 4, "", 0, True),
        ("2026-Q3", "service", "jobs", "Jobs", 2, "Defined", 3, "", 0, True),
        ("2026-Q3", "service", "newsvc", "newsvc", 2, "Defined", 3, "", 0, True),
        ("2026-Q3", "service", "web", "Web", 2, "Defined", 3, "", 0, True),
        ("2026-Q3", "team", "alpha", "Alpha Team", 2, "Defined", 3, "", 0, True),
        ("2026-Q4", "service", "api", "API", 3, "Measured", 4, "sec_scan", 1, False),
        ("2026-Q4", "service", "jobs", "Jobs", 2, "Defined", 3, "perf_budget", 1, False),
        ("2026-Q4", "service", "newsvc", "newsvc", 2, "Defined", 3, "", 0, False),
        ("2026-Q4", "service", "web", "Web", 1, "Ad hoc", 2, "has_runbook", 1, False),
        ("2026-Q4", "team", "alpha", "Alpha Team", 2, "Defined", 3, "", 0, False),
    ]


def test_dora_tier_bands_give_each_tier_its_range(full):
    _, _, report, _ = full
    rows = published_rows(
        report,
        "select metric, tier, lower_bound, upper_bound, better from reporting.dora_tier_bands "
        "where metric in ('deployment_frequency', 'lead_time') order by metric, tier_rank",
    )
    # the 2023 edition: deploys a week (higher is better), lead time in hours (lower)
    assert rows == [
        ("deployment_frequency", "elite", 7.0, None, "higher"),
        ("deployment_frequency", "high", 1.0, 7.0, "higher"),
        ("deployment_frequency", "medium", 0.23, 1.0, "higher"),
        ("deployment_frequency", "low", None, 0.23, "higher"),
        ("lead_time", "elite", None, 24.0, "lower"),
        ("lead_time", "high", 24.0, 168.0, "lower"),
        ("lead_time", "medium", 168.0, 730.5, "lower"),
        ("lead_time", "low", 730.5, None, "lower"),
    ]


def test_dora_metrics_by_row_carry_the_period_before(full):
    _, _, report, _ = full
    rows = published_rows(
        report,
        "select period_label, value, previous_period_label, previous_value from "
        "reporting.dora_trends_by_metric where entity_id = 'alpha' and metric = "
        "'deployment_frequency' and period_label in ('2025-Q1', '2026-Q3', '2026-Q4') "
        "order by period_start",
    )
    # 2026-Q3: 22 in 92 days against 2026-Q2: 20 in 91; the first quarter has none before it
    assert rows == [
        ("2025-Q1", 10 / (90 / 7), None, None),
        ("2026-Q3", 22 / (92 / 7), "2026-Q2", 20 / 13),
        ("2026-Q4", 7.0, "2026-Q3", 22 / (92 / 7)),
    ]


# --- results where teams work --------------------------------------------------------------


def test_each_service_gets_a_json_document(full):
    _, _, report, outputs = full
    assert [p.name for p in outputs.services] == [
        "api.json",
        "jobs.json",
        "newsvc.json",
        "web.json",
    ]
    web = json.loads((report.database.parent / "services" / "web.json").read_text())
    assert {k: web[k] for k in ("schema_version", "service_id", "name", "team_id", "team_name",
                                "tier", "lifecycle", "as_of", "status_counts")} == {
        "schema_version": 1,
        "service_id": "web",
        "name": "Web",
        "team_id": "alpha",
        "team_name": "Alpha Team",
        "tier": "tier-2",
        "lifecycle": "production",
        "as_of": "2026-11-15",
        "status_counts": {"fail": 2, "not_applicable": 1, "pass": 1},
    }  # fmt: skip
    assert [(s["rule_id"], s["status"], s["rag"], s["value"]) for s in web["standards"]] == [
        ("has_runbook", "fail", "red", 0.0),
        ("deploys_weekly", "fail", "red", 0.1),
        ("preview_rule", "pass", "green", 1.0),
        ("sec_scan", "not_applicable", "grey", None),
    ]
    assert web["standards"][0] | {} == {
        "rule_id": "has_runbook",
        "title": "Has a runbook",
        "scorecard": "engineering_maturity",
        "level": 2,
        "status": "fail",
        "rag": "red",
        "value": 0.0,
        "unit": "runbooks",
        "threshold": "pass == 1",
        "note": "has_runbook on web",
        "evidence_url": "https://ci.example/web/has_runbook",
        "remediation": "https://wiki.example/runbooks",
        "rollout": "enforced",
    }
    assert web["maturity"] == {
        "quarter": "2026-Q4",
        "level": 1,
        "level_name": "Ad hoc",
        "next_level": 2,
        "next_level_name": "Defined",
        "blockers": [
            {
                "rule_id": "has_runbook",
                "title": "Has a runbook",
                "status": "fail",
                "value": 0.0,
                "threshold": "pass == 1",
                "remediation": "https://wiki.example/runbooks",
            }
        ],
    }
    assert [q["period"] for q in web["dora"]["quarters"]] == [label for label, _ in QUARTERS]
    last = web["dora"]["last_full_quarter"]
    assert (last["period"], last["period_end"], last["deployments"]) == (
        "2026-Q3",
        "2026-09-30",
        11,
    )
    assert last["lead_time_tier"] == "high" and last["benchmark_edition"] == "2023"
    assert web["report"] == "../report/services/web.html"
    assert (report.database.parent / "report" / "services" / "web.html").is_file()
    newsvc = json.loads((report.database.parent / "services" / "newsvc.json").read_text())
    assert (newsvc["team_id"], newsvc["standards"], newsvc["maturity"]["level"]) == ("beta", [], 2)


def test_each_team_gets_a_markdown_summary(full):
    _, _, report, outputs = full
    assert [p.name for p in outputs.teams] == ["alpha.md", "beta.md"]
    alpha = (report.database.parent / "teams" / "alpha.md").read_text()
    assert alpha.startswith(
        "# Alpha Team: standards, maturity and DORA\n\n"
        "As of 2026-11-15, from the Stature published copy. 2 services.\n"
    )
    assert (
        "| Service | Level | Next level | What gets it there |\n|---|---|---|---|\n"
        "| API | 3 Measured | 4 Embedded | Security scanning in CI (fail) |\n"
        "| Web | 1 Ad hoc | 2 Defined | Has a runbook (fail) |\n"
    ) in alpha
    assert (
        "| API | Security scanning in CI | fail | 0 | pass == 1 |\n"
        "| Web | Has a runbook | fail | 0 runbooks | pass == 1 |\n"
        "| Web | Deploys to production weekly | fail | 0.1 | pass >= 1; warn >= 0.25 |\n"
    ) in alpha
    assert "| 2026-Q3 | 22 | 1.67 | 24 h | 8% | 4 h | 5% |\n" in alpha
    # the open quarter per elapsed week: 46 deploys in 46 days
    assert "| 2026-Q4 (to date) | 46 | 7 | 20 h | 6% | 3 h | 5% |\n" in alpha
    assert alpha.endswith("\nTeam page: ../report/teams/alpha.html\n")
    beta = (report.database.parent / "teams" / "beta.md").read_text()
    assert "2 services" in beta
    assert "| newsvc | 2 Defined | 3 Measured | the snapshot names no blocking standard |" in beta


def test_files_of_services_that_are_gone_are_removed(tmp_path):
    config, *_ = published_copy(tmp_path)
    stale = config.published_path / "services" / "retired.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    outputs = write_outputs(config)
    assert not stale.exists()
    assert sorted(p.name for p in stale.parent.iterdir() if p.name != "index.json") == [
        p.name for p in outputs.services
    ]


# --- `stature report` and the Dagster assets -----------------------------------------------


def test_stature_report_is_a_run_of_the_report_job_with_its_exit_status(
    tmp_path, capsys, monkeypatch
):
    import dagster as dg

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    full_config, *_ = published_copy(tmp_path / "full")
    assert cli_main(["report", "--config", str(tmp_path / "full" / "stature.yml")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("  (step logs: ")
    assert lines[1] == f"Report:   {full_config.published_path / 'report' / 'index.html'}"
    with dg.DagsterInstance.get() as instance:  # the UI shows it as a run of `report`
        runs = instance.get_runs()
        assert [(r.job_name, r.status) for r in runs] == [("report", dg.DagsterRunStatus.SUCCESS)]
        assert (
            instance.get_latest_materialization_event(dg.AssetKey(["published", "report"])).run_id
            == runs[0].run_id
        )

    published_copy(tmp_path / "marts", check_results=False, maturity=False)
    out = tmp_path / "elsewhere"
    code = cli_main(
        ["report", "--config", str(tmp_path / "marts" / "stature.yml"), "--out", str(out)]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert (out / "report" / "index.html").exists() and (out / "services" / "api.json").exists()
    assert (
        "reporting.service_standards: missing tables scorecards.check_results, "
        "scorecards.rule_catalog" in captured.err
    )

    make_config(tmp_path / "none")
    assert cli_main(["report", "--config", str(tmp_path / "none" / "stature.yml")]) == 2
    assert "no published copy at" in capsys.readouterr().err


@pytest.mark.slow
def test_the_dbt_reporting_assets_build_the_views_then_publish_writes_the_report(tmp_path):
    """The reporting views are Dagster assets of the dbt project (group dbt_reporting):
    materialized on the hand-made warehouse, then publish, then the report."""
    import dagster as dg

    from dagster_project.defs.dbt import build_dbt_assets, dbt_resource
    from dagster_project.defs.publish import build_publish_asset
    from dagster_project.defs.reporting import REPORT, build_report_asset
    from dagster_project.defs.resources import AS_OF_TAG, StatureResource

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse(), warehouse)
    with duckdb.connect(str(warehouse)) as con:
        for view in VIEW_NAMES:
            con.execute(f"drop view {view}")
    write_rules(tmp_path / "rules")
    config_path = make_config(tmp_path)
    _, reporting = build_dbt_assets()
    assert {k.to_user_string() for k in reporting.keys} >= {
        "reporting/dora_trends",
        "reporting/service_standards",
        "scorecards/balanced_scorecard",
    }
    publish_asset = build_publish_asset(list(reporting.keys))
    report = build_report_asset()
    result = dg.materialize(
        [reporting, publish_asset, report],
        resources={"stature": StatureResource(config_path=str(config_path)), "dbt": dbt_resource()},
        tags={AS_OF_TAG: AS_OF.isoformat()},
    )
    assert result.success
    order = [
        e.materialization.asset_key.to_user_string()
        for e in result.get_asset_materialization_events()
    ]
    assert order[-2:] == ["published/stature", "published/report"]
    assert set(order[:-2]) == {k.to_user_string() for k in reporting.keys}
    with duckdb.connect(str(tmp_path / "published" / "stature.duckdb"), read_only=True) as con:
        open_quarter = con.execute(
            "select deployment_frequency, elapsed_days from reporting.dora_trends "
            "where entity_id = 'alpha' and period_label = '2026-Q4'"
        ).fetchone()
    # the run's as-of date reached dbt: 46 deploys in the 46 days to 2026-11-15
    assert open_quarter == (7.0, 46)
    report_meta = result.asset_materializations_for_node("published__report")[0].metadata
    assert report_meta["services"].value == 4 and report_meta["teams"].value == 2
    assert report.keys == {REPORT}


# --- the real nightly run on the generated sample org (the session's shared run) -----------


@pytest.fixture(scope="module")
def sample_run(nightly):
    return nightly.workspace, nightly.result


def _published_count(ws: Workspace, sql: str) -> int:
    with duckdb.connect(str(ws.published / "stature.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


@pytest.mark.slow
def test_the_nightly_run_writes_the_site_from_the_published_copy(sample_run):
    ws, result = sample_run
    report = ws.published / "report" / "index.html"
    assert f"Report:  {report}" in result.stdout
    page = report.read_text()
    assert f"as of {SMALL_ORG_END}" in page
    assert (ws.published / "strategy_map.svg").exists()
    assert not (ws.published / "strategy_map.png").exists()
    assert _published_count(ws, "select count(*) from scorecards.balanced_scorecard") > 0
    services = _published_count(ws, "select count(*) from marts.dim_services")
    teams = _published_count(ws, "select count(*) from marts.dim_teams")
    rules = _published_count(ws, "select count(*) from reporting.rule_catalog where is_valid")
    site = ws.published / "report"
    assert len(list((site / "services").glob("*.html"))) == services
    assert len(list((site / "teams").glob("*.html"))) == teams
    assert len(list((site / "standards").glob("*.html"))) == rules
    heat = records(tables(page)["teams"])
    assert len(heat) == teams
    # every team has a pass rate for every scorecard with an enforced rule it is graded on
    assert all(row["sc:security"][1] is not None for row in heat)
    # the strategy map is coloured by the published measures' statuses
    smap = (ws.published / "strategy_map.svg").read_text()
    assert re.search(r'data-status="(green|yellow|red)"', smap)


@pytest.mark.slow
def test_every_service_and_team_gets_its_file(sample_run):
    ws, _ = sample_run
    services = _published_count(ws, "select count(*) from marts.dim_services")
    teams = _published_count(ws, "select count(*) from marts.dim_teams")
    documents = sorted(
        p for p in (ws.published / "services").glob("*.json") if p.name != "index.json"
    )
    assert len(documents) == services
    assert len(list((ws.published / "teams").glob("*.md"))) == teams
    for path in documents:
        doc = json.loads(path.read_text())
        assert doc["as_of"] == SMALL_ORG_END.isoformat()
        assert doc["standards"], path.name
        assert {s["status"] for s in doc["standards"]} <= set(STATUS_LABEL)
    deploying = [json.loads(p.read_text()) for p in documents]
    assert sum(1 for d in deploying if len(d["dora"]["quarters"]) >= 8) >= services - 2


@pytest.mark.slow
def test_stature_report_rewrites_the_report_from_the_published_copy(nightly, tmp_path):
    ws = copy_of_nightly(nightly, tmp_path / "ws")
    report = ws.published / "report" / "index.html"
    # Pages the run wrote, made stale: the report must write them again (an unchanged page
    # is left alone, so a page's time stamp alone would not tell).
    service_page = sorted((ws.published / "report" / "services").glob("*.html"))[0]
    written = {path: path.read_text() for path in (report, service_page)}
    for path in written:
        path.write_text("stale")
    result = ws.stature("report")
    assert result.returncode == 0, result.stdout + result.stderr
    for path, text in written.items():
        again = path.read_text()
        assert again.startswith("<!doctype html>") and again.endswith("</html>\n"), path
        # the same page but for the minute in its "Generated" line
        assert again.split("<footer>")[0] == text.split("<footer>")[0], path
    assert f"Report:   {report}" in result.stdout.splitlines()


def test_line_chart_points_and_ticks_stay_inside_the_plot():
    chart = charts.line_chart(
        ["2026-Q3", "2026-Q4"],
        [charts.Series("org", [0.9, 0.77], "#000"), charts.Series("team", [None, 0.53], "#111")],
        title="Pass rate",
        y_format=fmt_rate,
        width=320,
        height=190,
    )
    assert [label for _, label in chart.y_ticks] == ["0%", "20%", "40%", "60%", "80%", "100%"]
    top, bottom = chart.top, chart.top + chart.plot_h
    ys = [p.y for line in chart.lines for p in line.points]
    assert len(ys) == 3 and all(top <= y <= bottom for y in ys)
    # 100% is the top of the plot, 0% its bottom: 90% sits a tenth of the height below the top
    assert ys[0] == pytest.approx(top + (bottom - top) * 0.1, abs=0.05)


def test_a_running_period_is_drawn_apart_and_bands_are_clipped_to_the_axis():
    chart = charts.line_chart(
        ["2026-Q2", "2026-Q3", "2026-Q4"],
        [charts.Series("alpha", [1.5, 1.67, 7.0], "#000")],
        title="Deployment frequency",
        y_format=str,
        open_last=True,
        bands=[
            charts.Band("elite", 7, None),
            charts.Band("high", 1, 7),
            charts.Band("low", None, 0.23),
        ],
    )
    (line,) = chart.lines
    assert len(line.closed_paths) == 1 and line.closed_paths[0].count(",") == 2  # Q2 -> Q3
    assert len(line.open_paths) == 1  # Q3 -> Q4, dashed
    assert [p.open for p in line.points] == [False, False, True]
    assert line.points[-1].title == "alpha · 2026-Q4 (to date): 7.0"
    assert [x[2] for x in chart.x_ticks] == [False, False, True]
    # axis up to 8: elite [7, 8], high [1, 7), low [0, 0.23]
    assert [b[2] for b in chart.bands] == ["elite", "high", "low"]
    top, height = chart.top, chart.plot_h
    assert chart.bands[0][0] == pytest.approx(top)
    assert chart.bands[2][0] + chart.bands[2][1] == pytest.approx(top + height)


def test_a_file_already_holding_the_text_is_left_alone_and_a_changed_one_replaced(tmp_path):
    page = tmp_path / "report" / "services" / "alpha.html"
    write_atomic(page, "<p>alpha</p>\n")
    first = page.stat()
    write_atomic(page, "<p>alpha</p>\n")  # the same text: not written again (same inode)
    assert (page.stat().st_ino, page.stat().st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    write_atomic(page, "<p>alpha, renamed</p>\n")  # renamed into place: a new file
    assert page.read_text() == "<p>alpha, renamed</p>\n"
    assert page.stat().st_ino != first.st_ino
    assert not list(page.parent.glob(".*.tmp"))
