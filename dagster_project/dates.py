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
