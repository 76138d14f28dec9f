"""PagerDuty: incidents (GET /incidents), keyed by id, versioned by updated_at. The API side
is in `api.py`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingestion.records import RecordError, as_timestamp, field, first_present
from ingestion.spec import ExportFile, RawTable, Source, integer, present, timestamp

TABLES = (
    RawTable(
        "pagerduty",
        "incidents",
        ("incident_id", "updated_at"),
        {"incident_id": "text", "updated_at": "timestamp"},
        "Incidents (GET /incidents), one row per version.",
        versioned_by="updated_at",
        typed=(
            present("id", required=True),
            integer("incident_number"),
            timestamp("created_at"),
            timestamp("updated_at"),
            timestamp("resolved_at"),
            timestamp("last_status_change_at"),
        ),
        key_path="id",
    ),
)
FILES = (ExportFile("incidents", "incidents{page}.json", wrapper="incidents"),)


def row(table: str, item: dict[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    key = str(field(item, "id"))
    # Older incidents carry no updated_at; the last status change is when they last moved.
    version = first_present(item, "updated_at", "last_status_change_at", "created_at")
    if version is None:
        raise RecordError(
            "missing 'updated_at', 'last_status_change_at' and 'created_at'",
            key,
            field="updated_at",
        )
    return {"incident_id": key, "updated_at": as_timestamp(version, "updated_at", key)}


SOURCE = Source(
    name="pagerduty",
    tables=TABLES,
    files=FILES,
    row=row,
    api="ingestion.sources.pagerduty.api",
    auth="pagerduty",
)
