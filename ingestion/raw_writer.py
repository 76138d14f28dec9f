"""Write one source's raw rows into the warehouse with DuckDB, in one transaction: rows go in
as Arrow batches, are merged on each table's natural key (the last one read wins), and either
every table of the source, its rejections and its export-manifest entries land, or none do.

The tables keep the shape dlt gave them (declared columns, `payload` JSON, `source_file`,
`_dlt_load_id`, `_dlt_id`), so a warehouse written by an earlier version reads the same.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from dlt.common.json import json as dlt_json

from ingestion.spec import REJECTED_COLUMNS, REJECTED_KEY, REJECTED_TABLE, RawTable
from ingestion.validate import ENCODED_PAYLOAD

MEMORY_LIMIT = "1GB"
BATCH = 20_000  # rows per Arrow batch: bounds memory whatever the size of a table
# DuckDB's rows per row group. A parallel insert of more than this leaves a part-filled row
# group between full ones, and a later checkpoint merges them by rewriting every row group
# after it: at 2,000 services, the first night after a full build spent 8 s in the checkpoint
# of GitHub's landing (workflow runs), which a table written in order spares.
ROW_GROUP_ROWS = 122_880

# dlt's data types, as dlt creates them in DuckDB
_SQL_TYPES = {
    "text": "varchar",
    "bigint": "bigint",
    "double": "double",
    "bool": "boolean",
    "timestamp": "timestamptz",
    "date": "date",
    "json": "json",
}
_ARROW_TYPES = {"bigint": pa.int64(), "double": pa.float64(), "bool": pa.bool_()}
BOOKKEEPING = {"_dlt_load_id": "varchar not null", "_dlt_id": "varchar not null"}


class WriteError(Exception):
    """The rows read could not all be written; nothing of the source was."""


@dataclass(frozen=True)
class Target:
    """A table to write: its schema, name, columns (dlt types) and natural key."""

    schema: str
    name: str
    columns: dict[str, str]
    key: tuple[str, ...]

    @classmethod
    def of(cls, table: RawTable) -> Target:
        return cls(table.schema, table.name, table.all_columns, table.primary_key)

    @classmethod
    def rejected(cls, schema: str) -> Target:
        return cls(schema, REJECTED_TABLE, REJECTED_COLUMNS, REJECTED_KEY)

    @property
    def qualified(self) -> str:
        return f'"{self.schema}"."{self.name}"'


def load_id() -> str:
    """A load id as dlt writes them (epoch seconds): rows of a run compare >= its start."""
    return f"{time.time():.7f}"


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(warehouse))
    con.execute("set TimeZone = 'UTC'")  # a timestamp without a zone is UTC, as dlt took it
    # A first landing of a large org stages gigabytes of JSON: let DuckDB spill to disk
    # beside the warehouse rather than hold it all in memory.
    con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
    con.execute("set preserve_insertion_order = false")
    return con


def ensure_table(con: duckdb.DuckDBPyConnection, target: Target) -> None:
    """Create the table (and schema) if missing; add declared columns an older one lacks."""
    con.execute(f'create schema if not exists "{target.schema}"')
    columns = [
        f'"{name}" {_SQL_TYPES[dtype]}{" not null" if name in target.key else ""}'
        for name, dtype in target.columns.items()
    ] + [f'"{name}" {ddl}' for name, ddl in BOOKKEEPING.items()]
    con.execute(f"create table if not exists {target.qualified} ({', '.join(columns)})")
    have = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [target.schema, target.name],
        ).fetchall()
    }
    for name, dtype in target.columns.items():
        if name not in have:
            con.execute(f'alter table {target.qualified} add column "{name}" {_SQL_TYPES[dtype]}')


def _json(value: Any) -> str | None:
    return None if value is None else dlt_json.dumps(value)


def _arrow_column(values: list[Any], dtype: str) -> pa.Array:
    if dtype == "json":
        return pa.array([_json(v) for v in values], pa.string())
    # Most columns hold what they declare (and text columns text): Arrow converts them at
    # once; anything else goes in as text, for DuckDB to cast below or say why not.
    arrow_type = _ARROW_TYPES.get(dtype)
    try:
        if arrow_type is not None:
            return pa.array(values, arrow_type)
        inferred = pa.array(values)  # only text (and nulls) infer as a string column
        if inferred.type == pa.string():
            return inferred
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        pass
    return pa.array([None if v is None else str(v) for v in values], pa.string())


@contextlib.contextmanager
def _one_thread(con: duckdb.DuckDBPyConnection, *, when: bool) -> Iterator[None]:
    """Run the block's statements on one DuckDB thread (if `when`), so a large insert fills
    the table's row groups in order (ROW_GROUP_ROWS). Measured at 2,000 services, GitHub's
    full landing took as long either way (84 s); the next night's landing 10 s, not 15 to 18."""
    if not when:
        yield
        return
    threads = con.execute("select current_setting('threads')").fetchone()[0]
    con.execute("set threads = 1")
    try:
        yield
    finally:
        con.execute(f"set threads = {int(threads)}")


