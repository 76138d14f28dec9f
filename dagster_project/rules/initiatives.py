"""Initiatives: time-bound campaigns over the standards, one YAML file each in
`<rules_dir>/initiatives/<id>.yml` (docs/rules.md, "Initiatives"). This module reads and
validates them (file:line problems, as for rules) and lands their definitions in the
warehouse; the progress, the projection and the late list are dbt models over these tables.

    scorecards.initiatives        one row per valid initiative file
    scorecards.initiative_rules   the rules each initiative asks for (a scorecard and a level
                                  resolved to that scorecard's rules up to the level)
    scorecards.initiative_scope   the entities its applies_to covers, evaluated in the rule
                                  sandbox against the catalog of the run
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dagster_project.rules.loader import (
    INITIATIVES_DIR,
    RuleFile,
    _UniqueKeyLoader,
    key_lines,
    pydantic_problems,
)
from dagster_project.rules.messages import did_you_mean
from dagster_project.rules.model import ENTITY_KEYS, Problem
from dagster_project.rules.validate import Catalog, check_condition, entity_table

DEFAULT_PACE_DAYS = 28
DDL = """
create schema if not exists scorecards;
create table if not exists scorecards.initiatives (
    initiative_id VARCHAR NOT NULL, title VARCHAR NOT NULL, owner VARCHAR NOT NULL,
    description VARCHAR, entity VARCHAR NOT NULL, applies_to VARCHAR, scorecard VARCHAR,
    level INTEGER, start_date DATE NOT NULL, deadline DATE NOT NULL, target DOUBLE NOT NULL,
    pace_days INTEGER NOT NULL, path VARCHAR, version VARCHAR NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL
);
create table if not exists scorecards.initiative_rules (
    initiative_id VARCHAR NOT NULL, rule_id VARCHAR NOT NULL
);
create table if not exists scorecards.initiative_scope (
    initiative_id VARCHAR NOT NULL, entity_type VARCHAR NOT NULL, entity_id VARCHAR NOT NULL,
    as_of DATE
);
"""


def ensure_schema(con) -> None:
    con.execute(DDL)


class InitiativeSpec(BaseModel):
    """The keys of an initiative file. Unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_-]*$", max_length=80)
    title: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    description: str | None = None
    rules: list[str] | None = None
    scorecard: str | None = None
    level: int | None = Field(default=None, ge=2, le=5)
    entity: Literal["service", "team"] = "service"
    applies_to: str | None = None
    start: dt.date
    deadline: dt.date
    target: float = 1.0
    pace_days: int = Field(default=DEFAULT_PACE_DAYS, ge=1, le=366)

    @field_validator("target")
    @classmethod
    def _share(cls, value: float) -> float:
        if not 0 <= value <= 1:
            raise ValueError(
                f"target {value:g} is outside 0..1: write the share of covered entities that "
                "must pass (0.9 is 90%)"
            )
        return value

    @field_validator("applies_to")
    @classmethod
    def _non_empty(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("applies_to is empty: remove the key or write a condition")
        return value


@dataclass
class Initiative:
    """One initiative file: its spec when it reads, the rules it asks for, its problems."""

    path: Path
    initiative_id: str
    text: str
    spec: InitiativeSpec | None = None
    rule_ids: list[str] = field(default_factory=list)
    applies_to_sql: str | None = None
    problems: list[Problem] = field(default_factory=list)
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.spec is not None and not self.problems

    @property
    def version(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]

    def problem(self, message: str, hint: str = "", *, key: tuple[str, ...] = ()) -> Problem:
        line = self.lines.get(key) if key else None
        return Problem(self.path, line or (1 if not key else None), None, message, hint)


def initiatives_dir(rules_dir: Path) -> Path:
    return Path(rules_dir) / INITIATIVES_DIR


def initiative_files(rules_dir: Path) -> list[Path]:
    folder = initiatives_dir(rules_dir)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yml", ".yaml"))


def parse_initiative(path: Path, text: str) -> Initiative:
    """An initiative file read and its keys checked (rules and applies_to: `check_initiatives`)."""
    item = Initiative(path=Path(path), initiative_id=Path(path).stem, text=text)
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        item.problems.append(
            Problem(
                item.path,
                mark.line + 1 if mark else 1,
                mark.column + 1 if mark else None,
                f"not valid YAML: {reason}",
                "fix the YAML",
            )
        )
        return item
    if not isinstance(raw, dict):
        item.problems.append(
            Problem(
                item.path, 1, None, "an initiative file is a YAML mapping (title: ..., owner: ...)"
            )
        )
        return item
    item.lines = key_lines(text, 1)
    try:
        spec = InitiativeSpec(**{str(k): v for k, v in raw.items()})
    except ValidationError as exc:
        item.problems.extend(
            Problem(p.path, p.line, p.col, p.message, p.hint.replace("the header", "the file"))
            for p in pydantic_problems(
                exc, item.path, item.lines, 1, model=InitiativeSpec, given=map(str, raw),
                what="file",
            )
        )  # fmt: skip
        return item
    item.spec = spec
    _check_shape(item, spec)
    return item


def _check_shape(item: Initiative, spec: InitiativeSpec) -> None:
    if spec.id is not None and spec.id != item.path.stem:
        item.problems.append(
            item.problem(
                f"id '{spec.id}' does not match the file name '{item.path.name}'",
                f"rename the file to {spec.id}.yml or remove id:",
                key=("id",),
            )
        )
    if spec.deadline < spec.start:
        item.problems.append(
            item.problem(
                f"the deadline {spec.deadline} is before the start {spec.start}",
                "put the deadline on or after the start date",
                key=("deadline",),
            )
        )
    if spec.rules is not None and spec.scorecard is not None:
        item.problems.append(
            item.problem(
                "name either rules: or scorecard: (with level:), not both",
                "an initiative asks for a list of rules, or for a scorecard up to a level",
                key=("scorecard",),
            )
        )
    elif spec.rules is None and spec.scorecard is None:
        item.problems.append(
            item.problem(
                "missing key 'rules' (or 'scorecard' and 'level')",
                "say what the initiative asks for: rules: [runbook_linked], or a scorecard "
                "and the level to reach",
            )
        )
    elif spec.scorecard is not None and spec.level is None:
        item.problems.append(
            item.problem(
                "scorecard: needs level: (the level to reach, 2..5)", "add level:",
                key=("scorecard",),
            )
        )  # fmt: skip
    elif spec.rules is not None and spec.level is not None:
        item.problems.append(
            item.problem(
                "level: goes with scorecard:, not with rules:",
                "remove level:, or ask for a scorecard",
                key=("level",),
            )
        )
    elif spec.rules is not None and not spec.rules:
        item.problems.append(
            item.problem("rules: is empty", "list the rule ids it asks for", key=("rules",))
        )


def check_initiatives(
    items: list[Initiative], rules: list[RuleFile], catalog: Catalog | None
) -> list[Problem]:
    """Resolve each initiative's rules against the rule files (did-you-mean for an unknown
    rule or scorecard) and check its applies_to; returns every problem, those of parsing too."""
    by_id = {r.rule_id: r for r in rules if r.header is not None}
    scorecards = sorted({r.scorecard for r in by_id.values()})
    for item in items:
        spec = item.spec
        if spec is None or item.problems:
            continue
        if spec.rules is not None:
            for i, rule_id in enumerate(spec.rules):
                rule = by_id.get(rule_id)
                if rule is None:
                    item.problems.append(
                        item.problem(
                            f"unknown rule '{rule_id}'",
                            did_you_mean(rule_id, by_id) or "use a rule id from rules_sql/",
                            key=("rules", str(i)),
                        )
                    )
                elif rule.entity != spec.entity:
                    item.problems.append(
                        item.problem(
                            f"rule '{rule_id}' grades {rule.entity}s, the initiative covers "
                            f"{spec.entity}s",
                            f"set entity: {rule.entity}, or ask for a {spec.entity} rule",
                            key=("rules", str(i)),
                        )
                    )
                else:
                    item.rule_ids.append(rule_id)
        elif spec.scorecard not in scorecards:
            item.problems.append(
                item.problem(
                    f"unknown scorecard '{spec.scorecard}'",
                    did_you_mean(spec.scorecard or "", scorecards)
                    or f"scorecards: {', '.join(scorecards)}",
                    key=("scorecard",),
                )
            )
        else:
            item.rule_ids = _scorecard_rules(by_id.values(), spec)
            if not item.rule_ids:
                item.problems.append(
                    item.problem(
                        f"scorecard '{spec.scorecard}' has no {spec.entity} rule at level "
                        f"{spec.level} or below",
                        "pick another level or scorecard",
                        key=("level",),
                    )
                )
        if spec.applies_to:
            sql, problems = check_condition(
                spec.applies_to, spec.entity, item.path, item.lines.get(("applies_to",)), catalog
            )
            item.applies_to_sql = sql
            item.problems.extend(problems)
    return [p for item in items for p in item.problems]


def _scorecard_rules(rules, spec: InitiativeSpec) -> list[str]:
    """A scorecard up to a level: its rules of that entity with a level up to it, not drafts."""
    return sorted(
        r.rule_id
        for r in rules
        if r.scorecard == spec.scorecard
        and r.entity == spec.entity
        and r.header.level is not None
        and r.header.level <= (spec.level or 0)
        and r.header.rollout != "draft"
    )


def load_initiatives(rules_dir: Path) -> list[Initiative]:
    return [parse_initiative(p, p.read_text(encoding="utf-8")) for p in initiative_files(rules_dir)]


@dataclass
class LandReport:
    landed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    covered: dict[str, int] = field(default_factory=dict)


def land_initiatives(
    warehouse: Path, rules_dir: Path, rules: list[RuleFile], as_of: dt.date
) -> LandReport:
    """Replace the initiative tables with the valid initiatives of `rules_dir`, their rules
    and the entities their applies_to covers in the catalog; an invalid file is left out and
    reported (the others still land)."""
    from dagster_project.rules.sandbox import Sandbox
    from dagster_project.warehouse import connect

    items = load_initiatives(rules_dir)
    report = LandReport()
    with connect(warehouse, read_only=True) as con:
        catalog = Catalog.from_connection(con)
    report.problems = check_initiatives(items, rules, catalog)
    good = [i for i in items if i.ok]
    landed = []
    scope: list[tuple[str, str, str, dt.date]] = []
    with Sandbox(warehouse) as sandbox:
        for item in good:
            entity = item.spec.entity  # type: ignore[union-attr]
            schema, table = entity_table(entity)  # type: ignore[misc]
            key = ENTITY_KEYS[entity]
            if not catalog.has_table(schema, table):
                report.problems.append(
                    item.problem(f"{schema}.{table} not found: build the marts first (stature run)")
                )
                continue
            where = f"coalesce(({item.applies_to_sql}), false)" if item.applies_to_sql else "true"
            with sandbox.time_limit(sandbox.con):
                found = sandbox.con.execute(
                    f"select distinct {key}::varchar from {schema}.{table} "
                    f"where {key} is not null and {where} order by 1"
                ).fetchall()
            scope += [(item.initiative_id, entity, r[0], as_of) for r in found]
            report.covered[item.initiative_id] = len(found)
            landed.append(item)
    now = dt.datetime.now(dt.UTC)
    with connect(warehouse) as con:
        con.execute("begin")
        con.execute(DDL)
        for table in ("initiatives", "initiative_rules", "initiative_scope"):
            con.execute(f"delete from scorecards.{table}")
        for item in landed:
            s = item.spec
            assert s is not None
            con.execute(
                "insert into scorecards.initiatives values "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [item.initiative_id, s.title, s.owner, s.description, s.entity, s.applies_to,
                 s.scorecard, s.level, s.start, s.deadline, s.target, s.pace_days,
                 str(item.path), item.version, now],
            )  # fmt: skip
            con.executemany(
                "insert into scorecards.initiative_rules values (?, ?)",
                [(item.initiative_id, r) for r in item.rule_ids],
            )
        if scope:
            con.executemany("insert into scorecards.initiative_scope values (?, ?, ?, ?)", scope)
        con.execute("commit")
    report.landed = [i.initiative_id for i in landed]
    return report
