"""The pipeline verbs: `run` (the nightly job), `ingest`, `publish`, `summary`, `sample-org`.

Every verb that materializes something runs a job of the Dagster Definitions, so a CLI run
shows in the Dagster UI like a scheduled one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from dagster_project import engines
from dagster_project.cli.options import (
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    add_as_of,
    add_export_dir,
    add_rules_dir,
    date_arg,
    export_dir_of,
    holding_warehouse,
    load_cli_config,
    warehouse_of,
)
from dagster_project.cli.runs import print_problems, run_specs
from dagster_project.config import ConfigError, StatureConfig
from dagster_project.dates import today_in

SAMPLE_ORG_END = dt.date(2026, 11, 15)


def register(verbs: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    run = verbs.add_parser(
        "run", parents=[common], help="the nightly job: ingest, transform, grade, snapshot, publish"
    )
    add_export_dir(run)
    add_as_of(run, "evaluation date (default: today in the org's time zone)")
    add_rules_dir(run)
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild everything: read every export file and pull everything the APIs have "
        "again, and rebuild the incremental dbt models from all history",
    )
    run.set_defaults(func=cmd_run)

    ingest = verbs.add_parser(
        "ingest", parents=[common], help="land raw records only (export dir or APIs)"
    )
    add_export_dir(ingest)
    add_as_of(ingest, "the run's date (default: today in the org's time zone)")
    ingest.add_argument(
        "--save-export",
        metavar="DIR",
        help="also write what the APIs returned to DIR in the export layout "
        "(replay it later with --export-dir DIR); DIR must be new or empty",
    )
    ingest.add_argument(
        "--full-refresh",
        action="store_true",
        help="ignore the incremental cursors and the export manifest: pull everything the "
        "APIs have, and read every export file, again",
    )
    ingest.set_defaults(func=cmd_ingest)

    pub = verbs.add_parser(
        "publish", parents=[common], help="copy marts and scorecards to data/published/"
    )
    pub.set_defaults(func=cmd_publish)

    summary = verbs.add_parser(
        "summary", parents=[common], help="print the org summary from the published copy"
    )
    summary.set_defaults(func=cmd_summary)

    sample = verbs.add_parser("sample-org", help="write the seeded sample org's export directory")
    sample.add_argument("--out", default="data/sample_org", metavar="DIR")
    sample.add_argument("--end", type=date_arg, default=SAMPLE_ORG_END, metavar="DATE")
    sample.add_argument("--days", type=int, default=730)
    sample.add_argument("--services", type=int, default=12)
    sample.add_argument("--teams", type=int, default=4)
    sample.add_argument("--seed", type=int, default=7)
    sample.add_argument("--ndjson", action="store_true", help="per-repo .ndjson for per-PR files")
    sample.add_argument(
        "--export-at",
        type=date_arg,
        default=None,
        metavar="DATE",
        help="the export's moment (default --end): the same org as it stood that day",
    )
    sample.set_defaults(func=cmd_sample_org)


# --- running a job -----------------------------------------------------------------------------


def run_job(args: argparse.Namespace, config: StatureConfig, job_name: str, *, as_of=None):
    """Run `job_name` through Dagster, holding the warehouse; step logs to a file unless -v."""
    from dagster_project.defs.resources import AS_OF_TAG
    from dagster_project.defs.runner import RunSpec

    tags = {AS_OF_TAG: as_of.isoformat()} if as_of else {}
    command = " ".join(["stature", args.verb])
    return run_specs(args, config, [RunSpec(job_name, tags=tags)], command=command, as_of=as_of)


def _check_export_dir(args: argparse.Namespace, config: StatureConfig) -> None:
    """Fail at start (exit 2), not once per source, when the export directory is missing."""
    folder = export_dir_of(args, config)
    if folder is None or folder.is_dir():
        return
    if getattr(args, "export_dir", None):
        raise UsageError(f"--export-dir {args.export_dir}: no such directory")
    raise ConfigError(
        f"key 'export_dir': {folder} is not a directory "
        "(run `make sample-org` for the demo, or remove the key to pull from the APIs)"
    )


# --- the verbs ---------------------------------------------------------------------------------


def _check_as_of(as_of: dt.date, config: StatureConfig) -> None:
    """A run is graded as of a day from history_start to today (the daily partitions)."""
    today = today_in(config.org.timezone)
    if not config.history_start <= as_of <= today:
        raise UsageError(
            f"--as-of {as_of} is outside the supported range {config.history_start} "
            f"(history_start in the config) to {today} (today in {config.org.timezone})"
        )


def cmd_run(args: argparse.Namespace) -> int:
    config = load_cli_config(args)
    _check_export_dir(args, config)
    as_of = args.as_of or today_in(config.org.timezone)
    _check_as_of(as_of, config)
    warehouse = warehouse_of(args, config)
    problem = engines.not_ready(config)
    if problem:
        raise ConfigError(problem)
    with holding_warehouse(warehouse, "stature run"):
        engine = (
            f", models built by Spark ({config.spark.method})" if config.engine == "spark" else ""
        )
        print(f"stature run: as of {as_of}, warehouse {warehouse}{engine}", flush=True)
        started = time.time()
        outcome = run_job(args, config, "nightly", as_of=as_of)
    from dagster_project.summary import print_ingest_rejections, print_summary

    print_ingest_rejections(warehouse, since=started)
    if outcome.materialized_key("published", "stature"):
        print_summary(config, as_of=as_of)
    else:
        print("\nThis run did not publish: readers still see the previous copy, if any.")
    return print_problems(outcome.problems, outcome.warnings)


def cmd_ingest(args: argparse.Namespace) -> int:
    config = load_cli_config(args)
    if args.save_export and args.export_dir:
        raise UsageError("--save-export saves an API pull; it cannot be combined with --export-dir")
    _check_export_dir(args, config)
    started = time.time()
    with holding_warehouse(warehouse_of(args, config), "stature ingest"):
        outcome = run_job(args, config, "ingest", as_of=args.as_of)
    from dagster_project.summary import print_ingest_counts, print_ingest_rejections

    print_ingest_counts(outcome.ingested)
    print_ingest_rejections(warehouse_of(args, config), since=started)
    return print_problems(outcome.problems, outcome.warnings)


def cmd_publish(args: argparse.Namespace) -> int:
    config = load_cli_config(args)
    with holding_warehouse(warehouse_of(args, config), "stature publish"):
        outcome = run_job(args, config, "publish")
    return print_problems(outcome.problems, outcome.warnings)


def cmd_summary(args: argparse.Namespace) -> int:
    from dagster_project.summary import print_summary

    config = load_cli_config(args)
    print_summary(config, as_of=None)
    return EXIT_OK


def cmd_sample_org(args: argparse.Namespace) -> int:
    from ingestion.sample_org import generate_sample_org

    try:
        summary = generate_sample_org(
            Path(args.out),
            seed=args.seed,
            end=args.end,
            days=args.days,
            services=args.services,
            teams=args.teams,
            ndjson=args.ndjson,
            export_at=args.export_at,
        )
    except ValueError as exc:  # the generator's limits (at least 12 services, 4 teams, ...)
        raise UsageError(f"sample-org: {exc}") from None
    records = summary["records"]
    print(
        f"sample org written to {args.out}: {summary['services']} services in "
        f"{summary['teams']} teams ({summary['repos']} repos), {summary['start']} to "
        f"{summary['end']}; {records['pulls']} PRs, {records['commits']} commits, "
        f"{records['deployments']} deployments, {records['workflow_runs']} workflow runs, "
        f"{records['pagerduty_incidents']} PagerDuty incidents, {records['issues']} issues"
    )
    return EXIT_OK


__all__ = ["EXIT_USAGE", "print_problems", "register", "run_job"]
