"""Running jobs of the Definitions in this process, for the `stature` CLI: the same jobs the
schedule runs, so a CLI run and a scheduled run are the same thing and both show in the UI.

The CLI reaches Dagster only through this module; what it gets back is plain data
(`RunOutcome`, progress as numbers), never a Dagster object. One verb may need several runs
(a weekly backfill is one run per date, a daily one run per range of days; `rules apply` adds
the refresh after them): `execute_runs` holds the warehouse's run lock once for all of them,
so no other run slips in between, and reports progress as the runs log it. A nightly run
that ends with assets skipped because a dbt model or test failed is continued at once
(defs/continuation.py), and the outcome covers both runs.

Runs go to Dagster's instance in $DAGSTER_HOME, else in operations.dagster_home
(data/dagster_home): every CLI run shows in the UI.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_project import build_status
from dagster_project.defs.continuation import (
    MAX_DEPTH,
    continuation_tags,
    depth_of,
    never_rerun_keys,
    unfinished_assets,
)
from dagster_project.defs.dbt import ensure_manifest
from dagster_project.defs.instance import ensure_instance_file
from dagster_project.defs.jobs import NIGHTLY
from dagster_project.defs.monitoring import root_cause
from dagster_project.defs.resources import AS_OF_TAG
from dagster_project.defs.rules import PROGRESS_MARK
from dagster_project.runlock import run_lock

COMMAND_TAG = "stature/command"
PROGRESS_LOGGER = "stature_progress"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
_PROGRESS = re.compile(re.escape(PROGRESS_MARK) + r" (\d+)/(\d+) \w+ \((.*)\)")

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class JobOptions:
    """The CLI flags a job run takes; None means "from the config"."""

    config_path: str | None = None
    warehouse: str | None = None
    export_dir: str | None = None
    rules_dir: str | None = None
    save_export_dir: str | None = None
    full_refresh: bool = False
    verbose: bool = False
    command: str | None = None  # what the lock and the run's tags say is running


@dataclass(frozen=True)
class RunSpec:
    """One run of a job: a partition (`2026-11-15`, `2026-Q4`) or a range of them, a subset
    of the job's assets (key paths), the ops' config, and how many units of progress it is."""

    job: str
    partition: str | None = None
    partition_range: tuple[str, str] | None = None
    assets: tuple[tuple[str, ...], ...] | None = None
    config: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    units: int = 0
    label: str = ""


@dataclass
class RunOutcome:
    """What the finished runs did, read from their events."""

    success: bool
    problems: list[str] = field(default_factory=list)
    materialized: list[tuple[str, ...]] = field(default_factory=list)
    # rows landed per raw table this run, "raw_<source>.<table>" -> rows
    ingested: dict[str, int] = field(default_factory=dict)
    run_ids: list[str] = field(default_factory=list)
    # the last materialization's metadata per asset, as plain values
    metadata: dict[tuple[str, ...], dict[str, Any]] = field(default_factory=dict)
    # checks that failed with severity WARN: said, but not failures of the run
    warnings: list[str] = field(default_factory=list)

    def materialized_key(self, *path: str) -> bool:
        return tuple(path) in self.materialized

    def merge(self, other: RunOutcome) -> None:
        """Fold a later run (a continuation, the next date of a backfill) into this outcome."""
        self.success = self.success and other.success
        self.materialized += other.materialized
        self.ingested.update(other.ingested)
        self.run_ids += other.run_ids
        self.metadata.update(other.metadata)
        self.problems = list(dict.fromkeys([*self.problems, *other.problems]))
        self.warnings = list(dict.fromkeys([*self.warnings, *other.warnings]))


def instance_for(options: JobOptions) -> dg.DagsterInstance:
    """$DAGSTER_HOME's instance, else the one in operations.dagster_home (data/dagster_home
    beside the config), so every CLI run is in the instance the UI reads. A new instance's
    folder gets a dagster.yaml selecting the cheaper local event log (defs/instance.py)."""
    home = os.environ.get("DAGSTER_HOME")
    if home:
        ensure_instance_file(Path(home))
        return dg.DagsterInstance.get()
    from dagster_project.config import load_config

    path = load_config(options.config_path).dagster_home_path
    ensure_instance_file(path)
    return dg.DagsterInstance.from_config(str(path))


def _warehouse(options: JobOptions) -> Path:
    from dagster_project.config import load_config

    if options.warehouse:
        return Path(options.warehouse).resolve()
    return load_config(options.config_path).warehouse_path


def execute_job(job_name: str, options: JobOptions, *, as_of: dt.date | None = None) -> RunOutcome:
    """Run one job of the Definitions built with these options; never raises on step failure."""
    spec = RunSpec(job_name, tags={AS_OF_TAG: as_of.isoformat()} if as_of else {})
    return execute_runs([spec], options, as_of=as_of)


def execute_runs(
    specs: Sequence[RunSpec],
    options: JobOptions,
    *,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    on_note: Callable[[str], None] | None = None,
) -> RunOutcome:
    """Run `specs` one after the other under one hold of the warehouse's run lock (a stale
    lock left by a killed run is taken over and said through `on_note`); the outcome covers
    them all. A partitioned job without a partition in its spec runs as of `as_of`."""
    warehouse = _warehouse(options)
    with run_lock(warehouse, options.command) as lock:
        if lock.stale is not None and on_note is not None:
            on_note(
                f"the last run on {warehouse} ({lock.stale.describe()}) did not finish "
                "(killed); its lock was cleared"
            )
        runner = _Runner(options, warehouse, progress, sum(s.units for s in specs))
        outcome: RunOutcome | None = None
        for spec in specs:
            result = runner.run(spec, as_of)
            if outcome is None:
                outcome = result
            else:
                outcome.merge(result)
        return outcome or RunOutcome(success=True)


class _Runner:
    """The Definitions, instance and progress of one verb's runs."""

    def __init__(self, options: JobOptions, warehouse: Path, progress: Progress | None, total: int):
        ensure_manifest()
        from dagster_project.defs.assembly import build_definitions

        self.options = options
        self.warehouse = warehouse
        self.progress = progress
        self.total = total
        self.done = 0
        self.current = RunSpec("")
        loggers = {PROGRESS_LOGGER: _progress_logger(self._on_log)} if progress else {}
        self.defs = build_definitions(
            config_path=options.config_path,
            warehouse=options.warehouse,
            export_dir=options.export_dir,
            rules_dir=options.rules_dir,
            save_export_dir=options.save_export_dir,
            full_refresh=options.full_refresh,
            loggers=loggers,
        )
        self.instance = instance_for(options)

    def _on_log(self, message: str) -> None:
        match = _PROGRESS.search(message)
        if match and self.progress and self.total:
            done, total = int(match.group(1)), int(match.group(2))
            share = done / total if total else 1.0
            units = min(self.current.units, round(share * self.current.units))
            self.progress(self.done + units, self.total, match.group(3))

    def run(self, spec: RunSpec, as_of: dt.date | None) -> RunOutcome:
        job = self.defs.resolve_job_def(spec.job)
        # INFO, not Dagster's DEBUG: step starts and ends, not every event. Without --verbose it
        # goes to the run's log file (the CLI redirects the output), with it to the terminal.
        run_config: dict[str, Any] = {
            "loggers": {"console": {"config": {"log_level": "INFO"}}},
        }
        if self.progress:
            run_config["loggers"][PROGRESS_LOGGER] = {}
        if spec.config:
            run_config["ops"] = spec.config
        tags = {**spec.tags}
        if self.options.command:
            tags[COMMAND_TAG] = self.options.command
        kwargs: dict[str, Any] = {}
        if spec.partition_range:
            tags[RANGE_START], tags[RANGE_END] = spec.partition_range
        elif spec.partition:
            kwargs["partition_key"] = spec.partition
        elif job.partitions_def is not None and as_of is not None:
            kwargs["partition_key"] = as_of.isoformat()
        if spec.assets is not None:
            kwargs["asset_selection"] = [dg.AssetKey(list(path)) for path in spec.assets]
        self.current = spec
        result = job.execute_in_process(
            instance=self.instance,
            raise_on_error=False,
            run_config=run_config,
            tags=tags,
            run_id=str(uuid.uuid4()),
            **kwargs,
        )
        outcome = outcome_of(result, self.warehouse)
        if spec.job == NIGHTLY:
            outcome = self._continue(job, result, outcome, run_config, tags)
        self.done += spec.units
        if self.progress and self.total:
            self.progress(self.done, self.total, spec.label)
        return outcome

    def _continue(self, job, result, outcome: RunOutcome, run_config, tags) -> RunOutcome:
        """Continue the run while it skipped something (see defs/continuation.py)."""
        run = result.dagster_run
        never = never_rerun_keys(self.defs.resolve_asset_graph())
        while depth_of(run) < MAX_DEPTH:
            remaining = unfinished_assets(self.instance, run.run_id, never)
            if not remaining:
                break
            more = job.execute_in_process(
                instance=self.instance,
                raise_on_error=False,
                asset_selection=remaining,
                run_config=run_config,
                tags={**tags, **continuation_tags(run)},
                partition_key=run.tags.get("dagster/partition"),
            )
            outcome.merge(outcome_of(more, self.warehouse))
            run = more.dagster_run
        return outcome


