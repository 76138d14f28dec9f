"""PagerDuty: incidents (GET /incidents), keyed by id, versioned by updated_at."""

from __future__ import annotations

from typing import Any

from ingestion.records import RecordError, as_timestamp, field, first_present

ENDPOINTS: dict[str, tuple[str, str | None]] = {"incidents": ("incidents", "incidents")}


def row(table: str, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise RecordError(f"expected a JSON object, got {type(item).__name__}")
    key = str(field(item, "id"))
    # Older incidents carry no updated_at; the last status change is when they last moved.
    version = first_present(item, "updated_at", "last_status_change_at", "created_at")
    if version is None:
        raise RecordError("missing 'updated_at', 'last_status_change_at' and 'created_at'", key)
    return {"incident_id": key, "updated_at": as_timestamp(version, "updated_at", key)}


# --- API mode ---------------------------------------------------------------------------------

API_AUTH = "pagerduty"  # Authorization: Token token=<key>
API_HEADERS = {"Accept": "application/vnd.pagerduty+json;version=2"}
API_PATH = "incidents"
API_LIMIT = 100  # the most one page holds
API_OFFSET_CAP = 10_000  # offset + limit above this is a 400: restart the window instead
API_WINDOW_DAYS = 90  # since/until may span at most 6 months; stay well inside
API_HISTORY_DAYS = 730  # how far back the first pull reaches
API_OVERLAP_HOURS = 1  # a nightly window starts this long before the last one ended
