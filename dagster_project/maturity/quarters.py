"""Fiscal quarters where Python needs them before dbt has built anything: the quarterly
Dagster partitions (at definition time) and the dates maturity snapshots close on.

The fiscal calendar itself is the dbt model marts.dim_calendar (built by the period macros);
everything SQL reads it. `quarter_of` is tested against it for every start month
(tests/maturity/test_maturity_quarters.py). Convention: a fiscal year starts on the first day
of `org.fiscal_year_start_month` and is **named by the calendar year in which it starts**.
With start month 4, 2026-04-01 .. 2026-06-30 is `2026-Q1` and 2027-01-01 .. 2027-03-31 is
`2026-Q4`; with the default start month 1, fiscal and calendar quarters agree.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_LABEL = re.compile(r"^\s*(\d{4})-?Q([1-4])\s*$", re.IGNORECASE)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `day`'s month (day must be a 1st)."""
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, 1)


@dataclass(frozen=True, order=True)
class Quarter:
    """One fiscal quarter: its first and last day and its label (`2026-Q1`)."""

    start: dt.date
    fiscal_year: int
    number: int

    @property
    def end(self) -> dt.date:
        return add_months(self.start, 3) - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.fiscal_year}-Q{self.number}"

    def __str__(self) -> str:
        return self.label

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def shift(self, quarters: int) -> Quarter:
        start = add_months(self.start, 3 * quarters)
        index = self.fiscal_year * 4 + (self.number - 1) + quarters
        return Quarter(start, index // 4, index % 4 + 1)

    @property
    def previous(self) -> Quarter:
        return self.shift(-1)

    @property
    def next(self) -> Quarter:
        return self.shift(1)


def quarter_of(day: dt.date, start_month: int = 1) -> Quarter:
    """The fiscal quarter holding `day`."""
    _check_month(start_month)
    index = (day.month - start_month) % 12  # months since the fiscal year began
    fiscal_year = day.year - (1 if day.month < start_month else 0)
    start = add_months(dt.date(day.year, day.month, 1), -(index % 3))
    return Quarter(start, fiscal_year, index // 3 + 1)


def parse_quarter(text: str, start_month: int = 1) -> Quarter:
    """`2026-Q1` (or `2026Q1`) as a Quarter; ValueError with the expected form otherwise."""
    _check_month(start_month)
    match = _LABEL.match(str(text))
    if not match:
        raise ValueError(f"not a fiscal quarter: {text!r} (write it as 2026-Q1)")
    fiscal_year, number = int(match.group(1)), int(match.group(2))
    start = add_months(dt.date(fiscal_year, start_month, 1), 3 * (number - 1))
    return Quarter(start, fiscal_year, number)


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from `first` to `last`, both included (empty when last < first)."""
    out, q = [], first
    while q <= last:
        out.append(q)
        q = q.next
    return out


def quarter_start_months(start_month: int = 1) -> list[int]:
    """The calendar months in which fiscal quarters start, sorted (for cron schedules)."""
    _check_month(start_month)
    return sorted((start_month - 1 + 3 * k) % 12 + 1 for k in range(4))


def _check_month(start_month: int) -> None:
    if not 1 <= int(start_month) <= 12:
        raise ValueError(f"fiscal_year_start_month must be 1..12, not {start_month!r}")
