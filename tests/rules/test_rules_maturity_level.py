"""maturity_level(): the maturity rule as a pure function. An entity that no enforced,
levelled rule applies to is unrated (None), never the bottom or the top of the ladder."""

from __future__ import annotations

import pytest

from dagster_project.rules.maturity_level import (
    levels_by_entity,
    maturity_level,
    next_level_blockers,
)


def r(level, status, rollout="enforced", rule_id=None):
    return {
        "level": level,
        "status": status,
        "rollout": rollout,
        "rule_id": rule_id or f"l{level}_{status}",
    }


@pytest.mark.parametrize(
    ("results", "warn_blocks", "expected"),
    [
        ([], False, None),
        ([r(2, "pass"), r(3, "pass"), r(4, "exempt"), r(5, "not_applicable")], False, 5),
        ([r(2, "not_applicable"), r(3, "not_applicable")], False, None),
        ([r(4, "exempt")], False, 5),
        ([r(2, "pass"), r(3, "fail")], False, 2),
        ([r(2, "fail"), r(5, "pass")], False, 1),
        ([r(3, "warn")], False, 5),
        ([r(3, "warn")], True, 2),
        ([r(4, "not_reported")], False, 3),
        ([r(4, "error")], False, 3),
        ([r(2, "fail", rollout="shadow")], False, None),
        ([r(2, "fail", rollout="draft")], False, None),
        ([r(None, "fail")], False, None),
        ([r(None, "fail"), r(3, "pass")], False, 5),
        ([r(5, "fail"), r(3, "fail"), r(4, "pass")], False, 2),
    ],
)
def test_maturity_level(results, warn_blocks, expected):
    assert maturity_level(results, warn_blocks) == expected


def test_next_level_blockers_and_grouping():
    rows = [
        {**r(2, "pass", rule_id="runbook"), "entity_type": "service", "entity_id": "a"},
        {**r(3, "fail", rule_id="deploys"), "entity_type": "service", "entity_id": "a"},
        {**r(3, "not_reported", rule_id="alerts"), "entity_type": "service", "entity_id": "a"},
        {**r(5, "fail", rule_id="elite"), "entity_type": "service", "entity_id": "a"},
        {**r(2, "fail", rule_id="runbook"), "entity_type": "service", "entity_id": "b"},
        {**r(4, "pass", rule_id="x"), "entity_type": "team", "entity_id": "t"},
    ]
    assert next_level_blockers(rows[:4]) == ["alerts", "deploys"]
    assert next_level_blockers([rows[5]]) == []
    assert maturity_level(rows[:4], top_level=3) == 2
    assert levels_by_entity(rows) == {("service", "a"): 2, ("service", "b"): 1, ("team", "t"): 5}
    # unrated: no level and nothing blocks it (it is not on the ladder)
    shadow = {**r(2, "fail", rollout="shadow"), "entity_type": "service", "entity_id": "c"}
    assert levels_by_entity([shadow]) == {("service", "c"): None}
    assert next_level_blockers([shadow]) == []
