"""`stature rules ...`: the analyst's loop (check, test, preview, diff) and the verbs that
write rule history (backfill, regrade, apply: cli/rules_history.py). Exit status: 0 all well,
1 something failed, 2 bad usage, config or an invalid rule (`check`).

Imports are lazy: `rules check` loads neither Dagster nor dbt, so it suits a pre-commit hook.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from dagster_project.cli.options import (
    UsageError,
    add_common_options,
    add_rules_dir,
    date_arg,
    load_cli_config,
    rules_dir_of,
    warehouse_of,
)
from dagster_project.dates import today_in
from dagster_project.terminal import table_text

if TYPE_CHECKING:
    from dagster_project.config import StatureConfig

SEVERITY = ("error", "fail", "not_reported", "warn", "exempt", "pass", "not_applicable")


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the `rules` verb and its sub-verbs to the `stature` CLI."""
    rules = subparsers.add_parser(
        "rules",
        parents=[common],
        help="check, test, preview, diff, backfill, regrade and apply standards",
    )
    verbs = rules.add_subparsers(dest="rules_verb", required=True, metavar="VERB")
    shared = argparse.ArgumentParser(add_help=False)
    add_common_options(shared, suppress_defaults=True)
    add_rules_dir(shared)

    p = verbs.add_parser(
        "check",
        parents=[shared],
        help="validate rules without running them (exit 2 if any is invalid)",
    )
    p.add_argument("rules", nargs="*", metavar="RULE", help="rule ids or files (default: all)")
    p.set_defaults(func=cmd_check)

    p = verbs.add_parser(
        "test", parents=[shared], help="run the golden fixtures in <scorecard>/tests/<rule_id>.yml"
    )
    p.add_argument("rules", nargs="*", metavar="RULE")
    p.add_argument(
        "--require-coverage",
        action="store_true",
        help="fail (exit 1) when a rule's fixtures miss a status the rule can give",
    )
    p.set_defaults(func=cmd_test)

    p = verbs.add_parser(
        "preview", parents=[shared], help="evaluate one rule on the warehouse, write nothing"
    )
    p.add_argument("rule", metavar="RULE")
    p.add_argument(
        "--as-of",
        type=date_arg,
        default=None,
        help="evaluation date (default: the latest stored, else today)",
    )
    p.add_argument("--status", default=None, help="show only these statuses, comma-separated")
    p.add_argument("--limit", type=int, default=200, help="rows to print (default 200)")
    p.set_defaults(func=cmd_preview)

    p = verbs.add_parser("diff", parents=[shared], help="impact of changed rules against a git ref")
    p.add_argument("--base", default="HEAD", help="git ref holding the old versions (default HEAD)")
    p.add_argument("--as-of", type=date_arg, default=None)
    p.add_argument("--limit", type=int, default=50, help="entities listed per rule (default 50)")
    p.set_defaults(func=cmd_diff)

    from dagster_project.cli import rules_history

    # backfill, regrade, apply: the verbs that write rule history, as Dagster runs
    rules_history.register(verbs, shared, _guard)


def _setup(args: argparse.Namespace) -> tuple[StatureConfig, Path, Path]:
    from dagster_project.config import ConfigError

    try:
        config = load_cli_config(args)
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    rules_dir = rules_dir_of(args, config)
    warehouse = warehouse_of(args, config)
    if not rules_dir.is_dir():
        raise UsageError(f"{rules_dir}: no such rules directory (pass --rules-dir DIR)")
    return config, rules_dir, warehouse


def _guard(handler):
    def run(args: argparse.Namespace) -> int:
        from dagster_project.rules.sandbox import WarehouseMissing

        try:
            return handler(args)
        except (UsageError, WarehouseMissing) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


