"""The rest of a nightly run after a dbt model or test failed.

Dagster skips every asset downstream of an output that was not produced, and the rules,
maturity snapshots, reporting views and publish all read the marts: one failed model would
take all of them down. So when a nightly run ends with assets left unmaterialized (skipped,
not failed), a second run of the same job and partition materializes exactly those, without
the ingestion assets and the first dbt step: with their upstream outside the run, nothing
holds them back. Rules whose tables failed report `not_reported` with the reason
(ops.dbt_results), the others are graded, and publish refreshes everything that was built.

The reporting step is dbt too: when one of its models fails in the continuation (it reads a
mart that failed), publish is skipped again, so a continuation may itself be continued, up
to MAX_DEPTH runs in all (one per dbt step; each run's selection is smaller than the last).

The CLI runs the continuations itself, straight after the first run; for scheduled runs a
run-status sensor requests them. A continuation is tagged `stature/continues` (the run it
continues) and `stature/continuation` (1 for the first).
"""

from collections.abc import Iterable

import dagster as dg

from dagster_project.defs.dbt import REPORTING_GROUP
from dagster_project.defs.resources import AS_OF_TAG

CONTINUES_TAG = "stature/continues"
DEPTH_TAG = "stature/continuation"
MAX_DEPTH = 2  # one continuation per dbt step whose partial build can skip what follows
SENSOR_NAME = "nightly_continuation"


NEVER_RERUN_KINDS = {"dbt", "dlt"}  # the dbt and ingestion assets


def never_rerun_keys(asset_graph) -> set[dg.AssetKey]:
    """The ingestion assets and the first dbt step's of a Definitions' asset graph: a
    continuation never lands or builds again what the first run did (or could not do). The
    reporting step's models come after the rules and are built by the continuation."""
    keys = set()
    for key in asset_graph.get_all_asset_keys():
        node = asset_graph.get(key)
        if node.kinds & NEVER_RERUN_KINDS and node.group_name != REPORTING_GROUP:
            keys.add(key)
    return keys


def unfinished_assets(
    instance: dg.DagsterInstance, run_id: str, never_rerun: Iterable[dg.AssetKey]
) -> list[dg.AssetKey]:
    """The assets of the steps Dagster skipped in the run because an upstream output was not
    produced, minus `never_rerun` (ingestion and dbt). Steps abandoned because an upstream
    step failed outright (dbt did not run at all) are not among them: running them would
    grade yesterday's tables as fresh."""
    planned: dict[str, set[dg.AssetKey]] = {}
    skipped: set[str] = set()
    for record in instance.all_logs(
        run_id,
        of_type={
            dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
            dg.DagsterEventType.STEP_SKIPPED,
        },
    ):
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_SKIPPED:
            skipped.add(event.step_key)
        elif event.asset_key is not None:
            planned.setdefault(event.step_key, set()).add(event.asset_key)
    keys = {key for step in skipped for key in planned.get(step, ())} - set(never_rerun)
    return sorted(keys, key=lambda k: k.to_user_string())


def depth_of(run: dg.DagsterRun) -> int:
    """0 for a first run, n for the n-th continuation."""
    return int(run.tags.get(DEPTH_TAG, "0"))


def continuation_tags(run: dg.DagsterRun) -> dict[str, str]:
    tags = {CONTINUES_TAG: run.run_id, DEPTH_TAG: str(depth_of(run) + 1)}
    if AS_OF_TAG in run.tags:
        tags[AS_OF_TAG] = run.tags[AS_OF_TAG]
    return tags


def build_continuation_sensor(nightly, never_rerun: Iterable[dg.AssetKey]) -> dg.SensorDefinition:
    never = list(never_rerun)

    @dg.run_status_sensor(
        name=SENSOR_NAME,
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[nightly],
        request_job=nightly,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "When a nightly run ends with assets skipped because a dbt model or test failed, "
            "run those assets (rules, maturity, reporting, publish) for the same partition."
        ),
    )
    def nightly_continuation(context: dg.RunStatusSensorContext):
        run = context.dagster_run
        if depth_of(run) >= MAX_DEPTH:
            return dg.SkipReason(f"already the run's continuation number {MAX_DEPTH}")
        remaining = unfinished_assets(context.instance, run.run_id, never)
        if not remaining:
            return dg.SkipReason("the run materialized everything it planned")
        return dg.RunRequest(
            run_key=f"continue-{run.run_id}",
            asset_selection=remaining,
            partition_key=run.tags.get("dagster/partition"),
            tags=continuation_tags(run),
        )

    return nightly_continuation
