"""The rule header as a typed model, thresholds parsed once, and the problems a rule can have.

A threshold is text in the header (`">= 1"`, `"between 1 and 5"`); it is parsed here into a
`Threshold` that can test a value in Python and render the same test as SQL, so the engine,
`rules regrade` and the tests all agree on the edges.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

STATUSES = ("pass", "warn", "fail", "not_applicable", "not_reported", "exempt", "error")
# Statuses a rule may put in its own `status` column; exempt and error are the engine's.
RULE_STATUSES = ("pass", "warn", "fail", "not_applicable", "not_reported")
ENTITY_KEYS = {"service": "service_id", "team": "team_id", "org": "org_id"}
ORG_ENTITY_ID = "org"
ALLOWED_SCHEMAS = ("marts", "scorecards")
ROLLOUTS = ("draft", "shadow", "enforced")
# Balanced-scorecard measures: red/yellow/green around the target (docs/maturity.md).
DIRECTIONS = ("higher_is_better", "lower_is_better")
DEFAULT_YELLOW_BAND = 0.10  # yellow: missing the target by at most 10% of it
MEASURE_KEYS = ("objective", "direction", "indicator", "target", "target_history", "yellow_band")

_NAME = r"^[a-z][a-z0-9_]*$"
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_COMPARISON = re.compile(rf"^\s*(>=|<=|==|!=|>|<)\s*({_NUMBER})\s*$")
_BETWEEN = re.compile(rf"^\s*between\s+({_NUMBER})\s+and\s+({_NUMBER})\s*$", re.IGNORECASE)
THRESHOLD_FORMS = "'>= 1', '> 0', '<= 0.3', '< 5', '== 0', '!= 0' or 'between 1 and 5'"


def yellow_limit(target: float, direction: str, band: float) -> float:
    """The far edge of the yellow band: the target missed by `band` x |target|."""
    width = band * abs(target)
    return target - width if direction == "higher_is_better" else target + width


def tolerance(x: float) -> float:
    """How close two floats must be to count as equal at a threshold's edge.

    Values come out of SQL arithmetic (`0.1 + 0.2` is 0.30000000000000004), so an exact
    comparison would fail `<= 0.3` on a value everyone reads as 0.3.
    """
    return 1e-9 * max(1.0, abs(x))


@dataclass(frozen=True)
class Threshold:
    """One test on a rule's value: `op` is a comparison or `between` (inclusive)."""

    op: str
    a: float
    b: float | None = None

    @classmethod
    def parse(cls, text: str) -> Threshold:
        if not isinstance(text, str):
            raise ValueError(
                f"write the threshold as text with an operator, one of {THRESHOLD_FORMS}"
            )
        m = _COMPARISON.match(text)
        if m:
            return cls(m.group(1), float(m.group(2)))
        m = _BETWEEN.match(text)
        if m:
            lo, hi = float(m.group(1)), float(m.group(2))
            if lo > hi:
                raise ValueError(
                    f"'{text}': the lower bound comes first (between {hi:g} and {lo:g})"
                )
            return cls("between", lo, hi)
        raise ValueError(f"cannot read threshold {text!r}; write one of {THRESHOLD_FORMS}")

    def matches(self, value: float) -> bool:
        a, ta = self.a, tolerance(self.a)
        if self.op == ">=":
            return value >= a - ta
        if self.op == ">":
            return value > a + ta
        if self.op == "<=":
            return value <= a + ta
        if self.op == "<":
            return value < a - ta
        if self.op == "==":
            return abs(value - a) <= ta
        if self.op == "!=":
            return abs(value - a) > ta
        assert self.b is not None
        return a - ta <= value <= self.b + tolerance(self.b)

    def to_sql(self, column: str = "value") -> str:
        """The same test as `matches`, as a DuckDB boolean expression over `column`."""
        a, ta = self.a, tolerance(self.a)
        if self.op == ">=":
            return f"({column} >= {a - ta!r})"
        if self.op == ">":
            return f"({column} > {a + ta!r})"
        if self.op == "<=":
            return f"({column} <= {a + ta!r})"
        if self.op == "<":
            return f"({column} < {a - ta!r})"
        if self.op == "==":
            return f"(abs({column} - {a!r}) <= {ta!r})"
        if self.op == "!=":
            return f"(abs({column} - {a!r}) > {ta!r})"
        assert self.b is not None
        return f"({column} between {a - ta!r} and {self.b + tolerance(self.b)!r})"

    def __str__(self) -> str:
        if self.op == "between":
            return f"between {self.a:g} and {self.b:g}"
        return f"{self.op} {self.a:g}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Thresholds(_Strict):
    """`pass` is required; `warn` is tested only when `pass` fails; otherwise the value fails."""

    pass_: Threshold = Field(alias="pass")
    warn: Threshold | None = None

    @field_validator("pass_", "warn", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if value is None or isinstance(value, Threshold):
            return value
        return Threshold.parse(value)

    def grade(self, value: float | None) -> str:
        """pass / warn / fail for a value; not_reported for a missing one."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "not_reported"
        if self.pass_.matches(value):
            return "pass"
        if self.warn is not None and self.warn.matches(value):
            return "warn"
        return "fail"

    def __str__(self) -> str:
        text = f"pass {self.pass_}"
        return text + (f"; warn {self.warn}" if self.warn else "")


class TargetChange(_Strict):
    """A balanced-scorecard measure's target from a date on (target history)."""

    since: dt.date = Field(alias="from")
    target: float


class RuleHeader(_Strict):
    """The YAML header of a rule file (docs/rules.md). Unknown keys are refused."""

    id: str = Field(pattern=_NAME, max_length=80)
    title: str = Field(min_length=1)
    scorecard: str = Field(pattern=_NAME, max_length=80)
    level: int | None = Field(default=None, ge=2, le=5)
    owner: str = Field(min_length=1)
    entity: Literal["service", "team", "org"] = "service"
    applies_to: str | None = None
    thresholds: Thresholds | None = None
    unit: str | None = None
    rollout: Literal["draft", "shadow", "enforced"] = "enforced"
    enforce_from: dt.date | None = None
    remediation: str | None = None
    description: str | None = None
    tags: list[str] = []
    # Balanced-scorecard measures (docs/maturity.md).
    perspective: str | None = None
    objective: str | None = None
    direction: Literal["higher_is_better", "lower_is_better"] | None = None
    indicator: Literal["leading", "lagging"] | None = None
    target: float | None = None
    target_history: list[TargetChange] = []
    yellow_band: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="before")
    @classmethod
    def _measure_thresholds(cls, data: Any) -> Any:
        """A balanced-scorecard measure without `thresholds` is graded in check_results
        against its last listed target: pass at the target, warn within the yellow band."""
        if not isinstance(data, dict) or data.get("perspective") is None:
            return data
        if data.get("thresholds") is not None:
            return data
        history = data.get("target_history") or []
        last = history[-1] if isinstance(history, list) and history else None
        target = last.get("target") if isinstance(last, dict) else data.get("target")
        band = data.get("yellow_band", DEFAULT_YELLOW_BAND)
        band = DEFAULT_YELLOW_BAND if band is None else band
        direction = data.get("direction")
        numbers = all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
            for x in (target, band)
        )
        if not numbers or direction not in DIRECTIONS or not 0 <= band <= 1:
            return data  # the field validators say what is wrong
        op = ">=" if direction == "higher_is_better" else "<="
        limit = yellow_limit(float(target), direction, float(band))
        return {
            **data,
            "thresholds": {"pass": f"{op} {float(target)!r}", "warn": f"{op} {limit!r}"},
        }

    @field_validator("perspective")
    @classmethod
    def _measure_entity(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            if not value.strip():
                raise ValueError(
                    "perspective is empty: name one of balanced_scorecard.perspectives"
                )
            if info.data.get("entity", "service") == "service":
                raise ValueError(
                    "a balanced-scorecard measure (perspective:) needs entity: team or org "
                    "(a team measure is also graded for the org)"
                )
        return value

    @field_validator("target_history")
    @classmethod
    def _history_in_order(cls, value: list[TargetChange]) -> list[TargetChange]:
        for before, after in itertools.pairwise(value):
            if after.since <= before.since:
                raise ValueError(
                    f"list the target changes oldest first, each from a later date "
                    f"({after.since} comes after {before.since})"
                )
        return value

    @field_validator("applies_to")
    @classmethod
    def _non_empty(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("applies_to is empty: remove the key or write a condition")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RuleHeader:
        if self.level is None and self.perspective is None:
            raise ValueError(
                "level is required: the maturity level this rule belongs to (2..5); "
                "only balanced-scorecard measures (with `perspective:`) may leave it out"
            )
        if self.entity == "org" and self.applies_to:
            raise ValueError("applies_to is not allowed for entity: org (there is one org)")
        if self.rollout == "draft" and self.enforce_from:
            raise ValueError("enforce_from needs rollout: shadow or enforced, not draft")
        if self.perspective is not None:
            missing = [k for k in ("direction", "indicator") if getattr(self, k) is None]
            if self.target is None and not self.target_history:
                missing.append("target (or target_history)")
            if missing:
                raise ValueError(
                    f"a balanced-scorecard measure (perspective: {self.perspective}) needs "
                    + ", ".join(missing)
                )
        else:
            stray = [k for k in MEASURE_KEYS if k in self.model_fields_set]
            if stray:
                raise ValueError(
                    f"{', '.join(stray)}: only for balanced-scorecard measures; "
                    "add perspective: (and entity: team or org), or remove them"
                )
        return self

    def target_for(self, period_start: dt.date) -> float | None:
        """The measure's target for a period starting on `period_start`: the last
        target_history entry from that day or before, else `target` (None before the first
        change when there is no `target`)."""
        current = self.target
        for change in self.target_history:
            if change.since <= period_start:
                current = change.target
        return current

    @property
    def entity_key(self) -> str:
        return ENTITY_KEYS[self.entity]

    def effective_rollout(self, as_of: dt.date) -> str:
        """The rollout stored for `as_of`: a rule with `enforce_from` is shadow before it."""
        if self.rollout == "draft":
            return "draft"
        if self.enforce_from is not None:
            return "enforced" if as_of >= self.enforce_from else "shadow"
        return self.rollout

    @property
    def threshold_text(self) -> str | None:
        return str(self.thresholds) if self.thresholds else None


@dataclass(frozen=True)
class Problem:
    """Something wrong with a rule or exemption file, said so an analyst can fix it."""

    path: Path
    line: int | None
    col: int | None
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = display_path(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        text = f"{where}: {self.message}"
        return text + (f" ({self.hint})" if self.hint else "")


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it is below it (shorter messages)."""
    path = Path(path)
    if path.is_absolute() and path.is_relative_to(Path.cwd()):
        return os.path.relpath(path)
    return str(path)
