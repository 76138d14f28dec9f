"""Evaluation on real DuckDB files: statuses, exemptions, rollout, time limits, history."""

from __future__ import annotations

import datetime as dt
import time

import duckdb
import pytest
from rules_helpers import file_hash, read_results, statuses

from dagster_project.config import StatureConfig
from dagster_project.rules import engine
from dagster_project.rules.engine import date_range, evaluate_dates, evaluate_rules

AS_OF = dt.date(2026, 11, 15)
SERVICES = [
    {"service_id": "svc-a", "tier": "tier-1", "endpoint_count": 4, "tls_endpoint_count": 4},
    {"service_id": "svc-b", "tier": "tier-2", "endpoint_count": 4, "tls_endpoint_count": 2},
    {"service_id": "svc-c", "tier": "tier-3", "endpoint_count": 4, "tls_endpoint_count": 1},
    {"service_id": "svc-d", "tier": "tier-1", "endpoint_count": 0, "tls_endpoint_count": 0},
]


def run(config, warehouse, rules_dir, as_of=AS_OF, run_id="run-1", **kw):
    return evaluate_rules(
        config, warehouse=warehouse, rules_dir=rules_dir, as_of=as_of, run_id=run_id, **kw
    )


def test_statuses_from_thresholds_null_values_and_applies_to(
    make_warehouse, rules_dir, write_rule, config
):
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    write_rule(
        "tls_share",
        """
        select service_id,
               case when endpoint_count > 0 then tls_endpoint_count::double / endpoint_count end as value
        from marts.dim_services where service_id <> 'svc-c'
        """,
        thresholds='{pass: ">= 1", warn: ">= 0.5"}',
        extra="""applies_to: "tier in ('tier-1', 'tier-2', 'tier-3') and service_id <> 'svc-x'"\nunit: share""",
    )
    write_rule(
        "tier_one_only",
        "select service_id, endpoint_count as value from marts.dim_services",
        thresholds='{pass: "between 1 and 4"}',
        extra="""applies_to: "tier = 'tier-1'\"""",
    )
    report = run(config, warehouse, rules_dir)
    assert report.ok, report.summary()
    # svc-a 1.0 = pass edge; svc-b 0.5 = warn edge; svc-c no row; svc-d NULL value
    assert statuses(warehouse, "tls_share") == {
        "svc-a": "pass",
        "svc-b": "warn",
        "svc-c": "not_reported",
        "svc-d": "not_reported",
    }
    assert statuses(warehouse, "tier_one_only") == {
        "svc-a": "pass",  # 4: the upper edge of between
        "svc-b": "not_applicable",
        "svc-c": "not_applicable",
        "svc-d": "fail",  # 0: below the lower edge
    }
    assert report.counts == {
        "pass": 2,
        "warn": 1,
        "not_reported": 2,
        "not_applicable": 2,
        "fail": 1,
    }
    con = duckdb.connect(str(warehouse), read_only=True)
    notes = dict(
        con.execute(
            "select entity_id, note from scorecards.check_results where rule_id = 'tls_share'"
        ).fetchall()
    )
    con.close()
    assert notes["svc-c"] == "no row for this entity"
    assert notes["svc-d"] == "value is NULL"


def test_check_results_columns_and_row_content(make_warehouse, rules_dir, write_rule, config):
    warehouse = make_warehouse({"marts.dim_services": SERVICES[:1]})
    path = write_rule(
        "with_evidence",
        "select service_id, 2.5 as value, 'two and a half' as note, 'https://ci.example/1' as evidence_url "
        "from marts.dim_services",
        level=3,
        extra="rollout: shadow",
    )
    run(config, warehouse, rules_dir, run_id="nightly-42")
    con = duckdb.connect(str(warehouse), read_only=True)
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'scorecards' and table_name = 'check_results' order by ordinal_position"
    ).fetchall()
    row = con.execute("select * exclude (evaluated_at) from scorecards.check_results").fetchall()
    evaluated_at = con.execute("select evaluated_at from scorecards.check_results").fetchall()[0][0]
    stored = con.execute(
        "select rule_version, rule_id, content from scorecards.rule_versions"
    ).fetchall()
    con.close()
    assert columns == [
        ("as_of", "DATE"),
        ("rule_id", "VARCHAR"),
        ("rule_version", "VARCHAR"),
        ("scorecard", "VARCHAR"),
        ("level", "INTEGER"),
        ("entity_type", "VARCHAR"),
        ("entity_id", "VARCHAR"),
        ("status", "VARCHAR"),
        ("value", "DOUBLE"),
        ("threshold", "VARCHAR"),
        ("note", "VARCHAR"),
        ("evidence_url", "VARCHAR"),
        ("rollout", "VARCHAR"),
        ("evaluated_at", "TIMESTAMP WITH TIME ZONE"),
        ("run_id", "VARCHAR"),
        ("note_template", "VARCHAR"),
    ]
    version = file_hash(path)
    assert row == [
        (
            AS_OF,
            "with_evidence",
            version,
            "security",
            3,
            "service",
            "svc-a",
            "pass",
            2.5,
            "pass >= 1; warn >= 0.5",
            "two and a half",
            "https://ci.example/1",
            "shadow",
            "nightly-42",
            None,  # the note holds no placeholder
        )
    ]
    assert evaluated_at.tzinfo is not None
    assert stored == [(version, "with_evidence", path.read_text())]


