"""The reporting stage as Dagster assets.

reporting/views   the `reporting` views in the warehouse, after every stage that writes it
                  and before publish (which copies them)
published/report  the HTML report and the portal files, from the published copy, after
                  publish
"""

# No `from __future__ import annotations` here: Dagster checks the `context` annotation
# against the class itself, and a string annotation is refused.
from collections.abc import Iterable

import dagster as dg

from dagster_project.defs.resources import StatureResource
from dagster_project.report.outputs import write_outputs
from dagster_project.report.views import create_reporting_views
from dagster_project.warehouse import connect

REPORTING_VIEWS = dg.AssetKey(["reporting", "views"])
PUBLISHED = dg.AssetKey(["published", "stature"])
REPORT = dg.AssetKey(["published", "report"])
STRATEGY_MAP = dg.AssetKey(["published", "strategy_map"])  # drawn after publish, read by the report


def build_report_assets(upstream: Iterable[dg.AssetKey] = ()) -> list[dg.AssetsDefinition]:
    """[reporting/views, published/report]. `upstream`: the keys of every asset that writes
    the warehouse (the same list publish depends on); publish must also depend on
    reporting/views."""
    upstream = [k for k in upstream if k not in (REPORTING_VIEWS, PUBLISHED, REPORT, STRATEGY_MAP)]

    @dg.asset(
        key=REPORTING_VIEWS,
        deps=upstream,
        group_name="reporting",
        kinds={"duckdb"},
        description=(
            "The stable `reporting` views leaders, the notebook and BI tools read (DORA trends, "
            "scorecard pass rates, maturity distribution and movements, balanced scorecard, "
            "latest standards and maturity per service), plus reporting.rule_catalog. A view "
            "whose tables are missing is skipped with the reason."
        ),
    )
    def reporting_views(context: dg.AssetExecutionContext, stature: StatureResource):
        config = stature.load()
        with connect(stature.warehouse_path(config)) as con:
            outcome = create_reporting_views(
                con, config, rules_dir=stature.rules_path(config), logger=context.log
            )
        return dg.MaterializeResult(
            metadata={
                "created": dg.MetadataValue.json(outcome.created),
                "skipped": dg.MetadataValue.json(outcome.skipped),
                "rule_catalog_rows": outcome.rule_catalog_rows,
            }
        )

    @dg.asset(
        key=REPORT,
        deps=[PUBLISHED, STRATEGY_MAP],
        group_name="publish",
        kinds={"html", "json"},
        description=(
            "The static HTML report (report/index.html, self-contained), services/<name>.json and "
            "teams/<name>.md (index.json maps ids to names) under the published folder, written "
            "from the published copy."
        ),
    )
    def report(context: dg.AssetExecutionContext, stature: StatureResource):
        outputs = write_outputs(stature.load())
        for section in outputs.unavailable:
            context.log.warning(f"report section {section} is not available")
        return dg.MaterializeResult(
            metadata={
                "report": dg.MetadataValue.path(str(outputs.report)),
                "services": len(outputs.services),
                "teams": len(outputs.teams),
                "sections": dg.MetadataValue.json(outputs.sections),
                "missing": dg.MetadataValue.json(outputs.missing),
            }
        )

    return [reporting_views, report]
