"""What every source's row mapping shares: the error a bad record raises, field access, and
the strict conversions of key values (no silent truncation, no guessing at dates)."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
from collections.abc import Mapping
from typing import Any

VALUE_CHARS = 200  # a rejected value is shown up to this many characters

INT64 = (-(2**63), 2**63 - 1)
_INTEGER_TEXT = re.compile(r"^\s*[+-]?\d+\s*$")
_ISO = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
    r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)


class RecordError(ValueError):
    """A record that cannot be landed; it goes to `_rejected` with this reason, its key and,
    when one field is at fault, that field and its value."""

    def __init__(
        self, reason: str, key: str | None = None, *, field: str | None = None, value: Any = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key
        self.field = field
        self.value = value


def shown(value: Any) -> str | None:
    """A value as text for a person: strings as they are, the rest as JSON, shortened."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def dig(item: Any, path: tuple[str, ...] | str) -> Any:
    """The value at `path` (dotted, or a tuple of keys); None where any step is missing."""
    for part in path.split(".") if isinstance(path, str) else path:
        item = item.get(part) if type(item) is dict or isinstance(item, Mapping) else None
    return item


def field(item: Mapping[str, Any], name: str, *, key: str | None = None) -> Any:
    """item[name], or a RecordError naming the missing field (dotted names walk objects)."""
    value = dig(item, name)
    if value is None:
        raise RecordError(f"missing required field '{name}'", key, field=name)
    return value


def first_present(item: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        value = item.get(name)
        if value not in (None, ""):
            return value
    return None


# --- strict conversions -------------------------------------------------------------------------


def integer_or_none(value: Any) -> int | None:
    """The integer a value holds exactly: 3, 3.0 and "3"; None for 3.7, true, "x", 2**70."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        number = int(value)
    elif isinstance(value, str) and _INTEGER_TEXT.match(value):
        number = int(value)
    else:
        return None
    return number if INT64[0] <= number <= INT64[1] else None


_PLAIN_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def timestamp_or_none(value: Any) -> dt.datetime | None:
    """The moment an ISO-8601 text names (UTC when it has no zone); None for anything else,
    including words a database might accept ('epoch', 'infinity', 'yesterday')."""
    if not isinstance(value, str):
        return None
    return _moment(value)


@functools.lru_cache(maxsize=1 << 16)  # a record's times are checked, then converted
def _moment(value: str) -> dt.datetime | None:
    if len(value) == 20 and _PLAIN_UTC.match(value):  # 2026-01-05T09:00:00Z, as APIs send it
        try:
            return dt.datetime(
                int(value[:4]), int(value[5:7]), int(value[8:10]),
                int(value[11:13]), int(value[14:16]), int(value[17:19]), tzinfo=dt.UTC,
            )  # fmt: skip
        except ValueError:
            return None
    match = _ISO.match(value.strip())
    if not match:
        return None
    zone = match.group("zone") or "Z"
    fraction = (match.group("f") or "")[:6].ljust(6, "0")
    offset = dt.timedelta(0)
    if zone != "Z":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 23 or minutes > 59:
            return None
        offset = dt.timedelta(hours=hours, minutes=minutes) * (1 if zone[0] == "+" else -1)
    try:
        date = dt.date.fromisoformat(match.group("date"))
        return dt.datetime(
            date.year,
            date.month,
            date.day,
            int(match.group("h") or 0),
            int(match.group("m") or 0),
            int(match.group("s") or 0),
            int(fraction),
            tzinfo=dt.timezone(offset),
        )
    except ValueError:  # month 13, February 30th, hour 24
        return None


def as_int(value: Any, name: str, key: str | None = None) -> int:
    number = integer_or_none(value)
    if number is None:
        lossy = isinstance(value, float) and math.isfinite(value)
        why = "has a fraction and would be truncated (lossy)" if lossy else "is not an integer"
        raise RecordError(f"field '{name}' {why}: {shown(value)}", key, field=name, value=value)
    return number


def as_timestamp(value: Any, name: str, key: str | None = None) -> str:
    """An ISO-8601 timestamp normalised to UTC `...Z`."""
    text = _utc_text(value) if isinstance(value, str) else None
    if text is None:
        raise RecordError(
            f"field '{name}' is not an ISO-8601 timestamp: {shown(value)}",
            key,
            field=name,
            value=value,
        )
    return text


@functools.lru_cache(maxsize=1 << 16)
def _utc_text(value: str) -> str | None:
    moment = _moment(value)
    return None if moment is None else moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def from_epoch_ms(value: float) -> str:
    stamp = dt.datetime.fromtimestamp(value / 1000.0, tz=dt.UTC)
    return stamp.isoformat().replace("+00:00", "Z")
