"""The engine that builds the dbt models: DuckDB (the warehouse file itself) or Spark.

Everything but the models step is the same on both engines. Ingestion lands the raw tables
in the DuckDB warehouse (same keys, rejections and cursors); on Spark the models step then

1. writes every raw table as Parquet under the lake folder (`<lake>/raw/<schema>/<table>/`),
2. runs dbt-spark, which registers them as Spark tables before it builds
   (dbt_project/macros/spark_lake.sql) and writes each mart back as Parquet
   (`<lake>/out/marts/<table>/`) when it is built,
3. loads those marts into the DuckDB warehouse, where the rules, the maturity snapshots, the
   reporting models and publish read them as they would DuckDB's own.

So readers never see which engine ran: the published DuckDB copy and Parquet are the same.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.config import StatureConfig
from dagster_project.warehouse import connect

RAW_SCHEMA_PREFIX = "raw_"
LAKE_SCHEMA = "marts"  # the schema whose models come back from Spark

# Stature's own Spark settings; the config's `spark.settings` go on top. Static ones (the
# metastore, the warehouse folder, the driver's JVM) only apply to a local session.
RUNTIME_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    # The models are written for SQL that returns NULL on a bad cast or a division by zero,
    # as DuckDB's try_cast and nullif do; ANSI mode (Spark 4's default) would fail instead.
    "spark.sql.ansi.enabled": "false",
    # Timestamps DuckDB reads as TIMESTAMPTZ, not the legacy INT96.
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
    # Hundreds of services are a small job for Spark: 200 shuffle partitions would cost more
    # in task start-up than the work.
    "spark.sql.shuffle.partitions": "4",
}


def not_ready(config: StatureConfig) -> str | None:
    """What the configured engine lacks on this machine, said with the fix; None if ready."""
    if config.engine != "spark":
        return None
    missing = [
        name
        for name, module in (("pyspark", "pyspark"), ("dbt-spark", "dbt.adapters.spark"))
        if importlib.util.find_spec(module) is None
    ]
    if config.spark.method == "session" and shutil.which("java") is None:
        missing.append("a Java 17 runtime (java)")
    if not missing:
        return None
    return (
        f"engine: spark needs {', '.join(missing)}, not installed here: run `make setup-spark` "
        "(pyspark and dbt-spark from the lock file, Java 17 from Debian's packages), "
        "or set engine: duckdb"
    )


def session_settings(lake: Path) -> dict[str, str]:
    """A local session's settings: its metastore (Derby) and tables under the lake folder, so
    each warehouse has its own and nothing lands in the working directory."""
    derby = lake / "derby"
    return {
        "spark.sql.warehouse.dir": str(lake / "spark-warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={lake / 'metastore_db'};create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={derby}",
        "spark.ui.enabled": "false",
        "spark.driver.memory": "2g",
    }


# dbt's environment for a build on DuckDB (the reporting step on either engine).
DUCKDB_ENVIRONMENT = {"STATURE_DBT_TARGET": "duckdb"}


def dbt_environment(config: StatureConfig, raw_tables: Iterable[str] = ()) -> dict[str, str]:
    """The environment of the dbt process: its target and, on Spark, the connection (the
    token read from the variable `spark.token_env` names; it is never written anywhere)."""
    if config.engine != "spark":
        return dict(DUCKDB_ENVIRONMENT)
    spark = config.spark
    lake = config.lake_path
    settings = dict(RUNTIME_SETTINGS)
    if spark.method == "session":
        settings |= session_settings(lake)
    settings |= spark.settings
    env = {
        "STATURE_DBT_TARGET": "spark",
        "STATURE_LAKE": str(lake),
        "STATURE_LAKE_TABLES": ",".join(raw_tables),
        "STATURE_SPARK_METHOD": spark.method,
        "STATURE_SPARK_HOST": spark.host,
        "STATURE_SPARK_PORT": str(spark.port),
        "STATURE_SPARK_CLUSTER": spark.cluster,
        "STATURE_SPARK_PARAMETERS": json.dumps(settings),
    }
    token = os.environ.get(spark.token_env)
    if token:
        env["STATURE_SPARK_TOKEN"] = token
    return env


def clear_stale_metastore_locks(lake: Path) -> list[Path]:
    """Remove the lock files a killed local session left in the lake's metastore (Derby
    refuses to boot over them: "Another instance of Derby may have already booted the
    database"). Only call it holding the warehouse's run lock: no other Spark session of this
    warehouse can be running then. The files removed."""
    stale = sorted((lake / "metastore_db").glob("*.lck"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _replace_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)


def write_raw_tables(warehouse: Path, lake: Path) -> list[str]:
    """Write every raw table of the warehouse as Parquet under `<lake>/raw/`; the tables'
    `schema.table` names, in order. Each night's copy replaces the last one."""
    with connect(warehouse, read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where starts_with(schema_name, ?) order by all",
            [RAW_SCHEMA_PREFIX],
        ).fetchall()
        names = [f"{schema}.{table}" for schema, table in tables]
        _copy_to_lake(con, lake, names)
    return names


