"""Dates as Stature reads them: ISO `YYYY-MM-DD` from the user, today in the org's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def parse_date(text: str) -> dt.date:
    """An ISO date, or a ValueError whose message says what was expected."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def today_in(timezone: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(timezone)).date()


def quarter_ends(start: dt.date, end: dt.date, fiscal_year_start_month: int = 1) -> list[dt.date]:
    """The last day of every fiscal quarter that ends between `start` and `end` (both
    included); quarters start in `fiscal_year_start_month` and every third month after it."""
    starts = {(fiscal_year_start_month - 1 + 3 * k) % 12 + 1 for k in range(4)}
    out = []
    month = dt.date(start.year, start.month, 1)
    while month <= end:
        following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        last = following - dt.timedelta(days=1)
        if following.month in starts and start <= last <= end:
            out.append(last)
        month = following
    return out
