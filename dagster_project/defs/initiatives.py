"""The initiatives stage as a Dagster asset: after the rules, before the reporting models.

scorecards/initiatives   read and validate rules_sql/initiatives/*.yml and land the valid
                         ones (scorecards.initiatives, initiative_rules, initiative_scope);
                         the progress and the projection are dbt models after it
"""

# No `from __future__ import annotations` here: Dagster checks the type object of the
# `context` annotation, and a string annotation fails that check.
from pathlib import Path

import dagster as dg

from dagster_project.defs.resources import StatureResource, run_as_of
from dagster_project.defs.rules import on_latest_day, rule_asset_key
from dagster_project.rules.loader import load_rules

GROUP = "initiatives"
INITIATIVES_KEY = dg.AssetKey(["scorecards", "initiatives"])


def build_initiatives_asset(rules_dir: Path) -> dg.AssetsDefinition:
    rules = load_rules(Path(rules_dir)) if Path(rules_dir).is_dir() else []
    rule_keys = list(dict.fromkeys(rule_asset_key(r) for r in rules))
    marts = [dg.AssetKey(["marts", t]) for t in ("dim_services", "dim_teams")]

    @dg.asset(
        key=INITIATIVES_KEY,
        deps=[*on_latest_day(rule_keys), *marts],
        group_name=GROUP,
        kinds={"duckdb"},
        description=(
            "The initiatives of rules_sql/initiatives/ (one YAML file each: title, owner, the "
            "rules or scorecard level asked for, applies_to, start, deadline, target), "
            "validated and landed as scorecards.initiatives, initiative_rules and "
            "initiative_scope (the covered entities). An invalid file is logged and left out. "
            "The dbt models scorecards.initiative_progress and initiative_status follow."
        ),
    )
    def initiatives(
        context: dg.AssetExecutionContext, stature: StatureResource
    ) -> dg.MaterializeResult:
        from dagster_project.rules.initiatives import land_initiatives

        config = stature.load()
        rules_path = stature.rules_path(config)
        report = land_initiatives(
            stature.warehouse_path(config),
            rules_path,
            load_rules(rules_path),
            run_as_of(context, config),
        )
        for problem in report.problems:
            context.log.error(f"initiative left out: {problem}")
        return dg.MaterializeResult(
            metadata={
                "initiatives": dg.MetadataValue.json(report.landed),
                "covered": dg.MetadataValue.json(report.covered),
                # read by the CLI's summary: a file left out makes the run exit 1
                "initiative_problems": dg.MetadataValue.json([str(p) for p in report.problems]),
            }
        )

    return initiatives
