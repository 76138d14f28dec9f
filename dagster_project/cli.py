"""The `stature` command line: the same Dagster Definitions the scheduler runs, from a shell.

Exit status: 0 all well; 1 the run finished but something failed (a source failed, records
were rejected, a rule errored: it says what); 2 bad usage or config.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from dagster_project.config import ConfigError, StatureConfig, load_config

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# Verbs that live with their stage; each module has `register(subparsers, common)`.
STAGE_COMMANDS = (
    "dagster_project.rules.cli",
    "dagster_project.maturity.cli",
    "dagster_project.report.cli",
)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def common_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", metavar="FILE", help="stature.yml (default: $STATURE_CONFIG or ./stature.yml)"
    )
    common.add_argument(
        "--warehouse", metavar="FILE", help="warehouse DuckDB file (default: from config)"
    )
    common.add_argument("-v", "--verbose", action="store_true", help="show Dagster's step logs")
    return common


def load_cli_config(args: argparse.Namespace) -> StatureConfig:
    return load_config(args.config)


def warehouse_of(args: argparse.Namespace, config: StatureConfig) -> Path:
    return Path(args.warehouse).resolve() if args.warehouse else config.warehouse_path


def _run_args(parser: argparse.ArgumentParser, *, rules: bool) -> None:
    parser.add_argument(
        "--export-dir", metavar="DIR", help="read every source found in DIR (export mode)"
    )
    parser.add_argument(
        "--as-of",
        type=_date,
        metavar="DATE",
        help="evaluation date (default: today in the org's time zone)",
    )
    if rules:
        parser.add_argument(
            "--rules-dir", metavar="DIR", help="standards folder (default: rules_sql/)"
        )


def build_parser() -> argparse.ArgumentParser:
    common = common_parser()
    parser = argparse.ArgumentParser(
        prog="stature", description="Stature: engineering standards, DORA and maturity from SQL."
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    run = verbs.add_parser(
        "run", parents=[common], help="the nightly job: ingest, transform, grade, snapshot, publish"
    )
    _run_args(run, rules=True)
    run.set_defaults(func=cmd_run)

    ingest = verbs.add_parser(
        "ingest", parents=[common], help="land raw records only (export dir or APIs)"
    )
    _run_args(ingest, rules=False)
    ingest.add_argument(
        "--save-export",
        metavar="DIR",
        help="also write what the APIs returned to DIR in the export layout "
        "(replay it later with --export-dir DIR); DIR must be new or empty",
    )
    ingest.add_argument(
        "--full-refresh",
        action="store_true",
        help="ignore the incremental cursors: pull everything the APIs have again",
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
    sample.add_argument("--end", type=_date, default=dt.date(2026, 11, 15), metavar="DATE")
    sample.add_argument("--days", type=int, default=730)
    sample.add_argument("--services", type=int, default=12)
    sample.add_argument("--teams", type=int, default=4)
    sample.add_argument("--seed", type=int, default=7)
    sample.add_argument("--ndjson", action="store_true", help="per-repo .ndjson for per-PR files")
    sample.set_defaults(func=cmd_sample_org)

    for module_name in STAGE_COMMANDS:
        importlib.import_module(module_name).register(verbs, common)
    return parser


# --- running jobs through Dagster -------------------------------------------------------------


def _instance():
    import dagster as dg

    home = os.environ.get("DAGSTER_HOME")
    if home:
        Path(home).mkdir(parents=True, exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def execute_job(
    args: argparse.Namespace,
    config: StatureConfig,
    job_name: str,
    *,
    as_of: dt.date | None = None,
):
    """Run one job of the Definitions in this process; returns the Dagster result."""
    from dagster_project.assets.dbt import ensure_manifest

    ensure_manifest()
    from dagster_project.definitions import build_definitions
    from dagster_project.resources import AS_OF_TAG

    defs = build_definitions(
        config_path=args.config,
        warehouse=str(Path(args.warehouse).resolve()) if args.warehouse else None,
        export_dir=str(Path(args.export_dir).resolve())
        if getattr(args, "export_dir", None)
        else None,
        rules_dir=str(Path(args.rules_dir).resolve()) if getattr(args, "rules_dir", None) else None,
        save_export_dir=(
            str(Path(args.save_export).resolve()) if getattr(args, "save_export", None) else None
        ),
        full_refresh=bool(getattr(args, "full_refresh", False)),
    )
    job = defs.resolve_job_def(job_name)
    # Dagster's console log at DEBUG buries the summary: INFO with --verbose, else warnings.
    level = "INFO" if getattr(args, "verbose", False) else "WARNING"
    kwargs: dict = {"run_config": {"loggers": {"console": {"config": {"log_level": level}}}}}
    if as_of is not None:
        kwargs["tags"] = {AS_OF_TAG: as_of.isoformat()}
        if job.partitions_def is not None:
            kwargs["partition_key"] = as_of.isoformat()
    if getattr(args, "verbose", False):
        return job.execute_in_process(instance=_instance(), raise_on_error=False, **kwargs)
    log_path = _log_path(args, config)
    print(f"  (step logs: {log_path})", flush=True)
    with _output_to(log_path):
        return job.execute_in_process(instance=_instance(), raise_on_error=False, **kwargs)


def _log_path(args: argparse.Namespace, config: StatureConfig) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = warehouse_of(args, config).parent / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"stature-{args.verb}-{stamp}.log"


@contextlib.contextmanager
def _output_to(path: Path):
    """Send everything the run prints (dbt's own output included: it is a child process) to
    a log file, so the terminal shows the summary; file descriptors, not just sys.stdout."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def run_outcome(result) -> tuple[list[str], int]:
    """What went wrong in a finished run, read from its events: lines to print and exit code."""
    problems: list[str] = []
    rejected_by_step: dict[str, int] = {}
    rule_errors: list[str] = []
    for event in result.get_asset_materialization_events():
        meta = event.materialization.metadata
        step = event.step_key or ""
        key = event.materialization.asset_key.to_user_string()
        if "rejected" in meta:
            rejected_by_step[step] = int(meta["rejected"].value)
        if meta.get("failed") and meta["failed"].value:
            problems.append(f"source {step.removeprefix('ingest_')} failed: {meta['failed'].value}")
        if "errors" in meta and int(meta["errors"].value) > 0:
            rule_errors.append(key)
    rejected = sum(rejected_by_step.values())
    if rejected:
        problems.append(f"{rejected} record(s) rejected (see raw_<source>._rejected)")
    if rule_errors:
        problems.append(
            f"{len(rule_errors)} rule(s) errored: {', '.join(sorted(set(rule_errors)))}"
        )
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            problems.append(f"step {event.step_key} failed: {_root_cause(event)}")
    if not result.success and not any(p.startswith("step ") for p in problems):
        problems.append("the run failed")
    return list(dict.fromkeys(problems)), (EXIT_OK if not problems else EXIT_FAILED)


def _root_cause(event) -> str:
    """The innermost error of a step failure: what the user can act on, not Dagster's wrapper."""
    error = event.event_specific_data.error
    while error.cause is not None:
        error = error.cause
    return error.message.strip().splitlines()[-1] if error.message.strip() else error.cls_name


def _default_as_of(args: argparse.Namespace, config: StatureConfig) -> dt.date:
    from dagster_project.resources import today_in

    return args.as_of or today_in(config.org.timezone)


def _check_export_dir(args: argparse.Namespace, config: StatureConfig) -> None:
    """Fail at start (exit 2), not once per source, when the export directory is missing."""
    if getattr(args, "export_dir", None):
        if not Path(args.export_dir).is_dir():
            raise FileNotFoundError(f"--export-dir {args.export_dir}: no such directory")
    elif config.export_dir and not config.resolve(config.export_dir).is_dir():
        raise ConfigError(
            f"key 'export_dir': {config.resolve(config.export_dir)} is not a directory "
            "(run `make sample-org` for the demo, or remove the key to pull from the APIs)"
        )


def cmd_run(args: argparse.Namespace) -> int:
    config = load_cli_config(args)
    _check_export_dir(args, config)
    as_of = _default_as_of(args, config)
    print(f"stature run: as of {as_of}, warehouse {warehouse_of(args, config)}", flush=True)
    started = time.time()
    result = execute_job(args, config, "nightly", as_of=as_of)
    problems, code = run_outcome(result)
    from dagster_project.summary import print_ingest_rejections, print_summary

    print_ingest_rejections(warehouse_of(args, config), since=started)
    published = any(
        e.materialization.asset_key.path == ["published", "stature"]
        for e in result.get_asset_materialization_events()
    )
    if published:
        print_summary(config, as_of=as_of)
    else:
        print("\nThis run did not publish: readers still see the previous copy, if any.")
    _print_problems(problems)
    return code


def cmd_ingest(args: argparse.Namespace) -> int:
    config = load_cli_config(args)
    if args.save_export and args.export_dir:
        print(
            "stature: --save-export saves an API pull; it cannot be combined with --export-dir",
            file=sys.stderr,
        )
        return EXIT_USAGE
    _check_export_dir(args, config)
    started = time.time()
    result = execute_job(args, config, "ingest", as_of=args.as_of)
    problems, code = run_outcome(result)
    from dagster_project.summary import print_ingest_counts, print_ingest_rejections

    print_ingest_counts(result)
    print_ingest_rejections(warehouse_of(args, config), since=started)
    _print_problems(problems)
    return code


def cmd_publish(args: argparse.Namespace) -> int:
    config = load_cli_config(args)
    result = execute_job(args, config, "publish")
    problems, code = run_outcome(result)
    _print_problems(problems)
    return code


def cmd_summary(args: argparse.Namespace) -> int:
    from dagster_project.summary import print_summary

    config = load_cli_config(args)
    print_summary(config, as_of=None)
    return EXIT_OK


def cmd_sample_org(args: argparse.Namespace) -> int:
    from ingestion.sample_org import generate_sample_org

    summary = generate_sample_org(
        Path(args.out),
        seed=args.seed,
        end=args.end,
        days=args.days,
        services=args.services,
        teams=args.teams,
        ndjson=args.ndjson,
    )
    records = summary["records"]
    print(
        f"sample org written to {args.out}: {summary['services']} services in "
        f"{summary['teams']} teams ({summary['repos']} repos), {summary['start']} to "
        f"{summary['end']}; {records['pulls']} PRs, {records['commits']} commits, "
        f"{records['deployments']} deployments, {records['workflow_runs']} workflow runs, "
        f"{records['pagerduty_incidents']} PagerDuty incidents, {records['issues']} issues"
    )
    return EXIT_OK


def _print_problems(problems: Sequence[str]) -> None:
    if problems:
        print("\nThe run finished, but:", file=sys.stderr)
        for line in problems:
            print(f"  - {line}", file=sys.stderr)
    else:
        print("\nAll well.")


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("STATURE_LOG_LEVEL", "WARNING"))
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"stature: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except FileNotFoundError as exc:
        print(f"stature: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