def _read_catalog(warehouse: Path):
    """The warehouse catalog, or None with the reason (absent file, or busy writer)."""
    import duckdb

    from dagster_project.rules.validate import Catalog

    if not warehouse.exists():
        return None, f"warehouse {warehouse} not found: tables and columns not checked"
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        return (
            None,
            f"warehouse {warehouse} not readable ({str(exc).splitlines()[0]}): tables and columns not checked",
        )
    try:
        return Catalog.from_connection(con), None
    finally:
        con.close()


def _entities(warehouse: Path) -> dict[str, set[str]] | None:
    import duckdb

    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return None
    try:
        out = {"org": {"org"}}
        for entity, table, key in (
            ("service", "marts.dim_services", "service_id"),
            ("team", "marts.dim_teams", "team_id"),
        ):
            try:
                out[entity] = {
                    r[0]
                    for r in con.execute(f"select distinct {key}::varchar from {table}").fetchall()
                }
            except duckdb.Error:
                out[entity] = set()
        return out
    finally:
        con.close()


@_guard
def cmd_check(args: argparse.Namespace) -> int:
    """Validate rules, exemptions and fixture files without running anything."""
    from dagster_project.rules.exemptions import check_exemptions, exemptions_path, load_exemptions
    from dagster_project.rules.fixture_check import check_fixture, real_schema
    from dagster_project.rules.fixtures import fixture_path, load_fixture
    from dagster_project.rules.initiatives import check_initiatives, load_initiatives
    from dagster_project.rules.loader import INITIATIVES_DIR, key_lines, load_rules, select_rule
    from dagster_project.rules.model import Problem
    from dagster_project.rules.validate import validate_rule

    started = time.monotonic()
    _, rules_dir, warehouse = _setup(args)
    all_rules = load_rules(rules_dir)
    rules = [r for r in all_rules if select_rule(r, set(args.rules))] if args.rules else all_rules
    if args.rules and not rules:
        raise UsageError(f"no rule matches {' '.join(args.rules)} in {rules_dir}")
    catalog, note = _read_catalog(warehouse)
    schema = real_schema(warehouse if catalog is not None else None)
    problems = []
    invalid = 0
    for rule in rules:
        checked = validate_rule(rule, catalog)
        if checked.problems:
            invalid += 1
            problems += checked.problems
        fixture = fixture_path(rule)
        if fixture.exists():
            parsed, fixture_problems = load_fixture(fixture)
            problems += fixture_problems
            if parsed is not None:
                lines = key_lines(fixture.read_text(encoding="utf-8"), 1)
                problems += check_fixture(rule, fixture, parsed.cases, lines, schema)
    for stray in sorted(rules_dir.rglob("*.sql")):
        parts = stray.relative_to(rules_dir).parts
        if len(parts) != 2 or parts[0] == INITIATIVES_DIR:
            problems.append(
                Problem(
                    stray,
                    None,
                    None,
                    "not a rule: rule files live in <rules_dir>/<scorecard>/<rule_id>.sql",
                )
            )
    entries, ex_problems = load_exemptions(exemptions_path(rules_dir))
    problems += ex_problems
    entities = _entities(warehouse) if catalog is not None else None
    problems += check_exemptions(entries, exemptions_path(rules_dir), all_rules, entities)[1]
    initiatives = load_initiatives(rules_dir)
    problems += check_initiatives(initiatives, all_rules, catalog)
    warnings = _warnings(rules, all_rules)
    for p in [*problems, *warnings]:
        print(p)
    if note:
        print(f"note: {note}")
    print(
        f"checked {len(rules)} rules"
        + (f" and {len(initiatives)} initiatives" if initiatives else "")
        + f" in {time.monotonic() - started:.2f} s: {len(rules) - invalid} valid, {invalid} invalid"
        + (f"; {len(problems)} problems" if problems else "")
        + (f"; {len(warnings)} warnings" if warnings else "")
    )
    return 2 if problems else 0


