"""Compare the public tables of two Stature warehouses (or published copies), row for row.

A refactor must leave the figures alone: run the sample org before and after, then

    python -m tests.support.compare_published BEFORE.duckdb AFTER.duckdb

prints, per table, whether the rows are identical (columns that record when or by which run
a row was written are left out), and exits 1 if any table differs. Tables only one side has
are listed: a new table is fine, a table that is gone fails like a changed one.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

SCHEMAS = ("marts", "scorecards")
# Columns that say when or in which run a row was written: they differ between any two runs.
VOLATILE = {
    "evaluated_at",
    "computed_at",
    "run_id",
    "recorded_at",
    "published_at",
    "changed_at",
    "requested_at",  # maturity_audit: when a close was asked for
    "first_seen_at",  # rule_versions: when a rule version was first stored
    "loaded_at",  # initiatives: when the initiative files were last landed
}


@dataclass
class Comparison:
    equal: list[str] = field(default_factory=list)
    different: dict[str, str] = field(default_factory=dict)  # table -> what differs
    only_before: list[str] = field(default_factory=list)
    only_after: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.different and not self.only_before


def _tables(con: duckdb.DuckDBPyConnection, alias: str) -> dict[str, list[str]]:
    rows = con.execute(
        "select schema_name || '.' || table_name, list(column_name order by column_index) "
        "from duckdb_columns() where database_name = ? and schema_name in ? group by all",
        [alias, list(SCHEMAS)],
    ).fetchall()
    return {name: columns for name, columns in rows}


def _difference(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> str | None:
    cols = ", ".join(f'"{c}"' for c in columns)
    query = (
        f"select count(*) from ((select {cols} from before.{table} except all "
        f"select {cols} from after.{table}) union all (select {cols} from after.{table} "
        f"except all select {cols} from before.{table}))"
    )
    mismatched = con.execute(query).fetchone()[0]
    if not mismatched:
        return None
    n_before = con.execute(f"select count(*) from before.{table}").fetchone()[0]
    n_after = con.execute(f"select count(*) from after.{table}").fetchone()[0]
    return f"{mismatched} rows differ ({n_before} rows before, {n_after} after)"


def compare(before: Path, after: Path) -> Comparison:
    result = Comparison()
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"ATTACH '{before}' AS before (READ_ONLY)")
        con.execute(f"ATTACH '{after}' AS after (READ_ONLY)")
        old, new = _tables(con, "before"), _tables(con, "after")
        result.only_before = sorted(set(old) - set(new))
        result.only_after = sorted(set(new) - set(old))
        for table in sorted(set(old) & set(new)):
            kept = [c for c in old[table] if c not in VOLATILE]
            dropped = sorted(set(kept) - set(new[table]))
            if dropped:
                result.different[table] = f"columns missing after: {', '.join(dropped)}"
                continue
            why = _difference(con, table, kept)
            if why:
                result.different[table] = why
            else:
                result.equal.append(table)
    finally:
        con.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    result = compare(args.before, args.after)
    for table in result.equal:
        print(f"same       {table}")
    for table, why in result.different.items():
        print(f"DIFFERENT  {table}: {why}")
    for table in result.only_before:
        print(f"gone       {table} (only in {args.before})")
    for table in result.only_after:
        print(f"new        {table} (only in {args.after})")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
