"""The maturity and balanced-scorecard stage as Dagster assets, a job and a schedule.

In the nightly job (daily partitions, the key is the as_of; after every rule asset):

    scorecards/maturity_snapshots   close every ended quarter not closed yet (evaluating the
                                    rules as of its last day when check_results lack it),
                                    refresh the open quarter as of the run's as_of, rebuild
                                    maturity_movements
    scorecards/bsc_targets          the balanced-scorecard measures' target history and the
                                    warnings about the scorecard's shape (the grading is the
                                    dbt model scorecards/balanced_scorecard, after it)
    published/strategy_map          draw the strategy map into the published folder (after
                                    publish: nothing there changes unless a run publishes)

Outside it, one partition per fiscal quarter (group `maturity_quarterly`, which the nightly
job must leave out: a job cannot mix two partitions definitions):

    scorecards/maturity_quarter     build one quarter: close it if it has ended, refresh it if
                                    it is open, leave it if it is closed; job
                                    `maturity_quarterly`, schedule `maturity_quarter_close`
                                    (04:30 on the first day of each fiscal quarter, org time)
"""

# No `from __future__ import annotations` here: Dagster checks the type object of the
# `context` annotation, and a string annotation fails that check.
import datetime as dt
from pathlib import Path

import dagster as dg

from dagster_project.config import StatureConfig
from dagster_project.dates import today_in
from dagster_project.defs.resources import AS_OF_TAG, StatureResource, run_as_of
from dagster_project.defs.rules import RULES_PARTITIONS, on_latest_day, rule_asset_key
from dagster_project.maturity.quarters import quarter_of, quarter_start_months, quarters_between
from dagster_project.rules.loader import load_rules

GROUP = "maturity"
QUARTERLY_GROUP = "maturity_quarterly"
SNAPSHOTS_KEY = dg.AssetKey(["scorecards", "maturity_snapshots"])
BSC_KEY = dg.AssetKey(["scorecards", "balanced_scorecard"])  # the dbt model
BSC_TARGETS_KEY = dg.AssetKey(["scorecards", "bsc_targets"])
STRATEGY_MAP_KEY = dg.AssetKey(["published", "strategy_map"])
PUBLISHED_KEY = dg.AssetKey(["published", "stature"])
QUARTER_KEY = dg.AssetKey(["scorecards", "maturity_quarter"])
QUARTERLY_JOB = "maturity_quarterly"
CLOSE_SCHEDULE = "maturity_quarter_close"
CLOSE_AT = (4, 30)  # hour, minute in org.timezone: after the 02:00 nightly

_MARTS_READ = ("dim_services", "dim_service_teams", "dim_teams", "dora_metrics")


def _rule_keys(rules_dir: Path) -> tuple[list[dg.AssetKey], list[dg.AssetKey]]:
    """(every rule's asset key, the balanced-scorecard measures' keys)."""
    if not Path(rules_dir).is_dir():
        return [], []
    rules = load_rules(Path(rules_dir))
    keys = list(dict.fromkeys(rule_asset_key(r) for r in rules))
    measures = [rule_asset_key(r) for r in rules if r.header is not None and r.header.perspective]
    return keys, measures


def _level_table(warehouse: Path, quarter: str | None) -> str:
    """A markdown preview: entities per level in one quarter."""
    from dagster_project.warehouse import connect

    if not quarter:
        return ""
    with connect(warehouse, read_only=True) as con:
        rows = con.execute(
            "select entity_type, level, level_name, count(*) from scorecards.maturity_snapshots "
            "where quarter = ? group by all order by entity_type, level",
            [quarter],
        ).fetchall()
    lines = ["| entity type | level | name | entities |", "|---|---|---|---|"]
    lines += [f"| {t} | {'-' if lv is None else lv} | {name} | {n} |" for t, lv, name, n in rows]
    return "\n".join(lines)


def _close_reason(context: dg.AssetExecutionContext) -> str:
    """Why quarters are closed, for the audit: the nightly run or `stature snapshot`."""
    command = context.run.tags.get("stature/command") if context.run else None
    return f"closed by {command}" if command else "closed by the nightly run"


