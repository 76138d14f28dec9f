"""An entity's maturity level from its check results (docs/maturity.md, "Maturity and the balanced
scorecard"). Pure functions over plain records: used by `rules diff` and by the quarterly
maturity snapshots.

The rule: every entity starts at level 1. It is at level L if every applicable, enforced rule
with level <= L is pass, exempt or warn (warn blocks only when `warn_blocks`). Missing data
(`not_reported`), `fail` and `error` block. Shadow and draft rules never block, nor do rules
without a level (balanced-scorecard measures), nor `not_applicable` results.

So the level is one below the lowest level among blocking rules, capped at the top of the
ladder: with blockers at levels 3 and 5 an entity is at level 2; with none, at the top.

An entity that no enforced, levelled rule applies to (no result, or only not_applicable,
shadow, draft or unlevelled ones) is **unrated**: its level is None, neither the bottom nor
the top of the ladder, and nothing blocks it.

A record is any mapping or object with `level`, `status`, `rollout` (and `rule_id`,
`entity_type`, `entity_id` where the functions group or name rules), e.g. a row of
`scorecards.check_results` as a dict.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

TOP_LEVEL = 5
BLOCKING = frozenset({"fail", "not_reported", "error"})


def _get(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, Mapping) else getattr(record, name, None)


def applies(record: Any) -> bool:
    """An applicable result of an enforced, levelled rule: evidence that rates an entity."""
    return (
        _get(record, "level") is not None
        and _get(record, "rollout") == "enforced"
        and _get(record, "status") != "not_applicable"
    )


def blocks(record: Any, warn_blocks: bool = False) -> bool:
    """Whether one check result holds its entity below the rule's level."""
    if _get(record, "rollout") != "enforced" or _get(record, "level") is None:
        return False
    status = _get(record, "status")
    return status in BLOCKING or (warn_blocks and status == "warn")


def maturity_level(
    results: Iterable[Any], warn_blocks: bool = False, *, top_level: int = TOP_LEVEL
) -> int | None:
    """The level (1..top_level) of ONE entity from its check results for one date, or None
    when it is unrated.

    >>> maturity_level([{"level": 2, "status": "pass", "rollout": "enforced"},
    ...                 {"level": 4, "status": "fail", "rollout": "enforced"}])
    3
    """
    level, rated = top_level, False
    for record in results:
        rated = rated or applies(record)
        if blocks(record, warn_blocks):
            level = min(level, int(_get(record, "level")) - 1)
    return max(1, level) if rated else None


def next_level_blockers(
    results: Iterable[Any], warn_blocks: bool = False, *, top_level: int = TOP_LEVEL
) -> list[str]:
    """The rule ids that keep ONE entity from the next level ("what gets us there"):
    the blocking rules at exactly the level above the current one, sorted."""
    results = list(results)
    level = maturity_level(results, warn_blocks, top_level=top_level)
    if level is None or level >= top_level:
        return []
    return sorted(
        {
            str(_get(r, "rule_id"))
            for r in results
            if blocks(r, warn_blocks) and int(_get(r, "level")) == level + 1
        }
    )


def levels_by_entity(
    results: Iterable[Any], warn_blocks: bool = False, *, top_level: int = TOP_LEVEL
) -> dict[tuple[str, str], int | None]:
    """{(entity_type, entity_id): level, None if unrated} for every entity with a result."""
    grouped: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for record in results:
        grouped[(str(_get(record, "entity_type")), str(_get(record, "entity_id")))].append(record)
    return {
        key: maturity_level(rows, warn_blocks, top_level=top_level) for key, rows in grouped.items()
    }
