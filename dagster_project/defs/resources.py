"""The one Dagster resource every asset shares: where the config, warehouse and rules live,
and the as-of date of the run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg

from dagster_project.config import StatureConfig, load_config
from dagster_project.dates import today_in

AS_OF_TAG = "stature/as_of"


class StatureResource(dg.ConfigurableResource):
    """Paths and overrides of one Stature run; everything else comes from stature.yml."""

    config_path: str = "stature.yml"
    warehouse: str | None = None
    export_dir: str | None = None
    rules_dir: str | None = None
    save_export_dir: str | None = None
    full_refresh: bool = False

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
