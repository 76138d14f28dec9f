"""The publish asset: the last step of every run (see dagster_project/publish.py)."""

# No `from __future__ import annotations` here: Dagster checks the type object of the
# `context` annotation, and a string annotation fails that check.
from collections.abc import Sequence

import dagster as dg
from dagster import AssetExecutionContext

from dagster_project.defs.resources import StatureResource
from dagster_project.publish import publish


def build_publish_asset(
    upstream: Sequence[dg.AssetDep], freshness_policy: dg.FreshnessPolicy | None = None
) -> dg.AssetsDefinition:
    """`published/stature`, reading exactly what it copies: the marts, scorecards and
    reporting tables (`upstream`), not the raw landings or dbt's internals."""

    @dg.asset(
        key=dg.AssetKey(["published", "stature"]),
        deps=list(upstream),
        freshness_policy=freshness_policy,
        group_name="publish",
        kinds={"duckdb", "parquet"},
        description=(
            "A read-only copy of the marts, scorecards and reporting views (DuckDB file and "
            "Parquet), swapped in atomically: what notebooks and BI tools read."
        ),
    )
    def published(context: AssetExecutionContext, stature: StatureResource):
        config = stature.load()
        context.log.info(f"publishing to {config.published_path}")
        report = publish(
            stature.warehouse_path(config), config.published_path, run_id=context.run.run_id
        )
        context.log.info(f"published {len(report.tables)} tables to {report.database}")
        return dg.MaterializeResult(
            metadata={
                "database": dg.MetadataValue.path(str(report.database)),
                "parquet": dg.MetadataValue.path(str(report.parquet_dir)),
                "tables": dg.MetadataValue.json(report.tables),
                "views": dg.MetadataValue.json(report.views),
            }
        )

    return published
