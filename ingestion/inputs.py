"""Manual inputs: `inputs/*.csv`, one measure per row (surveys, cost, adoption, SLOs)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ingestion.records import RecordError

REQUIRED = ("period", "entity_type", "entity_id", "measure_id", "value")
ENTITY_TYPES = ("org", "team", "service")
PERIOD = re.compile(r"^\d{4}-(\d{2}(-\d{2})?|Q[1-4])$")


def _valid_period(period: str) -> bool:
    if not PERIOD.match(period):
        return False
    if "Q" in period:
        return True
    try:
        dt.date.fromisoformat(period if len(period) == 10 else period + "-01")
    except ValueError:
        return False
    return True


def row(item: dict[str, Any], *, line: int) -> dict[str, Any]:
    missing = [c for c in REQUIRED if not (item.get(c) or "").strip()]
    if missing:
        raise RecordError(f"line {line}: empty or missing column(s) {', '.join(missing)}")
    period = item["period"].strip()
    key = f"{period}/{item['entity_type']}/{item['entity_id']}/{item['measure_id']}"
    if not _valid_period(period):
        raise RecordError(
            f"line {line}: period {period!r} is not a date (2026-09-30), month (2026-09) "
            "or quarter (2026-Q3)",
            key,
        )
    entity_type = item["entity_type"].strip().lower()
    if entity_type not in ENTITY_TYPES:
        raise RecordError(
            f"line {line}: entity_type {entity_type!r} must be one of {', '.join(ENTITY_TYPES)}",
            key,
        )
    try:
        value = float(item["value"])
    except ValueError:
        raise RecordError(f"line {line}: value {item['value']!r} is not a number", key) from None
    return {
        "period": period,
        "entity_type": entity_type,
        "entity_id": item["entity_id"].strip(),
        "measure_id": item["measure_id"].strip(),
        "value": value,
        "unit": (item.get("unit") or "").strip() or None,
        "source": (item.get("source") or "").strip() or None,
        "line": line,
    }
