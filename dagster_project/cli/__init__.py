"""The `stature` command line: one module per group of verbs, shared options in `options`.

    pipeline.py  run, ingest, publish, summary, sample-org
    rules.py     rules check | test | preview | diff | backfill | regrade
    snapshot.py  snapshot (quarterly maturity)
    report.py    report (HTML report and portal files from the published copy)

Exit status: 0 all well; 1 the run finished but something failed (a source failed, records
were rejected, a model failed, a rule errored: it says what); 2 bad usage or config, or
another run holds the warehouse.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from dagster_project.cli import bench, pipeline, report, rules, snapshot
from dagster_project.cli.options import EXIT_USAGE, UsageError, common_parser
from dagster_project.config import ConfigError
from dagster_project.runlock import LockBusy


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (the verb, the error, where to read more)
    instead of the whole usage text; exit 2. Sub-verbs use the same class."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="stature", description="Stature: engineering standards, DORA and maturity from SQL."
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    common = common_parser()
    for module in (pipeline, rules, snapshot, report, bench):
        module.register(verbs, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("STATURE_LOG_LEVEL", "WARNING"))
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ConfigError, UsageError, FileNotFoundError, LockBusy) as exc:
        print(f"stature: {exc}", file=sys.stderr)
        return EXIT_USAGE


def entry() -> NoReturn:
    """The `stature` command: `main`, then a quick exit.

    A run leaves half a million Python objects behind (dbt's manifest and compiled templates,
    Dagster's definitions). The interpreter's teardown collects and frees them one by one,
    1.5 to 2 s after the last line is printed, for nothing: every file and connection is
    closed by then. So once `main` has returned, the exit does what a normal one does first
    (wait for the threads, run the exit handlers: logging, Dagster, multiprocessing, flush the
    output) and ends the process without the teardown. An exception still takes the normal
    way out, with its traceback."""
    code = main()
    for thread in threading.enumerate():
        if not thread.daemon and thread is not threading.main_thread():
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: `stature run | head`
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
