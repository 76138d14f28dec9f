"""Opsgenie: alerts (GET /v2/alerts), keyed by id, versioned by updatedAt."""

from __future__ import annotations

from typing import Any

from ingestion.records import RecordError, as_timestamp, field, first_present

ENDPOINTS: dict[str, tuple[str, str | None]] = {"alerts": ("alerts", "data")}


def row(table: str, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise RecordError(f"expected a JSON object, got {type(item).__name__}")
    key = str(field(item, "id"))
    version = first_present(item, "updatedAt", "createdAt")
    if version is None:
        raise RecordError("missing 'updatedAt' and 'createdAt'", key)
    return {"alert_id": key, "updated_at": as_timestamp(version, "updatedAt", key)}


# --- API mode ---------------------------------------------------------------------------------

API_AUTH = "genie"  # Authorization: GenieKey <key>
API_PATH = "v2/alerts"
# Newest-updated first, so a nightly run stops at the first alert older than its cursor;
# pages follow `paging.next` as given.
API_PARAMS = {"sort": "updatedAt", "order": "desc"}
API_LIMIT = 100
API_OFFSET_CAP = 20_000  # offset + limit may not exceed this
