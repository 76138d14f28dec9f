"""Running a job of the Definitions in this process, for the `stature` CLI: the same jobs the
schedule runs, so a CLI run and a scheduled run are the same thing and both show in the UI.

The CLI reaches Dagster only through this module; what it gets back is plain data
(`RunOutcome`), never a Dagster object. A nightly run that ends with assets skipped because a
dbt model or test failed is continued at once (defs/continuation.py), and the outcome covers
both runs.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from dagster_project import build_status
from dagster_project.defs.continuation import (
    continuation_tags,
    never_rerun_keys,
    unfinished_assets,
)
from dagster_project.defs.dbt import ensure_manifest
from dagster_project.defs.jobs import NIGHTLY
from dagster_project.defs.resources import AS_OF_TAG


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


@dataclass
class RunOutcome:
    """What a finished run did, read from its events."""

    success: bool
    problems: list[str] = field(default_factory=list)
    materialized: list[tuple[str, ...]] = field(default_factory=list)
    # rows landed per raw table this run, "raw_<source>.<table>" -> rows
    ingested: dict[str, int] = field(default_factory=dict)
    run_ids: list[str] = field(default_factory=list)

    def materialized_key(self, *path: str) -> bool:
        return tuple(path) in self.materialized

    def merge(self, other: RunOutcome) -> None:
        """Fold a continuation run into this outcome."""
        self.success = self.success and other.success
        self.materialized += other.materialized
        self.ingested.update(other.ingested)
        self.run_ids += other.run_ids
        self.problems = list(dict.fromkeys([*self.problems, *other.problems]))


def _instance() -> dg.DagsterInstance:
    home = os.environ.get("DAGSTER_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def _warehouse(options: JobOptions) -> Path:
    from dagster_project.config import load_config

    if options.warehouse:
        return Path(options.warehouse).resolve()
    return load_config(options.config_path).warehouse_path


def execute_job(job_name: str, options: JobOptions, *, as_of: dt.date | None = None) -> RunOutcome:
    """Run one job of the Definitions built with these options; never raises on step failure."""
    ensure_manifest()
    from dagster_project.defs.assembly import build_definitions

    defs = build_definitions(
        config_path=options.config_path,
        warehouse=options.warehouse,
        export_dir=options.export_dir,
        rules_dir=options.rules_dir,
        save_export_dir=options.save_export_dir,
        full_refresh=options.full_refresh,
    )
    job = defs.resolve_job_def(job_name)
    # INFO, not Dagster's DEBUG: step starts and ends, not every event. Without --verbose it
    # goes to the run's log file (the CLI redirects the output), with it to the terminal.
    kwargs: dict = {"run_config": {"loggers": {"console": {"config": {"log_level": "INFO"}}}}}
    tags: dict[str, str] = {}
    if as_of is not None:
        tags[AS_OF_TAG] = as_of.isoformat()
        if job.partitions_def is not None:
            kwargs["partition_key"] = as_of.isoformat()
    instance = _instance()
    result = job.execute_in_process(instance=instance, raise_on_error=False, tags=tags, **kwargs)
    warehouse = _warehouse(options)
    outcome = outcome_of(result, warehouse)
    if job_name != NIGHTLY:
        return outcome
    first = result.dagster_run
    remaining = unfinished_assets(
        instance, first.run_id, never_rerun_keys(defs.resolve_asset_graph())
    )
    if remaining:
        more = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            asset_selection=remaining,
            tags={**tags, **continuation_tags(first)},
            **kwargs,
        )
        outcome.merge(outcome_of(more, warehouse))
    return outcome


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
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            problems.append(f"step {event.step_key} failed: {_root_cause(event)}")
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


def _root_cause(event: dg.DagsterEvent) -> str:
    """The innermost error of a step failure: what the user can act on, not Dagster's wrapper;
    its first line (DuckDB puts the error first and a caret under the SQL last)."""
    error = event.event_specific_data.error
    while error.cause is not None:
        error = error.cause
    lines = [line.strip() for line in error.message.splitlines() if line.strip()]
    return lines[0] if lines else error.cls_name
