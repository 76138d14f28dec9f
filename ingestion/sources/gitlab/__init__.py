"""GitLab: merge requests, pipelines and deployments of each project (path with namespace,
`group/sub/app`). The API side is in `api.py`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingestion.records import RecordError, as_int, as_timestamp, field, first_present
from ingestion.spec import ExportFile, RawTable, Source, integer, timestamp


def _table(name: str, key: str, column: str, what: str, *typed: Any) -> RawTable:
    return RawTable(
        "gitlab",
        name,
        ("project", column, "updated_at"),
        {"project": "text", column: "bigint", "updated_at": "timestamp"},
        f"{what}, one row per version.",
        versioned_by="updated_at",
        typed=(
            integer(key, required=True),
            timestamp("created_at"),
            timestamp("updated_at"),
            *typed,
        ),
        key_path=key,
    )


TABLES = (
    _table(
        "merge_requests",
        "iid",
        "iid",
        "Merge requests (GET /projects/{id}/merge_requests)",
        integer("id"),
        timestamp("merged_at"),
        timestamp("closed_at"),
    ),
    _table(
        "pipelines",
        "id",
        "pipeline_id",
        "Pipelines (GET /projects/{id}/pipelines)",
        timestamp("started_at"),
        timestamp("finished_at"),
    ),
    _table(
        "deployments",
        "id",
        "deployment_id",
        "Deployments (GET /projects/{id}/deployments)",
        integer("iid"),
        timestamp("deployable.finished_at"),
    ),
)
# gitlab/<project path>/<endpoint>.json, pages as pulls.json, pulls-2.json, ...
FILES = tuple(ExportFile(t.name, f"{{project+}}/{t.name}{{page}}.json") for t in TABLES)
_KEY = {t.name: (t.key_path, t.primary_key[1]) for t in TABLES}


def row(table: str, item: dict[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    source_key, column = _KEY[table]
    key = as_int(field(item, source_key), source_key)
    version = first_present(item, "updated_at", "created_at")
    if version is None:
        raise RecordError("missing 'updated_at' and 'created_at'", str(key), field="updated_at")
    return {
        "project": context["project"],
        column: key,
        "updated_at": as_timestamp(version, "updated_at", str(key)),
    }


SOURCE = Source(
    name="gitlab",
    tables=TABLES,
    files=FILES,
    row=row,
    api="ingestion.sources.gitlab.api",
    auth="private-token",
)
