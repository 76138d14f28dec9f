"""The report as a Dagster asset.

published/report  the HTML report and the portal files, from the published copy, after
                  publish

The `reporting` views it reads are dbt models (group dbt_reporting, see defs/dbt.py).
"""

# No `from __future__ import annotations` here: Dagster checks the `context` annotation
# against the class itself, and a string annotation is refused.
import dagster as dg

from dagster_project.defs.resources import StatureResource
from dagster_project.report.outputs import write_outputs

PUBLISHED = dg.AssetKey(["published", "stature"])
REPORT = dg.AssetKey(["published", "report"])
STRATEGY_MAP = dg.AssetKey(["published", "strategy_map"])  # drawn after publish, read by the report


def build_report_asset() -> dg.AssetsDefinition:
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

    return report
