"""Quarterly snapshots on real DuckDB files: levels, blockers and counts worked by hand,
closing and refreshing, immutability of closed quarters, recompute and its audit row,
movements between consecutive quarters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dagster_project.config import StatureConfig
from dagster_project.maturity.snapshot import SnapshotError, Snapshots
from dagster_project.rules.engine import evaluate_dates
from tests.maturity.helpers import add_results, build_catalog, query, write_rule

D = dt.date
SERVICES = {"api": "payments", "web": "storefront", "cart": "storefront", "lab": "storefront"}
# `mover` belonged to platform until 2026-02-15, then to payments
HISTORY = [
    ("mover", "platform", "1970-01-01", "2026-02-15"),
    ("mover", "payments", "2026-02-15", None),
]
Q4_2025 = [
    ("r2", 2, "service", "api", "pass"),
    ("r3", 3, "service", "api", "pass"),
    ("r4", 4, "service", "api", "pass"),
    ("r5", 5, "service", "api", "pass"),
    ("r2", 2, "service", "web", "pass"),
    ("r3", 3, "service", "web", "pass"),
    ("r4", 4, "service", "web", "fail"),
    ("r2", 2, "service", "cart", "pass"),
    ("r3", 3, "service", "cart", "fail"),
    ("r2", 2, "service", "mover", "fail"),
    ("r2", 2, "service", "lab", "not_applicable"),
    ("t4", 4, "team", "payments", "pass"),
    ("o3", 3, "org", "org", "pass"),
]
Q1_2026 = [
    ("r2", 2, "service", "api", "pass"),
    ("r3", 3, "service", "api", "pass"),
    ("r4", 4, "service", "api", "fail"),
    ("r2", 2, "service", "web", "pass"),
    ("r3", 3, "service", "web", "warn"),
    ("r4", 4, "service", "web", "pass"),
    ("r5", 5, "service", "web", "pass"),
    ("r2", 2, "service", "cart", "not_reported"),
    ("r2", 2, "service", "mover", "pass"),
    ("r3", 3, "service", "mover", "error"),
    ("r2", 2, "service", "lab", "not_applicable"),
    ("r3", 3, "service", "lab", "fail", "shadow"),
    ("bsc", None, "team", "payments", "fail"),
    ("t4", 4, "team", "payments", "fail"),
    ("o3", 3, "org", "org", "pass"),
]


@pytest.fixture
def history(tmp_path: Path) -> Path:
    services = {**SERVICES, "mover": "payments"}
    wh = build_catalog(tmp_path / "wh.duckdb", services, history=HISTORY, teams=["platform"])
    add_results(wh, "2025-12-31", Q4_2025)
    add_results(wh, "2026-03-31", Q1_2026)
    # the open quarter, as of 2026-04-20: api's level-4 rule passes again
    add_results(wh, "2026-04-20", [r for r in Q1_2026 if r[:4] != ("r4", 4, "service", "api")])
    add_results(wh, "2026-04-20", [("r4", 4, "service", "api", "pass")])
    return wh


def snapshots(wh: Path, tmp_path: Path, **maturity) -> Snapshots:
    (tmp_path / "no_rules").mkdir(exist_ok=True)
    config = StatureConfig(maturity=maturity) if maturity else StatureConfig()
    return Snapshots(config, wh, tmp_path / "no_rules", run_id="t", requested_by="ada")


COLUMNS = (
    "entity_type, entity_id, team_id, level, level_name, blockers, service_count, level_counts"
)


def rows(wh: Path, quarter: str) -> dict[str, tuple]:
    got = query(
        wh,
        f"select {COLUMNS} from scorecards.maturity_snapshots where quarter = ? "
        "order by entity_type, entity_id",
        [quarter],
    )
    return {f"{r[0]}:{r[1]}": r[2:] for r in got}


def test_a_quarter_worked_by_hand(history, tmp_path):
    report = snapshots(history, tmp_path).sync(D(2026, 4, 20))
    assert report.closed == ["2025-Q4", "2026-Q1"]
    assert (report.refreshed, report.evaluated) == ("2026-Q2", [])
    assert rows(history, "2026-Q1") == {
        # level 3: r4 fails; it is what gets api to 4
        "service:api": ("payments", 3, "Measured", ["r4"], None, None),
        "service:cart": ("storefront", 1, "Ad hoc", ["r2"], None, None),  # not_reported blocks
        "service:lab": ("storefront", None, "Unrated", [], None, None),  # nothing applies
        "service:mover": ("payments", 2, "Defined", ["r3"], None, None),  # error blocks
        "service:web": ("storefront", 5, "Systemic", [], None, None),  # warn does not block
        # lower median of api 3 and mover 2 (moved here on 2026-02-15), own rule t4 allows 3
        "team:payments": ("payments", 2, "Defined", ["r3"], 2, [0, 1, 1, 0, 0]),
        # mover left: no rated service, no own rule: unrated, not level 1
        "team:platform": ("platform", None, "Unrated", [], 0, [0, 0, 0, 0, 0]),
        # lower median of cart 1 and web 5; lab is not graded, so not counted
        "team:storefront": ("storefront", 1, "Ad hoc", ["r2"], 2, [1, 0, 0, 0, 1]),
        # lower median of 1, 2, 3, 5 = 2; cart and mover hold it there
        "org:org": (None, 2, "Defined", ["r2", "r3"], 4, [1, 1, 1, 0, 1]),
    }
    rules = query(
        history,
        "select entity_id, level_rule from scorecards.maturity_snapshots "
        "where quarter = '2026-Q1' and entity_id in ('api', 'lab', 'payments', 'platform', "
        "'storefront', 'org') order by entity_id",
    )
    assert rules == [
        ("api", "rules"),
        ("lab", "no applicable rules"),
        ("org", "median of services, capped by own rules"),
        ("payments", "median of services, capped by own rules"),
        ("platform", "no applicable rules"),
        ("storefront", "median of services"),
    ]
    assert rows(history, "2025-Q4")["team:platform"][:3] == ("platform", 1, "Ad hoc")
    assert rows(history, "2025-Q4")["service:mover"][0] == "platform"
    counts = query(
        history,
        "select pass_count, warn_count, fail_count, not_reported_count, error_count, "
        "exempt_count, not_applicable_count, is_closed, as_of, next_level_name "
        "from scorecards.maturity_snapshots where quarter = '2026-Q1' and entity_id = 'payments'",
    )
    # own t4 fail, api 2 pass 1 fail, mover 1 pass 1 error; the unlevelled bsc row not counted
    assert counts == [(3, 0, 2, 0, 1, 0, 0, True, D(2026, 3, 31), "Measured")]
    opened = query(
        history,
        "select distinct is_closed, as_of from scorecards.maturity_snapshots "
        "where quarter = '2026-Q2'",
    )
    assert opened == [(False, D(2026, 4, 20))]
    # as of 2026-04-20 api passes r2..r4 and has no level-5 rule: cumulative, so level 5
    assert rows(history, "2026-Q2")["service:api"][1:3] == (5, "Systemic")
    audit = query(
        history,
        "select quarter, action, reason, requested_by, as_of, entities "
        "from scorecards.maturity_audit order by quarter",
    )
    assert audit == [
        ("2025-Q4", "close", "quarter ended", "ada", D(2025, 12, 31), 9),
        ("2026-Q1", "close", "quarter ended", "ada", D(2026, 3, 31), 9),
    ]


def test_movements_between_consecutive_quarters(history, tmp_path):
    snapshots(history, tmp_path).sync(D(2026, 4, 20))
    got = query(
        history,
        "select entity_type || ':' || entity_id, previous_quarter, level_from, level_to, movement "
        "from scorecards.maturity_movements where quarter = '2026-Q1' order by 1",
    )
    assert got == [
        ("org:org", "2025-Q4", 2, 2, "same"),  # [1, 2, 3, 5] both times
        ("service:api", "2025-Q4", 5, 3, "down"),
        ("service:cart", "2025-Q4", 2, 1, "down"),
        ("service:lab", "2025-Q4", None, None, "unrated"),
        ("service:mover", "2025-Q4", 1, 2, "up"),
        ("service:web", "2025-Q4", 3, 5, "up"),
        ("team:payments", "2025-Q4", 5, 2, "down"),
        ("team:platform", "2025-Q4", 1, None, "unrated"),
        ("team:storefront", "2025-Q4", 2, 1, "down"),
    ]
    first = query(
        history,
        "select distinct movement from scorecards.maturity_movements where quarter = '2025-Q4' "
        "order by 1",
    )
    assert first == [("new",), ("unrated",)]  # lab: nothing applies to it in 2025-Q4 either


def test_warn_blocks_and_the_min_rule_when_configured(history, tmp_path):
    snapshots(history, tmp_path, warn_blocks=True, team_level="min").sync(D(2026, 4, 20))
    q1 = rows(history, "2026-Q1")
    assert q1["service:web"][1:3] == (2, "Defined")  # its level-3 warn now blocks
    assert q1["team:storefront"][1] == 1  # min(1, 2)
    assert q1["org:org"][1] == 1  # min of 3, 1, 2, 2


def test_the_named_alternative_ladder(history, tmp_path):
    snapshots(history, tmp_path, ladder="cmmi").sync(D(2026, 4, 20))
    names = dict(
        query(
            history,
            "select entity_id, level_name from scorecards.maturity_snapshots "
            "where quarter = '2026-Q1' and entity_type = 'service'",
        )
    )
    assert names == {
        "api": "Defined",
        "cart": "Initial",
        "lab": "Unrated",
        "mover": "Managed",
        "web": "Optimized",
    }


def test_reruns_never_rewrite_a_closed_quarter_nor_a_later_open_snapshot(history, tmp_path):
    s = snapshots(history, tmp_path)
    s.sync(D(2026, 4, 20))
    before = query(history, "select * from scorecards.maturity_snapshots order by all")
    # the nightly re-run for a day inside the closed quarter, and for an earlier open day
    add_results(history, "2026-04-10", [("r2", 2, "service", "api", "fail")])
    for day in (D(2026, 3, 15), D(2026, 4, 10)):
        report = s.sync(day)
        assert report.closed == [] and report.refreshed is None, report.notes
    assert query(history, "select * from scorecards.maturity_snapshots order by all") == before
    # `--quarter` on a closed quarter says so and leaves it
    report = s.build(s.quarter("2026-Q1"), today=D(2026, 5, 1))
    assert report.already_closed == ["2026-Q1"] and "is closed" in report.notes[0]
    assert query(history, "select * from scorecards.maturity_snapshots order by all") == before


def test_the_run_on_a_quarters_last_day_closes_it(history, tmp_path):
    add_results(history, "2026-06-30", [("r2", 2, "service", "api", "fail")])
    s = snapshots(history, tmp_path)
    s.sync(D(2026, 4, 20))
    report = s.sync(D(2026, 6, 30))
    assert (report.closed, report.refreshed) == (["2026-Q2"], None)
    got = query(
        history,
        "select distinct is_closed, as_of from scorecards.maturity_snapshots "
        "where quarter = '2026-Q2'",
    )
    assert got == [(True, D(2026, 6, 30))]
    assert rows(history, "2026-Q2")["service:api"][1] == 1


def test_recompute_refuses_an_open_quarter_and_needs_a_reason(history, tmp_path):
    s = snapshots(history, tmp_path)
    with pytest.raises(SnapshotError, match="has not ended yet"):
        s.recompute(s.quarter("2026-Q2"), reason="fix", today=D(2026, 5, 1))
    with pytest.raises(SnapshotError, match="needs --reason"):
        s.recompute(s.quarter("2026-Q1"), reason="  ", today=D(2026, 5, 1))


# --- with the real rule engine ----------------------------------------------------------


@pytest.fixture
def engine_setup(tmp_path: Path):
    wh = build_catalog(tmp_path / "wh.duckdb", {"a": "t1", "b": "t2"})
    import duckdb

    con = duckdb.connect(str(wh))
    con.execute("create table marts.facts (service_id varchar, day date, value double)")
    con.execute(
        "insert into marts.facts values ('a', '2026-03-31', 2), ('b', '2026-03-31', 0.5), "
        "('a', '2026-05-10', 2), ('b', '2026-05-10', 0.5)"
    )
    con.close()
    rules = tmp_path / "rules_sql"
    sql = "select service_id, value from marts.facts where day = getvariable('as_of')\n"
    write_rule(rules, "enough", 'level: 3\nthresholds: {pass: ">= 1"}', sql)
    config = StatureConfig(maturity={"backfill_quarters": 1})
    return wh, rules, sql, Snapshots(config, wh, rules, run_id="t", requested_by="ada")


def test_a_closed_quarter_is_untouched_by_a_rule_change_until_recomputed(engine_setup):
    wh, rules, sql, s = engine_setup
    report = s.sync(D(2026, 5, 10))
    # the quarter end and the open day were evaluated by the rule engine: quarter ends only
    assert report.evaluated == [D(2026, 3, 31), D(2026, 5, 10)]
    assert report.closed == ["2026-Q1"]
    closed_before = query(
        wh, "select * from scorecards.maturity_snapshots where is_closed order by all"
    )
    assert rows(wh, "2026-Q1")["service:b"][1] == 2  # 0.5 < 1 fails at level 3

    # the standard is relaxed, and someone backfills the quarter end with it
    write_rule(rules, "enough", 'level: 3\nthresholds: {pass: ">= 0.25"}', sql)
    days = [D(2026, 3, 31), D(2026, 5, 10)]  # the backfill, and the nightly re-run
    evaluate_dates(s.config, warehouse=wh, rules_dir=rules, dates=days, run_id="bf")
    assert query(
        wh,
        "select status from scorecards.check_results where as_of = '2026-03-31' "
        "and entity_id = 'b'",
    ) == [("pass",)]
    report = s.sync(D(2026, 5, 10))
    assert report.closed == [] and report.already_closed == ["2026-Q1"]
    assert (
        query(wh, "select * from scorecards.maturity_snapshots where is_closed order by all")
        == closed_before
    )
    # the open quarter follows the new rule
    assert rows(wh, "2026-Q2")["service:b"][1] == 5

    # only a recompute rewrites it, and it leaves an audit row
    version_sql = (
        "select distinct ruleset_version from scorecards.maturity_snapshots "
        "where quarter = '2026-Q1'"
    )
    previous = query(wh, version_sql)[0][0]
    report = s.recompute(
        s.quarter("2026-Q1"), reason="threshold agreed in review", today=D(2026, 5, 11)
    )
    assert (report.recomputed, report.levels_changed) == ("2026-Q1", 3)  # b, t2 and the org
    assert rows(wh, "2026-Q1")["service:b"][1] == 5
    audit = query(
        wh,
        "select quarter, action, reason, requested_by, as_of, previous_ruleset_version, "
        "new_ruleset_version, levels_changed, requested_at is not null "
        "from scorecards.maturity_audit where action = 'recompute'",
    )
    new_version = query(wh, version_sql)[0][0]
    assert new_version != previous
    assert audit == [
        (
            "2026-Q1",
            "recompute",
            "threshold agreed in review",
            "ada",
            D(2026, 3, 31),
            previous,
            new_version,
            3,
            True,
        )
    ]