def build_maturity_assets(
    rules_dir: Path, partitions_def: dg.PartitionsDefinition = RULES_PARTITIONS
) -> list[dg.AssetsDefinition]:
    """The nightly's maturity assets: snapshots, the balanced scorecard's targets, the strategy
    map; the first two partitioned like the rules (by day, the as_of)."""
    rule_keys, measure_keys = _rule_keys(Path(rules_dir))
    marts = [dg.AssetKey(["marts", t]) for t in _MARTS_READ]

    @dg.asset(
        key=SNAPSHOTS_KEY,
        deps=[*rule_keys, *marts],  # daily on daily: each day's snapshot on that day's rules
        partitions_def=partitions_def,
        group_name=GROUP,
        kinds={"duckdb"},
        description=(
            "Quarterly maturity levels of every service, team and the org "
            "(scorecards.maturity_snapshots), the movements between consecutive quarters "
            "(scorecards.maturity_movements) and the audit of closes and recomputes "
            "(scorecards.maturity_audit). Closes every ended quarter not closed yet, from the "
            "check results as of its last day (evaluated when missing), and refreshes the "
            "open quarter as of the run's as_of. A closed quarter is never rewritten here."
        ),
    )
    def maturity_snapshots(
        context: dg.AssetExecutionContext, config: SnapshotRunConfig, stature: StatureResource
    ) -> dg.MaterializeResult:
        from dagster_project.maturity.snapshot import Snapshots

        cfg = stature.load()
        as_of = run_as_of(context, cfg)
        warehouse = stature.warehouse_path(cfg)
        snapshots = Snapshots(cfg, warehouse, stature.rules_path(cfg), run_id=context.run.run_id)
        first = snapshots.quarter(config.backfill_from) if config.backfill_from else None
        report = snapshots.sync(as_of, backfill_from=first, reason=_close_reason(context))
        context.log.info(report.summary())
        for error in report.rule_errors:
            context.log.error(f"rule failed while backfilling quarter ends: {error}")
        latest = report.refreshed or (report.closed[-1] if report.closed else None)
        return dg.MaterializeResult(
            metadata={
                "as_of": str(as_of),
                "closed": dg.MetadataValue.json(report.closed),
                "already_closed": len(report.already_closed),
                "refreshed": report.refreshed or "none",
                "evaluated_dates": dg.MetadataValue.json([str(d) for d in report.evaluated]),
                "rows_written": report.rows_written,
                "movements": report.movements,
                "errors": len(report.rule_errors),
                "rule_errors": dg.MetadataValue.json(report.rule_errors),
                "notes": dg.MetadataValue.json(report.notes),
                "summary": dg.MetadataValue.text(report.summary()),
                "levels": dg.MetadataValue.md(_level_table(warehouse, latest)),
            }
        )

    @dg.asset(
        key=BSC_TARGETS_KEY,
        deps=[
            dg.AssetKey(["marts", "bsc_measures"]),
            *on_latest_day([*measure_keys, SNAPSHOTS_KEY]),
        ],
        group_name=GROUP,
        kinds={"duckdb"},
        description=(
            "The balanced-scorecard measures' target history (scorecards.bsc_targets: the "
            "target in effect per period, direction, yellow band) from the headers of the rules "
            "with `perspective:`, and warnings about the scorecard's shape (too many measures, a "
            "perspective with fewer than 3 or more than 5) and measures without values. The "
            "dbt model scorecards.balanced_scorecard grades against it."
        ),
    )
    def bsc_targets(
        context: dg.AssetExecutionContext, stature: StatureResource
    ) -> dg.MaterializeResult:
        from dagster_project.maturity.bsc import write_targets

        config = stature.load()
        report = write_targets(
            config,
            warehouse=stature.warehouse_path(config),
            rules_dir=stature.rules_path(config),
        )
        for warning in report.warnings:
            context.log.warning(warning)
        return dg.MaterializeResult(
            metadata={
                "measures": report.measures,
                "targets": report.targets,
                "warnings": dg.MetadataValue.json(report.warnings),
            }
        )

    @dg.asset(
        key=STRATEGY_MAP_KEY,
        # Drawn into the published folder, so only once this run has published: nothing
        # there changes unless the run publishes.
        deps=[PUBLISHED_KEY],
        group_name="publish",
        kinds={"svg"},
        description=(
            "The strategy map (balanced_scorecard.strategy_map in stature.yml: cause -> effect "
            "between objectives, placed in their perspectives, coloured by the published "
            "measures' latest status) drawn as strategy_map.svg in the published folder, after "
            "publish."
        ),
    )
    def strategy_map(
        context: dg.AssetExecutionContext, stature: StatureResource
    ) -> dg.MaterializeResult:
        from dagster_project.maturity.bsc import load_measures
        from dagster_project.maturity.strategy_map import draw_strategy_map

        config = stature.load()
        paths, layout = draw_strategy_map(config, load_measures(stature.rules_path(config)))
        for warning in layout.warnings:
            context.log.warning(warning)
        return dg.MaterializeResult(
            metadata={
                "svg": dg.MetadataValue.path(str(paths[0])),
                "objectives": len(layout.objectives),
                "links": len(layout.links),
            }
        )

    return [maturity_snapshots, bsc_targets, strategy_map]


