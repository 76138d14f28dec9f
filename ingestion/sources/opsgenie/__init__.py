"""Opsgenie: alerts (GET /v2/alerts), keyed by id, versioned by updatedAt; `report.closeTime`
is milliseconds from creation to close. The API side is in `api.py`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingestion.records import RecordError, as_timestamp, field, first_present
from ingestion.spec import ExportFile, RawTable, Source, integer, present, timestamp

TABLES = (
    RawTable(
        "opsgenie",
        "alerts",
        ("alert_id", "updated_at"),
        {"alert_id": "text", "updated_at": "timestamp"},
        "Alerts (GET /v2/alerts), one row per version.",
        versioned_by="updated_at",
        typed=(
            present("id", required=True),
            timestamp("createdAt"),
            timestamp("updatedAt"),
            integer("report.closeTime"),
        ),
        key_path="id",
    ),
)
FILES = (ExportFile("alerts", "alerts{page}.json", wrapper="data"),)


def row(table: str, item: dict[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    key = str(field(item, "id"))
    version = first_present(item, "updatedAt", "createdAt")
    if version is None:
        raise RecordError("missing 'updatedAt' and 'createdAt'", key, field="updatedAt")
    return {"alert_id": key, "updated_at": as_timestamp(version, "updatedAt", key)}


SOURCE = Source(
    name="opsgenie",
    tables=TABLES,
    files=FILES,
    row=row,
    api="ingestion.sources.opsgenie.api",
    auth="genie",
)
