"""The maturity ladder (names from config) and an entity's level on it.

The per-entity rule is `dagster_project.rules.maturity_level` (docs/maturity.md, "Maturity and the
balanced scorecard"): cumulative levels; `fail`, `not_reported` and `error` block; `warn`
blocks only with `maturity.warn_blocks`; `exempt` passes; shadow, draft and unlevelled rules
(balanced-scorecard measures) never block. This module adds what a snapshot needs on top:

- **No evidence, no level.** An entity with no applicable, enforced, levelled rule (all its
  results are not_applicable, shadow or draft, or it has none) is *unrated*: level None,
  named `Unrated`, neither the bottom nor the top of the ladder.
- **Teams and the org.** A team's level is the *lower median* of the levels of the rated
  services it owns at the snapshot date (`maturity.team_level: median`; or their minimum
  with `min`), capped by the team's own rules (`entity: team`); the org's is the same over
  every rated service, capped by the org's own rules. Unrated services are left out; with no
  rated service and no own rule, the team (or org) is unrated too. The lower median is the
  highest level that more than half of the services have reached: [2, 3] -> 2,
  [1, 2, 3] -> 2, [1, 1, 3, 3] -> 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dagster_project.config import StatureConfig
from dagster_project.rules.maturity_level import (
    applies,
    blocks,
    maturity_level,
    next_level_blockers,
)

UNRATED = "Unrated"
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

    def name(self, level: int | None) -> str:
        return UNRATED if level is None else self.names[level - 1]


def _get(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, Mapping) else getattr(record, name, None)


counts_toward_level = applies  # an applicable, enforced result of a levelled rule


@dataclass(frozen=True)
class EntityLevel:
    level: int | None  # None: unrated
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
        return EntityLevel(None, (), counts, 0)
    level = maturity_level(results, warn_blocks, top_level=ladder.top)
    blockers = next_level_blockers(results, warn_blocks, top_level=ladder.top)
    return EntityLevel(level, tuple(blockers), counts, evidence)


def lower_median(levels: Sequence[int]) -> int:
    ordered = sorted(levels)
    return ordered[(len(ordered) - 1) // 2]


def aggregate_level(
    member_levels: Sequence[int | None], own: EntityLevel, ladder: Ladder, rule: str = "median"
) -> int | None:
    """A team's or the org's level: the median (or min) of its rated services' levels,
    capped by its own rules' level. No rated service and no own evidence: unrated (None)."""
    member_levels = [level for level in member_levels if level is not None]
    if member_levels:
        base = lower_median(member_levels) if rule == "median" else min(member_levels)
        return min(base, own.level) if own.evidence else base
    return own.level


def aggregate_blockers(
    level: int | None,
    own_results: Sequence[Any],
    member_results: Mapping[str, Sequence[Any]],
    member_levels: Mapping[str, int],
    ladder: Ladder,
    warn_blocks: bool = False,
) -> tuple[str, ...]:
    """What keeps a team or the org from `level + 1`: its own rules blocking at that level,
    and, for each service not yet above `level`, the rules blocking it at or below it.
    Nothing blocks an unrated team or org: no enforced rule rates it."""
    if level is None or level >= ladder.top:
        return ()
    target = level + 1
    ids = {
        str(_get(r, "rule_id"))
        for r in own_results
        if blocks(r, warn_blocks) and int(_get(r, "level")) <= target
    }
    for member, rows in member_results.items():
        member_level = member_levels.get(member)
        if member_level is not None and member_level <= level:
            ids |= {
                str(_get(r, "rule_id"))
                for r in rows
                if blocks(r, warn_blocks) and int(_get(r, "level")) <= target
            }
    return tuple(sorted(ids))


def level_distribution(levels: Iterable[int | None], ladder: Ladder) -> list[int]:
    """Rated entities per level as a list: element i holds level i + 1 (DuckDB lists are
    1-based, so `level_counts[3]` is the count at level 3 in SQL); unrated ones are on none."""
    out = [0] * ladder.top
    for level in levels:
        if level is not None:
            out[level - 1] += 1
    return out
