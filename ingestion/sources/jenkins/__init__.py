"""Jenkins: builds of each job (`allBuilds[...]`; `timestamp` and `duration` are epoch
milliseconds). The API side is in `api.py`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingestion.records import as_int, field, from_epoch_ms
from ingestion.spec import ExportFile, RawTable, Source, boolean, epoch_ms, integer

TABLES = (
    RawTable(
        "jenkins",
        "builds",
        ("job", "number"),
        {"job": "text", "number": "bigint", "started_at": "timestamp"},
        "Builds of a job (/job/<job>/api/json?tree=allBuilds[...]); started_at from epoch ms.",
        typed=(
            integer("number", required=True),
            epoch_ms("timestamp", required=True),
            boolean("building"),
            integer("duration"),
        ),
        key_path="number",
    ),
)
# jenkins/<job full name>/builds.json: {"allBuilds": [...]} as the API answers ({"builds": [...]}
# or a bare list are read too)
FILES = (ExportFile("builds", "{job+}/builds{page}.json", wrapper=("allBuilds", "builds")),)


def row(table: str, item: dict[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    number = as_int(field(item, "number"), "number")
    started = field(item, "timestamp", key=str(number))
    return {"job": context["job"], "number": number, "started_at": from_epoch_ms(started)}


SOURCE = Source(
    name="jenkins",
    tables=TABLES,
    files=FILES,
    row=row,
    api="ingestion.sources.jenkins.api",
    auth="basic",
)