def _progress_logger(on_message: Callable[[str], None]) -> dg.LoggerDefinition:
    """A Dagster logger handing each message of the run to `on_message` (in this process:
    the CLI's progress display reads the rule step's `progress:` lines)."""

    class _Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            meta = getattr(record, "dagster_meta", None) or {}
            on_message(str(meta.get("orig_message") or record.getMessage()))

    @dg.logger(description="Progress of the run for the stature CLI.")
    def stature_progress(_init_context) -> logging.Logger:
        logger = logging.Logger(PROGRESS_LOGGER, level=logging.INFO)
        logger.addHandler(_Handler())
        return logger

    return stature_progress


def outcome_of(result: dg.ExecuteInProcessResult, warehouse: Path | None = None) -> RunOutcome:
    """What went wrong in a finished run, read from its events."""
    outcome = RunOutcome(success=result.success, run_ids=[result.run_id])
    problems = outcome.problems
    rejected_by_step: dict[str, int] = {}
    rule_errors: list[str] = []
    not_fresh: list[str] = []
    problems += _dbt_problems(result.run_id, warehouse)
    for event in result.get_asset_materialization_events():
        meta = event.materialization.metadata
        step = event.step_key or ""
        path = tuple(event.materialization.asset_key.path)
        outcome.materialized.append(path)
        outcome.metadata[path] = {name: value.value for name, value in meta.items()}
        key = event.materialization.asset_key.to_user_string()
        if path[0].startswith("raw_") and "rows_loaded" in meta:
            outcome.ingested[".".join(path)] = int(meta["rows_loaded"].value)
        if "rejected" in meta:
            rejected_by_step[step] = int(meta["rejected"].value)
        if meta.get("failed") and meta["failed"].value:
            problems.append(f"source {step.removeprefix('ingest_')} failed: {meta['failed'].value}")
        if "errors" in meta and int(meta["errors"].value) > 0:
            rule_errors.append(key)
        if meta.get("not_fresh"):
            not_fresh.append(key)
        if meta.get("initiative_problems") and meta["initiative_problems"].value:
            problems += [f"initiative left out: {p}" for p in meta["initiative_problems"].value]
    rejected = sum(rejected_by_step.values())
    if rejected:
        problems.append(f"{rejected} record(s) rejected (see raw_<source>._rejected)")
    if rule_errors:
        problems.append(
            f"{len(rule_errors)} rule(s) errored: {', '.join(sorted(set(rule_errors)))}"
        )
    if not_fresh:
        names = sorted({key.rsplit("/", 1)[-1] for key in not_fresh})
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        problems.append(
            f"{len(names)} rule(s) not evaluated because a table they read failed to build "
            f"(not_reported, with the reason as the note): {shown}"
        )
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN:
            what = evaluation.description or ", ".join(
                f"{k} {v.value}" for k, v in evaluation.metadata.items() if k != "sample"
            )
            outcome.warnings.append(
                f"check {evaluation.asset_key.to_user_string()}:{evaluation.check_name}: {what}"
            )
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            problems.append(f"step {event.step_key} failed: {root_cause(event)}")
    if not result.success and not any(p.startswith("step ") for p in problems):
        problems.append("the run failed")
    outcome.problems = list(dict.fromkeys(problems))
    return outcome


def _dbt_problems(run_id: str, warehouse: Path | None) -> list[str]:
    """The failed models and tests of this run's dbt build, and the values set aside, from
    what the dbt step recorded (ops.dbt_results, tagged with the run)."""
    if warehouse is None:
        return []
    results = build_status.load(warehouse, run_id=run_id)
    if not results:
        return []
    return build_status.problems(results) + build_status.set_aside(warehouse, results)


def materialized_partitions(options: JobOptions, *path: str) -> set[str]:
    """The partitions of an asset the instance records as materialized (for tests and the
    CLI's summary)."""
    return set(instance_for(options).get_materialized_partitions(dg.AssetKey(list(path))))
