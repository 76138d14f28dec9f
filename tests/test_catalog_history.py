"""The catalog as it was: versions landed from an export's history folders and recorded by each
run, `marts.dim_services_history` built by the real dbt project, and rules evaluated for a
past date (a closed quarter) against the catalog of that date.

The hand-worked case: `checkout` was tier-2 from 2026-06-01 and was promoted to tier-1 on
2026-11-10; it has no runbook. `search` is tier-2 with a runbook and was first recorded by
the run of 2026-11-20. Two rules: `owned` (level 2, every service: pass when it has an owner)
and `tier1_runbook` (level 3, tier-1 only: pass when it has a runbook).

- 2026-09-30 (Q3's last day): checkout is tier-2, so tier1_runbook is not_applicable, owned
  passes, nothing blocks: level 5 (the top). search: the same, level 5.
- 2026-11-20: checkout is tier-1: tier1_runbook fails (level 3), so level 2, blocked by
  tier1_runbook. search: level 5.
Graded with today's catalog (the old behaviour) Q3 would have said level 2 for checkout.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from dagster_project.config import StatureConfig
from dagster_project.maturity.snapshot import Snapshots
from dagster_project.rules.catalog_asof import CatalogHistory
from dagster_project.rules.engine import evaluate_dates, evaluate_rules
from ingestion import ingest_export, land_empty
from ingestion.catalog_history import record_catalog
from ingestion.registry import SOURCES
from tests.maturity.helpers import write_rule
from tests.support.dbt_run import dbt_build

RUN_DAY = dt.date(2026, 11, 20)
Q3_END = dt.date(2026, 9, 30)


def component(name: str, tier: str, *, owner: str = "team-a", runbook: str | None = None) -> str:
    annotations = [f"    stature.dev/tier: {tier}"]
    if runbook:
        annotations.append(f"    stature.dev/runbook: {runbook}")
    return "\n".join(
        [
            "apiVersion: backstage.io/v1alpha1",
            "kind: Component",
            "metadata:",
            f"  name: {name}",
            "  annotations:",
            *annotations,
            "spec:",
            "  type: service",
            f"  owner: {owner}",
            "  lifecycle: production",
            "",
        ]
    )


def write_export(root: Path) -> Path:
    catalog = root / "catalog"
    files = {
        "checkout.yaml": component("checkout", "tier-1", owner="team-b"),
        "search.yaml": component("search", "tier-2", runbook="https://wiki/search"),
        "history/2026-06-01/checkout.yaml": component("checkout", "tier-2"),
        "history/2026-11-10/checkout.yaml": component("checkout", "tier-1", owner="team-b"),
        "history/last-week/checkout.yaml": component("checkout", "tier-3"),
    }
    for name, text in files.items():
        (catalog / name).parent.mkdir(parents=True, exist_ok=True)
        (catalog / name).write_text(text)
    return root


def write_rules(rules: Path) -> Path:
    write_rule(
        rules,
        "owned",
        "level: 2",
        """\
        select service_id,
               case when team_id is not null then 'pass' else 'fail' end as status
        from marts.dim_services
        """,
    )
    write_rule(
        rules,
        "tier1_runbook",
        "level: 3\napplies_to: \"tier = 'tier-1'\"",
        """\
        select service_id,
               case when has_runbook then 'pass' else 'fail' end as status
        from marts.dim_services
        """,
    )
    return rules


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(warehouse, rules dir, work dir): the export landed, the run of RUN_DAY recorded (twice,
    as a re-run does), the catalog marts built by dbt."""
    work = tmp_path_factory.mktemp("catalog_history")
    warehouse = work / "warehouse.duckdb"
    report = ingest_export(write_export(work / "export"), warehouse, sources=["catalog"])
    rejected = report.sources["catalog"].rejected
    assert [(r.file, r.reason.split(":")[0]) for r in rejected] == [
        ("catalog/history/last-week/checkout.yaml", "history folder 'last-week' is not a date")
    ]
    for source in SOURCES:
        if source != "catalog":
            land_empty(source, warehouse)
    assert record_catalog(warehouse, RUN_DAY) == 1  # search; checkout is as of 2026-11-10
    assert record_catalog(warehouse, RUN_DAY) == 0
    with pytest.MonkeyPatch.context() as env:
        # Only the tests of the models built (not the fct_* relationships to dim_teams).
        env.setenv("DBT_INDIRECT_SELECTION", "cautious")
        dbt_build(
            warehouse,
            "+dim_services +dim_services_history +dim_service_teams +dim_teams",
            work_dir=work,
            exclude="resource_type:unit_test",
        )
    return warehouse, write_rules(work / "rules"), work


