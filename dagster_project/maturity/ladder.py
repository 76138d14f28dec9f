"""The maturity ladder (names from config) and an entity's level on it.

The per-entity rule is `dagster_project.rules.maturity_level` (DESIGN "Maturity and the
balanced scorecard"): cumulative levels; `fail`, `not_reported` and `error` block; `warn`
blocks only with `maturity.warn_blocks`; `exempt` passes; shadow, draft and unlevelled rules
(balanced-scorecard measures) never block. This module adds what a snapshot needs on top:

- **No evidence, no level.** An entity with no applicable, enforced, levelled rule (all its
  results are not_applicable, shadow or draft, or it has none) stays at level 1: the DESIGN's
  cumulative rule alone would put it at the top of the ladder by default.
- **Teams and the org.** A team's level is the *lower median* of the levels of the services
  it owns at the snapshot date (`maturity.team_level: median`; or their minimum with `min`),
  capped by the team's own rules (`entity: team`); the org's is the same over every service,
  capped by the org's own rules. The lower median is the highest level that more than half
  of the services have reached: [2, 3] -> 2, [1, 2, 3] -> 2, [1, 1, 3, 3] -> 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dagster_project.config import StatureConfig
from dagster_project.rules.maturity_level import blocks, maturity_level, next_level_blockers

STATUS_COLUMNS = (
    "pass",
    "warn",
    "fail",
    "not_reported",
    "error",
    "exempt",
    "not_applicable",
)


@dataclass(frozen=True)
class Ladder:
    """Level names, level 1 first."""

    names: tuple[str, ...]
    key: str = "default"

    @classmethod
    def from_config(cls, config: StatureConfig) -> Ladder:
        return cls(tuple(config.ladder_names), config.maturity.ladder)

    def __post_init__(self) -> None:
        if len(self.names) < 2:
            raise ValueError("a maturity ladder needs at least two levels")

    @property
    def top(self) -> int:
        return len(self.names)

    def name(self, level: int) -> str:
        return self.names[level - 1]


def _get(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, Mapping) else getattr(record, name, None)


def counts_toward_level(record: Any) -> bool:
    """An applicable, enforced result of a levelled rule: evidence for the ladder."""
    return (
        _get(record, "level") is not None
        and _get(record, "rollout") == "enforced"
        and _get(record, "status") != "not_applicable"
    )


@dataclass(frozen=True)
class EntityLevel:
    level: int
    blockers: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=dict)
    evidence: int = 0  # applicable, enforced, levelled results


def status_counts(results: Iterable[Any]) -> dict[str, int]:
    """Results of enforced, levelled rules by status (the columns of a snapshot)."""
    counts = dict.fromkeys(STATUS_COLUMNS, 0)
    for r in results:
        if _get(r, "level") is not None and _get(r, "rollout") == "enforced":
            status = _get(r, "status")
            if status in counts:
                counts[status] += 1
    return counts


def entity_level(results: Sequence[Any], ladder: Ladder, warn_blocks: bool = False) -> EntityLevel:
    """The level of ONE entity from its results for one date, and what blocks the next."""
    results = list(results)
    evidence = sum(1 for r in results if counts_toward_level(r))
    counts = status_counts(results)
    if evidence == 0:
        return EntityLevel(1, (), counts, 0)
    level = maturity_level(results, warn_blocks, top_level=ladder.top)
    blockers = next_level_blockers(results, warn_blocks, top_level=ladder.top)
    return EntityLevel(level, tuple(blockers), counts, evidence)


def lower_median(levels: Sequence[int]) -> int:
    ordered = sorted(levels)
    return ordered[(len(ordered) - 1) // 2]


def aggregate_level(
    member_levels: Sequence[int], own: EntityLevel, ladder: Ladder, rule: str = "median"
) -> int:
    """A team's or the org's level: the median (or min) of its services' levels, capped by
    its own rules' level. No services and no own evidence: level 1."""
    if member_levels:
        base = lower_median(member_levels) if rule == "median" else min(member_levels)
        return min(base, own.level) if own.evidence else base
    return own.level


def aggregate_blockers(
    level: int,
    own_results: Sequence[Any],
    member_results: Mapping[str, Sequence[Any]],
    member_levels: Mapping[str, int],
    ladder: Ladder,
    warn_blocks: bool = False,
) -> tuple[str, ...]:
    """What keeps a team or the org from `level + 1`: its own rules blocking at that level,
    and, for each service not yet above `level`, the rules blocking it at or below it."""
    if level >= ladder.top:
        return ()
    target = level + 1
    ids = {
        str(_get(r, "rule_id"))
        for r in own_results
        if blocks(r, warn_blocks) and int(_get(r, "level")) <= target
    }
    for member, rows in member_results.items():
        if member_levels.get(member, 1) <= level:
            ids |= {
                str(_get(r, "rule_id"))
                for r in rows
                if blocks(r, warn_blocks) and int(_get(r, "level")) <= target
            }
    return tuple(sorted(ids))


def level_distribution(levels: Iterable[int], ladder: Ladder) -> list[int]:
    """Entities per level as a list: element i holds level i + 1 (DuckDB lists are 1-based,
    so `level_counts[3]` is the count at level 3 in SQL)."""
    out = [0] * ladder.top
    for level in levels:
        out[level - 1] += 1
    return out
