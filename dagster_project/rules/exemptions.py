"""`rules_sql/exemptions.yml`: approved exceptions to a standard for one entity, each with
an expiry date. An expired exemption has no effect; one naming an unknown rule or entity is
an error (it is not applied, and the run says so).

```yaml
- rule: deploys_weekly
  entity: legacy-billing          # a service id, team id, or org
  reason: frozen until the migration to the new platform ends
  approver: cto@example.com
  expires: 2026-12-31             # required; the last day it applies
  since: 2026-07-01               # optional; the first day it applies (default: always)
```
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from dagster_project.rules.loader import RuleFile, key_lines, pydantic_problems
from dagster_project.rules.messages import did_you_mean
from dagster_project.rules.model import ORG_ENTITY_ID, Problem

EXEMPTIONS_FILE = "exemptions.yml"


class Exemption(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str = Field(min_length=1)
    entity: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    expires: dt.date
    since: dt.date | None = None
    line: int | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _ordered(self) -> Exemption:
        if self.since and self.since > self.expires:
            raise ValueError(f"since ({self.since}) is after expires ({self.expires})")
        return self

    def live_on(self, as_of: dt.date) -> bool:
        return as_of <= self.expires and (self.since is None or as_of >= self.since)

    @property
    def note(self) -> str:
        return f"exempt until {self.expires} (approved by {self.approver}): {self.reason}"


def exemptions_path(rules_dir: Path) -> Path:
    return Path(rules_dir) / EXEMPTIONS_FILE


def load_exemptions(path: Path) -> tuple[list[Exemption], list[Problem]]:
    """The entries of an exemptions file (absent file: none) and the problems found."""
    path = Path(path)
    if not path.exists():
        return [], []
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [
            Problem(
                path,
                mark.line + 1 if mark else None,
                mark.column + 1 if mark else None,
                f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                _yaml_hint(text) + "no exemption applies until it parses",
            )
        ]
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [
            Problem(
                path,
                1,
                None,
                "exemptions.yml must be a list of entries",
                "start each entry with '- rule: ...'",
            )
        ]
    lines = key_lines(text, 1)
    entries: list[Exemption] = []
    problems: list[Problem] = []
    for i, item in enumerate(raw):
        line = lines.get((str(i),))
        if not isinstance(item, dict):
            problems.append(
                Problem(
                    path,
                    line,
                    None,
                    f"entry {i + 1} is not a mapping",
                    "write rule:, entity:, reason:, approver:, expires:",
                )
            )
            continue
        try:
            entries.append(Exemption(**{str(k): v for k, v in item.items()}, line=line))
        except ValidationError as exc:
            item_lines = {key[1:]: n for key, n in lines.items() if key[:1] == (str(i),)}
            for p in pydantic_problems(
                exc, path, item_lines, line, model=Exemption, given=map(str, item), what="entry"
            ):
                hint = p.hint
                if "expires" in p.message and "missing" in p.message:
                    hint = "every exemption expires: add expires: YYYY-MM-DD"
                problems.append(Problem(p.path, p.line, p.col, f"entry {i + 1}: {p.message}", hint))
    return entries, problems


def _yaml_hint(text: str) -> str:
    """Why a list of exemptions does not parse, for the usual mistake: an inline empty list
    (`[]`) left in the file when entries (`- rule: ...`) were added below or above it."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() == "[]" and re.search(r"^\s*-\s", text, re.MULTILINE):
            return (
                f"line {number} holds `[]` (an empty list) and the file also has entries "
                "starting with '- ': a file is one list, so delete the `[]` line; "
            )
    return "fix the YAML; "


def check_exemptions(
    entries: Iterable[Exemption],
    path: Path,
    rules: Iterable[RuleFile],
    entities: Mapping[str, set[str]] | None = None,
) -> tuple[list[Exemption], list[Problem]]:
    """The entries that may apply, and problems for those naming a rule that does not exist
    or (when the warehouse is known) an entity not in dim_services / dim_teams / org."""
    by_id = {r.rule_id: r for r in rules}
    good, problems = [], []
    for e in entries:
        rule = by_id.get(e.rule)
        if rule is None:
            problems.append(
                Problem(
                    path,
                    e.line,
                    None,
                    f"exemption for unknown rule '{e.rule}'",
                    did_you_mean(e.rule, by_id) or "check the rule id, or remove the entry",
                )
            )
            continue
        if entities is not None:
            kind = rule.entity
            known = {ORG_ENTITY_ID} if kind == "org" else entities.get(kind, set())
            if e.entity not in known:
                problems.append(
                    Problem(
                        path,
                        e.line,
                        None,
                        f"exemption of rule '{e.rule}' names unknown {kind} '{e.entity}'",
                        did_you_mean(e.entity, known)
                        or f"use a {kind} id from the catalog, or remove the entry",
                    )
                )
                continue
        good.append(e)
    return good, problems
