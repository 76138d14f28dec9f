"""Opsgenie: alerts (GET /v2/alerts), keyed by id, versioned by updatedAt; `report.closeTime`
is milliseconds from creation to close. Teams (GET /v2/teams) give the names of the team ids
alerts carry, so a catalog that names its Opsgenie team (Backstage's habit) maps its alerts as
one that gives the id. The API side is in `api.py`."""

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
    RawTable(
        "opsgenie",
        "teams",
        ("team_id",),
        {"team_id": "text"},
        "Teams (GET /v2/teams): the names of the team ids alerts carry.",
        typed=(present("id", required=True), present("name", required=True)),
        key_path="id",
    ),
)
FILES = (
    ExportFile("alerts", "alerts{page}.json", wrapper="data"),
    ExportFile("teams", "teams{page}.json", wrapper="data"),
)


def row(table: str, item: dict[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    key = str(field(item, "id"))
    if table == "teams":
        return {"team_id": key}
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
