"""The change notices as a Dagster asset, after publish (see dagster_project/notices.py).

published/notices   one notice per owner team of what changed since the evaluation day
                    before, as Markdown and JSON in <published>/notices/, POSTed to the
                    webhook named by operations.notices_webhook_env when it is set
"""

# No `from __future__ import annotations` here: Dagster checks the type object of the
# `context` annotation, and a string annotation fails that check.
import os

import dagster as dg

from dagster_project.defs.resources import StatureResource

PUBLISHED = dg.AssetKey(["published", "stature"])
NOTICES = dg.AssetKey(["published", "notices"])


def build_notices_asset() -> dg.AssetsDefinition:
    @dg.asset(
        key=NOTICES,
        deps=[PUBLISHED],
        group_name="publish",
        kinds={"json", "markdown"},
        description=(
            "A notice per owner team (and one for the org) of what changed since the "
            "evaluation day before: new failures, recoveries, level changes, exemptions "
            "expiring within 14 days, initiatives at risk. Written as notices/<team>.md and "
            ".json (index.json lists them) in the published folder, from the published copy; "
            "a team with nothing new gets 'no changes'. POSTed as Slack-compatible JSON to "
            "the webhook in the environment variable operations.notices_webhook_env names."
        ),
    )
    def notices(context: dg.AssetExecutionContext, stature: StatureResource):
        from dagster_project.notices import build_notices, post_notices, write_notices
        from dagster_project.report.data import published_database

        config = stature.load()
        built = build_notices(
            published_database(config.published_path),
            stature.rules_path(config),
            warn_blocks=config.maturity.warn_blocks,
            top_level=len(config.ladder_names),
        )
        files = write_notices(built, config.published_path)
        url = os.environ.get(config.operations.notices_webhook_env)
        problems = post_notices(built, url) if url else []
        for problem in problems:
            context.log.error(problem)
        posted = sum(1 for n in built if n.has_news) - len(problems) if url else 0
        return dg.MaterializeResult(
            metadata={
                "folder": dg.MetadataValue.path(str(files[-1].parent)),
                "teams": len(built),
                "changed": dg.MetadataValue.json(sorted(n.team_id for n in built if n.changed)),
                "posted": posted,
                "webhook_problems": dg.MetadataValue.json(problems),
            }
        )

    return notices
