"""How a CLI verb runs Dagster jobs: the options every run takes (resolved once), Dagster's
step logs to a file unless `-v`, progress on the terminal (rich: a bar with rate and time
left; plain ordered lines when the output is not a terminal), and the problems at the end.

A verb that writes holds the warehouse's run lock before it prints anything
(`options.holding_warehouse`: a second run exits 2 at once, saying nothing else) and for all
its runs; the runs take it again without a gap (defs/runner.py), so nothing slips in between
a backfill's runs and the publish after them.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from dagster_project.cli.options import EXIT_OK, warehouse_of
from dagster_project.dbt_child import PARENT_ENV

if TYPE_CHECKING:
    from dagster_project.config import StatureConfig
    from dagster_project.defs.runner import RunOutcome, RunSpec

PLAIN_EVERY_SECONDS = 2.0  # a plain progress line at most this often (and the last one)


def options_for(args: argparse.Namespace, config: StatureConfig, command: str):
    """The run's options: paths resolved once here (a flag, else $STATURE_WAREHOUSE, else the
    config), so the run and what the CLI reads afterwards use the same files."""
    from dagster_project.defs.runner import JobOptions

    def resolved(name: str) -> str | None:
        value = getattr(args, name, None)
        return str(Path(value).resolve()) if value else None

    return JobOptions(
        config_path=getattr(args, "config", None),
        warehouse=str(warehouse_of(args, config)),
        export_dir=resolved("export_dir"),
        rules_dir=resolved("rules_dir"),
        save_export_dir=resolved("save_export"),
        full_refresh=bool(getattr(args, "full_refresh", False)),
        verbose=bool(getattr(args, "verbose", False)),
        command=command,
    )


def run_specs(
    args: argparse.Namespace,
    config: StatureConfig,
    specs: Sequence[RunSpec],
    *,
    command: str,
    as_of: dt.date | None = None,
    unit: str = "",
) -> RunOutcome:
    """Run `specs` through Dagster under one hold of the warehouse; with `unit`, a progress
    display counts them (evaluations, ...). Step logs go to a file unless --verbose."""
    from dagster_project.defs.runner import execute_runs

    # Every process the run starts carries its PID (dbt checks it is still its parent; an
    # operator can find what a killed run left with it).
    os.environ[PARENT_ENV] = str(os.getpid())
    options = options_for(args, config, command)
    with _terminal() as terminal, ProgressDisplay(terminal, unit) as display:

        def note(text: str) -> None:
            print(f"stature: note: {text}", file=sys.stderr, flush=True)

        def go() -> RunOutcome:
            return execute_runs(
                specs,
                options,
                as_of=as_of,
                progress=display.update if unit else None,
                on_note=note,
            )

        if options.verbose:
            return go()
        log_path = _log_path(args, config)
        print(f"  (step logs: {log_path})", flush=True)
        with _output_to(log_path):
            return go()


@contextlib.contextmanager
def _terminal() -> Iterator[IO[str]]:
    """Where progress goes: a copy of stdout's file descriptor, taken before the step logs are
    sent to a file; stdout itself when it has no descriptor (a test capturing it)."""
    try:
        fd = os.dup(sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        yield sys.stdout
        return
    sys.stdout.flush()
    with os.fdopen(fd, "w", buffering=1) as stream:
        yield stream


def _log_path(args: argparse.Namespace, config: StatureConfig) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = warehouse_of(args, config).parent / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    verb = "-".join(v for v in (args.verb, getattr(args, "rules_verb", None)) if v)
    return folder / f"stature-{verb}-{stamp}.log"


@contextlib.contextmanager
def _output_to(path: Path) -> Iterator[None]:
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


class ProgressDisplay:
    """Progress of a verb's runs: a rich bar on a terminal; elsewhere (CI logs, tests) ordered
    plain lines, `[done/total] pct label  rate, elapsed, ~left`, at most every two seconds
    and the last one. Writes to `stream` (the terminal, even while step logs go to a file)."""

    def __init__(self, stream: IO[str], unit: str):
        self.unit = unit or "steps"
        self.console = Console(file=stream, highlight=False)
        self.started = time.monotonic()
        self.last_line = 0.0
        self.last_done = -1
        self.bar: Progress | None = None
        self.task = None

    def __enter__(self) -> ProgressDisplay:
        if self.console.is_terminal:
            self.bar = Progress(
                TextColumn("  {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=self.console,
            )
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def update(self, done: int, total: int, label: str) -> None:
        if total <= 0 or done < self.last_done:
            return  # never backwards
        self.last_done = done
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        rate_text = f"{rate:,.1f} {self.unit}/s"
        if self.bar is not None:
            if self.task is None:
                self.task = self.bar.add_task(label, total=total, rate=rate_text)
            self.bar.update(self.task, completed=done, description=label, rate=rate_text)
            return
        now = time.monotonic()
        if done < total and now - self.last_line < PLAIN_EVERY_SECONDS:
            return
        self.last_line = now
        left = (total - done) / rate if rate > 0 else float("nan")
        width = len(str(total))
        self.console.print(
            f"  [{done:>{width}}/{total}] {100 * done / total:3.0f}% {label}  "
            f"{rate_text}, {elapsed:.1f} s elapsed, ~{left:.0f} s left",
            soft_wrap=True,
        )


def print_problems(problems: Sequence[str], warnings: Sequence[str] = ()) -> int:
    """The run's warnings and problems on stderr (problems: exit 1), or "All well." (exit 0)."""
    if warnings:
        print("\nWarnings (the run still counts as well):", file=sys.stderr)
        for line in warnings:
            print(f"  - {line}", file=sys.stderr)
    if problems:
        print("\nThe run finished, but:", file=sys.stderr)
        for line in problems:
            print(f"  - {line}", file=sys.stderr)
        return 1
    print("\nAll well.")
    return EXIT_OK
