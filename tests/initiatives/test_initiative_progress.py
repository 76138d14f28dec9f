"""An initiative's progress, projection and late list, worked out by hand: real rule and
initiative files landed by the initiatives stage (applies_to run in the rule sandbox), then
the real dbt models built on a warehouse holding a few days of check results.

    services  s1, s2 (team a, tier-1); s3, s4 (team b, tier-1; s4 moves to team a on
              2026-11-05); s5 (team b, tier-2: outside applies_to)
    rules     r1 (level 2), r2 (level 3), r3 (level 4) of scorecard sc
    `runbooks` asks for r1 and r2 of tier-1 services, 2026-11-01 to 2026-11-30, target 0.75

    day    s1          s2          s3              s4              passing exempt failing share
    10-31  (before the start: not counted)
    11-01  pass,pass   fail,pass   fail,fail       warn,pass       1       0      3       1/4
    11-05  pass,pass   pass,pass   exempt,pass     pass,error      2       1      1       2/3
    11-10  pass,n/a    pass,pass   exempt,pass     pass,(none)     2       1      1       2/3

    pace over 28 days: (2/3 - 1/4) / 9 days = 5/108 a day; on the deadline (20 days on):
    2/3 + 100/108 > 1 -> 1.0, on track; the target 0.75 is 1/12 away: ceil(1.8) = 2 days ->
    2026-11-12. `flat` is the same over a 5-day window (11-05..11-10): pace 0, projected 2/3
    < 0.75 -> at risk; `early`'s 3-day window holds one day: no pace yet. `sc_l3` asks for
    scorecard sc up to level 3 = r1 and r2, no applies_to (all five services).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from dagster_project.rules import store
from dagster_project.rules.initiatives import land_initiatives
from dagster_project.rules.loader import load_rules
from tests.rules.rules_helpers import build_warehouse, insert_rows, rule_text
from tests.support.dbt_run import dbt_build

D = dt.date
RESULTS = {  # day -> service -> (r1, r2); None: no row that day
    D(2026, 10, 31): {"s1": ("fail", "fail"), "s2": ("fail", "fail")},
    D(2026, 11, 1): {
        "s1": ("pass", "pass"), "s2": ("fail", "pass"), "s3": ("fail", "fail"),
        "s4": ("warn", "pass"), "s5": ("fail", "fail"),
    },
    D(2026, 11, 5): {
        "s1": ("pass", "pass"), "s2": ("pass", "pass"), "s3": ("exempt", "pass"),
        "s4": ("pass", "error"), "s5": ("fail", "fail"),
    },
    D(2026, 11, 10): {
        "s1": ("pass", "not_applicable"), "s2": ("pass", "pass"), "s3": ("exempt", "pass"),
        "s4": ("pass", None), "s5": ("pass", "pass"),
    },
}  # fmt: skip
MODELS = (
    "scorecards_initiative_progress scorecards_initiative_status initiative_progress "
    "initiative_status initiative_late_entities"
)
INITIATIVE = """\
title: Tier-1 runbooks
owner: sre-team
rules: [r1, r2]
applies_to: "tier = 'tier-1'"
start: 2026-11-01
deadline: 2026-11-30
target: 0.75
"""


def _warehouse(path: Path) -> Path:
    services = [
        {"service_id": "s1", "team_id": "a"},
        {"service_id": "s2", "team_id": "a"},
        {"service_id": "s3", "team_id": "b"},
        {"service_id": "s4", "team_id": "a"},
        {"service_id": "s5", "team_id": "b", "tier": "tier-2"},
    ]
    ownership = [
        {"service_id": s, "team_id": t, "valid_from": D(1970, 1, 1), "valid_to": None}
        for s, t in (("s1", "a"), ("s2", "a"), ("s3", "b"), ("s5", "b"))
    ] + [
        {"service_id": "s4", "team_id": "b", "valid_from": D(1970, 1, 1), "valid_to": D(2026, 11, 5)},
        {"service_id": "s4", "team_id": "a", "valid_from": D(2026, 11, 5), "valid_to": None},
    ]  # fmt: skip
    build_warehouse(
        path,
        {
            "marts.dim_services": services,
            "marts.dim_teams": [{"team_id": "a", "name": "Team A"}, {"team_id": "b", "name": "Team B"}],
        },
    )  # fmt: skip
    rows = []
    for day, by_service in RESULTS.items():
        for service, statuses in by_service.items():
            for rule, status in zip(("r1", "r2"), statuses, strict=True):
                if status is not None:
                    rows.append(_result(day, rule, service, status))
    with duckdb.connect(str(path)) as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(store.DDL)
        insert_rows(con, "scorecards.check_results", rows)
        con.execute(
            "create or replace table marts.dim_service_teams (service_id varchar, team_id "
            "varchar, valid_from date, valid_to date, recorded_from date, is_current boolean)"
        )
        insert_rows(con, "marts.dim_service_teams", ownership)
    return path


def _result(day: dt.date, rule: str, service: str, status: str) -> dict:
    return {
        "as_of": day, "rule_id": rule, "rule_version": "v", "scorecard": "sc", "level": 2,
        "entity_type": "service", "entity_id": service, "status": status, "rollout": "enforced",
        "evaluated_at": dt.datetime(2026, 11, 10, tzinfo=dt.UTC), "run_id": "r",
    }  # fmt: skip


def _rules_dir(root: Path) -> Path:
    sql = "select service_id, 1 as value from marts.dim_services"
    for rule, level in (("r1", 2), ("r2", 3), ("r3", 4)):
        path = root / "sc" / f"{rule}.sql"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rule_text(rule, sql, scorecard="sc", level=level))
    folder = root / "initiatives"
    folder.mkdir()
    (folder / "runbooks.yml").write_text(INITIATIVE)
    (folder / "flat.yml").write_text(INITIATIVE + "pace_days: 5\n")
    (folder / "early.yml").write_text(INITIATIVE + "pace_days: 3\n")
    (folder / "sc_l3.yml").write_text(
        INITIATIVE.replace("rules: [r1, r2]", "scorecard: sc\nlevel: 3").replace(
            "applies_to: \"tier = 'tier-1'\"\n", ""
        )
    )
    (folder / "broken.yml").write_text(INITIATIVE.replace("r2]", "r22]"))
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("initiatives")
    warehouse = _warehouse(root / "warehouse.duckdb")
    rules_dir = _rules_dir(root / "rules_sql")
    report = land_initiatives(warehouse, rules_dir, load_rules(rules_dir), D(2026, 11, 10))
    dbt_build(warehouse, MODELS, work_dir=root / "dbt", variables={"org_name": "Acme"})
    return warehouse, report


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_stage_lands_the_valid_initiatives_and_reports_the_broken_one(built):
    warehouse, report = built
    assert report.landed == ["early", "flat", "runbooks", "sc_l3"]
    assert report.covered == {"early": 4, "flat": 4, "runbooks": 4, "sc_l3": 5}
    assert [str(p).split("initiatives/")[1] for p in report.problems] == [
        "broken.yml:3: unknown rule 'r22' (did you mean r2?)"
    ]
    assert _rows(warehouse, "select * from scorecards.initiative_rules order by all") == [
        ("early", "r1"), ("early", "r2"), ("flat", "r1"), ("flat", "r2"),
        ("runbooks", "r1"), ("runbooks", "r2"),
        ("sc_l3", "r1"), ("sc_l3", "r2"),
    ]  # fmt: skip


def test_every_entity_gets_its_state_each_day_and_the_rules_it_fails(built):
    warehouse, _ = built
    assert _rows(
        warehouse,
        "select as_of, entity_id, team_id, state, failing_rules, covered, passing, exempt, "
        "failing from scorecards.initiative_progress where initiative_id = 'runbooks' and "
        "grain = 'entity' order by as_of, entity_id",
    ) == [
        (D(2026, 11, 1), "s1", "a", "passing", None, 1, 1, 0, 0),
        (D(2026, 11, 1), "s2", "a", "failing", "r1", 1, 0, 0, 1),
        (D(2026, 11, 1), "s3", "b", "failing", "r1, r2", 1, 0, 0, 1),
        (D(2026, 11, 1), "s4", "b", "failing", "r1", 1, 0, 0, 1),
        (D(2026, 11, 5), "s1", "a", "passing", None, 1, 1, 0, 0),
        (D(2026, 11, 5), "s2", "a", "passing", None, 1, 1, 0, 0),
        (D(2026, 11, 5), "s3", "b", "exempt", None, 1, 0, 1, 0),
        (D(2026, 11, 5), "s4", "a", "failing", "r2", 1, 0, 0, 1),
        (D(2026, 11, 10), "s1", "a", "passing", None, 1, 1, 0, 0),
        (D(2026, 11, 10), "s2", "a", "passing", None, 1, 1, 0, 0),
        (D(2026, 11, 10), "s3", "b", "exempt", None, 1, 0, 1, 0),
        (D(2026, 11, 10), "s4", "a", "failing", "r2", 1, 0, 0, 1),
    ]


def test_teams_and_the_org_roll_up_with_the_pass_share_leaving_exempt_out(built):
    warehouse, _ = built
    rows = _rows(
        warehouse,
        "select as_of, grain, entity_id, covered, passing, exempt, failing, pass_share "
        "from scorecards.initiative_progress where initiative_id = 'runbooks' and "
        "grain <> 'entity' order by as_of, grain desc, entity_id",
    )
    assert rows == [
        (D(2026, 11, 1), "team", "a", 2, 1, 0, 1, 0.5),
        (D(2026, 11, 1), "team", "b", 2, 0, 0, 2, 0.0),
        (D(2026, 11, 1), "org", "org", 4, 1, 0, 3, 0.25),
        (D(2026, 11, 5), "team", "a", 3, 2, 0, 1, pytest.approx(2 / 3)),
        (D(2026, 11, 5), "team", "b", 1, 0, 1, 0, None),
        (D(2026, 11, 5), "org", "org", 4, 2, 1, 1, pytest.approx(2 / 3)),
        (D(2026, 11, 10), "team", "a", 3, 2, 0, 1, pytest.approx(2 / 3)),
        (D(2026, 11, 10), "team", "b", 1, 0, 1, 0, None),
        (D(2026, 11, 10), "org", "org", 4, 2, 1, 1, pytest.approx(2 / 3)),
    ]


def test_the_projection_follows_the_pace_of_the_window(built):
    warehouse, _ = built
    rows = _rows(
        warehouse,
        "select initiative_id, rules, as_of, covered, passing, exempt, failing, pass_share, "
        "pace_from, pace_per_day, projected_share, projected_date, days_left, status, "
        "is_at_risk from reporting.initiative_status order by initiative_id",
    )
    assert rows == [
        # a 3-day window holds 11-10 only: no pace, no projection yet
        ("early", "r1, r2", D(2026, 11, 10), 4, 2, 1, 1, pytest.approx(2 / 3), D(2026, 11, 10),
         None, None, None, 20, "no_pace", False),
        ("flat", "r1, r2", D(2026, 11, 10), 4, 2, 1, 1, pytest.approx(2 / 3), D(2026, 11, 5),
         0.0, pytest.approx(2 / 3), None, 20, "at_risk", True),
        ("runbooks", "r1, r2", D(2026, 11, 10), 4, 2, 1, 1, pytest.approx(2 / 3),
         D(2026, 11, 1), pytest.approx(5 / 108), 1.0, D(2026, 11, 12), 20, "on_track", False),
        # all five services: s5 fails on 11-01 and 11-05, passes on 11-10
        ("sc_l3", "r1, r2", D(2026, 11, 10), 5, 3, 1, 1, pytest.approx(3 / 4),
         D(2026, 11, 1), pytest.approx((3 / 4 - 1 / 5) / 9), 1.0, D(2026, 11, 10), 20, "met",
         False),
    ]  # fmt: skip


def test_the_late_list_names_each_failing_entity_and_its_owner_team(built):
    warehouse, _ = built
    assert _rows(
        warehouse,
        "select initiative_id, as_of, entity_id, entity_name, team_id, team_name, "
        "failing_rules, is_overdue from reporting.initiative_late_entities "
        "order by initiative_id, entity_id",
    ) == [
        ("early", D(2026, 11, 10), "s4", "s4", "a", "Team A", "r2", False),
        ("flat", D(2026, 11, 10), "s4", "s4", "a", "Team A", "r2", False),
        ("runbooks", D(2026, 11, 10), "s4", "s4", "a", "Team A", "r2", False),
        ("sc_l3", D(2026, 11, 10), "s4", "s4", "a", "Team A", "r2", False),
    ]
    # the burn-up: the org's pass share per day
    assert _rows(
        warehouse,
        "select as_of, entity_name, pass_share from reporting.initiative_progress "
        "where initiative_id = 'runbooks' and grain = 'org' order by as_of",
    ) == [
        (D(2026, 11, 1), "Acme", 0.25),
        (D(2026, 11, 5), "Acme", pytest.approx(2 / 3)),
        (D(2026, 11, 10), "Acme", pytest.approx(2 / 3)),
    ]


def test_the_stage_runs_in_dagster_and_a_bad_file_makes_the_run_say_so(tmp_path):
    """The asset lands the valid initiatives; the left-out file reaches the run's problems
    (exit status 1 from the CLI), with its file and line."""
    import dagster as dg

    from dagster_project.defs.initiatives import build_initiatives_asset
    from dagster_project.defs.resources import StatureResource
    from dagster_project.defs.runner import outcome_of

    warehouse = _warehouse(tmp_path / "warehouse.duckdb")
    rules_dir = _rules_dir(tmp_path / "rules_sql")
    config = tmp_path / "stature.yml"
    config.write_text("org: {name: Acme}\n")
    result = dg.materialize(
        [build_initiatives_asset(rules_dir)],
        resources={
            "stature": StatureResource(
                config_path=str(config), warehouse=str(warehouse), rules_dir=str(rules_dir)
            )
        },
        instance=dg.DagsterInstance.ephemeral(),
        tags={"stature/as_of": "2026-11-10"},
    )
    assert result.success
    outcome = outcome_of(result)
    assert [p.split("rules_sql/")[-1] for p in outcome.problems] == [
        "initiatives/broken.yml:3: unknown rule 'r22' (did you mean r2?)"
    ]
    assert outcome.problems[0].startswith("initiative left out: ")
    assert _rows(warehouse, "select distinct as_of from scorecards.initiative_scope") == [
        (D(2026, 11, 10),)
    ]
