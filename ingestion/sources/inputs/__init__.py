"""Manual inputs: `inputs/*.csv`, one measure per row (surveys, cost, adoption, SLOs). Read from
files in both modes (an export's `inputs/`, `sources.inputs.paths` otherwise).

A measure (period, entity type, entity, measure) may be given once: a second row for it is
rejected naming both places, so which value counts never depends on file order."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from ingestion.records import RecordError
from ingestion.spec import ExportFile, RawTable, Source

REQUIRED = ("period", "entity_type", "entity_id", "measure_id", "value")
OPTIONAL = ("unit", "source")
ENTITY_TYPES = ("org", "team", "service")
PERIOD = re.compile(r"^\d{4}-(\d{2}(-\d{2})?|Q[1-4])$")

TABLES = (
    RawTable(
        "inputs",
        "measures",
        ("period", "entity_type", "entity_id", "measure_id"),
        {
            "period": "text",
            "entity_type": "text",
            "entity_id": "text",
            "measure_id": "text",
            "value": "double",
            "unit": "text",
            "source": "text",
            "line": "bigint",
        },
        "Manual measures from inputs/*.csv, one measure per row.",
    ),
)
FILES = (ExportFile("measures", "{name}.csv", "csv", columns=REQUIRED, optional_columns=OPTIONAL),)


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


def row(table: str, item: dict[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    line = context["line"]
    missing = [c for c in REQUIRED if not (item.get(c) or "").strip()]
    if missing:
        raise RecordError(
            f"line {line}: empty or missing column(s) {', '.join(missing)}", field=missing[0]
        )
    period = item["period"].strip()
    key = f"{period}/{item['entity_type']}/{item['entity_id']}/{item['measure_id']}"
    if not _valid_period(period):
        raise RecordError(
            f"line {line}: period {period!r} is not a date (2026-09-30), month (2026-09) "
            "or quarter (2026-Q3)",
            key,
            field="period",
            value=period,
        )
    entity_type = item["entity_type"].strip().lower()
    if entity_type not in ENTITY_TYPES:
        raise RecordError(
            f"line {line}: entity_type {entity_type!r} must be one of {', '.join(ENTITY_TYPES)}",
            key,
            field="entity_type",
            value=item["entity_type"],
        )
    try:
        value = float(item["value"])
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise RecordError(
            f"line {line}: value {item['value']!r} is not a number",
            key,
            field="value",
            value=item["value"],
        )
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


SOURCE = Source(name="inputs", tables=TABLES, files=FILES, row=row, unique_keys=True)
