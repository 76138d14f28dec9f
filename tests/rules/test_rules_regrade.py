"""`rules regrade` re-applies a changed header to the stored values: statuses, thresholds,
and notes written with placeholders, rendered again from their template (also behind an
exemption's text); every status it changes is kept in scorecards.regrade_changes."""

from __future__ import annotations

import datetime as dt

import duckdb
from rules_helpers import statuses

from dagster_project.rules.engine import evaluate_dates
from dagster_project.rules.regrade import changes, plan_regrade, regrade

D = dt.date.fromisoformat
SERVICES = [{"service_id": s, "tier": "tier-1"} for s in ("svc-a", "svc-b", "svc-c")]
DEPLOYS = (
    "select service_id,\n"
    "    case service_id when 'svc-a' then 2 when 'svc-b' then 1.2 else 0.5 end as value,\n"
    "    'deploys a week, target {pass} {unit} (warn {warn}); {thresholds}' as note\n"
    "from marts.dim_services"
)


def _notes(warehouse, as_of):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(
            con.execute(
                "select entity_id, note from scorecards.check_results where as_of = ?", [as_of]
            ).fetchall()
        )


def test_a_threshold_change_regrades_statuses_notes_and_keeps_the_changes(
    config, make_warehouse, rules_dir, write_rule
):
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    write_rule(
        "deploys", DEPLOYS, thresholds='{pass: ">= 1", warn: ">= 0.25"}', extra="unit: a week"
    )
    (rules_dir / "exemptions.yml").write_text(
        "- {rule: deploys, entity: svc-c, reason: frozen, approver: cto@x, expires: 2026-12-31}\n"
    )
    days = [D("2026-11-14"), D("2026-11-15")]
    evaluate_dates(config, warehouse=warehouse, rules_dir=rules_dir, dates=days, run_id="n")
    assert _notes(warehouse, days[1]) == {
        "svc-a": "deploys a week, target >= 1 a week (warn >= 0.25); pass >= 1; warn >= 0.25",
        "svc-b": "deploys a week, target >= 1 a week (warn >= 0.25); pass >= 1; warn >= 0.25",
        "svc-c": "exempt until 2026-12-31 (approved by cto@x): frozen | deploys a week, "
        "target >= 1 a week (warn >= 0.25); pass >= 1; warn >= 0.25",
    }
    # the target goes up to 1.5 a week: svc-b (1.2) now warns; notes follow the new target
    write_rule(
        "deploys", DEPLOYS, thresholds='{pass: ">= 1.5", warn: ">= 1"}', extra="unit: a week"
    )
    plan = plan_regrade(warehouse=warehouse, rules_dir=rules_dir)
    assert [(o.rule_id, o.skipped, o.dates) for o in plan] == [("deploys", None, days)]
    (outcome,) = regrade(warehouse=warehouse, rules_dir=rules_dir, run_id="regrade-1")
    assert (outcome.rows, outcome.changed) == (6, 2)
    assert statuses(warehouse, "deploys", days[1]) == {
        "svc-a": "pass",
        "svc-b": "warn",
        "svc-c": "exempt",
    }
    assert _notes(warehouse, days[1]) == {
        "svc-a": "deploys a week, target >= 1.5 a week (warn >= 1); pass >= 1.5; warn >= 1",
        "svc-b": "deploys a week, target >= 1.5 a week (warn >= 1); pass >= 1.5; warn >= 1",
        "svc-c": "exempt until 2026-12-31 (approved by cto@x): frozen | deploys a week, "
        "target >= 1.5 a week (warn >= 1); pass >= 1.5; warn >= 1",
    }
    assert changes(warehouse, ["regrade-1"]) == [
        (
            "deploys",
            days[0],
            "service",
            "svc-b",
            "pass",
            "warn",
            1.2,
            "pass >= 1; warn >= 0.25",
            "pass >= 1.5; warn >= 1",
        ),
        (
            "deploys",
            days[1],
            "service",
            "svc-b",
            "pass",
            "warn",
            1.2,
            "pass >= 1; warn >= 0.25",
            "pass >= 1.5; warn >= 1",
        ),
    ]
    # a second regrade finds nothing left to do
    (again,) = regrade(warehouse=warehouse, rules_dir=rules_dir, run_id="regrade-2")
    assert (again.rows, again.changed) == (0, 0)
    assert changes(warehouse, ["regrade-2"]) == []


def test_a_changed_query_is_planned_as_a_backfill(config, make_warehouse, rules_dir, write_rule):
    warehouse = make_warehouse({"marts.dim_services": SERVICES})
    write_rule("deploys", DEPLOYS)
    evaluate_dates(
        config, warehouse=warehouse, rules_dir=rules_dir, dates=[D("2026-11-15")], run_id="n"
    )
    write_rule("deploys", DEPLOYS + " where true")
    write_rule("fresh", "select service_id, 1 as value from marts.dim_services")
    plan = {o.rule_id: o for o in plan_regrade(warehouse=warehouse, rules_dir=rules_dir)}
    assert plan["deploys"].needs_backfill
    assert plan["deploys"].skipped.startswith("the query changed since version ")
    assert plan["fresh"].skipped == "no stored results" and not plan["fresh"].needs_backfill
