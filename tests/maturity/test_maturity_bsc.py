"""The balanced scorecard: every complete quarter graded by the dbt model
scorecards.balanced_scorecard (real dbt, on a warehouse written by hand) against the target in
effect for it, its trend, the target history Python reads from the headers, the measure-count
warnings, header validation with file and line, and the shipped measures against their seed.
Red / yellow / green and the trend, case by case, are the model's dbt unit tests
(dbt_project/models/scorecards/_scorecards__models.yml), which the dbt build here runs too."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from dagster_project.config import StatureConfig
from dagster_project.maturity.bsc import check_measures, load_measures, write_targets
from dagster_project.rules.catalog import write_rule_catalog
from dagster_project.rules.loader import load_rules, parse_rule
from dagster_project.rules.model import Problem
from tests.maturity.helpers import add_results, build_catalog, query, write_rule
from tests.support.dbt_run import create_like_model, dbt_build, insert_rows

REPO = Path(__file__).resolve().parents[2]
D = dt.date


# --- a scorecard built by hand ------------------------------------------------------------

MEASURES = {
    "speed": """
        entity: team
        perspective: Engineering Excellence
        objective: Fast flow
        direction: higher_is_better
        indicator: leading
        target: 10
        target_history:
          - {from: 2026-01-01, target: 12}
        unit: things/week
    """,
    "cost": """
        entity: team
        perspective: Business Value
        direction: lower_is_better
        indicator: lagging
        target: 5
        yellow_band: 0.2
    """,
    "mobility": """
        entity: org
        perspective: Team Capability
        direction: higher_is_better
        indicator: lagging
        target: 10
    """,
    "custom": """
        entity: org
        perspective: Customer Outcomes
        direction: higher_is_better
        indicator: lagging
        target: 1
    """,
}
SQL = "select entity_id as team_id, value from marts.bsc_measures where false\n"
ORG_SQL = "select 'org' as org_id, 1.0 as value\n"

Q4 = ("2025-Q4", "2025-10-01", "2025-12-31")
Q1 = ("2026-Q1", "2026-01-01", "2026-03-31")
Q2 = ("2026-Q2", "2026-04-01", "2026-06-30")  # open on 2026-05-15: not graded
VALUES = [
    (*Q4, "team", "t1", "speed", 11.0),
    (*Q4, "team", "t1", "cost", 5.0),
    (*Q4, "team", "t2", "speed", 9.0),
    (*Q4, "team", "t2", "cost", 6.0),
    (*Q4, "org", "org", "speed", 10.0),
    (*Q4, "org", "org", "cost", 5.5),
    (*Q4, "org", "org", "mobility", 9.0),
    (*Q4, "team", "t1", "mobility", 99.0),  # an org measure: a team row is ignored
    (*Q1, "team", "t1", "speed", 11.0),
    (*Q1, "team", "t1", "cost", 4.0),
    (*Q1, "team", "t2", "speed", 12.5),
    (*Q1, "org", "org", "speed", 10.7),
    (*Q1, "org", "org", "cost", 6.5),
    (*Q1, "org", "org", "mobility", 12.0),
    (*Q2, "team", "t1", "speed", 20.0),
]


@pytest.fixture(scope="module")
def scorecard(tmp_path_factory) -> tuple[Path, Path, list[str]]:
    """(warehouse, rules dir, the target-history warnings): the measures' headers in the rule
    catalog and bsc_targets (as the rule engine and the balanced-scorecard asset write them),
    values in marts.bsc_measures and check results, then dbt builds the scorecard as of
    2026-05-15."""
    tmp_path = tmp_path_factory.mktemp("bsc")
    rules = tmp_path / "rules_sql"
    for measure_id, header in MEASURES.items():
        entity_sql = ORG_SQL if "entity: org" in header else SQL
        write_rule(rules, measure_id, header, entity_sql, scorecard="balanced_scorecard")
    wh = build_catalog(tmp_path / "wh.duckdb", {"a": "t1", "b": "t2"})
    with duckdb.connect(str(wh)) as con:
        create_like_model(con, "marts.bsc_measures")
        insert_rows(
            con,
            "marts.bsc_measures",
            (
                dict(zip(("period", "period_start", "period_end", "entity_type", "entity_id",
                          "measure_id", "value"), row, strict=True))
                for row in VALUES
            ),
        )  # fmt: skip
    # `custom` is not in bsc_measures: its check results as of quarter ends stand in
    add_results(wh, "2025-12-31", [("custom", None, "org", "org", "pass")])
    add_results(wh, "2026-03-31", [("custom", None, "org", "org", "fail")])
    add_results(wh, "2026-02-01", [("custom", None, "org", "org", "fail")])
    with duckdb.connect(str(wh)) as con:
        con.execute("update scorecards.check_results set value = 1.0 where as_of = '2025-12-31'")
        con.execute("update scorecards.check_results set value = 0.5 where as_of <> '2025-12-31'")
    write_rule_catalog(wh, load_rules(rules))
    report = write_targets(StatureConfig(), warehouse=wh, rules_dir=rules)
    done = dbt_build(
        wh,
        "dim_calendar scorecards_balanced_scorecard",
        work_dir=tmp_path,
        variables={"as_of": "2026-05-15", "bsc_trend_flat_band": 0.1},
    )
    # the model's unit tests ran in the same build: red/yellow/green and the trend
    assert "balanced_scorecard_red_yellow_green" in done.stdout
    assert "balanced_scorecard_trend_in_the_measure_direction" in done.stdout
    return wh, rules, report.warnings


def test_every_complete_quarter_graded_against_its_own_target(scorecard):
    wh, _, warnings = scorecard
    # every measure has values (custom from its check results on 2025-12-31 and 2026-03-31)
    assert [w for w in warnings if "no values" in w] == []
    got = query(
        wh,
        "select period, entity_id, measure_id, value, target, status, previous_value, trend "
        "from scorecards.balanced_scorecard order by period, entity_type desc, entity_id, "
        "measure_id",
    )
    assert got == [
        ("2025-Q4", "t1", "cost", 5.0, 5.0, "green", None, None),
        ("2025-Q4", "t1", "speed", 11.0, 10.0, "green", None, None),
        ("2025-Q4", "t2", "cost", 6.0, 5.0, "yellow", None, None),
        ("2025-Q4", "t2", "speed", 9.0, 10.0, "yellow", None, None),
        ("2025-Q4", "org", "cost", 5.5, 5.0, "yellow", None, None),
        ("2025-Q4", "org", "custom", 1.0, 1.0, "green", None, None),
        ("2025-Q4", "org", "mobility", 9.0, 10.0, "yellow", None, None),
        ("2025-Q4", "org", "speed", 10.0, 10.0, "green", None, None),
        # from 2026-01-01 speed's target is 12 (yellow from 10.8): 11 is now yellow
        ("2026-Q1", "t1", "cost", 4.0, 5.0, "green", 5.0, "better"),
        ("2026-Q1", "t1", "speed", 11.0, 12.0, "yellow", 11.0, "flat"),
        ("2026-Q1", "t2", "cost", None, 5.0, "not_reported", 6.0, None),
        ("2026-Q1", "t2", "speed", 12.5, 12.0, "green", 9.0, "better"),
        ("2026-Q1", "org", "cost", 6.5, 5.0, "red", 5.5, "worse"),
        ("2026-Q1", "org", "custom", 0.5, 1.0, "red", 1.0, "worse"),
        ("2026-Q1", "org", "mobility", 12.0, 10.0, "green", 9.0, "better"),
        ("2026-Q1", "org", "speed", 10.7, 12.0, "red", 10.0, "better"),
    ]
    meta = query(
        wh,
        "select distinct measure_id, perspective, objective, direction, indicator, owner, "
        "yellow_band, yellow_limit, value_source from scorecards.balanced_scorecard "
        "where period = '2026-Q1' and entity_id = 'org' order by 1",
    )
    assert meta == [
        ("cost", "Business Value", None, "lower_is_better", "lagging", "test-team", 0.2, 6.0, "bsc_measures"),
        ("custom", "Customer Outcomes", None, "higher_is_better", "lagging", "test-team", 0.1, 0.9, "check_results"),
        ("mobility", "Team Capability", None, "higher_is_better", "lagging", "test-team", 0.1, 9.0, "bsc_measures"),
        ("speed", "Engineering Excellence", "Fast flow", "higher_is_better", "leading", "test-team", 0.1, 10.8, "bsc_measures"),
    ]  # fmt: skip


def test_the_target_history_is_kept(scorecard):
    got = query(
        scorecard[0],
        "select measure_id, valid_from, valid_to, target, yellow_limit from scorecards.bsc_targets "
        "order by measure_id, valid_from nulls first",
    )
    assert got == [
        ("cost", None, None, 5.0, 6.0),
        ("custom", None, None, 1.0, 0.9),
        ("mobility", None, None, 10.0, 9.0),
        ("speed", None, D(2026, 1, 1), 10.0, 9.0),
        ("speed", D(2026, 1, 1), None, 12.0, 10.8),
    ]


def test_check_results_grade_a_measure_against_its_last_target(scorecard):
    rules = load_rules(scorecard[1])
    rule = next(r for r in rules if r.rule_id == "speed")
    assert str(rule.header.thresholds) == "pass >= 12; warn >= 10.8"
    cost = next(r for r in rules if r.rule_id == "cost")
    assert str(cost.header.thresholds) == "pass <= 5; warn <= 6"


def test_a_measure_without_values_is_named(tmp_path):
    rules = tmp_path / "rules_sql"
    write_rule(rules, "silent", MEASURES["mobility"], ORG_SQL, scorecard="balanced_scorecard")
    wh = build_catalog(tmp_path / "wh.duckdb", {"a": "t1"})
    # a value, but not as of a quarter's last day
    add_results(wh, "2026-02-01", [("silent", None, "org", "org", "pass")])
    with duckdb.connect(str(wh)) as con:
        con.execute("update scorecards.check_results set value = 3.0")
    report = write_targets(StatureConfig(), warehouse=wh, rules_dir=rules)
    assert (report.measures, report.targets) == (1, 1)
    assert (
        "measure silent has no values: not in marts.bsc_measures and no check results as of a "
        "quarter's last day"
    ) in report.warnings


# --- the shape of the scorecard -------------------------------------------------------------


def _measures(tmp_path: Path, per_perspective: dict[str, int]):
    rules = tmp_path / "many"
    n = 0
    for perspective, count in per_perspective.items():
        for _ in range(count):
            n += 1
            write_rule(
                rules,
                f"m{n}",
                f"entity: team\nperspective: {perspective}\ndirection: higher_is_better\n"
                "indicator: leading\ntarget: 1",
                SQL,
                scorecard="bsc",
            )
    return load_measures(rules)


def test_more_than_20_measures_warns(tmp_path):
    measures = _measures(
        tmp_path,
        {
            "Business Value": 6,
            "Customer Outcomes": 5,
            "Engineering Excellence": 5,
            "Team Capability": 5,
        },
    )
    warnings = [str(w) for w in check_measures(measures, StatureConfig())]
    assert warnings == [
        "21 balanced-scorecard measures: more than balanced_scorecard.max_measures (20); "
        "keep the few that steer",
        "perspective 'Business Value' has 6 measures (3 to 5 keep it balanced)",
    ]
    assert check_measures(measures[1:], StatureConfig()) == []


def test_an_unknown_perspective_is_reported_with_file_and_line(tmp_path):
    measures = _measures(tmp_path, {"Finance": 1})
    problems = check_measures(measures, StatureConfig())
    unknown = [p for p in problems if isinstance(p, Problem)]
    assert len(unknown) == 1
    assert unknown[0].line == 7  # the file: /*---, id, title, scorecard, owner, entity, perspective
    assert "perspective 'Finance' is not one of balanced_scorecard.perspectives" in str(unknown[0])


@pytest.mark.parametrize(
    ("header", "line", "message"),
    [
        (
            "entity: service\nperspective: Business Value\ndirection: higher_is_better\n"
            "indicator: leading\ntarget: 1",
            7,
            "key 'perspective': a balanced-scorecard measure (perspective:) needs entity: team or org",
        ),
        (
            "entity: team\nperspective: Business Value\ndirection: higher_is_better\n"
            "indicator: leading\ntarget_history:\n  - {from: 2026-01-01, target: 2}\n"
            "  - {from: 2025-01-01, target: 1}",
            10,
            "key 'target_history': list the target changes oldest first",
        ),
        (
            "entity: team\nperspective: Business Value\ndirection: up\nindicator: leading\ntarget: 1",
            8,
            "key 'direction': 'up' is not one of 'higher_is_better' or 'lower_is_better'",
        ),
        (
            "entity: team\nperspective: Business Value\ndirection: higher_is_better\n"
            "indicator: soon\ntarget: 1",
            9,
            "key 'indicator': 'soon' is not one of 'leading' or 'lagging'",
        ),
        (
            "entity: team\nperspective: Business Value\ndirection: higher_is_better\n"
            "indicator: leading\ntarget: 1\nyellow_band: 2",
            11,
            "key 'yellow_band': 2 is above the highest allowed, 1.0",
        ),
        (
            "entity: team\nperspective: Business Value\nindicator: leading",
            2,
            "a balanced-scorecard measure (perspective: Business Value) needs direction, "
            "target (or target_history)",
        ),
        (
            "level: 2\ntarget: 5\nthresholds: {pass: '>= 1'}",
            2,
            "target: only for balanced-scorecard measures",
        ),
    ],
)
def test_a_bad_measure_header_names_the_file_and_line(tmp_path, header, line, message):
    path = write_rule(tmp_path / "rules", "bad", header, SQL, scorecard="bsc")
    rule = parse_rule(path, path.read_text(), tmp_path / "rules")
    assert len(rule.problems) == 1, rule.problems
    problem = rule.problems[0]
    assert (problem.path, problem.line) == (path, line)
    assert message in problem.message


# --- the shipped measures -------------------------------------------------------------------


def test_the_shipped_measures_fit_the_scorecard_and_match_their_seed():
    measures = load_measures(REPO / "rules_sql")
    assert 12 <= len(measures) <= 20
    assert check_measures(measures, StatureConfig()) == []
    with (REPO / "dbt_project" / "seeds" / "bsc_measure_catalog.csv").open() as handle:
        seed = {row["measure_id"]: row for row in csv.DictReader(handle)}
    assert set(seed) == {m.measure_id for m in measures}
    for m in measures:
        h = m.header
        assert (h.perspective, h.unit) == (
            seed[m.measure_id]["perspective"],
            seed[m.measure_id]["unit"],
        )
        assert h.entity in ("team", "org") and h.owner and h.objective
        assert m.rule.path.parent.name == "balanced_scorecard"
    changing = sorted(m.measure_id for m in measures if m.header.target_history)
    assert changing == ["change_failure_rate", "cost_per_transaction", "deployment_frequency"]


SHIPPED = [r for r in load_rules(REPO / "rules_sql") if r.scorecard == "balanced_scorecard"]


@pytest.fixture(scope="module")
def bsc_catalog(tmp_path_factory):
    from dagster_project.rules.validate import Catalog

    path = build_catalog(tmp_path_factory.mktemp("contract") / "wh.duckdb", {"a": "t1"})
    con = duckdb.connect(str(path))
    con.execute(
        "create table marts.bsc_measures (period varchar, period_start date, period_end date, "
        "entity_type varchar, entity_id varchar, perspective varchar, measure_id varchar, "
        "value double, unit varchar, source varchar)"
    )
    try:
        return Catalog.from_connection(con)
    finally:
        con.close()


@pytest.mark.parametrize("rule", SHIPPED, ids=[r.rule_id for r in SHIPPED])
def test_shipped_measure_is_valid_and_its_golden_fixtures_pass(rule, bsc_catalog):
    from dagster_project.rules.fixtures import fixture_path, run_fixtures
    from dagster_project.rules.validate import validate_rule

    assert validate_rule(rule, bsc_catalog).problems == []
    assert rule.header.remediation and rule.header.description
    assert fixture_path(rule).exists(), f"add {fixture_path(rule)}"
    results, problems = run_fixtures(rule)
    assert problems == [] and results
    for result in results:
        assert result.failures == [], f"{result.name}: {result.failures}"