def test_status_column_overrides_and_bad_rows_are_errors(
    make_warehouse, rules_dir, write_rule, config
):
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    write_rule(
        "own_status",
        "select service_id, case when tier = 'tier-1' then 'pass' when tier = 'tier-2' then 'not_applicable' end as status, "
        "endpoint_count as value from marts.dim_services",
        thresholds='{pass: ">= 100"}',
    )
    write_rule(
        "bad_status",
        "select service_id, case when tier = 'tier-1' then 'great' else 'pass' end as status from marts.dim_services",
        thresholds=None,
    )
    write_rule(
        "duplicates",
        "select service_id, 1 as value from marts.dim_services union all select 'svc-b', 2",
    )
    write_rule("text_value", "select service_id, tier as value from marts.dim_services")
    write_rule(
        "ignored_rows",
        "select service_id, 1 as value from marts.dim_services union all select null, 1 union all select 'ghost', 1",
    )
    report = run(config, warehouse, rules_dir)
    assert statuses(warehouse, "own_status") == {
        "svc-a": "pass",
        "svc-b": "not_applicable",
        "svc-c": "fail",  # NULL status: the thresholds grade 4 < 100
        "svc-d": "pass",
    }
    assert set(statuses(warehouse, "bad_status").values()) == {"error"}
    assert "status 'great' not allowed" in report.rules["bad_status"].errors[0]
    assert set(statuses(warehouse, "duplicates").values()) == {"error"}
    assert "2 rows for service_id 'svc-b' on 2026-11-15" in report.rules["duplicates"].errors[0]
    assert set(statuses(warehouse, "text_value").values()) == {"error"}
    assert "value must be a number, not VARCHAR" in report.rules["text_value"].errors[0]
    assert set(statuses(warehouse, "ignored_rows").values()) == {"pass"}
    assert report.rules["ignored_rows"].ignored_rows == 2
    assert report.failed_rules == ["bad_status", "duplicates", "text_value"]


def test_runaway_rule_is_stopped_while_the_others_finish(make_warehouse, rules_dir, write_rule):
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    write_rule(
        "runaway",
        "select s.service_id, count(*) as value from marts.dim_services s, range(100000000000) r group by 1",
    )
    write_rule("fine_one", "select service_id, 1 as value from marts.dim_services")
    write_rule("fine_two", "select service_id, 0 as value from marts.dim_services")
    config = StatureConfig.model_validate({"rules": {"timeout_seconds": 1}})
    started = time.monotonic()
    report = run(config, warehouse, rules_dir)
    assert time.monotonic() - started < 20
    assert report.failed_rules == ["runaway"]
    assert "timed out after 1 s" in report.rules["runaway"].errors[0]
    assert set(statuses(warehouse, "runaway").values()) == {"error"}
    assert set(statuses(warehouse, "fine_one").values()) == {"pass"}
    assert set(statuses(warehouse, "fine_two").values()) == {"fail"}