def rows(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_versions_land_from_history_folders_and_runs(built):
    warehouse, _, _ = built
    assert rows(
        warehouse,
        "select name, valid_from, payload->>'$.metadata.annotations.\"stature.dev/tier\"', "
        "source_file from raw_catalog.entity_versions order by name, valid_from",
    ) == [
        ("checkout", dt.date(2026, 6, 1), "tier-2", "catalog/history/2026-06-01/checkout.yaml"),
        ("checkout", dt.date(2026, 11, 10), "tier-1", "catalog/history/2026-11-10/checkout.yaml"),
        ("search", RUN_DAY, "tier-2", "run 2026-11-20: catalog/search.yaml"),
    ]


def test_dim_services_history_holds_each_version_with_its_dates(built):
    warehouse, _, _ = built
    assert rows(
        warehouse,
        "select service_id, tier, team_id, has_runbook, valid_from, valid_to, recorded_from, "
        "is_current from marts.dim_services_history order by service_id, valid_from",
    ) == [
        ("checkout", "tier-2", "team-a", False, dt.date(1970, 1, 1), dt.date(2026, 11, 10),
         dt.date(2026, 6, 1), False),
        ("checkout", "tier-1", "team-b", False, dt.date(2026, 11, 10), None,
         dt.date(2026, 11, 10), True),
        ("search", "tier-2", "team-a", True, dt.date(1970, 1, 1), None, RUN_DAY, True),
    ]  # fmt: skip


def test_a_reorg_in_the_catalog_history_does_not_rewrite_last_quarter_s_owner(built):
    warehouse, _, _ = built
    assert rows(
        warehouse,
        "select service_id, team_id, valid_from, valid_to from marts.dim_service_teams "
        "order by service_id, valid_from",
    ) == [
        ("checkout", "team-a", dt.date(1970, 1, 1), dt.date(2026, 11, 10)),
        ("checkout", "team-b", dt.date(2026, 11, 10), None),
        ("search", "team-a", dt.date(1970, 1, 1), None),
    ]
    assert rows(warehouse, "select team_id from marts.dim_teams order by 1") == [
        ("team-a",),
        ("team-b",),
    ]


def test_a_run_for_a_past_date_does_not_rewrite_the_history(built, tmp_path):
    warehouse, _, _ = built
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    # checkout's files say tier-1 now, but 2026-07-01 is inside the tier-2 version: a run
    # for that date cannot vouch for what the catalog said then, so nothing is added.
    assert record_catalog(copy, dt.date(2026, 7, 1)) == 0
    # A later run with an unchanged catalog adds nothing either.
    assert record_catalog(copy, dt.date(2026, 11, 21)) == 0


def test_epochs_and_grouping(built):
    warehouse, _, _ = built
    history = CatalogHistory.read(warehouse)
    assert history.epochs == (dt.date(2026, 6, 1), dt.date(2026, 11, 10), RUN_DAY)
    days = [dt.date(2026, 3, 31), Q3_END, dt.date(2026, 6, 30), RUN_DAY, dt.date(2026, 11, 15)]
    assert history.group(days) == [
        (dt.date(2026, 3, 31), [dt.date(2026, 3, 31)]),
        (dt.date(2026, 6, 30), [dt.date(2026, 6, 30), Q3_END]),
        (dt.date(2026, 11, 15), [dt.date(2026, 11, 15)]),
        (None, [RUN_DAY]),
    ]


def statuses(warehouse: Path, as_of: dt.date) -> list[tuple]:
    return rows(
        warehouse,
        "select rule_id, entity_id, status from scorecards.check_results where as_of = ? "
        "order by rule_id, entity_id",
        [as_of],
    )


def test_a_closed_quarter_is_graded_with_the_catalog_of_its_last_day(built, tmp_path):
    warehouse, rules, _ = built
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    config = StatureConfig(maturity={"backfill_quarters": 1})
    today = evaluate_rules(config, warehouse=copy, rules_dir=rules, as_of=RUN_DAY, run_id="n")
    assert today.notes == []
    assert statuses(copy, RUN_DAY) == [
        ("owned", "checkout", "pass"),
        ("owned", "search", "pass"),
        ("tier1_runbook", "checkout", "fail"),
        ("tier1_runbook", "search", "not_applicable"),
    ]
    snapshots = Snapshots(config, copy, rules, run_id="n", requested_by="ada")
    report = snapshots.sync(RUN_DAY, backfill_from=snapshots.quarter("2026-Q3"))
    assert report.closed == ["2026-Q3"] and report.evaluated == [Q3_END]
    assert statuses(copy, Q3_END) == [
        ("owned", "checkout", "pass"),
        ("owned", "search", "pass"),
        ("tier1_runbook", "checkout", "not_applicable"),
        ("tier1_runbook", "search", "not_applicable"),
    ]
    # search was first recorded on 2026-11-20: Q3 used its earliest version, and says so.
    assert report.notes == [
        "the catalog history of 1 of 2 services starts after 2026-09-30 (search): they were "
        "graded with their earliest known catalog version (tier, lifecycle, owner), not with "
        "what the catalog said then; add catalog/history/<date>/ files to an export, or pull "
        "the catalog files' git history in API mode, to reach further back"
    ]
    assert rows(
        copy,
        "select quarter, entity_id, level, blockers, is_closed from scorecards.maturity_snapshots "
        "where entity_type = 'service' order by quarter, entity_id",
    ) == [
        ("2026-Q3", "checkout", 5, [], True),
        ("2026-Q3", "search", 5, [], True),
        ("2026-Q4", "checkout", 2, ["tier1_runbook"], False),
        ("2026-Q4", "search", 5, [], False),
    ]


def test_a_backfill_grades_each_date_with_its_own_catalog(built, tmp_path):
    warehouse, rules, _ = built
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    days = [dt.date(2026, 11, 9), dt.date(2026, 11, 10), RUN_DAY]
    report = evaluate_dates(
        StatureConfig(), warehouse=copy, rules_dir=rules, dates=days, run_id="b"
    )
    got = rows(
        copy,
        "select as_of, status from scorecards.check_results "
        "where rule_id = 'tier1_runbook' and entity_id = 'checkout' order by as_of",
    )
    assert got == [(days[0], "not_applicable"), (days[1], "fail"), (days[2], "fail")]
    assert report.notes == [
        "the catalog history of 1 of 2 services starts after 2026-11-09 (search): they were "
        "graded with their earliest known catalog version (tier, lifecycle, owner), not with "
        "what the catalog said then; add catalog/history/<date>/ files to an export, or pull "
        "the catalog files' git history in API mode, to reach further back"
    ]
