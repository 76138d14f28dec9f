"""The standards as Dagster assets: one asset per rule file, keyed
`scorecards/<scorecard>/<rule_id>`, partitioned by day (the as_of), depending on the marts it
reads (found with sqlglot), with its owner, level, thresholds and SQL as metadata. A new file
becomes a new asset when the code location reloads; an invalid file still gets an asset (its
entities get `error` rows), so the UI shows it.

The assets are computed together, in one step (`rules`, a subsettable multi-asset): one
sandbox evaluates the selected rules for every date of the run, in parallel and in one query
per rule over the dates, as the rule engine is built to. A run covers one day or a range of
days (single-run backfill policy): a daily backfill of 300 days is one run.

Each rule asset carries two checks, evaluated on what the run stored: `no_errors` (no entity
got `error`: the rule itself failed) and `not_reported_share` (at most
`operations.not_reported_max_share` of the entities it applies to lack a value). A rule that
errors does not fail the step; its check fails, and the run exits 1 naming it. A rule reading
a table whose last dbt build failed is not run (`not_reported`, with the reason).

Config `mode: regrade` re-applies the current headers to the stored values instead
(`stature rules regrade`): no query runs.
"""

# No `from __future__ import annotations` here: Dagster checks the type object of the
# `context` annotation, and a string annotation fails that check.
import re
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import dagster as dg

from dagster_project.config import StatureConfig
from dagster_project.defs.resources import StatureResource, run_dates
from dagster_project.rules.loader import RuleFile, load_rules
from dagster_project.rules.model import STATUSES
from dagster_project.rules.validate import entity_table, tables_read

STEP = "rules"
GROUP = "rules"
NO_ERRORS = "no_errors"
NOT_REPORTED = "not_reported_share"
PROGRESS_EVERY_SECONDS = 0.5
PROGRESS_MARK = "progress:"  # log lines the CLI's progress display reads (defs/runner.py)


def daily_partitions(config: StatureConfig) -> dg.DailyPartitionsDefinition:
    """One partition per day (the as_of) from `history_start` to today, in the org's time
    zone, so any date a user can grade as of is a partition."""
    return dg.DailyPartitionsDefinition(
        start_date=config.history_start.isoformat(),
        end_offset=1,
        timezone=config.org.timezone,
    )


RULES_PARTITIONS = daily_partitions(StatureConfig())  # the default config's


class RulesRunConfig(dg.Config):
    """What the run does to the selected rules for its dates."""

    mode: str = "evaluate"  # evaluate (run the queries) | regrade (re-apply the headers)


def on_latest_day(keys: Iterable[dg.AssetKey]) -> list[dg.AssetDep]:
    """An unpartitioned asset's dependencies on daily assets (the rules, the maturity
    snapshots), mapped to their latest day. Readers take whatever the tables hold; the default
    mapping (every day) makes Dagster list every day since history_start, for each such
    dependency, each time a step that reads them starts: about 0.15 s each, or 16 s a
    nightly with 30 rules."""
    return [dg.AssetDep(key, partition_mapping=dg.LastPartitionMapping()) for key in keys]


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
    if h.unit:
        meta["unit"] = h.unit
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


def _spec(rule: RuleFile) -> dg.AssetSpec:
    h = rule.header
    description = h.title if h else f"Invalid rule file {rule.path.name}: see `stature rules check`"
    if h and h.description:
        description += "\n\n" + h.description
    tags = {"stature/scorecard": rule.scorecard}
    if h and h.level is not None:
        tags["stature/level"] = str(h.level)
    return dg.AssetSpec(
        key=rule_asset_key(rule),
        deps=_deps(rule),
        group_name=GROUP,
        description=description,
        metadata=_definition_metadata(rule),
        owners=_owners(h.owner if h else None),
        kinds={"sql", "duckdb"},
        tags=tags,
        skippable=True,
    )


