"""Fiscal quarters: a fiscal year is named by the calendar year in which it starts."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from dagster_project.maturity.quarters import (
    parse_quarter,
    quarter_of,
    quarter_start_months,
    quarters_between,
)
from dagster_project.report.views import fiscal_quarter

D = dt.date


@pytest.mark.parametrize(
    ("day", "start_month", "label", "start", "end"),
    [
        (D(2026, 2, 14), 1, "2026-Q1", D(2026, 1, 1), D(2026, 3, 31)),
        (D(2026, 12, 31), 1, "2026-Q4", D(2026, 10, 1), D(2026, 12, 31)),
        # April fiscal year: FY 2026 runs 2026-04-01 .. 2027-03-31
        (D(2026, 4, 1), 4, "2026-Q1", D(2026, 4, 1), D(2026, 6, 30)),
        (D(2027, 1, 15), 4, "2026-Q4", D(2027, 1, 1), D(2027, 3, 31)),
        (D(2027, 3, 31), 4, "2026-Q4", D(2027, 1, 1), D(2027, 3, 31)),
        (D(2026, 3, 31), 4, "2025-Q4", D(2026, 1, 1), D(2026, 3, 31)),
        # October fiscal year: 2025-10-01 opens FY 2025
        (D(2025, 10, 1), 10, "2025-Q1", D(2025, 10, 1), D(2025, 12, 31)),
        (D(2026, 9, 30), 10, "2025-Q4", D(2026, 7, 1), D(2026, 9, 30)),
        # February: quarters Feb-Apr, May-Jul, Aug-Oct, Nov-Jan (a quarter across new year)
        (D(2027, 1, 31), 2, "2026-Q4", D(2026, 11, 1), D(2027, 1, 31)),
        (D(2024, 2, 29), 2, "2024-Q1", D(2024, 2, 1), D(2024, 4, 30)),
    ],
)
def test_fiscal_quarter_mapping(day, start_month, label, start, end):
    q = quarter_of(day, start_month)
    assert (q.label, q.start, q.end) == (label, start, end)
    assert parse_quarter(label, start_month) == q


def test_quarters_step_across_fiscal_years():
    q = parse_quarter("2026-Q4", 4)
    assert (q.next.label, q.next.start) == ("2027-Q1", D(2027, 4, 1))
    assert (q.shift(-4).label, q.previous.label) == ("2025-Q4", "2026-Q3")
    span = quarters_between(parse_quarter("2024-Q4"), parse_quarter("2026-Q3"))
    assert [x.label for x in span] == [
        "2024-Q4",
        "2025-Q1",
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
    ]
    assert quarter_start_months(1) == [1, 4, 7, 10]
    assert quarter_start_months(2) == [2, 5, 8, 11]


@pytest.mark.parametrize("bad", ["2026-Q5", "2026-3", "Q1-2026", ""])
def test_a_bad_quarter_label_says_how_to_write_it(bad):
    with pytest.raises(ValueError, match="write it as 2026-Q1"):
        parse_quarter(bad)


@pytest.mark.parametrize("start_month", [1, 2, 4, 7, 10, 12])
def test_the_same_quarters_as_the_reporting_views_sql(start_month):
    """The SQL the report (and the dbt macros) use agrees on every day of two years."""
    label_sql, start_sql = fiscal_quarter("d", start_month)
    con = duckdb.connect()
    rows = con.execute(
        f"select d, {label_sql}, {start_sql} from (select unnest(range(date '2025-01-01', "
        "date '2027-01-01', interval 1 day))::date as d)"
    ).fetchall()
    for day, label, start in rows:
        q = quarter_of(day, start_month)
        assert (q.label, q.start) == (label, start), day
