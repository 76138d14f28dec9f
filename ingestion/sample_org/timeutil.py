"""Time helpers for the sample org: epoch seconds in, API timestamps (`...Z`) out."""

from __future__ import annotations

import datetime as dt
import time
from functools import lru_cache
from statistics import NormalDist

HOUR = 3600
DAY = 86400
MINUTE = 60

_NORMAL = NormalDist()
_GOLDEN = 0.6180339887498949


def iso(ts: int) -> str:
    """`2026-01-02T03:04:05Z`, the format GitHub and PagerDuty return."""
    day, second = divmod(ts, DAY)
    hour, second = divmod(second, HOUR)
    minute, second = divmod(second, MINUTE)
    return f"{_day(day)}T{hour:02d}:{minute:02d}:{second:02d}Z"


@lru_cache(maxsize=8192)
def _day(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day * DAY))


def epoch(day: dt.date) -> int:
    """Midnight UTC of `day` in epoch seconds."""
    return (day - dt.date(1970, 1, 1)).days * DAY


def weekday(ts: int) -> int:
    """Monday = 0 .. Sunday = 6 (1970-01-01 was a Thursday)."""
    return (ts // DAY + 3) % 7


def is_business_day(ts: int) -> bool:
    return weekday(ts) < 5


def next_business_morning(ts: int, hour: float = 9.0) -> int:
    """The next business day at `hour` UTC, strictly after `ts`'s day if `ts` is on a weekend."""
    day = ts - ts % DAY
    while True:
        day += DAY
        if is_business_day(day):
            return day + int(hour * HOUR)


def to_business_hours(ts: int, rng_fraction: float) -> int:
    """Move a weekend/night time to the next business morning; working hours stay as they are."""
    hour = (ts % DAY) / HOUR
    if is_business_day(ts) and 7.5 <= hour < 19.5:
        return ts
    if is_business_day(ts) and hour < 7.5:
        return ts - ts % DAY + int((8.5 + 2 * rng_fraction) * HOUR)
    return next_business_morning(ts, 8.5 + 2 * rng_fraction)


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


class Spread:
    """Evenly spread standard-normal draws (a golden-ratio sequence through the inverse CDF).

    Durations drawn this way hit their intended median closely even in small samples, so a
    team's quarterly lead time follows its trend instead of the sampling noise.
    """

    __slots__ = ("_x",)

    def __init__(self, start: float) -> None:
        self._x = start

    def z(self) -> float:
        self._x = (self._x + _GOLDEN) % 1.0
        return _NORMAL.inv_cdf(min(max(self._x, 1e-4), 1 - 1e-4))


class Diffusion:
    """Deterministic Bernoulli: fires at the rate asked, evenly (error diffusion).

    A change-failure rate of 0.2 becomes one failure in every five deployments, give or take
    the random phase, so quarter-over-quarter trends are not drowned by coin flips.
    """

    __slots__ = ("_acc",)

    def __init__(self, phase: float) -> None:
        self._acc = phase

    def fire(self, probability: float) -> bool:
        self._acc += probability
        if self._acc >= 1.0:
            self._acc -= 1.0
            return True
        return False
