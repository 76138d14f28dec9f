"""What the hand-worked org scenarios (tests/test_mixed_org.py, tests/test_monorepo.py) share:
UTC timestamps written as text, the dbt build of a landed warehouse, and rows keyed by id."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb

from tests.test_dbt_models import run_dbt


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def build(warehouse: Path, work: Path) -> Path:
    """Every model and data test over the landed raw tables (the unit tests run elsewhere)."""
    result = run_dbt(warehouse, work, "build", "--exclude", "test_type:unit")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return warehouse


def records(warehouse: Path, sql: str) -> dict[Any, dict[str, Any]]:
    """Rows of `sql` keyed by their first column, each as {column: value} without it."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    return {row[0]: dict(zip(names[1:], row[1:], strict=True)) for row in rows}
