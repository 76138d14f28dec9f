"""Writing check_results: a re-run replaces a date's rows for its rules in one transaction, so
a write that fails half way (after the delete) leaves the rows it was replacing."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from rules_helpers import read_results

from dagster_project.rules.engine import evaluate_rules

AS_OF = dt.date(2026, 11, 15)
SERVICES = [
    {"service_id": "svc-a", "tier": "tier-1", "endpoint_count": 4, "tls_endpoint_count": 4},
    {"service_id": "svc-b", "tier": "tier-2", "endpoint_count": 4, "tls_endpoint_count": 2},
]
SQL = "select service_id, tls_endpoint_count::double / endpoint_count as value from marts.dim_services"


def stored(warehouse) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select rule_id, entity_id, status, threshold, run_id from scorecards.check_results "
            "order by all"
        ).fetchall()


def test_a_replace_that_fails_after_the_delete_rolls_back(
    make_warehouse, rules_dir, write_rule, config
):
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    write_rule("tls", SQL, thresholds='{pass: ">= 0.5"}')
    evaluate_rules(config, warehouse=warehouse, rules_dir=rules_dir, as_of=AS_OF, run_id="first")
    before = stored(warehouse)
    assert before == [
        ("tls", "svc-a", "pass", "pass >= 0.5", "first"),
        ("tls", "svc-b", "pass", "pass >= 0.5", "first"),
    ]
    # Schema drift a writer does not know about: a NOT NULL column it never fills. The
    # delete of the old rows succeeds, then the insert of the new ones fails.
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "alter table scorecards.check_results add column reviewed_by varchar default 'ops'"
        )
        con.execute("alter table scorecards.check_results alter column reviewed_by set not null")
        con.execute("alter table scorecards.check_results alter column reviewed_by drop default")
    write_rule("tls", SQL, thresholds='{pass: "== 1"}')
    with pytest.raises(duckdb.ConstraintException, match="reviewed_by"):
        evaluate_rules(
            config, warehouse=warehouse, rules_dir=rules_dir, as_of=AS_OF, run_id="second"
        )
    assert stored(warehouse) == before
    with duckdb.connect(str(warehouse), read_only=True) as con:
        versions = con.execute("select count(*) from scorecards.rule_versions").fetchone()[0]
    assert versions == 1  # the failed run's rule version was not kept either

    # once the table is mended, the same re-run replaces the date's rows
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table scorecards.check_results drop column reviewed_by")
    evaluate_rules(config, warehouse=warehouse, rules_dir=rules_dir, as_of=AS_OF, run_id="second")
    assert stored(warehouse) == [
        ("tls", "svc-a", "pass", "pass == 1", "second"),
        ("tls", "svc-b", "fail", "pass == 1", "second"),
    ]
    assert read_results(warehouse) == [
        (AS_OF, "tls", "svc-a", "pass", 1.0),
        (AS_OF, "tls", "svc-b", "fail", 0.5),
    ]
