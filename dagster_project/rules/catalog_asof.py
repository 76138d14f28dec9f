"""The catalog as it was on an evaluation date: which dates need `marts.dim_services` bound to
`marts.dim_services_history`, and the note when the history does not reach back that far.

The catalog changes on the dates versions were recorded from (its epochs). A date on or after
the last epoch sees today's catalog, so the nightly run reads `marts.dim_services` as it is;
an earlier date sees the versions that held then, and a date before the first epoch sees each
service's earliest known version, which the run says.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.rules.model import ALLOWED_SCHEMAS
from dagster_project.warehouse import connect

HISTORY = ("marts", "dim_services_history")


@dataclass(frozen=True)
class CatalogHistory:
    """The dates the catalog's recorded versions start on, oldest first, and the date each
    service's history starts on (None: never recorded, only its current entry is known)."""

    epochs: tuple[dt.date, ...] = ()
    starts: tuple[tuple[str, dt.date | None], ...] = ()

    @classmethod
    def read(cls, warehouse: Path) -> CatalogHistory:
        """The warehouse's catalog epochs (none without a history table, or a warehouse).
        Waits, like the sandbox, while another process writes the warehouse."""
        if not Path(warehouse).exists():
            return cls()
        with connect(warehouse, read_only=True) as con:
            return cls.from_connection(con)

    @classmethod
    def from_connection(cls, con: duckdb.DuckDBPyConnection, database: str = "") -> CatalogHistory:
        table = f"{database + '.' if database else ''}{HISTORY[0]}.{HISTORY[1]}"
        try:
            epochs = con.execute(
                f"select distinct recorded_from from {table} "
                "where recorded_from is not null order by 1"
            ).fetchall()
            starts = con.execute(
                f"select service_id, min(recorded_from) from {table} group by 1 order by 1"
            ).fetchall()
        except duckdb.Error:  # no history table yet (a warehouse built by an older version)
            return cls()
        return cls(tuple(row[0] for row in epochs), tuple((s, d) for s, d in starts))

    def binding(self, day: dt.date) -> dt.date | None:
        """The date to bind the catalog to for `day`, or None when today's catalog holds."""
        if not self.epochs or day >= self.epochs[-1]:
            return None
        return day

    def group(self, dates: Sequence[dt.date]) -> list[tuple[dt.date | None, list[dt.date]]]:
        """`dates` in runs that see the same catalog: (binding date, dates), oldest first."""
        groups: dict[int, list[dt.date]] = {}
        for day in sorted(set(dates)):
            groups.setdefault(bisect.bisect_right(self.epochs, day), []).append(day)
        return [(self.binding(days[0]), days) for _, days in sorted(groups.items())]

    def note(self, dates: Sequence[dt.date]) -> str | None:
        """What to say when, on some of `dates`, a service's history had not started yet."""
        if not self.epochs:
            return None  # no run recorded the catalog: today's catalog is all there is
        affected = [d for d in sorted(dates) if any(_after(start, d) for _, start in self.starts)]
        if not affected:
            return None
        day = affected[0]
        late = [service for service, start in self.starts if _after(start, day)]
        names = ", ".join(late[:5]) + (f" and {len(late) - 5} more" if len(late) > 5 else "")
        return (
            f"the catalog history of {len(late)} of {len(self.starts)} services starts after "
            f"{day} ({names}): they were graded with their earliest known catalog version "
            "(tier, lifecycle, owner), not with what the catalog said then; add "
            "catalog/history/<date>/ files to an export, or pull the catalog files' git "
            "history in API mode, to reach further back"
        )


def _after(start: dt.date | None, day: dt.date) -> bool:
    return start is None or start > day


def bind_catalog(con: duckdb.DuckDBPyConnection, warehouse_alias: str, day: dt.date) -> bool:
    """Make `marts.dim_services` on `con` the catalog valid on `day`: the schemas rules may
    read are mirrored in the in-memory catalog (views over the warehouse), dim_services among
    them as the history's versions that held then. Returns False (nothing changed) when the
    warehouse has no history with dim_services' columns; the caller then `USE`s the warehouse."""
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = ? and table_schema in ({})".format(
            ", ".join("?" for _ in ALLOWED_SCHEMAS)
        ),
        [warehouse_alias, *ALLOWED_SCHEMAS],
    ).fetchall()
    names = {(s.lower(), t.lower()) for s, t in tables}
    if ("marts", "dim_services") not in names or HISTORY not in names:
        return False
    columns = _columns(con, warehouse_alias, "dim_services")
    if not set(columns) <= set(_columns(con, warehouse_alias, HISTORY[1])):
        return False
    for schema in sorted({s for s, _ in tables}):
        con.execute(f'create schema if not exists memory."{schema}"')
    for schema, table in tables:
        if (schema.lower(), table.lower()) == ("marts", "dim_services"):
            continue
        con.execute(
            f'create view memory."{schema}"."{table}" as '
            f'select * from {warehouse_alias}."{schema}"."{table}"'
        )
    listed = ", ".join(f'"{c}"' for c in columns)
    con.execute(
        f"create view memory.marts.dim_services as select {listed} "
        f"from {warehouse_alias}.marts.dim_services_history "
        f"where valid_from <= DATE '{day.isoformat()}' "
        f"and (valid_to is null or valid_to > DATE '{day.isoformat()}')"
    )
    return True


def _columns(con: duckdb.DuckDBPyConnection, database: str, table: str) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_catalog = ? "
            "and table_schema = 'marts' and table_name = ? order by ordinal_position",
            [database, table],
        ).fetchall()
    ]
