"""A rule's golden fixture checked against the tables the rule really reads, before anything
runs: every table a case gives must exist (in the warehouse, else in the dbt models'
contracts), every column it names must be one of that table's, and every table the rule reads
must be given. A mistake is the fixture's, so the problem names the fixture file and line
(with "did you mean"), never the rule.

The scratch tables a case runs on are then built with the real columns and types (fixtures.py),
so a column a case leaves out is NULL, as it would be in a warehouse row that lacks it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.rules.loader import RuleFile
from dagster_project.rules.messages import did_you_mean
from dagster_project.rules.model import ALLOWED_SCHEMAS, Problem
from dagster_project.rules.validate import entity_table, tables_read

# A type read from the warehouse or the dbt contracts becomes SQL: only type-shaped text.
SAFE_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_ ]*(\(\d+(, ?\d+)?\))?(\[\])*")


@dataclass(frozen=True)
class RealSchema:
    """The columns and types of the tables rules may read: {"marts.x": {column: type}}.
    `complete` lists the schemas whose every table is known (a table missing there is a
    mistake); `source` says where the schema was read, for messages."""

    tables: dict[str, dict[str, str]]
    complete: frozenset[str]
    source: str

    def columns(self, table: str) -> dict[str, str] | None:
        return self.tables.get(table.lower())


def real_schema(warehouse: Path | None) -> RealSchema:
    """The warehouse's tables (when it can be read), over the marts' dbt contracts (always:
    `make manifest` parses them), so a fixture is checked with or without a warehouse."""
    from dagster_project.manifest import ManifestError, models

    tables: dict[str, dict[str, str]] = {}
    complete: set[str] = set()
    sources = []
    try:
        for relation, model in models().items():
            if relation.split(".")[0] in ALLOWED_SCHEMAS:
                tables[relation] = {c.name.lower(): c.data_type or "varchar" for c in model.columns}
        complete.add("marts")
        sources.append("the dbt models")
    except ManifestError:
        pass
    found = _warehouse_tables(warehouse) if warehouse is not None else None
    if found is not None:
        tables.update(found)
        complete.update(ALLOWED_SCHEMAS)
        sources.insert(0, "the warehouse")
    return RealSchema(tables, frozenset(complete), " or ".join(sources) or "no known schema")


def _warehouse_tables(warehouse: Path) -> dict[str, dict[str, str]] | None:
    if not Path(warehouse).exists():
        return None
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return None  # busy writer: the contracts still check the marts
    try:
        rows = con.execute(
            "select table_schema, table_name, column_name, data_type "
            "from information_schema.columns where table_schema in (select unnest(?)) "
            "order by table_schema, table_name, ordinal_position",
            [list(ALLOWED_SCHEMAS)],
        ).fetchall()
    finally:
        con.close()
    out: dict[str, dict[str, str]] = {}
    for schema, table, column, kind in rows:
        out.setdefault(f"{schema}.{table}".lower(), {})[column.lower()] = kind
    return out


def check_fixture(
    rule: RuleFile,
    path: Path,
    cases: list[Any],
    lines: dict[tuple[str, ...], int],
    schema: RealSchema,
) -> list[Problem]:
    """Problems of a parsed fixture file's cases against the real schema (see the module)."""
    problems: list[Problem] = []
    reads = [f"{s}.{t}" for s, t in tables_read(rule)] if rule.ok else []
    entity = entity_table(rule.entity)
    for i, case in enumerate(cases):
        where = ("cases", str(i))
        problems += [
            _problem(path, lines, where, case.name, message, hint, key)
            for message, hint, key in _given_problems(case, schema)
        ]
        given = {t.lower() for t in case.given}
        misspelt = {t for t in given if schema.columns(t) is None}
        for table in reads:
            if table in given or (entity and table == f"{entity[0]}.{entity[1]}"):
                continue
            if did_you_mean(table, misspelt):  # said already: the given name is misspelt
                continue
            problems.append(
                _problem(
                    path,
                    lines,
                    where,
                    case.name,
                    f"leaves out {table}, which {rule.rule_id} reads",
                    f"add it under given: ({table}: [] for an empty table)",
                )
            )
    return sorted(problems, key=lambda p: p.line or 0)


def _problem(
    path: Path,
    lines: dict[tuple[str, ...], int],
    where: tuple[str, ...],
    case_name: str,
    message: str,
    hint: str,
    key: tuple[str, ...] = (),
) -> Problem:
    line = lines.get((*where, *key)) or lines.get(where)
    return Problem(path, line, None, f"case '{case_name}': {message}", hint)


def _given_problems(case: Any, schema: RealSchema) -> list[tuple[str, str, tuple[str, ...]]]:
    """(message, hint, YAML key below the case) for every unknown table and column given."""
    out = []
    for table, spec in case.given.items():
        key = ("given", table)
        columns = schema.columns(table)
        if columns is None:
            if table.split(".")[0].lower() in schema.complete:
                hint = (
                    did_you_mean(table, schema.tables) or "rules read marts and scorecards tables"
                )
                out.append((f"table {table} is not in {schema.source}", hint, key))
            continue
        for column, column_key in _named_columns(spec, key).items():
            if column.lower() not in columns:
                hint = did_you_mean(column, columns) or f"its columns: {', '.join(columns)}"
                out.append((f"{table} has no column '{column}'", hint, column_key))
    return out


def _named_columns(spec: Any, key: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Every column a given table names, with the YAML key of its first mention."""
    named: dict[str, tuple[str, ...]] = {}
    pinned = getattr(spec, "columns", {}) or {}
    rows = spec.rows if hasattr(spec, "rows") else spec
    prefix = (*key, "rows") if hasattr(spec, "rows") else key
    for column in pinned:
        named.setdefault(str(column), (*key, "columns", str(column)))
    for r, row in enumerate(rows):
        for column in row:
            named.setdefault(str(column), (*prefix, str(r), str(column)))
    return named