# --- one partition per fiscal quarter ------------------------------------------------------


def quarter_labels(config: StatureConfig, today: dt.date | None = None) -> list[str]:
    """Every fiscal quarter from the one holding `history_start` to the open one (today in
    the org's time zone), labelled as everywhere else: `2026-Q4`."""
    start_month = config.org.fiscal_year_start_month
    first = quarter_of(config.history_start, start_month)
    last = quarter_of(today or today_in(config.org.timezone), start_month)
    return [q.label for q in quarters_between(first, last)]


def quarterly_partitions(config: StatureConfig) -> dg.StaticPartitionsDefinition:
    """One partition per fiscal quarter, keyed by its label (`2026-Q4`), up to the open one
    when the definitions load (a long-running deployment gets the next quarter's key when
    its code location reloads; the close schedule only ever asks for a quarter that existed
    when it loaded)."""
    return dg.StaticPartitionsDefinition(quarter_labels(config))


class SnapshotRunConfig(dg.Config):
    """`stature snapshot --backfill-from QUARTER`: close every ended quarter from it on
    (default: the last maturity.backfill_quarters)."""

    backfill_from: str | None = None


class QuarterRunConfig(dg.Config):
    """`stature snapshot --recompute QUARTER --reason TEXT`: rebuild a closed quarter with the
    current rules, with an audit row (one quarter per run)."""

    recompute: bool = False
    reason: str | None = None
    # the open quarter's date (`stature snapshot --quarter Q --as-of DATE`); default: the
    # last date with check results in it
    as_of: str | None = None


def build_quarterly_maturity_assets(
    config: StatureConfig, rules_dir: Path | None = None
) -> list[dg.AssetsDefinition]:
    rule_keys = _rule_keys(Path(rules_dir))[0] if rules_dir else []
    # A quarter reads the rules' results as of its last day, and the catalog: every daily
    # partition of the rules could be that day, so each quarter depends on all of them.
    deps = [dg.AssetDep(key, partition_mapping=dg.AllPartitionMapping()) for key in rule_keys]
    deps += [dg.AssetKey(["marts", t]) for t in _MARTS_READ]

    @dg.asset(
        key=QUARTER_KEY,
        deps=deps,
        partitions_def=quarterly_partitions(config),
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name=QUARTERLY_GROUP,
        kinds={"duckdb"},
        description=(
            "One fiscal quarter of scorecards.maturity_snapshots (partitions keyed 2026-Q4): "
            "closes it if it has ended (from the check results as of its last day, evaluated "
            "when missing), refreshes it if it is open, leaves it if it is closed; with "
            "config recompute: true and a reason, rebuilds a closed quarter with the current "
            "rules and writes an audit row (`stature snapshot --recompute QUARTER --reason`)."
        ),
    )
    def maturity_quarter(
        context: dg.AssetExecutionContext, config: QuarterRunConfig, stature: StatureResource
    ) -> dg.MaterializeResult:
        from dagster_project.maturity.snapshot import SnapshotReport, Snapshots

        cfg = stature.load()
        snapshots = Snapshots(
            cfg, stature.warehouse_path(cfg), stature.rules_path(cfg), run_id=context.run.run_id
        )
        today = today_in(cfg.org.timezone)
        quarters = [snapshots.quarter(key) for key in context.partition_keys]
        if config.recompute and len(quarters) != 1:
            raise dg.Failure("a recompute rebuilds one quarter per run")
        reports: list[SnapshotReport] = []
        for quarter in quarters:
            if config.recompute:
                report = snapshots.recompute(quarter, reason=config.reason or "", today=today)
            else:
                as_of = dt.date.fromisoformat(config.as_of) if config.as_of else None
                report = snapshots.build(quarter, today=today, as_of=as_of)
            context.log.info(f"{quarter}: {report.summary()}")
            reports.append(report)
        return dg.MaterializeResult(metadata=_quarter_metadata(quarters, reports))

    return [maturity_quarter]


