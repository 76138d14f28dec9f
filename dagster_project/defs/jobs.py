"""The jobs a user, the CLI or the scheduler runs, and the nightly schedule. Every CLI verb
that writes runs one of them (defs/runner.py), so the UI's runs and partitions tell the truth.

    nightly    everything but the quarterly group: ingest, transform, grade, snapshot, publish
    ingest     the landings only
    rules      the rule assets (a day or a range of days; `stature rules backfill`, `apply`,
               and `regrade` with config mode: regrade)
    snapshot   the maturity snapshots as of a day (`stature snapshot`)
    refresh    what follows the rules in the nightly: snapshots, the balanced scorecard's
               targets, the initiatives, the reporting models, publish, the strategy map
               and the report (`stature rules apply` ends with it)
    publish    publish, the strategy map and the report
    report     the report from the published copy
"""

import datetime as dt

import dagster as dg

from dagster_project.config import StatureConfig
from dagster_project.defs.initiatives import INITIATIVES_KEY
from dagster_project.defs.maturity import (
    BSC_TARGETS_KEY,
    QUARTERLY_GROUP,
    SNAPSHOTS_KEY,
)
from dagster_project.defs.resources import AS_OF_TAG
from dagster_project.defs.rules import GROUP as RULES_GROUP

NIGHTLY = "nightly"
NIGHTLY_SCHEDULE = "nightly_schedule"
RULES_JOB = "rules"
SNAPSHOT_JOB = "snapshot"
REFRESH_JOB = "refresh"
PUBLISH_JOB = "publish"
REPORT_JOB = "report"
REPORT_KEY = dg.AssetKey(["published", "report"])


def build_jobs() -> list:
    nightly = dg.define_asset_job(
        NIGHTLY,
        # A job cannot mix the nightly's daily partitions with the quarterly ones.
        selection=dg.AssetSelection.all() - dg.AssetSelection.groups(QUARTERLY_GROUP),
        description="Ingest, transform, grade, snapshot and publish: the whole pipeline.",
    )
    ingest = dg.define_asset_job(
        "ingest",
        selection=dg.AssetSelection.groups("ingestion"),
        description="Land raw records only (export directory or APIs).",
    )
    rules = dg.define_asset_job(
        RULES_JOB,
        selection=dg.AssetSelection.groups(RULES_GROUP),
        description="Evaluate (or, with config mode: regrade, regrade) the standards for a day "
        "or a range of days: a backfill of 300 days is one run.",
    )
    snapshot = dg.define_asset_job(
        SNAPSHOT_JOB,
        selection=dg.AssetSelection.assets(SNAPSHOTS_KEY),
        description="Close ended quarters not closed yet and refresh the open one, as of a day.",
    )
    refresh = dg.define_asset_job(
        REFRESH_JOB,
        selection=(
            dg.AssetSelection.assets(SNAPSHOTS_KEY, BSC_TARGETS_KEY, INITIATIVES_KEY)
            | dg.AssetSelection.groups("dbt_reporting", "publish")
        ),
        description="After rules changed: snapshots, balanced-scorecard targets, reporting "
        "views, publish and the report, as the nightly does them.",
    )
    publish = dg.define_asset_job(
        PUBLISH_JOB,
        selection=dg.AssetSelection.groups("publish"),
        description="Copy the public schemas to the published folder and rewrite the report.",
    )
    report = dg.define_asset_job(
        REPORT_JOB,
        selection=dg.AssetSelection.assets(REPORT_KEY),
        description="Write the report and the portal files from the published copy.",
    )
    return [nightly, ingest, rules, snapshot, refresh, publish, report]


def build_nightly_schedule(config: StatureConfig) -> dg.ScheduleDefinition:
    @dg.schedule(
        job_name=NIGHTLY,
        cron_schedule=config.schedule.nightly_cron,
        execution_timezone=config.org.timezone,
        name=NIGHTLY_SCHEDULE,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="The nightly job, graded as of the last complete day.",
    )
    def nightly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        # At 02:00 the last complete day is yesterday: grade as of then.
        as_of = (context.scheduled_execution_time - dt.timedelta(days=1)).date().isoformat()
        return dg.RunRequest(run_key=as_of, partition_key=as_of, tags={AS_OF_TAG: as_of})

    return nightly_schedule
