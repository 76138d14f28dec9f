"""Which dates a backfill evaluates (`--to` included, every fiscal quarter end inside the
range), the runs of consecutive days they make, and the dates the warehouse keeps."""

from __future__ import annotations

import datetime as dt

import pytest
from rules_helpers import rule_text

from dagster_project.dates import quarter_ends
from dagster_project.rules.engine import evaluate_dates
from dagster_project.rules.history import (
    backfill_dates,
    contiguous_ranges,
    date_range,
    kept_dates,
)

D = dt.date.fromisoformat


@pytest.mark.parametrize(
    ("start", "end", "every", "expected"),
    [
        ("2026-01-30", "2026-02-02", "day", ["2026-01-30", "2026-01-31", "2026-02-01", "2026-02-02"]),
        # --to is included even when the step does not land on it (the 2026-11-12 stop)
        ("2026-01-01", "2026-01-20", "week", ["2026-01-01", "2026-01-08", "2026-01-15", "2026-01-20"]),
        ("2026-01-01", "2026-01-15", "week", ["2026-01-01", "2026-01-08", "2026-01-15"]),
        ("2026-01-31", "2026-04-30", "month", ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]),
        ("2026-01-15", "2026-03-14", "month", ["2026-01-15", "2026-02-15", "2026-03-14"]),
        ("2026-03-01", "2026-03-01", "week", ["2026-03-01"]),
    ],
)  # fmt: skip
def test_date_range_includes_to(start, end, every, expected):
    assert [d.isoformat() for d in date_range(D(start), D(end), every)] == expected


def test_date_range_refuses_a_reversed_range_or_an_unknown_step():
    with pytest.raises(ValueError, match="--to 2026-01-01 is before --from 2026-02-01"):
        date_range(D("2026-02-01"), D("2026-01-01"))
    with pytest.raises(ValueError, match="one of day, week, month"):
        date_range(D("2026-01-01"), D("2026-02-01"), "fortnight")


def test_a_weekly_backfill_evaluates_every_quarter_end_and_the_last_day():
    dates = backfill_dates(D("2026-01-01"), D("2026-11-15"), "week")
    # 46 Thursdays from 2026-01-01 to 2026-11-12, the three quarter ends, and --to
    assert len(dates) == 46 + 3 + 1
    assert [d for d in dates if d.weekday() != 3] == [
        D("2026-03-31"),
        D("2026-06-30"),
        D("2026-09-30"),
        D("2026-11-15"),
    ]
    assert dates == sorted(set(dates))


def test_quarter_ends_follow_the_fiscal_year():
    assert quarter_ends(D("2025-01-01"), D("2026-01-01"), 4) == [
        D("2025-03-31"),
        D("2025-06-30"),
        D("2025-09-30"),
        D("2025-12-31"),
    ]
    # fiscal year from February: quarters end in April, July, October, January
    assert quarter_ends(D("2026-01-01"), D("2026-12-31"), 2) == [
        D("2026-01-31"),
        D("2026-04-30"),
        D("2026-07-31"),
        D("2026-10-31"),
    ]
    assert quarter_ends(D("2026-03-31"), D("2026-03-31")) == [D("2026-03-31")]
    assert quarter_ends(D("2026-04-01"), D("2026-06-29")) == []


def test_contiguous_ranges():
    days = [D("2026-01-04"), D("2026-01-01"), D("2026-01-02"), D("2026-01-02"), D("2026-02-01")]
    assert contiguous_ranges(days) == [
        (D("2026-01-01"), D("2026-01-02")),
        (D("2026-01-04"), D("2026-01-04")),
        (D("2026-02-01"), D("2026-02-01")),
    ]
    assert contiguous_ranges([]) == []


def test_kept_dates_are_the_dates_with_results(
    config, make_warehouse, rules_dir, write_rule, tmp_path
):
    warehouse = make_warehouse()
    assert kept_dates(tmp_path / "absent.duckdb") == []
    assert kept_dates(warehouse) == []  # no check_results table yet
    write_rule("one", "select service_id, 1 as value from marts.dim_services")
    evaluate_dates(
        config,
        warehouse=warehouse,
        rules_dir=rules_dir,
        dates=[D("2026-03-31"), D("2026-06-30"), D("2026-11-15")],
        run_id="t",
    )
    (rules_dir / "security" / "two.sql").write_text(
        rule_text("two", "select service_id, 1 as value from marts.dim_services")
    )
    evaluate_dates(
        config,
        warehouse=warehouse,
        rules_dir=rules_dir,
        dates=[D("2026-11-16")],
        run_id="t",
        only=["two"],
    )
    assert kept_dates(warehouse) == [
        D("2026-03-31"),
        D("2026-06-30"),
        D("2026-11-15"),
        D("2026-11-16"),
    ]
    assert kept_dates(warehouse, rules=["two"]) == [D("2026-11-16")]
    assert kept_dates(warehouse, start=D("2026-06-30"), end=D("2026-11-15")) == [
        D("2026-06-30"),
        D("2026-11-15"),
    ]
