"""The Dagster Definitions load, show the whole lineage, and schedule the nightly job."""

from __future__ import annotations

import dagster as dg

from dagster_project.definitions import NIGHTLY, build_definitions
from tests.conftest import REPO


def test_definitions_load_with_the_whole_lineage():
    defs = build_definitions(config_path=str(REPO / "stature.yml"))
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    for expected in (
        "raw_github/pulls",
        "raw_pagerduty/incidents",
        "raw_catalog/entities",
        "marts/fct_deployments",
        "marts/dora_metrics",
        "published/stature",
    ):
        assert expected in keys, expected
    assert any(k.startswith("scorecards/") for k in keys)

    # dbt staging reads what ingestion lands: the keys link without glue code
    upstream = {
        p.to_user_string()
        for key in graph.get_all_asset_keys()
        if key.path[0] == "staging"
        for p in graph.get(key).parent_keys
    }
    assert "raw_github/pulls" in upstream
    # publish comes after everything else
    published = graph.get(dg.AssetKey(["published", "stature"]))
    assert dg.AssetKey(["marts", "dora_metrics"]) in published.parent_keys
    assert dg.AssetKey(["reporting", "dora_trends"]) in published.parent_keys


def test_the_reporting_models_come_after_the_rules_and_maturity():
    """The dbt reporting models (group dbt_reporting) read scorecards.* as dbt sources; those
    map onto the assets that write them, so they build after every rule and the maturity
    stage, and before publish."""
    defs = build_definitions(config_path=str(REPO / "stature.yml"))
    graph = defs.resolve_asset_graph()

    def parents(*path: str) -> set[str]:
        return {k.to_user_string() for k in graph.get(dg.AssetKey(list(path))).parent_keys}

    rule_keys = {
        k.to_user_string()
        for k in graph.get_all_asset_keys()
        if k.path[0] == "scorecards" and len(k.path) == 3
    }
    assert len(rule_keys) >= 20
    scorecard = parents("scorecards", "balanced_scorecard")
    assert scorecard >= {"scorecards/bsc_targets", "marts/bsc_measures", "marts/dim_calendar"}
    assert scorecard >= rule_keys | {"scorecards/maturity_snapshots"}
    assert "scorecards/check_results" not in scorecard  # mapped, not a stray source asset
    assert parents("reporting", "maturity_movements") == {"scorecards/maturity_snapshots"}
    assert parents("reporting", "dora_trends") >= {"marts/dora_metrics", "marts/dim_calendar"}
    assert parents("reporting", "balanced_scorecard") >= {"scorecards/balanced_scorecard"}
    groups = {
        key.to_user_string(): graph.get(key).group_name
        for key in graph.get_all_asset_keys()
        if key.path[0] == "reporting"
    }
    # the initiatives: landed after the rules, counted by dbt after the landing
    assert parents("scorecards", "initiatives") >= rule_keys | {"marts/dim_services"}
    assert parents("scorecards", "initiative_progress") >= {
        "scorecards/initiatives",
        "marts/dim_service_teams",
        *rule_keys,
    }
    assert parents("reporting", "initiative_status") == {"scorecards/initiative_status"}
    assert set(groups.values()) == {"dbt_reporting"} and len(groups) == 18
    assert dg.AssetKey(["reporting", "views"]) not in graph.get_all_asset_keys()


def test_the_nightly_schedule_runs_at_two_in_the_org_timezone():
    defs = build_definitions(config_path=str(REPO / "stature.yml"))
    schedule = defs.resolve_schedule_def("nightly_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/Berlin"
    assert schedule.job_name == NIGHTLY
    job = defs.resolve_job_def(NIGHTLY)
    assert job.partitions_def is not None


def test_the_benchmark_puts_every_nightly_step_in_its_stage():
    # Step keys change when assets are regrouped; the benchmark's stages must follow.
    from dagster_project.bench import stage_of
    from dagster_project.definitions import defs

    steps = {node.name for node in defs.resolve_job_def("nightly").graph.node_defs}
    stages = {step: stage_of(step) for step in steps}
    assert stages["rules"] == "rules"
    assert stages["scorecards__maturity_snapshots"] == "snapshots"
    assert stages["published__stature"] == "publish"
    assert {s for s, stage in stages.items() if stage == "report"} == {
        "published__report",
        "published__strategy_map",
        "published__notices",
    }
    assert stages["scorecards__initiatives"] == "snapshots"
    assert {s for s, stage in stages.items() if stage == "ingest"} == {
        s for s in steps if s.startswith("ingest_")
    } and len([s for s in steps if s.startswith("ingest_")]) == 7
