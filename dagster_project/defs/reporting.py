"""The site as a Dagster asset.

published/report  the static site (report/index.html and a page per team, service and
                  standard) and the portal files, from the published copy, after publish

The `reporting` views it reads are dbt models (group dbt_reporting, see defs/dbt.py).
"""

# No `from __future__ import annotations` here: Dagster checks the `context` annotation
# against the class itself, and a string annotation is refused.
from pathlib import Path

import dagster as dg

from dagster_project.defs.resources import StatureResource
from dagster_project.report.outputs import write_outputs

PUBLISHED = dg.AssetKey(["published", "stature"])
REPORT = dg.AssetKey(["published", "report"])
REPORT_OP = "published__report"  # the op of the REPORT asset, for run config
STRATEGY_MAP = dg.AssetKey(["published", "strategy_map"])  # drawn after publish, beside the site


class ReportRunConfig(dg.Config):
    """`stature report --out DIR`: write the site and portal files under DIR instead of the
    published folder (they are still read from the published copy)."""

    out_dir: str | None = None


def build_report_asset() -> dg.AssetsDefinition:
    @dg.asset(
        key=REPORT,
        deps=[PUBLISHED, STRATEGY_MAP],
        group_name="publish",
        kinds={"html", "json"},
        description=(
            "The static site under report/ (index.html, services.html, standards.html, "
            "scorecard.html and a page per team, service and standard; opens offline), "
            "services/<name>.json and teams/<name>.md (index.json maps ids to names), written "
            "from the published copy."
        ),
    )
    def report(
        context: dg.AssetExecutionContext, stature: StatureResource, config: ReportRunConfig
    ):
        out_dir = Path(config.out_dir) if config.out_dir else None
        outputs = write_outputs(stature.load(), out_dir=out_dir)
        for name, reason in sorted(outputs.missing.items()):
            context.log.warning(f"the published copy lacks {name}: {reason}")
        return dg.MaterializeResult(
            metadata={
                "report": dg.MetadataValue.path(str(outputs.report)),
                "site": dg.MetadataValue.path(str(outputs.site)),
                "portal_files": dg.MetadataValue.json(
                    {
                        "services": str(outputs.services[0].parent) if outputs.services else None,
                        "teams": str(outputs.teams[0].parent) if outputs.teams else None,
                    }
                ),
                "pages": dg.MetadataValue.json({k: len(v) for k, v in outputs.pages.items()}),
                "services": len(outputs.services),
                "teams": len(outputs.teams),
                "missing": dg.MetadataValue.json(outputs.missing),
            }
        )

    return report
