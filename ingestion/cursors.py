"""Incremental cursors of API mode, kept in the warehouse (`raw_meta.cursors`).

One row per (source, server, stream): a stream is one list the source pulls (`acme/alpha
pulls`, `incidents services=P1,P2`), its value a small JSON object (the newest `updated_at`
seen, the build number to refresh from, the incidents still open). A nightly run reads them to
ask only for what changed, and writes them back only after its rows have landed, and only for
streams that were pulled completely: a failed or partial stream keeps its old cursor, so the
next run asks again and nothing is lost (re-landed rows merge on their natural keys).
Cursor values hold timestamps, ids and numbers; never a token or a URL with credentials.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

SCHEMA = "raw_meta"
TABLE = "cursors"

_DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.{TABLE} (
    source varchar not null,
    server varchar not null,
    stream varchar not null,
    value json not null,
    records bigint,
    updated_at timestamptz not null,
    primary key (source, server, stream)
);
"""


@dataclass
class Cursors:
    """The cursors of one source on one server: read at start, pending until `save`."""

    source: str
    server: str
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: dict[str, tuple[dict[str, Any], int]] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)

    def get(self, stream: str) -> dict[str, Any] | None:
        return self.stored.get(stream)

    def advance(self, stream: str, value: dict[str, Any] | None, records: int = 0) -> None:
        """The value to store for `stream` if the run lands (None: keep the old one)."""
        if value is not None:
            self.pending[stream] = (value, records)

    def fail(self, stream: str) -> None:
        """`stream` was not pulled completely: its cursor must not move."""
        self.failed.add(stream)

    def to_save(self) -> dict[str, tuple[dict[str, Any], int]]:
        return {s: v for s, v in self.pending.items() if s not in self.failed}


def _connect(warehouse: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(warehouse), read_only=read_only)
    con.execute("SET TimeZone = 'UTC'")
    return con


def load_cursors(warehouse: Path, source: str, server: str, *, full: bool = False) -> Cursors:
    """The stored cursors of `source` on `server` (none for a new warehouse, or if `full`)."""
    cursors = Cursors(source, server)
    if full or not Path(warehouse).exists():
        return cursors
    con = _connect(warehouse, read_only=False)
    try:
        exists = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [SCHEMA, TABLE],
        ).fetchone()
        if not exists or not exists[0]:
            return cursors
        rows = con.execute(
            f"select stream, value from {SCHEMA}.{TABLE} where source = ? and server = ?",
            [source, server],
        ).fetchall()
    finally:
        con.close()
    cursors.stored = {stream: json.loads(value) for stream, value in rows}
    return cursors


def save_cursors(
    warehouse: Path, cursors: Cursors, *, redact: Callable[[str], str] = lambda s: s
) -> int:
    """Write the pending cursors of completed streams in one transaction; returns how many."""
    rows = []
    now = dt.datetime.now(dt.UTC)
    for stream, (value, records) in sorted(cursors.to_save().items()):
        text = json.dumps(value, sort_keys=True)
        if redact(text) != text or redact(stream) != stream:
            raise ValueError(f"refusing to store a cursor of {cursors.source} holding a secret")
        rows.append((cursors.source, cursors.server, stream, text, records, now))
    if not rows:
        return 0
    con = _connect(warehouse, read_only=False)
    try:
        con.execute(_DDL)
        con.execute("begin transaction")
        con.executemany(
            f"insert or replace into {SCHEMA}.{TABLE} "
            "(source, server, stream, value, records, updated_at) values (?, ?, ?, ?, ?, ?)",
            rows,
        )
        con.execute("commit")
    finally:
        con.close()
    return len(rows)


def reset_cursors(warehouse: Path, source: str | None = None) -> None:
    """Forget the cursors (of one source): the next run pulls everything again."""
    if not Path(warehouse).exists():
        return
    con = _connect(warehouse, read_only=False)
    try:
        con.execute(_DDL)
        if source is None:
            con.execute(f"delete from {SCHEMA}.{TABLE}")
        else:
            con.execute(f"delete from {SCHEMA}.{TABLE} where source = ?", [source])
    finally:
        con.close()