def _warnings(rules, all_rules) -> list:
    """What may be a mistake but need not be (the exit status stays 0): a query that can
    return an entity twice, a scorecard folder named like another one."""
    from dagster_project.manifest import ManifestError, unique_keys
    from dagster_project.rules.messages import closest
    from dagster_project.rules.model import Problem
    from dagster_project.rules.uniqueness import duplicate_warning

    out = []
    try:
        grains = unique_keys()
    except ManifestError:
        grains = {}
    for rule in rules:
        if rule.ok and (found := duplicate_warning(rule, grains)) is not None:
            out.append(found)
    sizes = Counter(r.scorecard for r in all_rules)
    for rule in rules:
        others = [s for s in sizes if s != rule.scorecard and sizes[s] >= sizes[rule.scorecard]]
        meant = closest(rule.scorecard, others, cutoff=0.8)
        if meant:
            out.append(
                Problem(
                    rule.path,
                    rule.line_of("scorecard"),
                    None,
                    f"warning: scorecard '{rule.scorecard}' is new beside '{meant}': "
                    f"did you mean {meant}?",
                    f"move the file to {meant}/ and set scorecard: {meant}, if so",
                )
            )
    return out


@_guard
def cmd_test(args: argparse.Namespace) -> int:
    """Run each rule's golden fixture cases in a scratch DuckDB; then say, per rule, which of
    the statuses it can give its passing cases show (COVERAGE lines)."""
    from dagster_project.rules.coverage import fixture_coverage
    from dagster_project.rules.fixture_check import real_schema
    from dagster_project.rules.fixtures import fixture_path, run_fixtures
    from dagster_project.rules.loader import load_rules, select_rule

    config, rules_dir, warehouse = _setup(args)
    schema = real_schema(warehouse)
    rules = load_rules(rules_dir, None)
    if args.rules:
        rules = [r for r in rules if select_rule(r, set(args.rules))]
        if not rules:
            raise UsageError(f"no rule matches {' '.join(args.rules)} in {rules_dir}")
    known = {fixture_path(r).resolve() for r in rules}
    passed = failed = 0
    untested, incomplete = [], []
    for rule in rules:
        results, problems = run_fixtures(rule, config.rules.timeout_seconds, schema)
        for p in problems:
            print(f"FAIL {rule.scorecard}/{rule.rule_id}: {p}")
            failed += 1
        if not results and not problems:
            untested.append(rule)
        for r in results:
            if r.ok:
                passed += 1
                print(f"PASS {rule.scorecard}/{rule.rule_id}: {r.name}")
            else:
                failed += 1
                print(f"FAIL {rule.scorecard}/{rule.rule_id}: {r.name}")
                for f in r.failures:
                    print(f"    {f}")
        if results:
            covered = fixture_coverage(rule, results)
            print(covered.line())
            if not covered.complete:
                incomplete.append(covered)
    if not args.rules:
        for orphan in sorted(rules_dir.glob("*/tests/*.yml")):
            if orphan.resolve() not in known:
                print(
                    f"FAIL {orphan}: no rule {orphan.parent.parent.name}/{orphan.stem}.sql for this fixture file"
                )
                failed += 1
    for rule in untested:
        print(f"no tests: {rule.scorecard}/{rule.rule_id} (add {fixture_path(rule)})")
    print(
        f"{passed} passed, {failed} failed"
        + (f", {len(untested)} rules without tests" if untested else "")
        + (f", {len(incomplete)} rules miss a status they can give" if incomplete else "")
    )
    short = args.require_coverage and (incomplete or untested)
    return 1 if failed or short else 0


def _default_as_of(warehouse: Path, config: StatureConfig) -> dt.date:
    """The latest date stored in check_results (what the last nightly run saw), else today."""
    import duckdb

    try:
        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            latest = con.execute("select max(as_of) from scorecards.check_results").fetchall()[0][0]
        finally:
            con.close()
        if latest:
            return latest
    except duckdb.Error:
        pass
    return today_in(config.org.timezone)


