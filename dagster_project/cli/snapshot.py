"""`stature snapshot`: the quarterly maturity snapshots from the shell.

    stature snapshot                           close ended quarters not closed yet, refresh the open one
    stature snapshot --quarter 2026-Q1         build one quarter (a closed one is left as it is)
    stature snapshot --recompute 2026-Q1 --reason "..."   rebuild a closed quarter, with an audit row
    stature snapshot --backfill-from 2024-Q4   close every ended quarter from 2024-Q4 on

Exit status: 0 all well, 1 done but a rule errored while evaluating a quarter's last day,
2 bad usage, config or request (a quarter that has not ended, no warehouse).
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path

from dagster_project.cli.options import (
    add_rules_dir,
    date_arg,
    holding_warehouse,
    load_cli_config,
    rules_dir_of,
    warehouse_of,
)
from dagster_project.dates import today_in


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the `snapshot` verb to the `stature` CLI."""
    p = subparsers.add_parser(
        "snapshot",
        parents=[common],
        help="quarterly maturity snapshots: refresh, close, recompute, backfill",
        description=(
            "Without options: close every ended quarter not closed yet (the last "
            "maturity.backfill_quarters) and refresh the open quarter as of the last date "
            "with check results. A closed quarter is only ever rebuilt by --recompute."
        ),
    )
    what = p.add_mutually_exclusive_group()
    what.add_argument("--quarter", metavar="QUARTER", help="build one fiscal quarter (2026-Q1)")
    what.add_argument(
        "--recompute",
        metavar="QUARTER",
        help="rebuild an ended quarter with the current rules (needs --reason)",
    )
    what.add_argument(
        "--backfill-from",
        metavar="QUARTER",
        help="close every ended quarter from QUARTER on (rules evaluated as of quarter ends)",
    )
    p.add_argument("--reason", help="why a closed quarter is recomputed (kept in the audit table)")
    p.add_argument(
        "--as-of",
        type=date_arg,
        metavar="DATE",
        help="the open quarter's date (default: the last date with check results)",
    )
    add_rules_dir(p)
    p.set_defaults(func=cmd_snapshot)


def cmd_snapshot(args: argparse.Namespace) -> int:
    config = load_cli_config(args)
    warehouse = warehouse_of(args, config)
    rules_dir = rules_dir_of(args, config)
    if args.reason and not args.recompute:
        return _usage("--reason goes with --recompute QUARTER")
    if not warehouse.exists():
        return _usage(f"{warehouse}: warehouse not found; run `stature run` first")
    with holding_warehouse(warehouse, "stature snapshot"):
        return _snapshot(args, config, warehouse, rules_dir)


def _snapshot(args: argparse.Namespace, config, warehouse: Path, rules_dir: Path) -> int:
    from dagster_project.maturity.snapshot import SnapshotError, Snapshots, latest_results_date

    snapshots = Snapshots(config, warehouse, rules_dir, run_id=f"snapshot-{uuid.uuid4()}")
    today = today_in(config.org.timezone)
    try:
        if args.recompute:
            quarter = snapshots.quarter(args.recompute)
            if not args.reason:
                return _usage(f"--recompute {quarter} needs --reason TEXT (kept in the audit)")
            report = snapshots.recompute(quarter, reason=args.reason, today=today)
        elif args.quarter:
            report = snapshots.build(snapshots.quarter(args.quarter), today=today, as_of=args.as_of)
        else:
            as_of = args.as_of or latest_results_date(warehouse)
            if as_of is None:
                return _usage("no check results in the warehouse yet: run `stature run` first")
            first = snapshots.quarter(args.backfill_from) if args.backfill_from else None
            if first is not None and first.start > as_of:
                return _usage(f"--backfill-from {first} starts after {as_of}")
            report = snapshots.sync(as_of, backfill_from=first, reason="closed by stature snapshot")
    except (SnapshotError, ValueError) as exc:
        return _usage(str(exc))
    print(f"stature snapshot: {report.summary()}")
    _print_tables(warehouse)
    if report.rows_written:
        print("\nRun `stature publish` to update the published copy readers see.")
    if report.rule_errors:
        print("\nThe snapshot finished, but:", file=sys.stderr)
        for error in report.rule_errors:
            print(f"  - rule failed: {error}", file=sys.stderr)
        return 1
    return 0


def _print_tables(warehouse: Path) -> None:
    from dagster_project.summary import maturity_summary
    from dagster_project.warehouse import connect

    with connect(warehouse, read_only=True) as con:
        print()
        print(maturity_summary(con))


def _usage(message: str) -> int:
    print(f"stature snapshot: {message}", file=sys.stderr)
    return 2
