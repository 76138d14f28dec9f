"""Raw tables for dbt tests: the `raw_<source>` schemas of `ingestion.registry`, empty or filled
with hand-made API objects, so `dbt build` and its unit tests run without an ingestion run.

Rows are built the way ingestion builds them: the key columns come from the object itself
(as `ingestion.sources.<source>.row` keys them) and the whole object goes to `payload`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from ingestion.raw_writer import load_id
from ingestion.registry import RAW_TABLES
from ingestion.spec import RawTable

DUCKDB_TYPES = {
    "text": "VARCHAR",
    "bigint": "BIGINT",
    "timestamp": "TIMESTAMPTZ",
    "double": "DOUBLE",
    "json": "JSON",
    "bool": "BOOLEAN",
    "date": "DATE",
}
DLT_COLUMNS = {"_dlt_load_id": "VARCHAR", "_dlt_id": "VARCHAR"}


def table(source: str, name: str) -> RawTable:
    for raw in RAW_TABLES:
        if raw.source == source and raw.name == name:
            return raw
    raise KeyError(f"no raw table {source}.{name} in ingestion.registry.RAW_TABLES")


def create_raw_tables(con: duckdb.DuckDBPyConnection, *, replace: bool = False) -> None:
    """Create every raw schema and table, empty (existing tables are kept unless `replace`)."""
    con.execute("SET TimeZone = 'UTC'")
    for raw in RAW_TABLES:
        con.execute(f"create schema if not exists {raw.schema}")
        columns = {name: DUCKDB_TYPES[kind] for name, kind in raw.all_columns.items()} | DLT_COLUMNS
        ddl = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
        verb = "create or replace table" if replace else "create table if not exists"
        con.execute(f"{verb} {raw.schema}.{raw.name} ({ddl})")


def create_raw_warehouse(path: str | Path) -> Path:
    """A warehouse file holding the empty raw tables (what `dbt build` needs to start)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        create_raw_tables(con)
    return path


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return value


def insert(
    con: duckdb.DuckDBPyConnection,
    source: str,
    name: str,
    rows: Iterable[Mapping[str, Any]],
    *,
    source_file: str = "fixture.json",
) -> int:
    """Insert rows given as {key columns..., "payload": <API object>}; returns the count.
    Each call is one landing: its rows get a load id later than any earlier call's, as a
    real landing's (the incremental staging models read only rows newer than they hold)."""
    raw = table(source, name)
    load = load_id()
    columns = list(raw.all_columns)
    count = 0
    for i, row in enumerate(rows):
        values = []
        for column in columns:
            if column == "payload":
                values.append(json.dumps(row["payload"], default=_iso))
            elif column == "source_file":
                values.append(row.get("source_file", source_file))
            else:
                values.append(_iso(row.get(column)))
        values += [row.get("_dlt_load_id", load), row.get("_dlt_id", f"{name}-{i}")]
        marks = ", ".join("?" for _ in values)
        names = ", ".join(f'"{c}"' for c in [*columns, *DLT_COLUMNS])
        con.execute(f"insert into {raw.schema}.{raw.name} ({names}) values ({marks})", values)
        count += 1
    return count


# --- API objects to raw rows, the way ingestion keys them ---------------------------------


def github_rows(
    name: str, items: Iterable[Mapping[str, Any]], *, repo: str, parent: int | None = None
) -> list[dict[str, Any]]:
    """Raw rows of GitHub objects of endpoint `name` (pulls, commits, pull_commits, ...)."""
    out = []
    for item in items:
        item = json.loads(json.dumps(item, default=_iso))
        if name in ("pulls", "issues"):
            keys = {"repo": repo, "number": item["number"], "updated_at": item["updated_at"]}
            if name == "pulls":
                keys["id"] = item["id"]
        elif name == "commits":
            keys = {"repo": repo, "sha": item["sha"]}
        elif name == "deployments":
            keys = {
                "repo": repo,
                "deployment_id": item["id"],
                "updated_at": item.get("updated_at") or item["created_at"],
            }
        elif name == "workflow_runs":
            keys = {"repo": repo, "run_id": item["id"], "updated_at": item["updated_at"]}
        elif name == "pull_commits":
            keys = {"repo": repo, "pr_number": parent, "sha": item["sha"]}
        elif name == "pull_reviews":
            keys = {"repo": repo, "pr_number": parent, "review_id": item["id"]}
        elif name == "deployment_statuses":
            keys = {"repo": repo, "deployment_id": parent, "status_id": item["id"]}
        else:
            raise KeyError(name)
        out.append({**keys, "payload": item})
    return out


def pagerduty_rows(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        item = json.loads(json.dumps(item, default=_iso))
        version = item.get("updated_at") or item.get("last_status_change_at") or item["created_at"]
        out.append({"incident_id": item["id"], "updated_at": version, "payload": item})
    return out


def catalog_rows(documents: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for doc in documents:
        metadata = doc.get("metadata", {})
        out.append(
            {
                "kind": doc["kind"],
                "namespace": metadata.get("namespace", "default"),
                "name": metadata["name"],
                "payload": doc,
            }
        )
    return out