def _quarter_metadata(quarters, reports) -> dict[str, object]:
    return {
        "quarters": dg.MetadataValue.json([q.label for q in quarters]),
        "summary": dg.MetadataValue.text(
            "\n".join(f"{q}: {r.summary()}" for q, r in zip(quarters, reports, strict=True))
        ),
        "closed": dg.MetadataValue.json([c for r in reports for c in r.closed]),
        "recomputed": dg.MetadataValue.json([r.recomputed for r in reports if r.recomputed]),
        "refreshed": next((r.refreshed for r in reports if r.refreshed), None) or "none",
        "already_closed": dg.MetadataValue.json([c for r in reports for c in r.already_closed]),
        "evaluated_dates": dg.MetadataValue.json([str(d) for r in reports for d in r.evaluated]),
        "rows_written": sum(r.rows_written for r in reports),
        "errors": sum(len(r.rule_errors) for r in reports),
        "rule_errors": dg.MetadataValue.json([e for r in reports for e in r.rule_errors]),
        "notes": dg.MetadataValue.json([n for r in reports for n in r.notes]),
    }


def build_maturity_jobs(config: StatureConfig) -> list:
    return [
        dg.define_asset_job(
            QUARTERLY_JOB,
            selection=dg.AssetSelection.assets(QUARTER_KEY),
            description="Build, or close, the maturity snapshot of one fiscal quarter.",
        )
    ]


def closing_request(scheduled: dt.datetime, start_month: int) -> dg.RunRequest:
    """The run that closes the quarter which ended the day before `scheduled`."""
    ended = quarter_of(scheduled.date() - dt.timedelta(days=1), start_month)
    return dg.RunRequest(
        run_key=f"close-{ended.label}",
        partition_key=ended.label,
        tags={AS_OF_TAG: ended.end.isoformat(), "stature/quarter": ended.label},
    )


def build_maturity_schedules(config: StatureConfig) -> list[dg.ScheduleDefinition]:
    months = ",".join(str(m) for m in quarter_start_months(config.org.fiscal_year_start_month))
    start_month = config.org.fiscal_year_start_month
    hour, minute = CLOSE_AT

    @dg.schedule(
        job_name=QUARTERLY_JOB,
        cron_schedule=f"{minute} {hour} 1 {months} *",
        execution_timezone=config.org.timezone,
        name=CLOSE_SCHEDULE,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Close the fiscal quarter that ended yesterday (its first night after).",
    )
    def maturity_quarter_close(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return closing_request(context.scheduled_execution_time, start_month)

    return [maturity_quarter_close]


__all__ = [
    "BSC_KEY",
    "BSC_TARGETS_KEY",
    "CLOSE_SCHEDULE",
    "QUARTERLY_GROUP",
    "QUARTERLY_JOB",
    "QUARTER_KEY",
    "SNAPSHOTS_KEY",
    "STRATEGY_MAP_KEY",
    "build_maturity_assets",
    "build_maturity_jobs",
    "build_maturity_schedules",
    "build_quarterly_maturity_assets",
    "closing_request",
    "quarterly_partitions",
]
