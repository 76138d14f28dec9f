"""Jenkins: builds of a job (`allBuilds[...]`; `timestamp` and `duration` in epoch ms)."""

from __future__ import annotations

from typing import Any

from ingestion.records import RecordError, as_int, field, from_epoch_ms

ENDPOINTS: dict[str, tuple[str, str | None]] = {"builds": ("builds", "allBuilds")}


def row(table: str, item: Any, *, job: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise RecordError(f"expected a JSON object, got {type(item).__name__}")
    number = as_int(field(item, "number"), "number")
    started = field(item, "timestamp", key=str(number))
    if not isinstance(started, int | float):
        raise RecordError(f"field 'timestamp' is not epoch milliseconds: {started!r}", str(number))
    return {"job": job, "number": number, "started_at": from_epoch_ms(started)}
