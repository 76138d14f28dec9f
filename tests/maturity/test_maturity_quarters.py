"""Fiscal quarters: a fiscal year is named by the calendar year in which it starts.

The fiscal calendar is SQL (the dbt macros behind marts.dim_calendar); Python computes
quarters only where it must before dbt has built anything (quarterly Dagster partitions,
snapshot dates), with one function checked here against the dbt calendar for every fiscal
start month."""

from __future__ import annotations

import datetime as dt
import subprocess

import duckdb
import pytest

from dagster_project.maturity.quarters import (
    parse_quarter,
    quarter_of,
    quarter_start_months,
    quarters_between,
)
from tests.support.dbt_run import DBT, REPO, dbt_build

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


FIRST, LAST = D(2023, 1, 1), D(2029, 12, 31)
CALENDAR_COLUMNS = (
    "date_day, quarter_label, quarter_start, quarter_end, fiscal_year, fiscal_quarter"
)


def _check_against_python(rows, start_month: int) -> int:
    for day, label, start, end, year, number in rows:
        q = quarter_of(day, start_month)
        assert (label, start, end, year, number) == (
            q.label,
            q.start,
            q.end,
            q.fiscal_year,
            q.number,
        ), (
            start_month,
            day,
        )
    return len(rows)


@pytest.mark.slow
def test_quarter_of_equals_the_dbt_calendar_for_every_fiscal_start_month(tmp_path):
    """The dbt macro behind marts.dim_calendar, compiled by dbt for start months 1..12, and
    quarter_of agree on every day of 2023..2029."""
    inline = (
        "{% for m in range(1, 13) %}select {{ m }} as start_month, "
        + CALENDAR_COLUMNS
        + f" from ({{{{ stature.fiscal_calendar(m, '{FIRST}', '{LAST}') }}}}) as c{{{{ m }}}}"
        "{% if not loop.last %} union all {% endif %}{% endfor %}"
    )
    compiled = subprocess.run(
        [str(DBT), "compile", "--quiet", "--profiles-dir", ".", "--project-dir", ".",
         "--target", "lint", "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs"), "--inline", inline],
        cwd=REPO / "dbt_project", capture_output=True, text=True, timeout=300, check=True,
    ).stdout  # fmt: skip
    with duckdb.connect() as con:
        rows = con.execute(f"select * from ({compiled}) order by start_month, date_day").fetchall()
    days = (LAST - FIRST).days + 1
    for start_month in range(1, 13):
        mine = [r[1:] for r in rows if r[0] == start_month]
        assert _check_against_python(mine, start_month) == days


@pytest.mark.slow
def test_the_dim_calendar_model_follows_the_configured_start_month(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    dbt_build(
        warehouse,
        "dim_calendar",
        work_dir=tmp_path,
        variables={
            "fiscal_year_start_month": 7,
            "stature_timezone": "Europe/Berlin",
            "calendar_first_day": str(FIRST),
            "calendar_last_day": str(LAST),
        },
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            f"select {CALENDAR_COLUMNS} from marts.dim_calendar order by 1"
        ).fetchall()
        meta = con.execute(
            "select distinct fiscal_year_start_month, timezone from marts.dim_calendar"
        ).fetchall()
    assert _check_against_python(rows, 7) == (LAST - FIRST).days + 1
    assert meta == [(7, "Europe/Berlin")]
    # a July fiscal year: 2026-07-01 opens FY 2026, 2027-06-30 closes it
    assert (rows[0][1], rows[-1][1]) == ("2022-Q3", "2029-Q2")