def test_runaway_rule_is_not_retried_on_every_date_of_a_backfill(
    make_warehouse, rules_dir, write_rule, monkeypatch
):
    monkeypatch.setattr(engine, "MAX_ROWS_PER_CHUNK", 4)  # one date per chunk
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    write_rule(
        "runaway",
        "select s.service_id, count(*) + 0 * epoch(getvariable('as_of')) as value "
        "from marts.dim_services s, range(100000000000) r group by 1",
    )
    write_rule("fine", "select service_id, 1 as value from marts.dim_services")
    config = StatureConfig.model_validate({"rules": {"timeout_seconds": 0.5}})
    started = time.monotonic()
    report = evaluate_dates(
        config,
        warehouse=warehouse,
        rules_dir=rules_dir,
        dates=date_range(AS_OF, AS_OF + dt.timedelta(days=5)),
        run_id="b",
    )
    assert time.monotonic() - started < 15
    assert report.failed_rules == ["runaway"]
    assert "not run: timed out on 2026-11-15" in " ".join(report.rules["runaway"].errors)
    assert report.counts == {"pass": 24, "error": 24}


def test_exemptions_live_expired_and_invalid(make_warehouse, rules_dir, write_rule, config):
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    write_rule("zero", "select service_id, 0 as value from marts.dim_services")
    (rules_dir / "exemptions.yml").write_text(
        """
- {rule: zero, entity: svc-a, reason: migrating, approver: cto@example.com, expires: 2026-11-15}
- {rule: zero, entity: svc-b, reason: expired yesterday, approver: cto@example.com, expires: 2026-11-14}
- {rule: zero, entity: svc-c, reason: not yet, approver: cto@example.com, expires: 2027-01-31, since: 2026-12-01}
- {rule: nope, entity: svc-a, reason: x, approver: y, expires: 2027-01-01}
- {rule: zero, entity: ghost, reason: x, approver: y, expires: 2027-01-01}
- {rule: zero, entity: svc-d, reason: no expiry, approver: y}
"""
    )
    report = run(config, warehouse, rules_dir)
    assert statuses(warehouse, "zero") == {
        "svc-a": "exempt",
        "svc-b": "fail",
        "svc-c": "fail",
        "svc-d": "fail",
    }
    problems = sorted(str(p).split(": ", 1)[1] for p in report.problems)
    assert problems == [
        "entry 6: missing key 'expires' (every exemption expires: add expires: YYYY-MM-DD)",
        "exemption for unknown rule 'nope' (check the rule id, or remove the entry)",
        "exemption of rule 'zero' names unknown service 'ghost' (use a service id from the catalog, or remove the entry)",
    ]
    assert not report.ok and report.failed_rules == []
    con = duckdb.connect(str(warehouse), read_only=True)
    note = con.execute(
        "select note from scorecards.check_results where entity_id = 'svc-a'"
    ).fetchall()[0][0]
    con.close()
    assert note == "exempt until 2026-11-15 (approved by cto@example.com): migrating"
    # the next day the exemption has expired; svc-c's starts on 2026-12-01
    run(config, warehouse, rules_dir, as_of=dt.date(2026, 11, 16))
    assert statuses(warehouse, "zero", dt.date(2026, 11, 16))["svc-a"] == "fail"
    run(config, warehouse, rules_dir, as_of=dt.date(2026, 12, 1))
    assert statuses(warehouse, "zero", dt.date(2026, 12, 1))["svc-c"] == "exempt"


def test_rollout_shadow_enforce_from_and_draft(make_warehouse, rules_dir, write_rule, config):
    warehouse = make_warehouse({"marts.dim_services": SERVICES[:1]})
    write_rule(
        "shadowed", "select service_id, 0 as value from marts.dim_services", extra="rollout: shadow"
    )
    write_rule(
        "later",
        "select service_id, 0 as value from marts.dim_services",
        extra="rollout: enforced\nenforce_from: 2026-11-16",
    )
    write_rule(
        "drafty", "select service_id, 0 as value from marts.dim_services", extra="rollout: draft"
    )
    for day in (15, 16):
        report = run(config, warehouse, rules_dir, as_of=dt.date(2026, 11, day))
        assert report.drafts == ["drafty"]
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute(
        "select as_of, rule_id, status, rollout from scorecards.check_results order by all"
    ).fetchall()
    con.close()
    assert rows == [
        (dt.date(2026, 11, 15), "later", "fail", "shadow"),
        (dt.date(2026, 11, 15), "shadowed", "fail", "shadow"),
        (dt.date(2026, 11, 16), "later", "fail", "enforced"),
        (dt.date(2026, 11, 16), "shadowed", "fail", "shadow"),
    ]


