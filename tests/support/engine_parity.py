"""The Spark engine in tests: whether it can run here, a dbt build of a landed warehouse on
Spark (as the nightly's models step does it), and a row-for-row comparison of two warehouses
with floating point within 1e-9."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dagster_project import engines
from dagster_project.config import StatureConfig
from ingestion import ingest_export
from tests.support.compare_published import VOLATILE
from tests.test_dbt_models import run_dbt

TOLERANCE = 1e-9
# Columns that say when a row was written: they differ between any two builds.
WRITTEN_AT = VOLATILE | {"built_at"}


def require_spark() -> None:
    """Skip where the Spark engine is not installed; with CI set, fail (CI must run these)."""
    reason = engines.not_ready(StatureConfig(engine="spark"))
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: with CI set this test must run, not skip", pytrace=False)
    pytest.skip(reason)


def build_on_spark(export_dir: Path, work: Path) -> Path:
    """Land `export_dir` into a warehouse under `work`, build every model of the models step
    and its data tests on a local Spark, and load the marts back: the warehouse's path."""
    warehouse = work / "warehouse.duckdb"
    report = ingest_export(export_dir, warehouse)
    assert report.ok, report.lines()
    config = StatureConfig(engine="spark", warehouse=str(warehouse), base_dir=work)
    raw_tables = engines.write_raw_tables(warehouse, config.lake_path)
    environment = engines.dbt_environment(config, raw_tables)
    result = run_dbt(warehouse, work, "build", "--exclude", "test_type:unit", env=environment)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    target = work / "dbt_target"
    built = engines.built_marts(
        json.loads((target / "run_results.json").read_text()),
        json.loads((target / "manifest.json").read_text()),
    )
    engines.load_marts(warehouse, config.lake_path, built)
    return warehouse


@dataclass
class Parity:
    compared: list[str] = field(default_factory=list)
    differences: dict[str, str] = field(default_factory=dict)


def _same(a: object, b: object) -> bool:
    if isinstance(a, float | Decimal) or isinstance(b, float | Decimal):
        if a is None or b is None:
            return a is b
        return math.isclose(float(a), float(b), rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _rows(con: duckdb.DuckDBPyConnection, alias: str, table: str, columns: list[str]) -> list:
    names = ", ".join(f'"{c}"' for c in columns)
    return con.execute(f"select {names} from {alias}.{table} order by all").fetchall()


def compare(before: Path, after: Path, tables: list[str]) -> Parity:
    """Compare `tables` (schema.table) of two warehouses row for row: the same columns (but
    the ones saying when a row was written), the same rows, floats within TOLERANCE."""
    parity = Parity()
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"attach '{before}' as a (read_only)")
        con.execute(f"attach '{after}' as b (read_only)")
        for table in tables:
            schema, name = table.split(".")
            per_side = [
                [
                    c
                    for (c,) in con.execute(
                        "select column_name from duckdb_columns() where database_name = ? "
                        "and schema_name = ? and table_name = ? order by column_index",
                        [alias, schema, name],
                    ).fetchall()
                    if c not in WRITTEN_AT
                ]
                for alias in ("a", "b")
            ]
            if per_side[0] != per_side[1]:
                parity.differences[table] = f"columns {per_side[0]} != {per_side[1]}"
                continue
            rows_a, rows_b = (_rows(con, alias, table, per_side[0]) for alias in ("a", "b"))
            parity.compared.append(table)
            if len(rows_a) != len(rows_b):
                parity.differences[table] = f"{len(rows_a)} rows != {len(rows_b)} rows"
                continue
            for row_a, row_b in zip(rows_a, rows_b, strict=True):
                if not all(_same(x, y) for x, y in zip(row_a, row_b, strict=True)):
                    parity.differences[table] = f"first different row: {row_a} != {row_b}"
                    break
    return parity


def tables_of(warehouse: Path, schema: str) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_name from duckdb_tables() where schema_name = ? order by all", [schema]
        ).fetchall()
    return [f"{schema}.{name}" for (name,) in rows]
