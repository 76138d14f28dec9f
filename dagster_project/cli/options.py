"""What every `stature` verb shares: the common options, dates, exit codes, and which value
wins for a path (a flag beats stature.yml, which beats the built-in default)."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path

from dagster_project.config import StatureConfig, load_config
from dagster_project.dates import parse_date

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad usage or a request that cannot be met: one line on stderr, exit 2."""


def date_arg(text: str) -> dt.date:
    """argparse `type=` for dates: a clear one-line error instead of a traceback."""
    try:
        return parse_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_common_options(parser: argparse.ArgumentParser, *, suppress_defaults: bool = False) -> None:
    """--config, --warehouse and -v. With `suppress_defaults` the options set nothing unless
    given, so a sub-verb can accept them again after its name (`stature rules check
    --warehouse X`) without overwriting a value given before it (`stature rules --warehouse X
    check`)."""
    default: dict = {"default": argparse.SUPPRESS} if suppress_defaults else {}
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="stature.yml (default: $STATURE_CONFIG or ./stature.yml)",
        **default,
    )
    parser.add_argument(
        "--warehouse",
        metavar="FILE",
        help="warehouse DuckDB file (default: $STATURE_WAREHOUSE, else from the config)",
        **default,
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="show Dagster's step logs", **default
    )


def common_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    add_common_options(common)
    return common


def add_rules_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules-dir",
        metavar="DIR",
        help="standards folder (default: rules.dir in the config, rules_sql/)",
    )


def add_export_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--export-dir", metavar="DIR", help="read every source found in DIR (export mode)"
    )


def add_as_of(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--as-of", type=date_arg, metavar="DATE", help=help_text)


def load_cli_config(args: argparse.Namespace) -> StatureConfig:
    return load_config(getattr(args, "config", None))


def warehouse_of(args: argparse.Namespace, config: StatureConfig) -> Path:
    given = getattr(args, "warehouse", None)
    return Path(given).resolve() if given else config.warehouse_path


def rules_dir_of(args: argparse.Namespace, config: StatureConfig) -> Path:
    given = getattr(args, "rules_dir", None)
    return Path(given).resolve() if given else config.rules_path


def export_dir_of(args: argparse.Namespace, config: StatureConfig) -> Path | None:
    given = getattr(args, "export_dir", None)
    if given:
        return Path(given).resolve()
    return config.resolve(config.export_dir) if config.export_dir else None


@contextlib.contextmanager
def holding_warehouse(path: Path, command: str) -> Iterator[None]:
    """One run at a time per warehouse: hold its lock for the block, or raise LockBusy
    (exit 2, naming the run that holds it). A lock left by a killed run is taken over, with
    a note."""
    from dagster_project.runlock import run_lock

    with run_lock(path, command) as lock:
        if lock.stale is not None:
            print(
                f"stature: note: the last run on {path} ({lock.stale.describe()}) did not finish "
                "(killed); its lock was cleared",
                file=sys.stderr,
            )
        yield
