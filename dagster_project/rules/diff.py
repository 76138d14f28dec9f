"""`stature rules diff`: the impact of changed rules before they merge.

The old version of each changed rule file comes from git (`git show BASE:path`), the new one
from the working tree. Both run on the same warehouse for the same as_of (nothing is
written); the report lists, per rule, the entities whose status changes, and then the
entities whose maturity level would change, with the rules that now block them.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from dagster_project.rules.engine import EvaluationReport, preview_rules
from dagster_project.rules.exemptions import (
    EXEMPTIONS_FILE,
    Exemption,
    exemptions_path,
    load_exemptions,
)
from dagster_project.rules.loader import RuleFile, load_rules, mark_duplicates, parse_rule
from dagster_project.rules.maturity_level import levels_by_entity, next_level_blockers
from dagster_project.rules.model import STATUSES


class DiffError(Exception):
    """Not a git work tree, or an unknown ref: bad usage (exit 2)."""


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise DiffError("git is not installed") from exc
    if check and proc.returncode != 0:
        raise DiffError(f"git {' '.join(args)}: {proc.stderr.strip() or 'failed'}")
    return proc


@dataclass
class ChangedFile:
    path: Path  # in the working tree
    old: str | None  # text at the base ref; None: added
    new: str | None  # text in the working tree; None: deleted


def changed_files(rules_dir: Path, base: str) -> list[ChangedFile]:
    """Rule files and exemptions.yml that differ between `base` and the working tree."""
    rules_dir = Path(rules_dir).resolve()
    if not rules_dir.is_dir():
        raise DiffError(f"{rules_dir}: no such rules directory")
    root = Path(_git(rules_dir, "rev-parse", "--show-toplevel").stdout.strip())
    if (
        _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", check=False).returncode
        != 0
    ):
        raise DiffError(f"unknown git ref {base!r}: pass --base with a branch, tag or commit")
    rel = rules_dir.relative_to(root)
    names = _git(root, "diff", "--name-only", base, "--", str(rel)).stdout.splitlines()
    names += _git(
        root, "ls-files", "--others", "--exclude-standard", "--", str(rel)
    ).stdout.splitlines()
    out: list[ChangedFile] = []
    for name in sorted(set(names)):
        parts = Path(name).relative_to(rel).parts
        is_rule = len(parts) == 2 and parts[1].endswith(".sql")
        if not is_rule and parts != (EXEMPTIONS_FILE,):
            continue
        path = root / name
        shown = _git(root, "show", f"{base}:{name}", check=False)
        old = shown.stdout if shown.returncode == 0 else None
        new = path.read_text(encoding="utf-8") if path.exists() else None
        if old != new:
            out.append(ChangedFile(path=path, old=old, new=new))
    return out


@dataclass
class StatusChange:
    entity_type: str
    entity_id: str
    old: str | None  # None: no result before (a new rule)
    new: str | None  # None: no result after (a deleted rule)
    old_value: float | None = None
    new_value: float | None = None


@dataclass
class RuleDiff:
    rule_id: str
    scorecard: str
    change: str  # added | changed | deleted | exemptions
    old_counts: Counter = field(default_factory=Counter)
    new_counts: Counter = field(default_factory=Counter)
    changes: list[StatusChange] = field(default_factory=list)
    old_threshold: str | None = None
    new_threshold: str | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class LevelChange:
    entity_type: str
    entity_id: str
    old: int | None  # None: unrated
    new: int | None
    blockers: list[str]


@dataclass
class DiffReport:
    base: str
    as_of: dt.date
    rules: list[RuleDiff] = field(default_factory=list)
    levels: list[LevelChange] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(r.errors for r in self.rules) and not self.problems


def _rows_by_rule(report: EvaluationReport) -> dict[str, dict[tuple[str, str], dict]]:
    out: dict[str, dict[tuple[str, str], dict]] = {}
    for row in report.rows or []:
        out.setdefault(row["rule_id"], {})[(row["entity_type"], row["entity_id"])] = row
    return out


def diff_rules(
    *,
    rules_dir: Path,
    warehouse: Path,
    base: str,
    as_of: dt.date,
    warn_blocks: bool = False,
    top_level: int = 5,
    timeout_seconds: float = 30.0,
) -> DiffReport:
    rules_dir = Path(rules_dir).resolve()
    report = DiffReport(base=base, as_of=as_of)
    files = changed_files(rules_dir, base)
    new_rules = load_rules(rules_dir)
    by_path = {r.path.resolve(): r for r in new_rules}
    new_exemptions, problems = load_exemptions(exemptions_path(rules_dir))
    report.problems += [str(p) for p in problems]
    old_exemptions = new_exemptions
    old_rules: list[RuleFile] = []
    changed_ids: dict[str, str] = {}
    for f in files:
        if f.path.name == EXEMPTIONS_FILE:
            old_exemptions = _exemptions_from_text(f.old, f.path)
            continue
        if f.old is not None:
            old = parse_rule(f.path, f.old, rules_dir)
            old_rules.append(old)
            changed_ids[old.rule_id] = "deleted" if f.new is None else "changed"
        if f.new is not None:
            rule_id = by_path[f.path.resolve()].rule_id
            changed_ids[rule_id] = "changed" if f.old is not None else "added"
    # Rules whose exemptions changed are re-graded on the old side with the old exemptions.
    touched = {(e.rule, e.entity, e.expires, e.since) for e in new_exemptions} ^ {
        (e.rule, e.entity, e.expires, e.since) for e in old_exemptions
    }
    for rule_id, *_ in touched:
        if rule_id not in changed_ids:
            same = next((r for r in new_rules if r.rule_id == rule_id), None)
            if same is not None:
                old_rules.append(same)
                changed_ids[rule_id] = "exemptions"
    mark_duplicates(old_rules)
    if not changed_ids:
        return report
    new_run = preview_rules(
        warehouse=warehouse,
        rules=new_rules,
        as_of=as_of,
        exemptions=new_exemptions,
        exemptions_file=exemptions_path(rules_dir),
        timeout_seconds=timeout_seconds,
    )
    old_run = preview_rules(
        warehouse=warehouse,
        rules=old_rules,
        as_of=as_of,
        exemptions=old_exemptions,
        exemptions_file=exemptions_path(rules_dir),
        known_rules=old_rules + new_rules,
        timeout_seconds=timeout_seconds,
    )
    new_rows, old_rows = _rows_by_rule(new_run), _rows_by_rule(old_run)
    old_by_id = {r.rule_id: r for r in old_rules}
    new_by_id = {r.rule_id: r for r in new_rules}
    for rule_id, change in sorted(changed_ids.items()):
        before = old_rows.get(rule_id, {})
        after = new_rows.get(rule_id, {}) if change != "deleted" else {}
        old_rule, new_rule = old_by_id.get(rule_id), new_by_id.get(rule_id)
        rd = RuleDiff(
            rule_id=rule_id,
            scorecard=(new_rule or old_rule).scorecard,  # type: ignore[union-attr]
            change=change,
            old_counts=Counter(r["status"] for r in before.values()),
            new_counts=Counter(r["status"] for r in after.values()),
            old_threshold=old_rule.header.threshold_text if old_rule and old_rule.header else None,
            new_threshold=new_rule.header.threshold_text if new_rule and new_rule.header else None,
        )
        if change != "deleted" and rule_id in new_run.rules:
            rd.errors = list(new_run.rules[rule_id].errors)
        for key in sorted(set(before) | set(after)):
            b, a = before.get(key), after.get(key)
            if (b and b["status"]) != (a and a["status"]):
                rd.changes.append(
                    StatusChange(
                        key[0],
                        key[1],
                        b["status"] if b else None,
                        a["status"] if a else None,
                        b["value"] if b else None,
                        a["value"] if a else None,
                    )
                )
        report.rules.append(rd)
    new_world = [row for rows in new_rows.values() for row in rows.values()]
    old_world = [
        row for rid, rows in new_rows.items() if rid not in changed_ids for row in rows.values()
    ]
    old_world += [row for rows in old_rows.values() for row in rows.values()]
    old_levels = levels_by_entity(old_world, warn_blocks, top_level=top_level)
    new_levels = levels_by_entity(new_world, warn_blocks, top_level=top_level)
    for key in sorted(set(old_levels) | set(new_levels)):
        o, n = old_levels.get(key), new_levels.get(key)  # no result at all: unrated
        if o != n:
            entity_rows = [r for r in new_world if (r["entity_type"], r["entity_id"]) == key]
            report.levels.append(
                LevelChange(
                    key[0],
                    key[1],
                    o,
                    n,
                    next_level_blockers(entity_rows, warn_blocks, top_level=top_level),
                )
            )
    return report


def _exemptions_from_text(text: str | None, path: Path) -> list[Exemption]:
    if text is None:
        return []
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / EXEMPTIONS_FILE
        p.write_text(text, encoding="utf-8")
        entries, _ = load_exemptions(p)
    return entries


def _counts(c: Counter) -> str:
    return ", ".join(f"{s} {c[s]}" for s in STATUSES if c[s]) or "no results"


def _level_text(level: int | None) -> str:
    return "unrated" if level is None else str(level)


def _change_line(c: StatusChange) -> str:
    old = c.old or "(no result)"
    new = c.new or "(no result)"
    value = c.new_value if c.new is not None else c.old_value
    shown = "" if value is None else f"  value {value:g}"
    return f"      {c.entity_type:<8} {c.entity_id:<28} {old} -> {new}{shown}"


def format_diff(report: DiffReport, *, limit: int = 50) -> str:
    """The diff as text: per rule (added, deleted, changed), its counts by status before and
    after and every entity whose status changes (a new rule: every entity's first status;
    a deleted one: the results that stop); then every entity whose maturity level changes."""
    lines = [f"rules diff against {report.base}, as of {report.as_of}"]
    if not report.rules:
        lines.append("no rule changed")
    marks = {"added": "+", "deleted": "-", "changed": "~", "exemptions": "~"}
    for rd in report.rules:
        label = {"exemptions": "exemptions changed"}.get(rd.change, rd.change)
        lines.append("")
        lines.append(f"{marks[rd.change]} {rd.scorecard}/{rd.rule_id} ({label})")
        if rd.change == "changed" and rd.old_threshold != rd.new_threshold:
            lines.append(f"    thresholds: {rd.old_threshold} -> {rd.new_threshold}")
        if rd.change == "added":
            lines.append(f"    results: {_counts(rd.new_counts)}")
        elif rd.change == "deleted":
            lines.append(f"    results stop: was {_counts(rd.old_counts)}")
        else:
            lines.append(f"    before: {_counts(rd.old_counts)}")
            lines.append(f"    after:  {_counts(rd.new_counts)}")
        for e in rd.errors:
            lines.append(f"    ERROR {e}")
        what = {
            "added": "entities get a status",
            "deleted": "entities lose their status",
        }.get(rd.change, "entities change status")
        lines.append(f"    {len(rd.changes)} {what}" + (":" if rd.changes else ""))
        lines += [_change_line(c) for c in rd.changes[:limit]]
        if len(rd.changes) > limit:
            lines.append(f"      ... and {len(rd.changes) - limit} more")
    lines.append("")
    lines.append(f"maturity level: {len(report.levels)} entities change level")
    for lc in report.levels[:limit]:
        lower = lc.new is not None and (lc.old is None or lc.new < lc.old)
        why = f"  (blocked by {', '.join(lc.blockers)})" if lc.blockers and lower else ""
        old, new = _level_text(lc.old), _level_text(lc.new)
        lines.append(f"  {lc.entity_type:<8} {lc.entity_id:<28} {old} -> {new}{why}")
    if len(report.levels) > limit:
        lines.append(f"  ... and {len(report.levels) - limit} more")
    lines += [f"PROBLEM {p}" for p in report.problems]
    return "\n".join(lines)