class TableWriter:
    """Collects one table's rows in a temporary table, then merges them in."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        target: Target,
        load: str,
        on_flush: Callable[[str, int], None] | None = None,
    ) -> None:
        self.con, self.target, self.load, self.on_flush = con, target, load, on_flush
        self.staged = f'"_stature_new_{target.schema}_{target.name}"'
        self.rows = 0
        self._buffer: list[dict[str, Any]] = []
        ensure_table(con, target)
        staged_columns = ", ".join(
            [f'"{c}" {_SQL_TYPES[t]}' for c, t in target.columns.items()] + ['"_seq" bigint']
        )
        con.execute(f"create or replace temp table {self.staged} ({staged_columns})")

    def add(self, row: dict[str, Any]) -> None:
        self._buffer.append(row)
        if len(self._buffer) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        rows, self._buffer = self._buffer, []
        data = {
            name: _arrow_column([row.get(name) for row in rows], dtype)
            for name, dtype in self.target.columns.items()
            if name != "payload"
        }
        if "payload" in self.target.columns:  # written once already, when it was checked
            data["payload"] = pa.array(
                [row.get(ENCODED_PAYLOAD) or _json(row.get("payload")) for row in rows],
                pa.string(),
            )
        data["_seq"] = pa.array(range(self.rows, self.rows + len(rows)), pa.int64())
        batch = pa.table(data)  # noqa: F841 (read by the query below, by name)
        casts = ", ".join(
            f'cast(batch."{c}" as {_SQL_TYPES[t]})' for c, t in self.target.columns.items()
        )
        self.con.execute(f"insert into {self.staged} select {casts}, _seq from batch")
        self.rows += len(rows)
        if self.on_flush:
            self.on_flush(self.target.name, self.rows)

    def merge(self) -> int:
        """Replace the rows whose key was read again, insert the rest; returns rows written."""
        self.flush()
        key = ", ".join(f'"{c}"' for c in self.target.key)
        columns = ", ".join(f'"{c}"' for c in self.target.columns)
        staged, target = self.staged, self.target.qualified
        staged_rows = self.con.execute(f"select count(*) from {staged}").fetchone()[0]
        if staged_rows != self.rows:
            raise WriteError(f"{target}: read {self.rows} rows but {staged_rows} were staged")
        if self.rows:
            match = " and ".join(f'{target}."{c}" = new."{c}"' for c in self.target.key)
            self.con.execute(
                f"delete from {target} using (select distinct {key} from {staged}) as new "
                f"where {match}"
            )
            with _one_thread(self.con, when=self.rows > ROW_GROUP_ROWS):
                self.con.execute(
                    f"insert into {target} ({columns}, _dlt_load_id, _dlt_id) "
                    f"select {columns}, ?, replace(cast(gen_random_uuid() as varchar), '-', '') "
                    f"from {staged} "
                    f"qualify row_number() over (partition by {key} order by _seq desc) = 1",
                    [self.load],
                )
        written = self.con.execute(
            f"select count(*) from (select distinct {key} from {staged})"
        ).fetchone()[0]
        self.con.execute(f"drop table {staged}")
        return written


def write_tables(
    con: duckdb.DuckDBPyConnection,
    tables: Iterable[tuple[Target, Iterable[dict[str, Any]]]],
    *,
    load: str,
    on_batch: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Stage and merge each table's rows (inside the caller's transaction); returns the rows
    read per table. Rows whose key appears twice keep the last one read."""
    read: dict[str, int] = {}
    for target, rows in tables:
        writer = TableWriter(con, target, load, on_batch)
        for row in rows:
            writer.add(row)
        writer.merge()
        read[target.name] = writer.rows
    return read
