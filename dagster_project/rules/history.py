"""Which dates a backfill, an apply or a regrade evaluates: the dates of a range (every day,
week or month, `--to` always included, and every fiscal quarter's last day inside it, so a
weekly backfill still adds a point to the quarterly pass-rate trends), the dates the warehouse
already keeps results for, and those dates cut into contiguous runs of days (one Dagster run
each: a run covers one partition range).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from dagster_project.dates import quarter_ends
from dagster_project.warehouse import connect, table_exists

EVERY = ("day", "week", "month")


def date_range(start: dt.date, end: dt.date, every: str = "day") -> list[dt.date]:
    """Evaluation dates from `start` to `end`, both included: every day, every 7 days, or
    monthly (the same day of each month, or each month's last day when `start` is a month
    end). `end` is always one of them, also when the step does not land on it."""
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    if every == "day":
        return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    if every == "week":
        out = [start + dt.timedelta(days=i) for i in range(0, (end - start).days + 1, 7)]
    elif every == "month":
        out = _monthly(start, end)
    else:
        raise ValueError(f"--every must be one of {', '.join(EVERY)}, not {every!r}")
    if out[-1] != end:
        out.append(end)
    return out


def _monthly(start: dt.date, end: dt.date) -> list[dt.date]:
    month_end = (start + dt.timedelta(days=1)).day == 1
    out, i = [], 0
    while True:
        y, m = divmod(start.month - 1 + i, 12)
        year, month = start.year + y, m + 1
        last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
        day = last if month_end else min(start.day, last)
        d = dt.date(year, month, day)
        if d > end:
            return out
        out.append(d)
        i += 1


def backfill_dates(
    start: dt.date, end: dt.date, every: str = "day", *, fiscal_year_start_month: int = 1
) -> list[dt.date]:
    """`date_range` plus the last day of every fiscal quarter between `start` and `end`:
    quarterly trends (pass rates, maturity) read quarter ends, so a backfill at any step
    gives them a point."""
    dates = set(date_range(start, end, every))
    dates.update(quarter_ends(start, end, fiscal_year_start_month))
    return sorted(dates)


def contiguous_ranges(dates: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Sorted dates as runs of consecutive days: [(first, last), ...]."""
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(dates)):
        if ranges and day == ranges[-1][1] + dt.timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def kept_dates(
    warehouse: Path,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    rules: Sequence[str] | None = None,
) -> list[dt.date]:
    """The dates `scorecards.check_results` holds results for (of `rules`, if given), within
    [start, end]: the history a changed rule is re-evaluated over."""
    if not Path(warehouse).exists():
        return []
    where, params = ["true"], []
    if start is not None:
        where.append("as_of >= ?")
        params.append(start)
    if end is not None:
        where.append("as_of <= ?")
        params.append(end)
    if rules:
        where.append("rule_id in (select unnest(?::varchar[]))")
        params.append(list(rules))
    with connect(warehouse, read_only=True) as con:
        if not table_exists(con, "scorecards", "check_results"):
            return []
        rows = con.execute(
            f"select distinct as_of from scorecards.check_results where {' and '.join(where)} "
            "order by as_of",
            params,
        ).fetchall()
    return [row[0] for row in rows]
