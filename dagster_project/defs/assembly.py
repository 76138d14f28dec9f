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
from dagster_project.defs.initiatives import INITIATIVES_KEY, build_initiatives_asset
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
from dagster_project.defs.monitoring import (
    build_failure_sensor,
    build_freshness_check,
    build_freshness_job_and_schedule,
    freshness_policy,
)
from dagster_project.defs.notices import build_notices_asset
from dagster_project.defs.publish import build_publish_asset
from dagster_project.defs.reporting import build_report_asset
from dagster_project.defs.resources import StatureResource
from dagster_project.defs.rules import build_rule_assets, daily_partitions, on_latest_day
from dagster_project.publish import PUBLIC_SCHEMAS


def build_definitions(
    *,
    config_path: str | os.PathLike[str] | None = None,
    warehouse: str | None = None,
    export_dir: str | None = None,
    rules_dir: str | None = None,
    save_export_dir: str | None = None,
    full_refresh: bool = False,
    loggers: dict[str, dg.LoggerDefinition] | None = None,
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
    initiatives = build_initiatives_asset(rules_path)
    dbt_models, dbt_reporting = build_dbt_assets(_scorecard_sources(rules))
    upstream = [*ingestion, dbt_models, *rules, *maturity, initiatives, dbt_reporting]
    quarterly = build_quarterly_maturity_assets(config, rules_path)
    publish = build_publish_asset(_published_tables(upstream), freshness_policy(config))
    freshness_job, freshness_schedule = build_freshness_job_and_schedule(config)

    jobs = build_jobs()
    nightly = next(job for job in jobs if job.name == NIGHTLY)
    built_first = [key for a in [*ingestion, dbt_models] for key in a.keys]
    return dg.Definitions(
        assets=[*upstream, publish, build_report_asset(), build_notices_asset(), *quarterly],
        asset_checks=[build_freshness_check()],
        jobs=[*jobs, *build_maturity_jobs(config), freshness_job],
        schedules=[
            build_nightly_schedule(config),
            *build_maturity_schedules(config),
            freshness_schedule,
        ],
        sensors=[build_continuation_sensor(nightly, built_first), build_failure_sensor(config)],
        resources={"stature": stature, "dbt": dbt_resource()},
        executor=dg.in_process_executor,
        # The console logger stays; the CLI adds one that reads progress (defs/runner.py).
        loggers={"console": dg.colored_console_logger, **(loggers or {})},
    )


def _published_tables(upstream: list[dg.AssetsDefinition]) -> list[dg.AssetDep]:
    """What publish copies, and so reads: the tables of the public schemas (marts,
    scorecards, reporting), never the raw landings or dbt's staging and intermediate models
    (daily assets on their latest day). The strategy map is drawn into the published folder
    after publish: not one of them."""
    deps = []
    for a in upstream:
        keys = [k for k in a.keys if k.path[0] in PUBLIC_SCHEMAS and k != STRATEGY_MAP_KEY]
        deps += on_latest_day(keys) if a.partitions_def else [dg.AssetDep(k) for k in keys]
    return deps


def _scorecard_sources(rules: list[dg.AssetsDefinition]) -> dict[str, list[dg.AssetDep]]:
    """Which assets write the scorecards tables the reporting models read as dbt sources: the
    rule engine writes check results and the rule catalog from every rule asset, on their
    latest day (and the maturity stage when it evaluates a quarter's last day)."""
    evaluations = on_latest_day([*(key for a in rules for key in a.keys), SNAPSHOTS_KEY])
    return {
        "scorecards/check_results": evaluations,
        "scorecards/rule_catalog": evaluations,
        "scorecards/maturity_snapshots": on_latest_day([SNAPSHOTS_KEY]),
        "scorecards/maturity_movements": on_latest_day([SNAPSHOTS_KEY]),
        "scorecards/bsc_targets": [dg.AssetDep(BSC_TARGETS_KEY)],
        "scorecards/initiatives": [dg.AssetDep(INITIATIVES_KEY)],
        "scorecards/initiative_rules": [dg.AssetDep(INITIATIVES_KEY)],
        "scorecards/initiative_scope": [dg.AssetDep(INITIATIVES_KEY)],
    }
