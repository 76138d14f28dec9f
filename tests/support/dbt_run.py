"""Run the real dbt project against a test warehouse: `dbt build` of a selection with vars,
its target and logs kept out of dbt_project/ (so the manifest Dagster reads is untouched),
and hand-made tables shaped by the models' contracts in the manifest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.manifest import columns

REPO = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")


def dbt(warehouse: Path, work_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """`dbt <args>` on `warehouse`, its target and logs under `work_dir`; the result as it is
    (a failing test exits 1)."""
    args = (*args, "--profiles-dir", ".", "--project-dir", ".")
    args += ("--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"))
    return subprocess.run(
        [str(DBT), *args],
        cwd=REPO / "dbt_project",
        env={**os.environ, "STATURE_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
        timeout=600,
    )


def dbt_build(
    warehouse: Path,
    select: str,
    *,
    work_dir: Path,
    variables: Mapping[str, Any] | None = None,
    exclude: str | None = None,
) -> subprocess.CompletedProcess:
    """`dbt build --select <select>` into `warehouse`; raises with dbt's output on failure."""
    args = ["build", "--select", select]
    if exclude:
        args += ["--exclude", exclude]
    if variables:
        args += ["--vars", json.dumps(dict(variables))]
    done = dbt(warehouse, work_dir, *args)
    if done.returncode != 0:
        raise AssertionError(f"dbt build --select {select} failed:\n{done.stdout[-6000:]}")
    return done


def create_like_model(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    """Create `relation` (e.g. marts.dora_metrics) empty, with the columns and types of its
    dbt model's contract; returns the column names."""
    cols = columns(relation)
    schema = relation.split(".")[0]
    con.execute(f"create schema if not exists {schema}")
    body = ", ".join(f'"{c.name}" {c.data_type}' for c in cols)
    con.execute(f"create or replace table {relation} ({body})")
    return [c.name for c in cols]


def insert_rows(
    con: duckdb.DuckDBPyConnection, relation: str, rows: Iterable[Mapping[str, Any]]
) -> None:
    """Insert rows given as {column: value}; columns a row leaves out are NULL."""
    rows = list(rows)
    if not rows:
        return
    names: Sequence[str] = list(dict.fromkeys(k for row in rows for k in row))
    con.executemany(
        f"insert into {relation} ({', '.join(names)}) values ({', '.join('?' for _ in names)})",
        [[row.get(n) for n in names] for row in rows],
    )
