"""The one Dagster resource every asset shares: where the config, warehouse and rules live,
and the as-of date of the run.

It also holds the warehouse for the run (runlock: one run at a time per warehouse, from the
CLI or the UI), tags the run with the warehouse and PID, and marks as failed the runs of
that warehouse that a killed process left STARTED in Dagster's run storage.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from dagster_project.config import StatureConfig, load_config
from dagster_project.dates import today_in
from dagster_project.runlock import run_lock

AS_OF_TAG = "stature/as_of"
WAREHOUSE_TAG = "stature/warehouse"
PID_TAG = "stature/pid"
HOST_TAG = "stature/host"


class StatureResource(dg.ConfigurableResource):
    """Paths and overrides of one Stature run; everything else comes from stature.yml."""

    config_path: str = "stature.yml"
    warehouse: str | None = None
    export_dir: str | None = None
    rules_dir: str | None = None
    save_export_dir: str | None = None
    full_refresh: bool = False

    _held: contextlib.ExitStack | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Hold the warehouse for the run (fails the run at once if another holds it)."""
        warehouse = self.warehouse_path()
        stack = contextlib.ExitStack()
        stack.enter_context(run_lock(warehouse))
        self._held = stack
        run = context.run
        if context.instance is not None and run is not None:
            fail_orphaned_runs(context.instance, warehouse, run.run_id)
            context.instance.add_run_tags(
                run.run_id,
                {
                    WAREHOUSE_TAG: str(warehouse),
                    PID_TAG: str(os.getpid()),
                    HOST_TAG: socket.gethostname(),
                },
            )

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._held is not None:
            self._held.close()
            self._held = None

    def load(self) -> StatureConfig:
        return load_config(self.config_path)

    def warehouse_path(self, config: StatureConfig | None = None) -> Path:
        config = config or self.load()
        return Path(self.warehouse).resolve() if self.warehouse else config.warehouse_path

    def rules_path(self, config: StatureConfig | None = None) -> Path:
        config = config or self.load()
        return Path(self.rules_dir).resolve() if self.rules_dir else config.rules_path

    def export_path(self, config: StatureConfig | None = None) -> Path | None:
        if self.export_dir:
            return Path(self.export_dir).resolve()
        config = config or self.load()
        return config.resolve(config.export_dir) if config.export_dir else None


def run_as_of(
    context: dg.OpExecutionContext | dg.AssetExecutionContext, config: StatureConfig
) -> dt.date:
    """The evaluation date of this run: the daily partition if there is one, else the run's
    `stature/as_of` tag, else today in the org's time zone."""
    if context.has_partition_key:
        key = context.partition_key
        try:
            return dt.date.fromisoformat(key)
        except ValueError:
            pass
    tag = context.run.tags.get(AS_OF_TAG) if context.run else None
    if tag:
        return dt.date.fromisoformat(tag)
    return today_in(config.org.timezone)


def run_dates(
    context: dg.OpExecutionContext | dg.AssetExecutionContext, config: StatureConfig
) -> list[dt.date]:
    """Every date of the run: the days of its partition range (a backfill run covers many),
    else the one date of `run_as_of`."""
    if context.has_partition_key_range:
        keys = context.partition_keys
        try:
            return [dt.date.fromisoformat(key) for key in keys]
        except ValueError:
            pass
    return [run_as_of(context, config)]


def fail_orphaned_runs(instance: dg.DagsterInstance, warehouse: Path, run_id: str) -> list[str]:
    """Mark failed the runs of `warehouse` still STARTED in run storage: the caller holds the
    warehouse lock, so none of them is running; their process was killed."""
    stuck = instance.get_runs(
        filters=dg.RunsFilter(
            statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
            tags={WAREHOUSE_TAG: str(warehouse)},
        )
    )
    failed = []
    for run in stuck:
        if run.run_id == run_id:
            continue
        pid = run.tags.get(PID_TAG, "?")
        instance.report_run_failed(
            run,
            message=(
                f"the process running it (PID {pid}) ended without finishing the run "
                "(killed); marked failed by the next run on this warehouse"
            ),
        )
        failed.append(run.run_id)
    return failed
