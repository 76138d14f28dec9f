"""`build_definitions`: every asset, job, schedule and resource of `defs/` in one Definitions,
built with the paths and flags of one run (the CLI's) or from stature.yml (`dagster dev`)."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from dagster_project.config import load_config
from dagster_project.defs.continuation import build_continuation_sensor
from dagster_project.defs.dbt import build_dbt_assets, dbt_resource
from dagster_project.defs.ingestion import build_ingestion_assets
from dagster_project.defs.jobs import NIGHTLY, build_jobs, build_nightly_schedule
from dagster_project.defs.maturity import (
    BSC_TARGETS_KEY,
    SNAPSHOTS_KEY,
    STRATEGY_MAP_KEY,
    build_maturity_assets,
    build_maturity_jobs,
    build_maturity_schedules,
    build_quarterly_maturity_assets,
)
from dagster_project.defs.publish import build_publish_asset
from dagster_project.defs.reporting import build_report_asset
from dagster_project.defs.resources import StatureResource
from dagster_project.defs.rules import build_rule_assets, daily_partitions


def build_definitions(
    *,
    config_path: str | os.PathLike[str] | None = None,
    warehouse: str | None = None,
    export_dir: str | None = None,
    rules_dir: str | None = None,
    save_export_dir: str | None = None,
    full_refresh: bool = False,
) -> dg.Definitions:
    config_path = str(config_path or os.environ.get("STATURE_CONFIG") or "stature.yml")
    stature = StatureResource(
        config_path=config_path,
        warehouse=warehouse,
        export_dir=export_dir,
        rules_dir=rules_dir,
        save_export_dir=save_export_dir,
        full_refresh=full_refresh,
    )
    config = load_config(config_path) if Path(config_path).exists() else load_config(None)
    rules_path = stature.rules_path(config)

    ingestion = build_ingestion_assets()
    days = daily_partitions(config)
    rules = build_rule_assets(rules_path, days)
    maturity = build_maturity_assets(rules_path, days)
    dbt_models, dbt_reporting = build_dbt_assets(_scorecard_sources(rules))
    upstream = [*ingestion, dbt_models, *rules, *maturity, dbt_reporting]
    quarterly = build_quarterly_maturity_assets(config)
    # What publish copies: every asset that writes the warehouse (the strategy map is drawn
    # into the published folder after publish, so it is not one of them).
    upstream_keys = [key for a in upstream for key in a.keys if key != STRATEGY_MAP_KEY]
    publish = build_publish_asset(upstream_keys)

    jobs = build_jobs()
    nightly = next(job for job in jobs if job.name == NIGHTLY)
    built_first = [key for a in [*ingestion, dbt_models] for key in a.keys]
    return dg.Definitions(
        assets=[*upstream, publish, build_report_asset(), *quarterly],
        jobs=[*jobs, *build_maturity_jobs(config)],
        schedules=[build_nightly_schedule(config), *build_maturity_schedules(config)],
        sensors=[build_continuation_sensor(nightly, built_first)],
        resources={"stature": stature, "dbt": dbt_resource()},
        executor=dg.in_process_executor,
    )


def _scorecard_sources(rules: list[dg.AssetsDefinition]) -> dict[str, list[dg.AssetKey]]:
    """Which assets write the scorecards tables the reporting models read as dbt sources: the
    rule engine writes check results and the rule catalog from every rule asset (and from the
    maturity stage when it evaluates a quarter's last day)."""
    evaluations = [*(key for a in rules for key in a.keys), SNAPSHOTS_KEY]
    return {
        "scorecards/check_results": evaluations,
        "scorecards/rule_catalog": evaluations,
        "scorecards/maturity_snapshots": [SNAPSHOTS_KEY],
        "scorecards/maturity_movements": [SNAPSHOTS_KEY],
        "scorecards/bsc_targets": [BSC_TARGETS_KEY],
    }
