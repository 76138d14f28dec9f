"""`stature rules regrade`: re-apply a rule's current header (thresholds, level, rollout) to
the values already stored, without running its query again.

That is only sound when the query did not change: the stored `rule_version` is looked up in
`scorecards.rule_versions` and its SQL compared with the current file's. A changed query,
`applies_to` or entity, or a rule whose status comes from its own `status` column, needs
`stature rules backfill` instead, and the command says so.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from dagster_project.rules.loader import RuleFile, load_rules, parse_rule
from dagster_project.rules.store import ensure_schema
from dagster_project.rules.validate import validate_rule
from dagster_project.warehouse import connect


@dataclass
class RegradeOutcome:
    rule_id: str
    rows: int = 0
    changed: int = 0
    skipped: str | None = None

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


def regrade(
    *,
    warehouse: Path,
    rules_dir: Path,
    only: list[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[RegradeOutcome]:
    from dagster_project.rules.loader import select_rule

    rules = [r for r in load_rules(rules_dir) if not only or select_rule(r, set(only))]
    outcomes: list[RegradeOutcome] = []
    window, params = "", []
    if start:
        window += " and as_of >= ?"
        params.append(start)
    if end:
        window += " and as_of <= ?"
        params.append(end)
    with connect(warehouse) as con:
        ensure_schema(con)
        for rule in rules:
            outcome = RegradeOutcome(rule.rule_id)
            outcomes.append(outcome)
            if not rule.ok or rule.header is None:
                outcome.skipped = "the rule is invalid (stature rules check)"
                continue
            if rule.header.rollout == "draft":
                outcome.skipped = "draft rules are not stored"
                continue
            versions = con.execute(
                f"select rule_version, count(*) from scorecards.check_results where rule_id = ?{window} group by 1",
                [rule.rule_id, *params],
            ).fetchall()
            if not versions:
                outcome.skipped = "no stored results"
                continue
            outputs = validate_rule(rule, None).output_columns
            for version, _ in versions:
                if version == rule.version:
                    continue
                row = con.execute(
                    "select content from scorecards.rule_versions where rule_version = ? and rule_id = ?",
                    [version, rule.rule_id],
                ).fetchall()
                if not row:
                    outcome.skipped = f"stored version {version} is unknown: re-run it with stature rules backfill"
                    break
                old = parse_rule(rule.path, row[0][0])
                reason = _needs_backfill(old, rule, outputs)
                if reason:
                    outcome.skipped = (
                        f"{reason} since version {version}: re-run it with stature rules backfill"
                    )
                    break
            if outcome.skipped:
                continue
            where = f"rule_id = ? and rule_version <> ?{window}"
            args = [rule.rule_id, rule.version, *params]
            status_sql = _status_sql(rule)
            con.execute("begin transaction")
            try:
                outcome.rows, outcome.changed = con.execute(
                    f"select count(*), count(*) filter (where status <> {status_sql}) "
                    f"from scorecards.check_results where {where}",
                    args,
                ).fetchall()[0]
                con.execute(
                    f"update scorecards.check_results set status = {status_sql}, threshold = ?, level = ?, "
                    f"scorecard = ?, rollout = {_rollout_sql(rule)}, rule_version = ? where {where}",
                    [
                        rule.header.threshold_text,
                        rule.header.level,
                        rule.scorecard,
                        rule.version,
                        *args,
                    ],
                )
                con.execute(
                    "insert into scorecards.rule_versions select ?, ?, ?, ?, ?, now() "
                    "where not exists (select 1 from scorecards.rule_versions where rule_version = ? and rule_id = ?)",
                    [
                        rule.version,
                        rule.rule_id,
                        rule.scorecard,
                        str(rule.path),
                        rule.text,
                        rule.version,
                        rule.rule_id,
                    ],
                )
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
    return outcomes


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