def _check_specs(key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            NO_ERRORS,
            asset=key,
            description="No entity got `error` in this run's dates: the rule ran and its rows "
            "could be graded (an invalid file, a failing query or a timeout fails it).",
        ),
        dg.AssetCheckSpec(
            NOT_REPORTED,
            asset=key,
            description="At most operations.not_reported_max_share of the entities the rule "
            "applies to are `not_reported` (no row, or a NULL value) in this run's dates.",
        ),
    ]


def build_rule_assets(
    rules_dir: Path, partitions_def: dg.PartitionsDefinition = RULES_PARTITIONS
) -> list[dg.AssetsDefinition]:
    """One multi-asset (`rules`) with one asset per rule file under `rules_dir` (valid or
    not), partitioned by day; [] when there is no rule."""
    rules_dir = Path(rules_dir)
    if not rules_dir.is_dir():
        return []
    rules: dict[dg.AssetKey, RuleFile] = {}
    for rule in load_rules(rules_dir):
        # two invalid files claiming one id: the first stands for both
        rules.setdefault(rule_asset_key(rule), rule)
    if not rules:
        return []

    @dg.multi_asset(
        name=STEP,
        specs=[_spec(rule) for rule in rules.values()],
        check_specs=[spec for key in rules for spec in _check_specs(key)],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        can_subset=True,
        description="Evaluate the standards (rules_sql/) for the run's dates.",
    )
    def _rules(context: dg.AssetExecutionContext, config: RulesRunConfig, stature: StatureResource):
        cfg = stature.load()
        dates = run_dates(context, cfg)
        selected = [rules[key].rule_id for key in rules if key in context.selected_asset_keys]
        if config.mode == "regrade":
            outcomes = _regrade(context, stature, cfg, selected, dates)
        elif config.mode == "evaluate":
            outcomes = _evaluate(context, stature, cfg, selected, dates)
        else:
            raise dg.Failure(f"unknown mode {config.mode!r}: evaluate or regrade")
        counts = _stored_counts(stature.warehouse_path(cfg), selected, dates)
        for key, rule in rules.items():
            if key not in context.selected_asset_keys:
                continue
            meta = outcomes.get(rule.rule_id, {})
            yield dg.MaterializeResult(asset_key=key, metadata=meta)
            yield from _checks(context, key, rule, counts.get(rule.rule_id, Counter()), meta, cfg)

    return [_rules]


def _evaluate(context, stature: StatureResource, cfg: StatureConfig, selected, dates):
    from dagster_project.build_status import unavailable_tables
    from dagster_project.rules.engine import evaluate_dates

    warehouse = stature.warehouse_path(cfg)
    span = f"{dates[0]}" if len(dates) == 1 else f"{dates[0]} .. {dates[-1]} ({len(dates)} days)"
    context.log.info(f"evaluating {len(selected)} rules as of {span}")
    report = evaluate_dates(
        cfg,
        warehouse=warehouse,
        rules_dir=stature.rules_path(cfg),
        dates=dates,
        run_id=context.run.run_id,
        only=selected,
        progress=_progress_logger(context),
        unavailable=unavailable_tables(warehouse),
    )
    for problem in report.problems:
        context.log.warning(str(problem))
    for note in report.notes:  # e.g. dates the catalog history does not reach
        context.log.warning(note)
    out: dict[str, dict[str, object]] = {}
    for rule_id in selected:
        outcome = report.rules.get(rule_id)
        counts = outcome.counts if outcome else Counter()
        meta: dict[str, object] = {status: int(counts.get(status, 0)) for status in STATUSES}
        meta.update(
            {
                "as_of": str(dates[-1]) if len(dates) == 1 else f"{dates[0]}..{dates[-1]}",
                "dates": len(dates),
                "entities": int(sum(counts.values())),
                "errors": len(outcome.errors) if outcome else 0,
                "rule_version": outcome.version if outcome else "",
                "mode": "evaluate",
            }
        )
        if outcome and outcome.errors:
            for message in outcome.errors:
                context.log.error(f"rule {rule_id} failed: {message}")
            meta["error_message"] = dg.MetadataValue.text("\n".join(outcome.errors)[:4000])
        if outcome and outcome.not_fresh:
            context.log.warning(
                f"rule {rule_id} not evaluated: {', '.join(outcome.not_fresh)} not fresh "
                "(its dbt build failed): not_reported"
            )
            meta["not_fresh"] = dg.MetadataValue.json(list(outcome.not_fresh))
        if rule_id in report.drafts:
            meta["draft"] = "draft rules are previewed, not stored"
        out[rule_id] = meta
    context.log.info(f"{report.rows_written} rows written in {report.seconds:.1f} s")
    return out


