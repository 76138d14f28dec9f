"""The Dagster Definitions, assembled from one small module per stage.

`dagster dev` loads `defs` from here; the `stature` CLI calls `build_definitions` with its
flags and runs the same jobs, so a CLI run and a scheduled run are the same thing.

    ingestion (raw_*) -> dbt (staging, intermediate, marts) -> rules (scorecards.check_results)
      -> maturity snapshots and balanced scorecard -> reporting views
      -> publish (data/published/) -> the HTML report and portal files
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dagster as dg

from dagster_project.assets.dbt import build_dbt_assets, dbt_resource
from dagster_project.assets.ingestion import build_ingestion_assets
from dagster_project.assets.publish import build_publish_asset
from dagster_project.config import load_config
from dagster_project.maturity.assets import (
    QUARTERLY_GROUP,
    build_maturity_assets,
    build_maturity_jobs,
    build_maturity_schedules,
    build_quarterly_maturity_assets,
)
from dagster_project.report.assets import build_report_assets
from dagster_project.resources import AS_OF_TAG, StatureResource
from dagster_project.rules.assets import build_rule_assets

NIGHTLY = "nightly"


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
    dbt_models = build_dbt_assets()
    rules = build_rule_assets(rules_path)
    maturity = build_maturity_assets(rules_path)
    upstream = [*ingestion, dbt_models, *rules, *maturity]
    # Quarterly-partitioned snapshot builds live in their own job: a job cannot mix the
    # nightly's daily partitions with quarterly ones.
    quarterly = build_quarterly_maturity_assets(config)
    upstream_keys = [key for a in upstream for key in a.keys]
    reporting_views, report = build_report_assets(upstream_keys)
    publish = build_publish_asset([*upstream_keys, *reporting_views.keys])

    nightly = dg.define_asset_job(
        NIGHTLY,
        selection=dg.AssetSelection.all() - dg.AssetSelection.groups(QUARTERLY_GROUP),
        description="Ingest, transform, grade, snapshot and publish: the whole pipeline.",
    )
    ingest = dg.define_asset_job("ingest", selection=dg.AssetSelection.groups("ingestion"))
    publish_job = dg.define_asset_job("publish", selection=dg.AssetSelection.groups("publish"))

    @dg.schedule(
        job=nightly,
        cron_schedule=config.schedule.nightly_cron,
        execution_timezone=config.org.timezone,
        name="nightly_schedule",
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    def nightly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        # At 02:00 the last complete day is yesterday: grade as of then.
        as_of = (context.scheduled_execution_time - dt.timedelta(days=1)).date().isoformat()
        return dg.RunRequest(run_key=as_of, partition_key=as_of, tags={AS_OF_TAG: as_of})

    return dg.Definitions(
        assets=[*upstream, reporting_views, publish, report, *quarterly],
        jobs=[nightly, ingest, publish_job, *build_maturity_jobs(config)],
        schedules=[nightly_schedule, *build_maturity_schedules(config)],
        resources={"stature": stature, "dbt": dbt_resource()},
        executor=dg.in_process_executor,
    )


defs = build_definitions()