def write_tables(warehouse: Path, lake: Path, names: Iterable[str]) -> None:
    """Write tables of the warehouse (`schema.table`) as Parquet, each to the folder Spark
    registers it from (`<lake>/raw/<schema>/<table>/`), replacing what the folder held."""
    with connect(warehouse, read_only=True) as con:
        _copy_to_lake(con, lake, names)


def _copy_to_lake(con: duckdb.DuckDBPyConnection, lake: Path, names: Iterable[str]) -> None:
    for name in names:
        schema, table = name.split(".")
        folder = lake / "raw" / schema / table
        _replace_folder(folder)
        con.execute(
            f'copy (select * from "{schema}"."{table}") '
            f"to '{folder / 'data.parquet'}' (format parquet)"
        )


def clear_marts(lake: Path) -> None:
    """Forget the marts an earlier build wrote back, so only this build's are loaded."""
    shutil.rmtree(lake / "out" / LAKE_SCHEMA, ignore_errors=True)


def built_marts(
    run_results: Mapping[str, Any] | None,
    manifest: Mapping[str, Any],
    schema: str = LAKE_SCHEMA,
) -> dict[str, dict[str, str]]:
    """The models of `schema` a dbt build built (from its run_results and manifest), each
    with the column types its contract declares."""
    types: dict[str, dict[str, str]] = {}
    for result in (run_results or {}).get("results", []):
        node = manifest["nodes"].get(result["unique_id"], {})
        if (
            result["status"] == "success"
            and node.get("resource_type") == "model"
            and node.get("schema") == schema
        ):
            types[node.get("alias") or node["name"]] = {
                name: column["data_type"]
                for name, column in node.get("columns", {}).items()
                if column.get("data_type")
            }
    return types


def load_marts(
    warehouse: Path,
    lake: Path,
    marts: Mapping[str, Mapping[str, str]],
    schema: str = LAKE_SCHEMA,
) -> list[str]:
    """Load the marts Spark wrote back into the DuckDB warehouse, each replacing its table, all
    in one transaction; the names loaded. `marts` maps each mart this build built to its
    declared column types (its dbt contract, in DuckDB's words): those columns are cast, so the
    tables have the types the DuckDB engine builds (Spark's INT is DuckDB's INTEGER where the
    contract says BIGINT). Models of another `schema` come back the same way."""
    loaded = []
    with connect(warehouse) as con:
        con.execute(f"create schema if not exists {schema}")
        con.execute("begin")
        for name in sorted(marts):
            files = lake / "out" / schema / name
            if not any(files.glob("*.parquet")):
                continue
            source = f"read_parquet('{files}/*.parquet')"
            declared = marts[name]
            columns = [row[0] for row in con.execute(f"describe select * from {source}").fetchall()]
            select = ", ".join(
                f'cast("{c}" as {declared[c]}) as "{c}"' if declared.get(c) else f'"{c}"'
                for c in columns
            )
            con.execute(
                f'create or replace table {schema}."{name}" as select {select} from {source}'
            )
            loaded.append(name)
        con.execute("commit")
    return loaded
