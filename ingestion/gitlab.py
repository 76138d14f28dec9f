"""GitLab: merge requests, pipelines and deployments of a project (path with namespace)."""

from __future__ import annotations

from typing import Any

from ingestion.records import RecordError, as_int, as_timestamp, field, first_present

ENDPOINTS: dict[str, tuple[str, str | None]] = {
    "merge_requests": ("merge_requests", None),
    "pipelines": ("pipelines", None),
    "deployments": ("deployments", None),
}
_KEY = {
    "merge_requests": ("iid", "iid"),
    "pipelines": ("id", "pipeline_id"),
    "deployments": ("id", "deployment_id"),
}


def row(table: str, item: Any, *, project: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise RecordError(f"expected a JSON object, got {type(item).__name__}")
    source_key, column = _KEY[table]
    key = as_int(field(item, source_key), source_key)
    version = first_present(item, "updated_at", "created_at")
    if version is None:
        raise RecordError("missing 'updated_at' and 'created_at'", str(key))
    return {
        "project": project,
        column: key,
        "updated_at": as_timestamp(version, "updated_at", str(key)),
    }


# --- API mode ---------------------------------------------------------------------------------

API_AUTH = "private-token"  # PRIVATE-TOKEN: <token>
# table -> (path under base_url, fixed query parameters); {project} is the URL-encoded path.
# Ordered by updated_at so `updated_after` narrows a nightly run; pages follow the Link header
# (keyset where the server supports it, offset otherwise).
API_LISTS: dict[str, tuple[str, dict[str, str]]] = {
    "merge_requests": (
        "projects/{project}/merge_requests",
        {"state": "all", "scope": "all", "order_by": "updated_at", "sort": "asc"},
    ),
    "pipelines": ("projects/{project}/pipelines", {"order_by": "updated_at", "sort": "asc"}),
    "deployments": ("projects/{project}/deployments", {"order_by": "updated_at", "sort": "asc"}),
}
# The pipelines list is slim (no started_at / finished_at / duration): each listed pipeline is
# read again from this endpoint and the full object is what lands.
API_PIPELINE = "projects/{project}/pipelines/{parent}"
