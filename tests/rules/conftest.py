"""Fixtures for the rule engine's tests: real DuckDB warehouse files with the marts contract
(built by hand, no dbt), rule directories written on the fly, and a CLI parser built the way
the `stature` CLI builds it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rules_helpers import build_warehouse, rule_text

from dagster_project.config import StatureConfig


@pytest.fixture
def make_warehouse(tmp_path: Path) -> Callable[..., Path]:
    counter = iter(range(1000))

    def make(tables: dict[str, list[dict]] | None = None, name: str | None = None) -> Path:
        return build_warehouse(tmp_path / (name or f"warehouse{next(counter)}.duckdb"), tables)

    return make


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    d = tmp_path / "rules_sql"
    d.mkdir()
    return d


@pytest.fixture
def write_rule(rules_dir: Path) -> Callable[..., Path]:
    def write(
        rule_id: str, sql: str, *, scorecard: str = "security", raw: str | None = None, **kw
    ) -> Path:
        folder = rules_dir / scorecard
        folder.mkdir(exist_ok=True)
        path = folder / f"{rule_id}.sql"
        path.write_text(
            raw if raw is not None else rule_text(rule_id, sql, scorecard=scorecard, **kw)
        )
        return path

    return write


@pytest.fixture
def config() -> StatureConfig:
    return StatureConfig()


@pytest.fixture
def cli() -> Callable[..., int]:
    """Run `stature rules ...` through the real `stature` parser; returns the exit code."""
    from dagster_project.cli import build_parser

    def run(*argv: str) -> int:
        args = build_parser().parse_args(list(argv))
        return args.func(args)

    return run
