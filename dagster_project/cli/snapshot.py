"""`stature snapshot`: the quarterly maturity snapshots from the shell, as Dagster runs (the
jobs `snapshot` and `maturity_quarterly`), so the UI's history and quarter partitions are
true afterwards.

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
from pathlib import Path

from dagster_project.cli.options import (
    add_rules_dir,
    date_arg,
    holding_warehouse,
    load_cli_config,
    warehouse_of,
)
from dagster_project.dates import today_in

SNAPSHOTS_OP = "scorecards__maturity_snapshots"
QUARTER_OP = "scorecards__maturity_quarter"


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the `snapshot` verb to the `stature` CLI."""
    p = subparsers.add_parser(
        "snapshot",
        parents=[common],
        help="quarterly maturity snapshots: refresh, close, recompute, backfill",
        description=(
            "Without options: close every ended quarter not closed yet (the last "
            "maturity.backfill_quarters) and refresh the open quarter as of the last date "
            "with check results. A closed quarter is only ever rebuilt by --recompute. "
            "Each runs as a Dagster run (job snapshot, or maturity_quarterly for one quarter)."
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
    if args.reason and not args.recompute:
        return _usage("--reason goes with --recompute QUARTER")
    if not warehouse.exists():
        return _usage(f"{warehouse}: warehouse not found; run `stature run` first")
    with holding_warehouse(warehouse, "stature snapshot"):
        try:
            spec = _spec(args, config, warehouse)
        except ValueError as exc:
            return _usage(str(exc))
        return _run(args, config, warehouse, spec)


def _spec(args: argparse.Namespace, config, warehouse: Path):
    """The run to make, once the request is known to be one the asset can do (else
    ValueError with what is wrong: said before any run starts)."""
    from dagster_project.defs.maturity import QUARTERLY_JOB, quarter_labels
    from dagster_project.defs.resources import AS_OF_TAG
    from dagster_project.defs.runner import RunSpec
    from dagster_project.maturity.quarters import parse_quarter
    from dagster_project.maturity.snapshot import latest_results_date

    start_month = config.org.fiscal_year_start_month
    today = today_in(config.org.timezone)
    label = args.recompute or args.quarter
    if label:
        quarter = parse_quarter(label, start_month)
        if quarter.start > today:
            raise ValueError(f"{quarter} has not started yet (today is {today})")
        if args.recompute and not args.reason:
            raise ValueError(f"--recompute {quarter} needs --reason TEXT (kept in the audit)")
        if args.recompute and quarter.end >= today:
            raise ValueError(
                f"{quarter} has not ended yet (it ends {quarter.end}): only ended quarters "
                "are recomputed; the open quarter is refreshed by every run"
            )
        if quarter.label not in quarter_labels(config, today):
            raise ValueError(
                f"{quarter} is before history_start ({config.history_start}): no such partition"
            )
        run_config = {
            "recompute": bool(args.recompute),
            "reason": args.reason,
            "as_of": args.as_of.isoformat() if args.as_of else None,
        }
        return RunSpec(
            QUARTERLY_JOB,
            partition=quarter.label,
            config={QUARTER_OP: {"config": run_config}},
            tags={"stature/quarter": quarter.label},
        )
    as_of = args.as_of or latest_results_date(warehouse)
    if as_of is None:
        raise ValueError("no check results in the warehouse yet: run `stature run` first")
    first = parse_quarter(args.backfill_from, start_month) if args.backfill_from else None
    if first is not None and first.start > as_of:
        raise ValueError(f"--backfill-from {first} starts after {as_of}")
    if not config.history_start <= as_of <= today:
        raise ValueError(f"--as-of {as_of} is outside {config.history_start} .. {today}")
    return RunSpec(
        "snapshot",
        partition=as_of.isoformat(),
        config={SNAPSHOTS_OP: {"config": {"backfill_from": first.label if first else None}}},
        tags={AS_OF_TAG: as_of.isoformat()},
    )


def _run(args: argparse.Namespace, config, warehouse: Path, spec) -> int:
    from dagster_project.cli.runs import run_specs

    outcome = run_specs(args, config, [spec], command="stature snapshot")
    meta = next((m for path, m in outcome.metadata.items() if path[-1].startswith("maturity_")), {})
    if not outcome.success or not meta:
        print("stature snapshot: the run failed:", file=sys.stderr)
        for problem in outcome.problems or ["no snapshot was written"]:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"stature snapshot: {meta.get('summary', 'done')}")
    _print_tables(warehouse)
    if meta.get("rows_written"):
        print("\nRun `stature publish` to update the published copy readers see.")
    errors = meta.get("rule_errors") or []
    if errors:
        print("\nThe snapshot finished, but:", file=sys.stderr)
        for error in errors:
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
