"""Ingestion assets: one multi-asset per source system, one asset per raw table.

Keys are `raw_<source>/<table>`, the same as the dbt sources, so dagster-dbt links the models
downstream. In export mode (an export directory is set) the files are read; otherwise a
configured source is pulled from its API, and an unconfigured one lands empty tables so the
models always resolve. Rejected records never fail the step: they are counted in the
materialization metadata (`rejected`) and the run reports them.
"""

# No `from __future__ import annotations` here: Dagster checks the type object of the
# `context` annotation, and a string annotation fails that check.
import time
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext

from dagster_project.defs.resources import StatureResource
from ingestion import SourceReport, ingest_source, land_empty
from ingestion.registry import SOURCES, tables_of

GROUP = "ingestion"
PROGRESS_EVERY_SECONDS = 10.0


def _known_repos(stature: StatureResource) -> list[str]:
    github = stature.load().sources.github
    return list(github.repos) if github else []


def _ingest(context: AssetExecutionContext, stature: StatureResource, source: str) -> SourceReport:
    config = stature.load()
    warehouse = stature.warehouse_path(config)
    export_dir = stature.export_path(config)
    last_report: dict[str, float] = {}

    def progress(src: str, table: str, n: int) -> None:
        # Long pulls say how far they are, at most every 10 s per table.
        now = time.monotonic()
        if now - last_report.get(table, 0.0) >= PROGRESS_EVERY_SECONDS:
            last_report[table] = now
            context.log.info(f"{src}.{table}: {n} records so far")

    if export_dir is not None:
        context.log.info(f"{source}: reading export directory {export_dir}")
        return ingest_source(
            source,
            export_dir,
            warehouse,
            known_repos=_known_repos(stature),
            progress=progress,
            full_refresh=stature.full_refresh,
        )
    if getattr(config.sources, source, None) is not None:
        from ingestion import ApiSettings, pull_source  # API mode: imported only when used

        save = Path(stature.save_export_dir).resolve() if stature.save_export_dir else None
        return pull_source(
            source,
            config,
            warehouse,
            progress=progress,
            save_export=save,
            settings=ApiSettings(full_refresh=stature.full_refresh),
        )
    context.log.info(f"{source}: no export directory and not configured: empty tables only")
    return land_empty(source, warehouse, progress=progress)


def _build(source: str) -> dg.AssetsDefinition:
    specs = [
        dg.AssetSpec(
            key=dg.AssetKey([table.schema, table.name]),
            description=table.description,
            group_name=GROUP,
            kinds={"dlt", "duckdb"},
            metadata={"natural_key": ", ".join(table.primary_key)},
            skippable=False,
        )
        for table in tables_of(source)
    ]

    @dg.multi_asset(
        name=f"ingest_{source}",
        specs=specs,
        description=f"Land {source} records in raw_{source} (export files or API).",
    )
    def _asset(context: AssetExecutionContext, stature: StatureResource):
        report = _ingest(context, stature, source)
        for rejected in report.rejected:
            key = f" [{rejected.record_key}]" if rejected.record_key else ""
            context.log.warning(f"rejected {rejected.file}{key}: {rejected.reason}")
        if report.error:
            context.log.error(f"{source} failed: {report.error}")
        for table in tables_of(source):
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey([table.schema, table.name]),
                metadata={
                    "rows_loaded": dg.MetadataValue.int(report.rows.get(table.name, 0)),
                    "rejected": dg.MetadataValue.int(len(report.rejected)),
                    "skipped": dg.MetadataValue.json(report.skipped),
                    "failed": dg.MetadataValue.text(report.error or ""),
                    "seconds": dg.MetadataValue.float(round(report.seconds, 2)),
                },
            )

    return _asset


def build_ingestion_assets() -> list[dg.AssetsDefinition]:
    return [_build(source) for source in SOURCES]
