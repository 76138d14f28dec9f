"""What every source module shares: the error a bad record raises, key extraction, and time
conversion. A source module turns one API object into one raw row and nothing else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


class RecordError(ValueError):
    """A record that cannot be landed; it goes to `_rejected` with this reason and key."""

    def __init__(self, reason: str, key: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key


def field(item: Mapping[str, Any], name: str, *, key: str | None = None) -> Any:
    """item[name], or a RecordError naming the missing field (dotted names walk objects)."""
    value: Any = item
    for part in name.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
        if value is None:
            raise RecordError(f"missing required field '{name}'", key)
    return value


def first_present(item: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        value = item.get(name)
        if value not in (None, ""):
            return value
    return None


def as_int(value: Any, name: str, key: str | None = None) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RecordError(f"field '{name}' is not an integer: {value!r}", key) from None


def as_timestamp(value: Any, name: str, key: str | None = None) -> str:
    """An ISO-8601 timestamp normalised to UTC `...Z`; epoch milliseconds are accepted."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return from_epoch_ms(value)
    if not isinstance(value, str):
        raise RecordError(f"field '{name}' is not a timestamp: {value!r}", key)
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise RecordError(f"field '{name}' is not an ISO-8601 timestamp: {value!r}", key) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def from_epoch_ms(value: float) -> str:
    stamp = dt.datetime.fromtimestamp(value / 1000.0, tz=dt.UTC)
    return stamp.isoformat().replace("+00:00", "Z")
