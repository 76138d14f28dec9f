"""The ladder, worked by hand: cumulative levels, what blocks, teams and the org."""

from __future__ import annotations

import pytest

from dagster_project.config import StatureConfig
from dagster_project.maturity.ladder import (
    EntityLevel,
    Ladder,
    aggregate_blockers,
    aggregate_level,
    entity_level,
    level_distribution,
    lower_median,
)

DEFAULT = Ladder(("Ad hoc", "Defined", "Measured", "Embedded", "Systemic"))


def r(rule_id, level, status, rollout="enforced"):
    return {"rule_id": rule_id, "level": level, "status": status, "rollout": rollout}


def test_the_default_and_the_named_alternative_ladder_come_from_config():
    assert Ladder.from_config(StatureConfig()).names == DEFAULT.names
    cmmi = Ladder.from_config(StatureConfig(maturity={"ladder": "cmmi"}))
    assert cmmi.names == ("Initial", "Managed", "Defined", "Quantitatively managed", "Optimized")
    assert (cmmi.key, cmmi.top, cmmi.name(4)) == ("cmmi", 5, "Quantitatively managed")


def test_levels_are_cumulative_a_failure_low_down_caps_everything_above():
    # passes at 3, 4 and 5 do not count while level 2 fails
    results = [r("a2", 2, "fail"), r("b3", 3, "pass"), r("c4", 4, "pass"), r("d5", 5, "pass")]
    got = entity_level(results, DEFAULT)
    assert (got.level, got.blockers) == (1, ("a2",))


def test_the_level_is_one_below_the_lowest_blocking_rule_and_blockers_are_the_next_level():
    results = [
        r("a2", 2, "pass"),
        r("b3", 3, "pass"),
        r("c3", 3, "exempt"),
        r("d4", 4, "fail"),
        r("e4", 4, "not_reported"),
        r("f5", 5, "fail"),
    ]
    got = entity_level(results, DEFAULT)
    # level 3; what gets it to 4 is d4 and e4 (f5 blocks 5, not 4)
    assert (got.level, got.blockers) == (3, ("d4", "e4"))
    assert got.counts == {
        "pass": 2,
        "warn": 0,
        "fail": 2,
        "not_reported": 1,
        "error": 0,
        "exempt": 1,
        "not_applicable": 0,
    }


@pytest.mark.parametrize(("warn_blocks", "level", "blockers"), [(False, 5, ()), (True, 2, ("w3",))])
def test_warn_blocks_only_when_configured(warn_blocks, level, blockers):
    results = [r("a2", 2, "pass"), r("w3", 3, "warn"), r("c4", 4, "pass")]
    got = entity_level(results, DEFAULT, warn_blocks=warn_blocks)
    assert (got.level, got.blockers) == (level, blockers)


def test_shadow_never_blocks_and_exempt_passes():
    results = [r("a2", 2, "fail", "shadow"), r("b3", 3, "exempt"), r("c4", 4, "pass")]
    assert entity_level(results, DEFAULT).level == 5


@pytest.mark.parametrize("status", ["not_reported", "error", "fail"])
def test_missing_data_and_errors_block(status):
    results = [r("a2", 2, "pass"), r("x3", 3, status)]
    got = entity_level(results, DEFAULT)
    assert (got.level, got.blockers) == (2, ("x3",))


def test_an_entity_no_enforced_levelled_rule_applies_to_is_unrated():
    # nothing applies (all not_applicable, shadow or unlevelled): not on the ladder at all,
    # neither its bottom (level 1) nor its top (level 5)
    results = [
        r("a2", 2, "not_applicable"),
        r("b3", 3, "fail", "shadow"),
        r("m", None, "fail"),  # a balanced-scorecard measure has no level
    ]
    got = entity_level(results, DEFAULT)
    assert (got.level, got.blockers, got.evidence) == (None, (), 0)
    assert DEFAULT.name(got.level) == "Unrated"
    assert entity_level([], DEFAULT).level is None
    # while one applicable rule at level 2 that passes lifts it to the top (cumulative)
    assert entity_level([r("a2", 2, "pass")], DEFAULT).level == 5
    assert entity_level([r("a2", 2, "fail")], DEFAULT).level == 1


def test_a_shorter_ladder_caps_the_level_and_names_it():
    three = Ladder(("Start", "Better", "Best"), key="mine")
    got = entity_level([r("a2", 2, "pass"), r("b5", 5, "fail")], three)
    assert (got.level, three.name(got.level), got.blockers) == (3, "Best", ())


@pytest.mark.parametrize(
    ("levels", "median"),
    [([2, 3], 2), ([1, 2, 3], 2), ([1, 1, 3, 3], 1), ([4], 4), ([5, 1, 5, 2, 5], 5)],
)
def test_the_lower_median_is_the_highest_level_more_than_half_have_reached(levels, median):
    assert lower_median(levels) == median


def test_a_team_is_the_median_of_its_services_capped_by_its_own_rules():
    no_own = EntityLevel(None, (), {}, 0)
    assert aggregate_level([1, 3, 4], no_own, DEFAULT) == 3
    assert aggregate_level([1, 3, 4], no_own, DEFAULT, rule="min") == 1
    own_at_2 = EntityLevel(2, ("t3",), {}, 1)
    assert aggregate_level([1, 3, 4], own_at_2, DEFAULT) == 2
    # no rated services: its own rules alone; nothing at all: unrated
    assert aggregate_level([], own_at_2, DEFAULT) == 2
    assert aggregate_level([], no_own, DEFAULT) is None
    unrated_own = EntityLevel(None, (), {}, 0)
    assert aggregate_level([], unrated_own, DEFAULT) is None
    assert aggregate_level([4, 2], unrated_own, DEFAULT) == 2
    assert aggregate_blockers(None, [], {}, {}, DEFAULT) == ()


def test_what_blocks_a_team_own_rules_at_the_next_level_and_its_services_not_above_it():
    own = [r("team_rule4", 4, "fail"), r("team_rule2", 2, "pass")]
    members = {
        "a": [r("runbook", 2, "pass"), r("sbom", 3, "fail")],  # level 2
        "b": [r("runbook", 2, "pass"), r("alerts", 3, "pass"), r("cfr", 5, "fail")],  # level 4
        "c": [r("runbook", 2, "fail"), r("alerts", 3, "fail")],  # level 1
    }
    member_levels = {"a": 2, "b": 4, "c": 1}
    # team level 2 (median of 1, 2, 4); to reach 3: a needs sbom, c needs runbook and alerts
    assert aggregate_level(list(member_levels.values()), entity_level(own, DEFAULT), DEFAULT) == 2
    assert aggregate_blockers(2, own, members, member_levels, DEFAULT) == (
        "alerts",
        "runbook",
        "sbom",
    )
    # at level 3, the team's own level-4 rule blocks too, and b (level 4) is not asked
    assert aggregate_blockers(3, own, members, member_levels, DEFAULT) == (
        "alerts",
        "runbook",
        "sbom",
        "team_rule4",
    )
    assert aggregate_blockers(5, own, members, member_levels, DEFAULT) == ()


def test_the_level_distribution_is_a_list_by_level():
    assert level_distribution([1, 1, 3, 5], DEFAULT) == [2, 0, 1, 0, 1]
    # unrated entities are on no level of the ladder
    assert level_distribution([None, 2, None], DEFAULT) == [0, 1, 0, 0, 0]
