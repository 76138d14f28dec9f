"""`stature report [--out DIR]`: write the static site and the per-service / per-team files
from the published copy (never the live warehouse, so it runs while a nightly run writes).

Exit status: 0 written from a complete published copy; 1 written, but the published copy lacks
tables or views some pages need (it says which and why: a stage has not run); 2 bad config,
or no published copy yet.
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
    from dagster_project.cli.options import EXIT_FAILED, EXIT_OK, load_cli_config
    from dagster_project.report.outputs import write_outputs

    config = load_cli_config(args)
    outputs = write_outputs(config, out_dir=Path(args.out).resolve() if args.out else None)
    print(f"Report:   {outputs.report}")
    pages = ", ".join(f"{len(v)} {k}" for k, v in outputs.pages.items())
    print(f"Pages:    {pages} in {outputs.site}")
    if outputs.services:
        print(f"Services: {len(outputs.services)} files in {outputs.services[0].parent}")
    if outputs.teams:
        print(f"Teams:    {len(outputs.teams)} files in {outputs.teams[0].parent}")
    if not outputs.missing:
        return EXIT_OK
    print("\nThe site was written, but the published copy lacks:", file=sys.stderr)
    for name, reason in sorted(outputs.missing.items()):
        print(f"  - {name}: {reason}", file=sys.stderr)
    return EXIT_FAILED
