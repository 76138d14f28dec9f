"""`stature report [--out DIR]`: write the static site and the per-service / per-team files
from the published copy, as a run of the `report` job (so the UI shows it like the nightly's).

Like every run it holds the warehouse's run lock: while a nightly runs, `stature report` exits
2 naming it (the nightly writes the report itself when it has published).

Exit status: 0 written from a complete published copy; 1 written, but the published copy lacks
tables or views some pages need (it says which and why: a stage has not run), or the run
failed; 2 bad config, no published copy yet, or another run holds the warehouse.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    report = subparsers.add_parser(
        "report",
        parents=[common],
        help="write the static site (report/), services/<name>.json and teams/<name>.md from the published copy",
        description=(
            "Write the static site under report/ (index.html, a page per team, service and "
            "standard: opens offline), services/<name>.json and teams/<name>.md from the "
            "published copy (each folder's index.json maps ids to file names)."
        ),
    )
    report.add_argument(
        "--out", metavar="DIR", help="write under DIR (default: the published folder)"
    )
    report.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    from dagster_project.cli.options import (
        EXIT_FAILED,
        EXIT_OK,
        EXIT_USAGE,
        holding_warehouse,
        load_cli_config,
        warehouse_of,
    )
    from dagster_project.cli.runs import run_specs
    from dagster_project.defs.jobs import REPORT_JOB
    from dagster_project.defs.reporting import REPORT, REPORT_OP
    from dagster_project.defs.runner import RunSpec
    from dagster_project.report.data import published_database

    config = load_cli_config(args)
    database = published_database(config.published_path)
    if not database.exists():
        print(
            f"stature report: no published copy at {database}: run `stature run` "
            "(or `stature publish`) first",
            file=sys.stderr,
        )
        return EXIT_USAGE
    out_dir = str(Path(args.out).resolve()) if args.out else None
    spec = RunSpec(REPORT_JOB, config={REPORT_OP: {"config": {"out_dir": out_dir}}})
    with holding_warehouse(warehouse_of(args, config), "stature report"):
        outcome = run_specs(args, config, [spec], command="stature report")
    meta = outcome.metadata.get(tuple(REPORT.path))
    if not outcome.success or meta is None:
        print("stature report: the run failed:", file=sys.stderr)
        for problem in outcome.problems or ["no report was written"]:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_FAILED
    _print_outputs(meta)
    if not meta["missing"]:
        return EXIT_OK
    print("\nThe site was written, but the published copy lacks:", file=sys.stderr)
    for name, reason in sorted(meta["missing"].items()):
        print(f"  - {name}: {reason}", file=sys.stderr)
    return EXIT_FAILED


def _print_outputs(meta: dict) -> None:
    print(f"Report:   {meta['report']}")
    pages = ", ".join(f"{count} {kind}" for kind, count in meta["pages"].items())
    print(f"Pages:    {pages} in {meta['site']}")
    folders = meta["portal_files"]
    if folders["services"]:
        print(f"Services: {meta['services']} files in {folders['services']}")
    if folders["teams"]:
        print(f"Teams:    {meta['teams']} files in {folders['teams']}")
