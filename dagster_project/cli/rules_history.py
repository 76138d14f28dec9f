"""`stature rules backfill | regrade | apply`: the verbs that write rule history, each as runs
of the Dagster job `rules` (a day, or a range of days, per run), so the UI's partitions tell
the truth afterwards.

    backfill  evaluate rules for a range of dates (--to included, every quarter end inside)
    regrade   re-apply changed headers to the stored values (no query runs); lists the changes
    apply     evaluate rules over the dates the warehouse keeps, then snapshot, rebuild the
              reporting views and publish, as the nightly does: a changed standard in one verb
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dagster_project.cli.options import UsageError, date_arg, holding_warehouse
from dagster_project.cli.runs import print_problems, run_specs
from dagster_project.dates import today_in
from dagster_project.terminal import print_table

if TYPE_CHECKING:
    from dagster_project.config import StatureConfig
    from dagster_project.defs.runner import RunOutcome, RunSpec
    from dagster_project.rules.loader import RuleFile

RULES_OP = "rules"


def register(verbs: argparse._SubParsersAction, shared: argparse.ArgumentParser, guard) -> None:
    p = verbs.add_parser(
        "backfill",
        parents=[shared],
        help="evaluate and store rules for a range of dates (Dagster runs)",
        description="Evaluate and store rules for every date from --from to --to (both "
        "included; with --every week or month, also every fiscal quarter's last day in the "
        "range). A daily backfill is one Dagster run; a weekly one, one run per date.",
    )
    p.add_argument("--from", dest="start", type=date_arg, required=True)
    p.add_argument("--to", dest="end", type=date_arg, required=True)
    p.add_argument("--every", choices=("day", "week", "month"), default="day")
    p.add_argument("rules", nargs="*", metavar="RULE", help="only these rules (default: all)")
    p.set_defaults(func=guard(cmd_backfill))

    p = verbs.add_parser(
        "regrade",
        parents=[shared],
        help="re-apply changed thresholds to stored values and list what changed",
    )
    p.add_argument("rules", nargs="*", metavar="RULE")
    p.add_argument("--from", dest="start", type=date_arg, default=None)
    p.add_argument("--to", dest="end", type=date_arg, default=None)
    p.add_argument("--limit", type=int, default=50, help="changes listed (default 50)")
    p.set_defaults(func=guard(cmd_regrade))

    p = verbs.add_parser(
        "apply",
        parents=[shared],
        help="evaluate changed rules over the kept history, snapshot and publish",
        description="Evaluate RULE(s) for every date the warehouse keeps results for (the "
        "nightly dates and the quarter ends), refresh the open quarter's maturity snapshot, "
        "the rule catalog and the reporting views, and publish: what the next nightly would "
        "show for them, now.",
    )
    p.add_argument("rules", nargs="+", metavar="RULE")
    p.add_argument("--from", dest="start", type=date_arg, default=None, help="only from DATE")
    p.add_argument("--to", dest="end", type=date_arg, default=None, help="only to DATE")
    p.set_defaults(func=guard(cmd_apply))


# --- shared -------------------------------------------------------------------------------------


def _setup(args: argparse.Namespace):
    from dagster_project.cli.rules import _setup as setup

    config, rules_dir, warehouse = setup(args)
    if not warehouse.exists():
        raise UsageError(
            f"{warehouse}: warehouse not found; build it first (stature run), or pass --warehouse FILE"
        )
    return config, rules_dir, warehouse


def _selected(rules_dir: Path, names: Sequence[str]) -> list[RuleFile]:
    from dagster_project.rules.loader import load_rules, select_rule
    from dagster_project.rules.messages import did_you_mean

    rules = load_rules(rules_dir)
    if not names:
        return rules
    chosen = [r for r in rules if select_rule(r, set(names))]
    missing = [n for n in names if not any(select_rule(r, {n}) for r in rules)]
    if missing:
        meant = did_you_mean(missing[0], [r.rule_id for r in rules])
        raise UsageError(
            f"no rule matches {' '.join(missing)} in {rules_dir}" + (f" ({meant})" if meant else "")
        )
    return chosen


def _check_dates(dates: Sequence[dt.date], config: StatureConfig) -> None:
    """Rules are partitioned by day from history_start to today: dates outside have no run."""
    today = today_in(config.org.timezone)
    if dates[0] < config.history_start or dates[-1] > today:
        raise UsageError(
            f"dates must be from {config.history_start} (history_start in the config) to "
            f"{today} (today in {config.org.timezone}), not {dates[0]} .. {dates[-1]}"
        )


def rule_runs(
    rules: Sequence[RuleFile], dates: Sequence[dt.date], *, mode: str = "evaluate"
) -> list[RunSpec]:
    """One run of the `rules` job per range of consecutive dates, for these rules."""
    from dagster_project.defs.runner import RunSpec
    from dagster_project.rules.history import contiguous_ranges

    assets = tuple(("scorecards", r.scorecard, r.rule_id) for r in rules)
    specs = []
    for first, last in contiguous_ranges(dates):
        days = (last - first).days + 1
        specs.append(
            RunSpec(
                "rules",
                partition_range=(first.isoformat(), last.isoformat()),
                assets=assets,
                config={RULES_OP: {"config": {"mode": mode}}},
                units=len(rules) * days,
                label=f"{first}" + (f" .. {last}" if last != first else ""),
            )
        )
    return specs


def _stored_counts(warehouse: Path, rule_ids: Sequence[str], dates: Sequence[dt.date]) -> Counter:
    from dagster_project.warehouse import connect

    with connect(warehouse, read_only=True) as con:
        rows = con.execute(
            "select status, count(*) from scorecards.check_results "
            "where rule_id in (select unnest(?::varchar[])) and as_of in (select unnest(?::date[])) "
            "group by 1",
            [list(rule_ids), list(dates)],
        ).fetchall()
    return Counter(dict(rows))


def _summary(outcome: RunOutcome, warehouse, rules, dates, started: float) -> None:
    from dagster_project.rules.model import STATUSES

    counts = _stored_counts(warehouse, [r.rule_id for r in rules], dates)
    text = ", ".join(f"{s} {counts[s]}" for s in STATUSES if counts[s]) or "no rows"
    print(
        f"{len(rules)} rules x {len(dates)} dates in {len(outcome.run_ids)} Dagster run(s), "
        f"{time.monotonic() - started:.1f} s: {text}"
    )
    for rule in rules:
        meta = outcome.metadata.get(("scorecards", rule.scorecard, rule.rule_id), {})
        if meta.get("error_message"):
            first = str(meta["error_message"]).splitlines()[0]
            print(f"FAILED {rule.scorecard}/{rule.rule_id}: {first}")
        if meta.get("draft"):
            print(f"draft, not stored: {rule.scorecard}/{rule.rule_id}")


# --- backfill -----------------------------------------------------------------------------------


def cmd_backfill(args: argparse.Namespace) -> int:
    """Evaluate and store rules for every date of a range, as Dagster runs, with progress."""
    from dagster_project.rules.history import backfill_dates

    config, rules_dir, warehouse = _setup(args)
    try:
        dates = backfill_dates(
            args.start,
            args.end,
            args.every,
            fiscal_year_start_month=config.org.fiscal_year_start_month,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    _check_dates(dates, config)
    rules = _selected(rules_dir, args.rules)
    specs = rule_runs(rules, dates)
    with holding_warehouse(warehouse, "stature rules backfill"):
        started = time.monotonic()
        print(
            f"backfill {len(dates)} dates ({dates[0]} .. {dates[-1]}, every {args.every}) of "
            f"{len(rules)} rules into {warehouse}: {len(specs)} Dagster run(s)",
            flush=True,
        )
        outcome = run_specs(
            args, config, specs, command="stature rules backfill", unit="evaluations"
        )
    _summary(outcome, warehouse, rules, dates, started)
    return print_problems(outcome.problems, outcome.warnings)


# --- regrade ------------------------------------------------------------------------------------


def cmd_regrade(args: argparse.Namespace) -> int:
    """Re-apply the current headers to stored values (no query runs), as Dagster runs over the
    dates each rule has results for; print every status that changed."""
    from dagster_project.rules.regrade import changes, plan_regrade

    config, rules_dir, warehouse = _setup(args)
    rules = {r.rule_id: r for r in _selected(rules_dir, args.rules)}
    plan = plan_regrade(
        warehouse=warehouse, rules_dir=rules_dir, only=list(rules), start=args.start, end=args.end
    )
    for outcome in plan:
        if outcome.skipped:
            print(outcome)
    todo = [o for o in plan if not o.skipped]
    blocked = sum(1 for o in plan if o.needs_backfill)
    rows: list[tuple] = []
    run_ok = True
    if todo:
        by_dates: dict[tuple, list] = {}
        for o in todo:
            by_dates.setdefault(tuple(o.dates), []).append(rules[o.rule_id])
        specs = [
            spec
            for dates, group in by_dates.items()
            for spec in rule_runs(group, list(dates), mode="regrade")
        ]
        with holding_warehouse(warehouse, "stature rules regrade"):
            result = run_specs(
                args, config, specs, command="stature rules regrade", unit="evaluations"
            )
        run_ok = not result.problems
        rows = changes(warehouse, result.run_ids)
        _print_changes(rows, result, rules, args.limit)
    total = (
        sum(
            int(
                result.metadata.get(("scorecards", rules[o.rule_id].scorecard, o.rule_id), {}).get(
                    "rows_regraded", 0
                )
            )
            for o in todo
        )
        if todo
        else 0
    )
    print(
        f"{total} rows regraded, {len(rows)} changed status"
        + (f"; {blocked} rules need a backfill" if blocked else "")
        + ("; the changes are in scorecards.regrade_changes" if rows else "")
    )
    if todo and not run_ok:
        return print_problems(result.problems, result.warnings)
    return 1 if blocked else 0


def _print_changes(rows: list[tuple], result: RunOutcome, rules, limit: int) -> None:
    for rule_id, rule in rules.items():
        meta = result.metadata.get(("scorecards", rule.scorecard, rule_id))
        if meta:
            print(
                f"{rule_id}: {meta.get('rows_regraded', 0)} rows regraded, "
                f"{meta.get('changed_status', 0)} changed status"
            )
    if not rows:
        return
    shown = [
        [
            rule,
            str(as_of),
            entity,
            f"{old} -> {new}",
            "" if value is None else f"{value:g}",
            f"{t_old} -> {t_new}",
        ]
        for rule, as_of, _, entity, old, new, value, t_old, t_new in rows[:limit]
    ]
    print()
    print_table(["rule", "as of", "entity", "status", "value", "thresholds"], shown)
    if len(rows) > limit:
        print(f"... and {len(rows) - limit} more (--limit, or scorecards.regrade_changes)")
    print()


# --- apply --------------------------------------------------------------------------------------


def cmd_apply(args: argparse.Namespace) -> int:
    """Evaluate RULE(s) over the kept history, then snapshot, rebuild the views and publish."""
    from dagster_project.defs.runner import RunSpec  # noqa: F401  (typing of the specs)
    from dagster_project.rules.history import kept_dates
    from dagster_project.rules.validate import validate_rule

    config, rules_dir, warehouse = _setup(args)
    rules = _selected(rules_dir, args.rules)
    problems = [p for r in rules for p in validate_rule(r).problems]
    if problems:
        for p in problems:
            print(p)
        raise UsageError("fix the rule first (stature rules check): nothing was applied")
    drafts = [r.rule_id for r in rules if r.header and r.header.rollout == "draft"]
    if drafts:
        raise UsageError(f"{', '.join(drafts)}: draft rules are previewed, never stored")
    dates = kept_dates(warehouse, start=args.start, end=args.end)
    if not dates:
        raise UsageError(
            f"{warehouse} keeps no results to apply the rules over yet: run `stature run` first"
        )
    _check_dates(dates, config)
    specs = [*rule_runs(rules, dates), _refresh(dates[-1])]
    with holding_warehouse(warehouse, "stature rules apply"):
        started = time.monotonic()
        print(
            f"apply {len(rules)} rule(s) over the {len(dates)} dates the warehouse keeps "
            f"({dates[0]} .. {dates[-1]}), then snapshot, rebuild the reporting views and "
            f"publish as of {dates[-1]}: {len(specs)} Dagster run(s)",
            flush=True,
        )
        outcome = run_specs(args, config, specs, command="stature rules apply", unit="evaluations")
    _summary(outcome, warehouse, rules, dates, started)
    if outcome.materialized_key("published", "stature"):
        print(f"Published to {config.published_path}: readers see the rule(s) now.")
    else:
        print("Not published: readers still see the previous copy.")
    return print_problems(outcome.problems, outcome.warnings)


def _refresh(as_of: dt.date) -> RunSpec:
    from dagster_project.defs.resources import AS_OF_TAG
    from dagster_project.defs.runner import RunSpec

    return RunSpec(
        "refresh",
        partition=as_of.isoformat(),
        tags={AS_OF_TAG: as_of.isoformat()},
        units=1,
        label=f"snapshot, reporting views, publish as of {as_of}",
    )
