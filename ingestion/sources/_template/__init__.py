"""Example: events of an imaginary incident tool (GET /v1/events), keyed by id, versioned by
updated_at. THE TEMPLATE TO COPY for a new source: docs/sources.md ("Adding a source") walks
through it. Copy this folder to `ingestion/sources/<name>/`, rename `example` everywhere, then
declare what the real API returns; `tests/test_source_template.py` lands this example from an
export and over HTTP, and is the test to copy too.

What a source declares here, and nothing else:
- its raw tables: natural key, key columns, the column versions are ordered by, and every
  payload field its staging model casts (the checks that set bad records aside);
- its export files: where each table's pages sit under `<export_dir>/<name>/`;
- its row mapping: the key columns of one API object;
- `api`: the module that pulls it from the live API (`api.py` beside this file).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingestion.records import as_timestamp, field
from ingestion.spec import (
    ExportFile,
    RawTable,
    Source,
    boolean,
    integer,
    present,
    timestamp,
)

TABLES = (
    RawTable(
        "example",  # the source name: its schema is raw_example
        "events",
        ("event_id", "updated_at"),  # merged on this: one row per version of an event
        {"event_id": "text", "updated_at": "timestamp"},  # key columns (+ payload, source_file)
        "Events (GET /v1/events), one row per version.",
        versioned_by="updated_at",
        # Every field stg_example__events casts, with the type it casts to; `required` for
        # the keys. A record breaking one is set aside in raw_example._rejected.
        typed=(
            present("id", required=True),
            timestamp("updated_at", required=True),
            timestamp("created_at"),
            timestamp("resolved_at"),
            integer("duration_ms"),
            boolean("acknowledged"),
        ),
        key_path="id",  # names the record in a rejection
    ),
)
# <export_dir>/example/events.json, events-2.json, ...: each page {"events": [...]}, as the
# API answers. Any other file in the folder is reported as skipped.
FILES = (ExportFile("events", "events{page}.json", wrapper="events"),)


def row(table: str, item: dict[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    """The key columns of one event (its typed fields were checked already). `context` holds
    what the file pattern's placeholders matched (none here; `repo`, `parent`, ... elsewhere)."""
    key = str(field(item, "id"))
    return {"event_id": key, "updated_at": as_timestamp(item["updated_at"], "updated_at", key)}


SOURCE = Source(
    name="example",
    tables=TABLES,
    files=FILES,
    row=row,
    api="ingestion.sources._template.api",
    auth="bearer",  # see ingestion.credentials.credentials for the schemes
)