def test_rerunning_a_date_replaces_that_dates_rows(make_warehouse, rules_dir, write_rule, config):
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    write_rule(
        "r", "select service_id, 1 as value from marts.dim_services where service_id <> 'svc-d'"
    )
    write_rule("other", "select service_id, 1 as value from marts.dim_services")
    run(config, warehouse, rules_dir, run_id="first")
    run(config, warehouse, rules_dir, as_of=AS_OF - dt.timedelta(days=1), run_id="yesterday")
    # the data changes (svc-d leaves the catalog) and the rule is re-run for one date
    con = duckdb.connect(str(warehouse))
    con.execute("delete from marts.dim_services where service_id = 'svc-d'")
    con.close()
    run(config, warehouse, rules_dir, run_id="second", only=["r"])
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute(
        "select as_of, rule_id, run_id, count(*) from scorecards.check_results group by all order by all"
    ).fetchall()
    dupes = con.execute(
        "select count(*) from (select as_of, rule_id, entity_id from scorecards.check_results "
        "group by all having count(*) > 1)"
    ).fetchall()[0][0]
    con.close()
    assert rows == [
        (AS_OF - dt.timedelta(days=1), "other", "yesterday", 4),
        (AS_OF - dt.timedelta(days=1), "r", "yesterday", 4),
        (AS_OF, "other", "first", 4),
        (AS_OF, "r", "second", 3),
    ]
    assert dupes == 0


def test_backfill_over_a_range_evaluates_each_past_date(
    make_warehouse, rules_dir, write_rule, config, monkeypatch
):
    monkeypatch.setattr(engine, "MAX_ROWS_PER_CHUNK", 9)  # several chunks of 3 dates
    deployments = [
        {
            "deployment_id": f"d{i}",
            "service_id": "svc-a",
            "deployed_at": dt.datetime(2026, 11, day, 12, tzinfo=dt.UTC),
        }
        for i, day in enumerate((2, 4, 4, 9))
    ]
    warehouse = make_warehouse(
        {"marts.dim_services": SERVICES[:3], "marts.fct_deployments": deployments}
    )
    write_rule(
        "deploys_7d",
        """
        select s.service_id, count(d.deployment_id) as value
        from marts.dim_services s
        left join marts.fct_deployments d on d.service_id = s.service_id
            and d.deployed_at::date between getvariable('as_of') - interval 6 day and getvariable('as_of')
        group by s.service_id
        """,
        thresholds='{pass: ">= 3", warn: ">= 1"}',
    )
    seen = []
    dates = date_range(dt.date(2026, 11, 1), dt.date(2026, 11, 10))
    report = evaluate_dates(
        config,
        warehouse=warehouse,
        rules_dir=rules_dir,
        dates=dates,
        run_id="backfill",
        progress=lambda done, total, label: seen.append((done, total)),
    )
    assert report.ok
    assert report.rows_written == 30
    assert seen[-1] == (10, 10) and len(seen) == 10
    values = {r[0].day: r[4] for r in read_results(warehouse, "entity_id = 'svc-a'")}
    assert values == {1: 0, 2: 1, 3: 1, 4: 3, 5: 3, 6: 3, 7: 3, 8: 3, 9: 3, 10: 3}
    by_day = {r[0].day: r[3] for r in read_results(warehouse, "entity_id = 'svc-a'")}
    assert by_day == {
        1: "fail",
        2: "warn",
        3: "warn",
        4: "pass",
        5: "pass",
        6: "pass",
        7: "pass",
        8: "pass",
        9: "pass",
        10: "pass",
    }


