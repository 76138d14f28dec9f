"""The jobs a user or the scheduler runs, and the nightly schedule."""

import datetime as dt

import dagster as dg

from dagster_project.config import StatureConfig
from dagster_project.defs.maturity import QUARTERLY_GROUP
from dagster_project.defs.resources import AS_OF_TAG

NIGHTLY = "nightly"
NIGHTLY_SCHEDULE = "nightly_schedule"


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
    publish = dg.define_asset_job(
        "publish",
        selection=dg.AssetSelection.groups("publish"),
        description="Copy the public schemas to the published folder and rewrite the report.",
    )
    return [nightly, ingest, publish]


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
