"""One Dagster asset per rule file, keyed `scorecards/<scorecard>/<rule_id>`, partitioned by
day (the as_of), depending on the marts it reads (found with sqlglot). A new file becomes a
new asset when the code location reloads; an invalid file still gets an asset that writes
`error` rows, so the UI shows it.

A rule that errors does not fail the step: its entities get `error` rows, the step logs the
message, and the materialization's `errors` metadata carries the count so the run can exit 1.
A rule reading a table whose last dbt build failed (ops.dbt_results) is not run: its entities
get `not_reported` with the reason, and `not_fresh` metadata names the tables.
"""

import re
from pathlib import Path

import dagster as dg

from dagster_project.config import StatureConfig
from dagster_project.defs.resources import StatureResource, run_as_of
from dagster_project.rules.loader import RuleFile, load_rules
from dagster_project.rules.model import STATUSES
from dagster_project.rules.validate import entity_table, tables_read


def daily_partitions(config: StatureConfig) -> dg.DailyPartitionsDefinition:
    """One partition per day (the as_of) from `history_start` to today, in the org's time
    zone, so any date a user can grade as of is a partition."""
    return dg.DailyPartitionsDefinition(
        start_date=config.history_start.isoformat(),
        end_offset=1,
        timezone=config.org.timezone,
    )


RULES_PARTITIONS = daily_partitions(StatureConfig())  # the default config's
GROUP = "rules"


def rule_asset_key(rule: RuleFile) -> dg.AssetKey:
    return dg.AssetKey(["scorecards", rule.scorecard, rule.rule_id])


def _owners(owner: str | None) -> list[str]:
    if not owner:
        return []
    if "@" in owner:
        return [owner]
    return [f"team:{re.sub(r'[^A-Za-z0-9_-]+', '-', owner).strip('-')}"]


def _deps(rule: RuleFile) -> list[dg.AssetKey]:
    tables = list(tables_read(rule))
    entity = entity_table(rule.entity)
    if entity and entity not in tables:
        tables.append(entity)
    return [dg.AssetKey([schema, table]) for schema, table in tables]


def _definition_metadata(rule: RuleFile) -> dict[str, object]:
    h = rule.header
    meta: dict[str, object] = {
        "scorecard": rule.scorecard,
        "rule_id": rule.rule_id,
        "path": dg.MetadataValue.path(str(rule.path)),
        "rule_version": rule.version,
        "sql": dg.MetadataValue.md(f"```sql\n{rule.text}\n```"),
    }
    if h is None:
        meta["invalid"] = "; ".join(str(p) for p in rule.problems)[:2000]
        return meta
    meta.update(
        {
            "title": h.title,
            "owner": h.owner,
            "level": h.level if h.level is not None else "none",
            "entity": h.entity,
            "rollout": h.rollout,
            "thresholds": h.threshold_text or "status from the query",
        }
    )
    if h.applies_to:
        meta["applies_to"] = h.applies_to
    if h.remediation:
        meta["remediation"] = (
            dg.MetadataValue.url(h.remediation)
            if h.remediation.startswith("http")
            else h.remediation
        )
    if rule.problems:
        meta["invalid"] = "; ".join(str(p) for p in rule.problems)[:2000]
    return meta


def _build(
    rule: RuleFile, rules_dir: Path, partitions_def: dg.PartitionsDefinition
) -> dg.AssetsDefinition:
    h = rule.header
    rule_id = rule.rule_id
    description = h.title if h else f"Invalid rule file {rule.path.name}: see `stature rules check`"
    if h and h.description:
        description += "\n\n" + h.description
    tags = {"stature/scorecard": rule.scorecard}
    if h and h.level is not None:
        tags["stature/level"] = str(h.level)

    @dg.asset(
        key=rule_asset_key(rule),
        deps=_deps(rule),
        partitions_def=partitions_def,
        group_name=GROUP,
        description=description,
        metadata=_definition_metadata(rule),
        owners=_owners(h.owner if h else None),
        kinds={"sql", "duckdb"},
        tags=tags,
    )
    def _rule_asset(
        context: dg.AssetExecutionContext, stature: StatureResource
    ) -> dg.MaterializeResult:
        from dagster_project.build_status import unavailable_tables
        from dagster_project.rules.engine import evaluate_rules

        config = stature.load()
        as_of = run_as_of(context, config)
        warehouse = stature.warehouse_path(config)
        context.log.info(f"evaluating rule {rule_id} as of {as_of}")
        report = evaluate_rules(
            config,
            warehouse=warehouse,
            rules_dir=stature.rules_path(config),
            as_of=as_of,
            run_id=context.run.run_id,
            only=[rule_id],
            unavailable=unavailable_tables(warehouse),
        )
        outcome = report.rules.get(rule_id)
        counts = outcome.counts if outcome else {}
        errors = list(outcome.errors) if outcome else []
        for message in errors:
            context.log.error(f"rule {rule_id} failed for {as_of}: {message}")
        not_fresh = list(outcome.not_fresh) if outcome else []
        if not_fresh:
            context.log.warning(
                f"rule {rule_id} not evaluated for {as_of}: {', '.join(not_fresh)} not fresh "
                "(its dbt build failed): not_reported"
            )
        for problem in report.problems:
            context.log.warning(str(problem))
        metadata: dict[str, object] = {status: int(counts.get(status, 0)) for status in STATUSES}
        metadata.update(
            {
                "as_of": str(as_of),
                "entities": int(sum(counts.values())),
                "errors": len(errors),
                "rule_version": outcome.version if outcome else rule.version,
                "rows_written": report.rows_written,
            }
        )
        if errors:
            metadata["error_message"] = dg.MetadataValue.text("\n".join(errors)[:4000])
        if not_fresh:
            metadata["not_fresh"] = dg.MetadataValue.json(not_fresh)
        if rule_id in report.drafts:
            metadata["draft"] = "draft rules are previewed, not stored"
            context.log.info(f"rule {rule_id} is a draft: nothing stored")
        return dg.MaterializeResult(metadata=metadata)

    return _rule_asset


def build_rule_assets(
    rules_dir: Path, partitions_def: dg.PartitionsDefinition = RULES_PARTITIONS
) -> list[dg.AssetsDefinition]:
    """One asset per rule file under `rules_dir` (valid or not), partitioned by day."""
    rules_dir = Path(rules_dir)
    if not rules_dir.is_dir():
        return []
    seen: set[dg.AssetKey] = set()
    assets = []
    for rule in load_rules(rules_dir):
        key = rule_asset_key(rule)
        if key in seen:  # two invalid files claiming one id: the first stands for both
            continue
        seen.add(key)
        assets.append(_build(rule, rules_dir, partitions_def))
    return assets
