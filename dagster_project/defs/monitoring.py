"""What an operator watches in the Dagster UI, and what tells them without it.

published/stature:fresh          the published copy is at most operations.published_max_age_hours
                                 old (default 26: a nightly at 02:00 plus its slack); checked
                                 after every publish and every hour (job published_freshness,
                                 schedule published_freshness_hourly); the asset also carries a
                                 freshness policy with the same window for the UI's health
run_failure_alert                a run that fails (scheduled, from the UI or the CLI: every run of
                                 the instance) writes one line to <warehouse dir>/logs/alerts.log
                                 and, when the variable named by operations.alert_webhook_env
                                 holds a URL, POSTs it there as JSON ({"text": ..., ...}, the form
                                 Slack and most chat webhooks read)

The rule assets' checks (errors, not reported) are in defs/rules.py, the landings'
(rejections) in defs/ingestion.py.
"""

# No `from __future__ import annotations` here: Dagster checks the type object of the
# `context` annotation, and a string annotation fails that check.
import datetime as dt
import logging
import os
from pathlib import Path

import dagster as dg

from dagster_project.config import StatureConfig
from dagster_project.defs.resources import AS_OF_TAG, WAREHOUSE_TAG, StatureResource
from dagster_project.webhook import post_json

PUBLISHED_KEY = dg.AssetKey(["published", "stature"])
FRESH = "fresh"
FRESHNESS_JOB = "published_freshness"
FRESHNESS_SCHEDULE = "published_freshness_hourly"
FAILURE_SENSOR = "run_failure_alert"
ALERTS_LOG = "alerts.log"

log = logging.getLogger(__name__)


# --- the published copy's freshness -------------------------------------------------------------


def published_at(published_dir: Path) -> dt.datetime | None:
    """When the published copy was made: its `publish_info` table (whichever schema holds
    it), else the file's modification time; None when there is no copy."""
    import duckdb

    from dagster_project.publish import DATABASE_NAME

    database = Path(published_dir) / DATABASE_NAME
    if not database.exists():
        return None
    try:
        with duckdb.connect(str(database), read_only=True) as con:
            found = con.execute(
                "select table_schema from information_schema.tables "
                "where table_name = 'publish_info' order by table_schema limit 1"
            ).fetchall()
            if found:
                value = con.execute(
                    f'select max(published_at) from "{found[0][0]}".publish_info'
                ).fetchone()[0]
                if isinstance(value, dt.datetime):
                    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    except duckdb.Error:
        pass
    return dt.datetime.fromtimestamp(database.stat().st_mtime, dt.UTC)


def freshness(
    published_dir: Path, max_age_hours: float, now: dt.datetime | None = None
) -> tuple[bool, str, dict[str, object]]:
    """(fresh, what to tell, metadata) for the published copy at `now`."""
    now = now or dt.datetime.now(dt.UTC)
    when = published_at(published_dir)
    if when is None:
        return False, f"no published copy in {published_dir}", {"max_age_hours": max_age_hours}
    age = (now - when).total_seconds() / 3600
    meta: dict[str, object] = {
        "published_at": when.isoformat(timespec="seconds"),
        "age_hours": round(age, 2),
        "max_age_hours": max_age_hours,
    }
    if age <= max_age_hours:
        return True, f"published {age:.1f} h ago", meta
    return (
        False,
        f"published {age:.1f} h ago, more than {max_age_hours:g} h: readers see old data",
        meta,
    )


def build_freshness_check() -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=PUBLISHED_KEY,
        name=FRESH,
        description=(
            "The published copy readers see is at most operations.published_max_age_hours old "
            "(default 26 h: the nightly's schedule plus slack)."
        ),
    )
    def fresh(stature: StatureResource) -> dg.AssetCheckResult:
        config = stature.load()
        passed, text, meta = freshness(
            config.published_path, config.operations.published_max_age_hours
        )
        return dg.AssetCheckResult(
            passed=passed, severity=dg.AssetCheckSeverity.ERROR, description=text, metadata=meta
        )

    return fresh


def freshness_policy(config: StatureConfig) -> dg.FreshnessPolicy:
    return dg.FreshnessPolicy.time_window(
        fail_window=dt.timedelta(hours=config.operations.published_max_age_hours)
    )


def build_freshness_job_and_schedule(config: StatureConfig):
    job = dg.define_asset_job(
        FRESHNESS_JOB,
        selection=dg.AssetSelection.checks_for_assets(PUBLISHED_KEY),
        description="Check that the published copy is fresh (no asset is materialized).",
    )
    schedule = dg.ScheduleDefinition(
        name=FRESHNESS_SCHEDULE,
        job=job,
        cron_schedule="17 * * * *",
        execution_timezone=config.org.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every hour: is the published copy fresh?",
    )
    return job, schedule


# --- alerts ---------------------------------------------------------------------------------------


def alert_line(run: dg.DagsterRun, error: str) -> str:
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    as_of = run.tags.get(AS_OF_TAG) or run.tags.get("dagster/partition")
    what = f"job {run.job_name}" + (f" as of {as_of}" if as_of else "")
    return f"{when} stature: run {run.run_id} of {what} failed: {error}"


def send_alert(line: str, run: dg.DagsterRun, log_dir: Path, webhook_url: str | None) -> str | None:
    """Append the alert to `log_dir/alerts.log` and POST it to the webhook when there is one;
    the webhook's failure is returned (and logged), never raised: the alert is still logged."""
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / ALERTS_LOG).open("a", encoding="utf-8") as out:
        out.write(line + "\n")
    log.error(line)
    if not webhook_url:
        return None
    body = {
        "text": line,
        "run_id": run.run_id,
        "job": run.job_name,
        "status": "failure",
        "tags": {k: v for k, v in run.tags.items() if k.startswith(("stature/", "dagster/"))},
    }
    return post_json(webhook_url, body, what="alert")


def root_cause(event: dg.DagsterEvent) -> str:
    """The innermost error of a step failure, first line: what the operator can act on."""
    error = event.event_specific_data.error
    while error.cause is not None:
        error = error.cause
    lines = [line.strip() for line in error.message.splitlines() if line.strip()]
    return lines[0] if lines else error.cls_name


def build_failure_sensor(config: StatureConfig) -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name=FAILURE_SENSOR,
        monitor_all_code_locations=True,  # CLI runs (in process) have no code location
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            "A failed run writes one line to <warehouse dir>/logs/alerts.log and POSTs it to "
            f"the webhook in ${config.operations.alert_webhook_env}, when set."
        ),
    )
    def run_failure_alert(context: dg.RunFailureSensorContext):
        run = context.dagster_run
        steps = context.get_step_failure_events()
        error = (
            f"step {steps[0].step_key} failed: {root_cause(steps[0])}"
            if steps
            else context.failure_event.message or "the run failed"
        )
        warehouse = run.tags.get(WAREHOUSE_TAG)
        log_dir = (Path(warehouse).parent if warehouse else config.warehouse_path.parent) / "logs"
        url = os.environ.get(config.operations.alert_webhook_env)
        problem = send_alert(alert_line(run, error), run, log_dir, url)
        if problem:
            context.log.error(problem)

    return run_failure_alert
