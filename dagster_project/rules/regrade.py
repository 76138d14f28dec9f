"""`stature rules regrade`: re-apply a rule's current header (thresholds, level, rollout, unit)
to the values already stored, without running its query again.

That is only sound when the query did not change: the stored `rule_version` is looked up in
`scorecards.rule_versions` and its SQL compared with the current file's. A changed query,
`applies_to` or entity, or a rule whose status comes from its own `status` column, needs
`stature rules backfill` instead, and the plan says so (`plan_regrade`, read-only).

A note written with placeholders (`target {pass} a week`) is rendered again from its stored
template, so a regrade never leaves a stale target in a note. Every status it changes is kept
in `scorecards.regrade_changes` (rule, date, entity, from, to, thresholds before and after).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.rules.grade import PLACEHOLDERS, placeholder_texts, render_sql
from dagster_project.rules.loader import RuleFile, load_rules, parse_rule, select_rule
from dagster_project.rules.store import ensure_schema
from dagster_project.rules.validate import validate_rule
from dagster_project.warehouse import connect, table_exists

CHANGES = "scorecards.regrade_changes"
CHANGES_DDL = f"""
create table if not exists {CHANGES} (
    regraded_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL,
    rule_id VARCHAR NOT NULL,
    as_of DATE NOT NULL,
    entity_type VARCHAR NOT NULL,
    entity_id VARCHAR NOT NULL,
    status_from VARCHAR NOT NULL,
    status_to VARCHAR NOT NULL,
    value DOUBLE,
    threshold_from VARCHAR,
    threshold_to VARCHAR
);
"""


@dataclass
class RegradeOutcome:
    rule_id: str
    rows: int = 0
    changed: int = 0
    skipped: str | None = None
    # the stored versions to regrade and the dates they cover (the plan)
    versions: list[str] = field(default_factory=list)
    dates: list[dt.date] = field(default_factory=list)

    @property
    def needs_backfill(self) -> bool:
        return bool(self.skipped) and "backfill" in (self.skipped or "")

    def __str__(self) -> str:
        if self.skipped:
            return f"{self.rule_id}: skipped: {self.skipped}"
        return f"{self.rule_id}: {self.rows} rows regraded, {self.changed} changed status"


def _normalized(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip().rstrip(";").strip()


def _status_sql(rule: RuleFile) -> str:
    t = rule.header.thresholds  # type: ignore[union-attr]
    if t is None:
        return "status"
    warn = f"when {t.warn.to_sql()} then 'warn' " if t.warn else ""
    return (
        "case when status in ('pass', 'warn', 'fail') and value is not null then "
        f"case when {t.pass_.to_sql()} then 'pass' {warn}else 'fail' end else status end"
    )


def _rollout_sql(rule: RuleFile) -> str:
    h = rule.header
    assert h is not None
    if h.enforce_from is None:
        return f"'{h.rollout}'"
    return f"case when as_of >= DATE '{h.enforce_from}' then 'enforced' else 'shadow' end"


def _window(start: dt.date | None, end: dt.date | None) -> tuple[str, list[dt.date]]:
    sql, params = "", []
    if start:
        sql += " and as_of >= ?"
        params.append(start)
    if end:
        sql += " and as_of <= ?"
        params.append(end)
    return sql, params


def plan_regrade(
    *,
    warehouse: Path,
    rules_dir: Path,
    only: Sequence[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[RegradeOutcome]:
    """Per rule: what a regrade would do (the versions and dates it would touch), or why it
    is skipped (draft, invalid, nothing stored, or a change that needs a backfill)."""
    rules = [r for r in load_rules(rules_dir) if not only or select_rule(r, set(only))]
    window, params = _window(start, end)
    outcomes: list[RegradeOutcome] = []
    with connect(warehouse, read_only=True) as con:
        stored = table_exists(con, "scorecards", "check_results")
        for rule in rules:
            outcome = RegradeOutcome(rule.rule_id)
            outcomes.append(outcome)
            if not rule.ok or rule.header is None:
                outcome.skipped = "the rule is invalid (stature rules check)"
                continue
            if rule.header.rollout == "draft":
                outcome.skipped = "draft rules are not stored"
                continue
            versions = (
                con.execute(
                    "select rule_version, list(distinct as_of order by as_of) "
                    f"from scorecards.check_results where rule_id = ?{window} group by 1",
                    [rule.rule_id, *params],
                ).fetchall()
                if stored
                else []
            )
            if not versions:
                outcome.skipped = "no stored results"
                continue
            outcome.skipped = _blocked(con, rule, [v for v, _ in versions])
            outcome.versions = [v for v, _ in versions]
            outcome.dates = sorted({d for _, dates in versions for d in dates})
    return outcomes


def _blocked(con: duckdb.DuckDBPyConnection, rule: RuleFile, versions: list[str]) -> str | None:
    outputs = validate_rule(rule, None).output_columns
    for version in versions:
        if version == rule.version:
            continue
        row = con.execute(
            "select content from scorecards.rule_versions where rule_version = ? and rule_id = ?",
            [version, rule.rule_id],
        ).fetchall()
        if not row:
            return f"stored version {version} is unknown: re-run it with stature rules backfill"
        reason = _needs_backfill(parse_rule(rule.path, row[0][0]), rule, outputs)
        if reason:
            return f"{reason} since version {version}: re-run it with stature rules backfill"
    return None


def regrade(
    *,
    warehouse: Path,
    rules_dir: Path,
    only: Sequence[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    run_id: str = "regrade",
) -> list[RegradeOutcome]:
    """Regrade what `plan_regrade` allows, each rule in one transaction; the status changes
    go to scorecards.regrade_changes under `run_id`."""
    outcomes = plan_regrade(
        warehouse=warehouse, rules_dir=rules_dir, only=only, start=start, end=end
    )
    by_id = {r.rule_id: r for r in load_rules(rules_dir)}
    window, params = _window(start, end)
    now = dt.datetime.now(dt.UTC)
    with connect(warehouse) as con:
        ensure_schema(con)
        con.execute(CHANGES_DDL)
        for outcome in outcomes:
            if outcome.skipped:
                continue
            rule = by_id[outcome.rule_id]
            con.execute("begin transaction")
            try:
                _apply(con, rule, outcome, window, params, run_id, now)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
    return outcomes


def _apply(con, rule: RuleFile, outcome: RegradeOutcome, window, params, run_id, now) -> None:
    header = rule.header
    assert header is not None
    where = f"rule_id = ? and rule_version <> ?{window}"
    args = [rule.rule_id, rule.version, *params]
    status_sql = _status_sql(rule)
    outcome.rows, outcome.changed = con.execute(
        f"select count(*), count(*) filter (where status <> {status_sql}) "
        f"from scorecards.check_results where {where}",
        args,
    ).fetchall()[0]
    con.execute(
        f"insert into {CHANGES} select ?, ?, rule_id, as_of, entity_type, entity_id, status, "
        f"{status_sql}, value, threshold, ? from scorecards.check_results "
        f"where {where} and status <> {status_sql}",
        [now, run_id, header.threshold_text, *args],
    )
    _render_notes(con, rule, outcome.versions, window, params)
    con.execute(
        f"update scorecards.check_results set status = {status_sql}, threshold = ?, level = ?, "
        f"scorecard = ?, rollout = {_rollout_sql(rule)}, rule_version = ? where {where}",
        [header.threshold_text, header.level, rule.scorecard, rule.version, *args],
    )
    key = (rule.version, rule.rule_id)
    con.execute(
        "insert into scorecards.rule_versions select ?, ?, ?, ?, ?, now() "
        "where not exists (select 1 from scorecards.rule_versions "
        "where rule_version = ? and rule_id = ?)",
        [rule.version, rule.rule_id, rule.scorecard, str(rule.path), rule.text, *key],
    )


def _render_notes(con, rule: RuleFile, versions: list[str], window, params) -> None:
    """Notes with a template: the old version's rendering (found inside the stored note, also
    behind an exemption's text) is replaced by the new header's."""
    new = list(placeholder_texts(rule.header))
    for version in versions:
        if version == rule.version:
            continue
        content = con.execute(
            "select content from scorecards.rule_versions where rule_version = ? and rule_id = ?",
            [version, rule.rule_id],
        ).fetchall()[0][0]
        old = list(placeholder_texts(parse_rule(rule.path, content).header))
        rendered = render_sql("note_template", dict.fromkeys(PLACEHOLDERS, "?"))
        con.execute(
            f"update scorecards.check_results set note = replace(note, {rendered}, {rendered}) "
            f"where rule_id = ? and rule_version = ? and note_template is not null{window}",
            [*old, *new, rule.rule_id, version, *params],
        )


def changes(warehouse: Path, run_ids: Sequence[str]) -> list[tuple]:
    """The status changes regrade runs made: (rule, as_of, entity type, entity, from, to,
    value, threshold before, threshold after), in order."""
    with connect(warehouse, read_only=True) as con:
        if not table_exists(con, "scorecards", "regrade_changes"):
            return []
        return con.execute(
            "select rule_id, as_of, entity_type, entity_id, status_from, status_to, value, "
            f"threshold_from, threshold_to from {CHANGES} "
            "where run_id in (select unnest(?::varchar[])) order by rule_id, as_of, entity_id",
            [list(run_ids)],
        ).fetchall()


def _needs_backfill(old: RuleFile, new: RuleFile, outputs: list[str] | None) -> str | None:
    if _normalized(old.body) != _normalized(new.body):
        return "the query changed"
    if old.header is None or new.header is None:
        return "the stored version's header is invalid"
    if old.header.entity != new.header.entity:
        return "the entity changed"
    if (old.header.applies_to or "") != (new.header.applies_to or ""):
        return "applies_to changed"
    thresholds_changed = old.header.threshold_text != new.header.threshold_text
    if thresholds_changed and (outputs is None or "status" in outputs):
        return "its status comes from the query's status column"
    return None