def _regrade(context, stature: StatureResource, cfg: StatureConfig, selected, dates):
    from dagster_project.rules.regrade import regrade

    context.log.info(f"regrading {len(selected)} rules from {dates[0]} to {dates[-1]}")
    outcomes = regrade(
        warehouse=stature.warehouse_path(cfg),
        rules_dir=stature.rules_path(cfg),
        only=selected,
        start=dates[0],
        end=dates[-1],
        run_id=context.run.run_id,
    )
    out: dict[str, dict[str, object]] = {}
    for outcome in outcomes:
        context.log.info(str(outcome))
        out[outcome.rule_id] = {
            "mode": "regrade",
            "rows_regraded": outcome.rows,
            "changed_status": outcome.changed,
            "skipped": outcome.skipped or "",
        }
    return out


def _progress_logger(context):
    """The engine's progress as log lines, at most every half second (and the last one)."""
    last = [0.0]

    def progress(done: int, total: int, label: str) -> None:
        now = time.monotonic()
        if done == total or now - last[0] >= PROGRESS_EVERY_SECONDS:
            last[0] = now
            context.log.info(f"{PROGRESS_MARK} {done}/{total} evaluations ({label})")

    return progress


def _stored_counts(warehouse: Path, rule_ids, dates) -> dict[str, Counter]:
    """What check_results holds for these rules and dates, by status: what the checks read."""
    from dagster_project.warehouse import connect, table_exists

    out: dict[str, Counter] = {}
    if not rule_ids or not warehouse.exists():
        return out
    with connect(warehouse, read_only=True) as con:
        if not table_exists(con, "scorecards", "check_results"):
            return out
        rows = con.execute(
            "select rule_id, status, count(*) from scorecards.check_results "
            "where rule_id in (select unnest(?::varchar[])) "
            "and as_of in (select unnest(?::date[])) group by all",
            [list(rule_ids), list(dates)],
        ).fetchall()
    for rule_id, status, n in rows:
        out.setdefault(rule_id, Counter())[status] = n
    return out


def _checks(context, key, rule: RuleFile, counts: Counter, meta, cfg: StatureConfig):
    selected = context.selected_asset_check_keys
    if dg.AssetCheckKey(key, NO_ERRORS) in selected:
        errors = counts.get("error", 0)
        check_meta: dict[str, object] = {"error_rows": errors}
        if "error_message" in meta:
            check_meta["error_message"] = meta["error_message"]
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=NO_ERRORS,
            passed=errors == 0,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=check_meta,
            description=None if errors == 0 else f"{errors} entity result(s) are errors",
        )
    if dg.AssetCheckKey(key, NOT_REPORTED) in selected:
        applicable = sum(counts.values()) - counts.get("not_applicable", 0)
        missing = counts.get("not_reported", 0)
        share = missing / applicable if applicable else 0.0
        limit = cfg.operations.not_reported_max_share
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=NOT_REPORTED,
            passed=share <= limit,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "not_reported": missing,
                "applicable": applicable,
                "share": round(share, 4),
                "limit": limit,
            },
        )


__all__ = [
    "GROUP",
    "NOT_REPORTED",
    "NO_ERRORS",
    "PROGRESS_MARK",
    "RULES_PARTITIONS",
    "STEP",
    "build_rule_assets",
    "daily_partitions",
    "rule_asset_key",
]
