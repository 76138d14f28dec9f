"""`stature bench`: time the nightly at given org sizes (a full build and a one-day
increment, stage by stage) beside a bare DuckDB query over the same files; prints one table."""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

from dagster_project.cli.options import EXIT_OK, UsageError
from dagster_project.config import ENGINES


def register(verbs: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    bench = verbs.add_parser(
        "bench",
        help="time the nightly on generated orgs (full build and one-day increment)",
        description="Generate the sample org at each size, run the nightly on it twice (a "
        "full build, then the next day's increment) and print one table of seconds per "
        "stage, peak memory, and a bare DuckDB query over the same files; with --engine duckdb "
        "spark, each size on both engines side by side. Takes minutes "
        "(about half an hour with the 2,000-service org on 2 cores).",
    )
    bench.add_argument(
        "--services",
        type=int,
        nargs="+",
        default=[200, 2000],
        metavar="N",
        help="org sizes in services (default: 200 2000; at least 12)",
    )
    bench.add_argument("--days", type=int, default=365, help="days of history (default 365)")
    bench.add_argument(
        "--workdir",
        default="data/bench",
        metavar="DIR",
        help="where the orgs, warehouses and the log go (default data/bench)",
    )
    bench.add_argument(
        "--engine",
        nargs="+",
        choices=ENGINES,
        default=["duckdb"],
        metavar="ENGINE",
        help="the engines that build the models: duckdb, spark or both, each size run on each "
        "in its own folder (default duckdb; spark needs make setup-spark)",
    )
    bench.add_argument("--keep", action="store_true", help="keep the generated orgs afterwards")
    bench.add_argument("--out", metavar="FILE", help="also write the table to FILE")
    bench.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from dagster_project.bench import run_bench

    if "spark" in args.engine and importlib.util.find_spec("pyspark") is None:
        raise UsageError("--engine spark needs pyspark and dbt-spark: run make setup-spark")
    text = run_bench(
        args.services,
        args.days,
        Path(args.workdir).resolve(),
        keep=args.keep,
        engines=args.engine,
    )
    if args.out:
        Path(args.out).write_text(text + "\n")
    return EXIT_OK