def _fmt_value(value: float | None, unit: str | None) -> str:
    if value is None:
        return ""
    text = f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return f"{text} {unit}" if unit else text


@_guard
def cmd_preview(args: argparse.Namespace) -> int:
    """Evaluate one rule for one date and print entity, status, value, target and note."""
    from dagster_project.rules.engine import preview_rules
    from dagster_project.rules.exemptions import exemptions_path, load_exemptions
    from dagster_project.rules.loader import load_rules, select_rule

    config, rules_dir, warehouse = _setup(args)
    all_rules = load_rules(rules_dir)
    matches = [r for r in all_rules if select_rule(r, {args.rule})]
    if len(matches) != 1:
        raise UsageError(
            f"{'no rule' if not matches else 'several rules'} match {args.rule!r} in {rules_dir}"
        )
    rule = matches[0]
    as_of = args.as_of or _default_as_of(warehouse, config)
    entries, problems = load_exemptions(exemptions_path(rules_dir))
    report = preview_rules(
        warehouse=warehouse,
        rules=[rule],
        as_of=as_of,
        exemptions=entries,
        exemptions_file=exemptions_path(rules_dir),
        known_rules=all_rules,
        timeout_seconds=config.rules.timeout_seconds,
    )
    h = rule.header
    title = h.title if h else rule.rule_id
    print(f"{rule.scorecard}/{rule.rule_id}: {title}")
    if h:
        print(
            f"as of {as_of} | entity {h.entity} | level {h.level} | rollout {h.effective_rollout(as_of)}"
            f" | thresholds {h.threshold_text or 'none (status from the query)'}"
            + (f" | applies to {h.applies_to}" if h.applies_to else "")
        )
    rows = report.rows or []
    wanted = set(args.status.split(",")) if args.status else None
    shown = [r for r in rows if wanted is None or r["status"] in wanted]
    shown.sort(key=lambda r: (SEVERITY.index(r["status"]), r["entity_id"]))
    unit = h.unit if h else None
    table = [
        [
            r["entity_id"],
            r["status"],
            _fmt_value(r["value"], unit),
            r["threshold"] or "",
            r["note"] or "",
        ]
        for r in shown[: args.limit]
    ]
    print()
    print(
        table_text(
            ["entity", "status", "value", "target", "note"], table, max_widths={4: 90}, raw=True
        )
    )
    if len(shown) > args.limit:
        print(f"... {len(shown) - args.limit} more rows (--limit)")
    counts = Counter(r["status"] for r in rows)
    print()
    print(f"{len(rows)} entities: " + ", ".join(f"{s} {counts[s]}" for s in SEVERITY if counts[s]))
    outcome = report.rules.get(rule.rule_id)
    if outcome and outcome.ignored_rows:
        print(
            f"note: {outcome.ignored_rows} rows ignored (NULL key or an entity not in the catalog)"
        )
    for p in [*problems, *report.problems]:
        print(f"PROBLEM {p}")
    for note in report.notes:
        print(f"note: {note}")
    if outcome and outcome.errors:
        for e in outcome.errors:
            print(f"ERROR {e}")
        return 1
    return 0


@_guard
def cmd_diff(args: argparse.Namespace) -> int:
    """Old and new versions of changed rules on the same warehouse and date."""
    from dagster_project.rules.diff import DiffError, diff_rules, format_diff

    config, rules_dir, warehouse = _setup(args)
    as_of = args.as_of or _default_as_of(warehouse, config)
    try:
        report = diff_rules(
            rules_dir=rules_dir,
            warehouse=warehouse,
            base=args.base,
            as_of=as_of,
            warn_blocks=config.maturity.warn_blocks,
            top_level=len(config.ladder_names),
            timeout_seconds=config.rules.timeout_seconds,
        )
    except DiffError as exc:
        raise UsageError(str(exc)) from exc
    print(format_diff(report, limit=args.limit))
    return 0 if report.ok else 1