def test_batched_backfill_equals_date_by_date(make_warehouse, rules_dir, write_rule, config):
    """The LATERAL batch over many dates gives exactly the rows of one run per date."""
    deployments = [
        {
            "deployment_id": f"d{i}",
            "service_id": f"svc-{'abc'[i % 3]}",
            "deployed_at": dt.datetime(2026, 10, 1 + i % 30, tzinfo=dt.UTC),
        }
        for i in range(40)
    ]
    warehouse = make_warehouse(
        {"marts.dim_services": SERVICES, "marts.fct_deployments": deployments}
    )
    write_rule(
        "windowed",
        """
        with recent as (
            select service_id, count(*) as n, max(deployed_at) as last_at
            from marts.fct_deployments
            where deployed_at::date between getvariable('as_of') - interval 6 day and getvariable('as_of')
            group by service_id
        )
        select s.service_id, coalesce(r.n, 0) as value,
               'last ' || coalesce(strftime(r.last_at, '%Y-%m-%d'), 'never') as note
        from marts.dim_services s left join recent r using (service_id)
        qualify row_number() over (partition by s.service_id order by r.n desc) = 1
        """,
        thresholds='{pass: ">= 2", warn: ">= 1"}',
    )
    write_rule("static", "select service_id, endpoint_count as value from marts.dim_services")
    from dagster_project.rules.engine import evaluate_ruleset
    from dagster_project.rules.loader import load_rules

    rules = load_rules(rules_dir)
    dates = date_range(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    _, batched, _ = evaluate_ruleset(warehouse=warehouse, rules=rules, dates=dates, batching=True)
    _, one_by_one, _ = evaluate_ruleset(
        warehouse=warehouse, rules=rules, dates=dates, batching=False
    )
    order = [("rule_idx", "ascending"), ("as_of", "ascending"), ("entity_id", "ascending")]
    assert batched.num_rows == 2 * 31 * 4
    assert batched.sort_by(order).equals(one_by_one.sort_by(order))


def test_team_and_org_rules(make_warehouse, rules_dir, write_rule, config):
    warehouse = make_warehouse(
        {
            "marts.dim_services": SERVICES,
            "marts.dim_teams": [
                {"team_id": "payments", "name": "Payments", "service_count": 3},
                {"team_id": "search", "name": "Search", "service_count": 0},
            ],
        }
    )
    write_rule(
        "team_size",
        "select team_id, service_count as value from marts.dim_teams",
        entity="team",
        extra="""applies_to: "service_count > 0\"""",
    )
    write_rule(
        "org_wide",
        "select 'org' as org_id, count(*) as value from marts.dim_services",
        entity="org",
    )
    report = run(config, warehouse, rules_dir)
    assert report.ok, report.summary()
    assert statuses(warehouse, "team_size") == {"payments": "pass", "search": "not_applicable"}
    assert statuses(warehouse, "org_wide") == {"org": "pass"}
    con = duckdb.connect(str(warehouse), read_only=True)
    kinds = con.execute(
        "select distinct rule_id, entity_type from scorecards.check_results order by 1"
    ).fetchall()
    con.close()
    assert kinds == [("org_wide", "org"), ("team_size", "team")]


def test_invalid_rule_gets_error_rows_for_its_applicable_entities(
    make_warehouse, rules_dir, write_rule, config
):
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    write_rule(
        "broken",
        "select service_id, revnue as value from marts.dim_services",
        extra="""applies_to: "tier = 'tier-1'\"""",
    )
    write_rule("no_header", "", raw="select service_id, 1 as value from marts.dim_services\n")
    write_rule(
        "runtime_error",
        "select service_id, (service_id || endpoint_count)::int as value from marts.dim_services",
    )
    write_rule("fine", "select service_id, 1 as value from marts.dim_services")
    report = run(config, warehouse, rules_dir)
    assert report.failed_rules == ["broken", "no_header", "runtime_error"]
    assert statuses(warehouse, "broken") == {
        "svc-a": "error",
        "svc-b": "not_applicable",
        "svc-c": "not_applicable",
        "svc-d": "error",
    }
    assert "broken.sql:10:20: unknown column 'revnue'" in report.rules["broken"].errors[0]
    assert set(statuses(warehouse, "no_header").values()) == {"error"}
    assert "missing header" in report.rules["no_header"].errors[0]
    assert set(statuses(warehouse, "fine").values()) == {"pass"}
    con = duckdb.connect(str(warehouse), read_only=True)
    note = con.execute(
        "select note from scorecards.check_results where rule_id = 'broken' and entity_id = 'svc-a'"
    ).fetchall()[0][0]
    con.close()
    assert "unknown column 'revnue'" in note


def test_missing_warehouse_is_a_clear_error(tmp_path, rules_dir, write_rule, config):
    from dagster_project.rules.sandbox import WarehouseMissing

    write_rule("r", "select service_id, 1 as value from marts.dim_services")
    with pytest.raises(WarehouseMissing, match="warehouse not found"):
        run(config, tmp_path / "absent.duckdb", rules_dir)
