"""scorecards.rule_catalog: the rule engine rewrites it from the rules directory whenever it
stores results, so a backfill alone (no nightly run, no reporting step) fills it."""

from __future__ import annotations

import datetime as dt

import duckdb

from dagster_project.rules.engine import date_range, evaluate_dates
from tests.rules.rules_helpers import rule_text

TLS_SQL = (
    "select service_id, case when endpoint_count = 0 then 1.0 "
    "else tls_endpoint_count / endpoint_count end as value from marts.dim_services"
)


def catalog_rows(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select rule_id, scorecard, title, level, unit, thresholds, rollout, remediation, "
            "perspective, yellow_band, is_valid from scorecards.rule_catalog order by rule_id"
        ).fetchall()


def test_a_backfill_fills_the_catalog_with_every_rule_header(
    make_warehouse, rules_dir, write_rule, config
):
    warehouse = make_warehouse()
    write_rule("tls", TLS_SQL, extra="unit: share\nremediation: https://wiki.example/tls")
    write_rule("sketch", TLS_SQL, extra="rollout: draft")
    # a header that reads but does not validate (its id is not its file name): in the
    # catalog, marked invalid (its entities get error rows, the balanced scorecard skips it)
    write_rule("broken", TLS_SQL, raw=rule_text("renamed", TLS_SQL))
    write_rule("no_header", "", raw="select 1 as value\n")
    report = evaluate_dates(
        config,
        warehouse=warehouse,
        rules_dir=rules_dir,
        dates=date_range(dt.date(2026, 1, 1), dt.date(2026, 1, 15), "week"),
        run_id="backfill-test",
    )
    assert report.drafts == ["sketch"]
    assert sorted(catalog_rows(warehouse)) == [
        ("renamed", "security", "Rule renamed", 2, None, "pass >= 1; warn >= 0.5", "enforced",
         None, None, None, False),
        ("sketch", "security", "Rule sketch", 2, None, "pass >= 1; warn >= 0.5", "draft", None,
         None, None, True),
        ("tls", "security", "Rule tls", 2, "share", "pass >= 1; warn >= 0.5", "enforced",
         "https://wiki.example/tls", None, None, True),
    ]  # fmt: skip

    # a rule file removed: the next evaluation leaves it out of the catalog
    (rules_dir / "security" / "broken.sql").unlink()
    evaluate_dates(
        config,
        warehouse=warehouse,
        rules_dir=rules_dir,
        dates=[dt.date(2026, 1, 22)],
        run_id="nightly",
        only=["tls"],
    )
    assert [r[0] for r in catalog_rows(warehouse)] == ["sketch", "tls"]


def test_a_measure_carries_its_yellow_band(make_warehouse, rules_dir, write_rule, config):
    warehouse = make_warehouse()
    measure = (
        "entity: org\nperspective: Business Value\ndirection: higher_is_better\n"
        "indicator: lagging\ntarget: 10"
    )
    sql = "select 'org' as org_id, 1.0 as value"
    write_rule("default_band", sql, scorecard="bsc", thresholds=None, extra=measure)
    write_rule(
        "own_band", sql, scorecard="bsc", thresholds=None, extra=measure + "\nyellow_band: 0.25"
    )
    evaluate_dates(
        config, warehouse=warehouse, rules_dir=rules_dir, dates=[dt.date(2026, 3, 31)], run_id="r"
    )
    assert [(r[0], r[8], r[9]) for r in catalog_rows(warehouse)] == [
        ("default_band", "Business Value", 0.1),
        ("own_band", "Business Value", 0.25),
    ]
