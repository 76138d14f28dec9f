"""`stature rules test`: golden fixtures beside each rule, in the spirit of sqlglot's
fixture files: the input rows and the statuses they must produce, readable without Python.

`rules_sql/<scorecard>/tests/<rule_id>.yml`:

```yaml
as_of: 2026-11-15                     # default for every case
cases:
  - name: a tier-1 service with all endpoints on https passes
    given:                            # rows per table; column types come from the values
      marts.dim_services:
        - {service_id: api, tier: tier-1, endpoint_count: 2, tls_endpoint_count: 2}
      marts.fct_ci_runs:              # or pin types / an empty table with columns + rows
        columns: {created_at: timestamptz}
        rows: []
    exemptions:                       # optional; `rule` defaults to the rule under test
      - {entity: api, reason: ..., approver: ..., expires: 2027-01-01}
    expect:                           # every entity, its status (and optionally value, note)
      api: pass
      web: {status: fail, value: 0.5}
```

Each case runs in a scratch DuckDB file through the same sandbox, validation and grading as
the nightly run. A fixture comes in a pull request like the rule, so it gets the same fence:
table names (`marts.x` / `scorecards.x`), column names and pinned types are checked before
anything runs (a problem names the file and line), every identifier is quoted, and the
scratch tables are built on a connection with external access off and configuration locked.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dagster_project.rules.exemptions import Exemption
from dagster_project.rules.fixture_check import SAFE_TYPE, RealSchema, check_fixture
from dagster_project.rules.loader import RuleFile, key_lines, pydantic_problems
from dagster_project.rules.model import ALLOWED_SCHEMAS, STATUSES, Problem

Status = Literal["pass", "warn", "fail", "not_applicable", "not_reported", "exempt", "error"]

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# Column types a fixture may pin: DuckDB's scalar types, optionally as a list (`varchar[]`).
COLUMN_TYPE = re.compile(
    r"(boolean|bool|tinyint|smallint|integer|int|bigint|hugeint|double|float|real|"
    r"(decimal|numeric)\(\d{1,2}, ?\d{1,2}\)|decimal|numeric|varchar|text|string|date|time|"
    r"timestamp|timestamptz|timestamp with time zone|interval|uuid|json)(\[\])?",
    re.IGNORECASE,
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Expectation(_Strict):
    status: Status
    value: float | None = None
    note: str | None = None


class TableRows(_Strict):
    columns: dict[str, str] = {}
    rows: list[dict[str, Any]] = []


class Case(_Strict):
    name: str
    as_of: dt.date | None = None
    given: dict[str, list[dict[str, Any]] | TableRows] = {}
    exemptions: list[dict[str, Any]] = []
    expect: dict[str, Expectation]

    @field_validator("expect", mode="before")
    @classmethod
    def _status_alone(cls, value: Any) -> Any:
        """`entity: pass` is short for `entity: {status: pass}`."""
        if isinstance(value, dict):
            return {k: {"status": v} if isinstance(v, str) else v for k, v in value.items()}
        return value


class FixtureFile(_Strict):
    as_of: dt.date | None = None
    cases: list[Case] = Field(min_length=1)


@dataclass
class CaseResult:
    rule: RuleFile
    fixture: Path
    name: str
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def fixture_path(rule: RuleFile) -> Path:
    return rule.path.parent / "tests" / f"{rule.path.stem}.yml"


def load_fixture(path: Path) -> tuple[FixtureFile | None, list[Problem]]:
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [
            Problem(path, mark.line + 1 if mark else None, None, f"not valid YAML: {exc}")
        ]
    if not isinstance(raw, dict):
        return None, [Problem(path, 1, None, "a fixture file is a mapping with `cases:`")]
    try:
        fixture = FixtureFile(**raw)
    except ValidationError as exc:
        return None, pydantic_problems(exc, path, key_lines(text, 1), 1)
    problems = []
    lines = key_lines(text, 1)
    for i, case in enumerate(fixture.cases):
        for table, spec in case.given.items():
            problems += _table_problems(path, lines, i, table, spec)
        if case.as_of is None and fixture.as_of is None:
            problems.append(
                Problem(
                    path,
                    None,
                    None,
                    f"case '{case.name}' has no as_of (set it on the case or the file)",
                )
            )
    return (None if problems else fixture), problems


def _table_problems(
    path: Path, lines: dict[tuple[str, ...], int], case: int, table: str, spec: Any
) -> list[Problem]:
    """A fixture table must be `<allowed schema>.<identifier>`, its columns identifiers and
    its pinned types DuckDB types: they become SQL, so nothing else gets through."""
    where = ("cases", str(case), "given", table)
    schema, _, name = table.partition(".")
    if schema not in ALLOWED_SCHEMAS or not IDENTIFIER.fullmatch(name):
        return [
            Problem(
                path,
                lines.get(where),
                None,
                f"table {table!r}: name it schema.table, schema one of "
                f"{', '.join(ALLOWED_SCHEMAS)}, table letters, digits and _",
            )
        ]
    problems = []
    pinned = spec.columns if isinstance(spec, TableRows) else {}
    rows = spec.rows if isinstance(spec, TableRows) else spec
    prefix = (*where, "rows") if isinstance(spec, TableRows) else where
    for column, kind in pinned.items():
        line = lines.get((*where, "columns", column))
        if not IDENTIFIER.fullmatch(column):
            problems.append(
                Problem(
                    path,
                    line,
                    None,
                    f"{table}: column {column!r}: not a name (letters, digits and _)",
                )
            )
        elif not COLUMN_TYPE.fullmatch(kind.strip()):
            problems.append(
                Problem(
                    path,
                    line,
                    None,
                    f"{table}.{column}: type {kind!r} is not a DuckDB type (e.g. bigint, double, varchar, date, timestamptz, varchar[])",
                )
            )
    for r, row in enumerate(rows):
        for column in row:
            if not IDENTIFIER.fullmatch(str(column)):
                line = lines.get((*prefix, str(r), str(column)))
                problems.append(
                    Problem(
                        path,
                        line,
                        None,
                        f"{table}: column {column!r}: not a name (letters, digits and _)",
                    )
                )
    return problems


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_type(values: list[Any]) -> str:
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return "varchar"
    if kinds <= {bool}:
        return "boolean"
    if kinds <= {int}:
        return "bigint"
    if kinds <= {int, float}:
        return "double"
    if kinds <= {dt.datetime}:
        return "timestamptz"
    if kinds <= {dt.date}:
        return "date"
    if kinds <= {list}:
        return "varchar[]"
    return "varchar"


def _normalize(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)  # fixtures write UTC; marts timestamps are UTC
    if isinstance(value, list):
        return [str(v) for v in value]
    return value


def _locked_connection(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection to the scratch file that can read and write no other file: the same
    fence as the rule sandbox (external access off, then the configuration locked)."""
    con = duckdb.connect(str(path))
    try:
        con.execute("SET TimeZone = 'UTC'")
        for setting in (
            "python_enable_replacements",
            "autoinstall_known_extensions",
            "autoload_known_extensions",
        ):
            with contextlib.suppress(duckdb.Error):  # not every build has every setting
                con.execute(f"SET {setting} = false")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def build_scratch(
    path: Path,
    given: dict[str, list[dict[str, Any]] | TableRows],
    schema: RealSchema | None = None,
) -> None:
    """A warehouse file holding exactly the fixture's tables (names checked by load_fixture,
    and quoted here all the same). A table the real schema knows gets all its real columns
    and types (what a case leaves out is NULL); any other is typed from its values."""
    con = _locked_connection(path)
    try:
        for schema_name in ALLOWED_SCHEMAS:
            con.execute(f"create schema if not exists {_quote(schema_name)}")
        for table, spec in given.items():
            _create_table(con, table, spec, schema.columns(table) if schema else None)
    finally:
        con.close()


def _create_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    spec: list[dict[str, Any]] | TableRows,
    real: dict[str, str] | None,
) -> None:
    schema, _, name = table.partition(".")
    if schema not in ALLOWED_SCHEMAS or not IDENTIFIER.fullmatch(name):
        raise ValueError(f"table {table!r}: not an allowed schema.table name")
    rows = spec.rows if isinstance(spec, TableRows) else spec
    pinned = spec.columns if isinstance(spec, TableRows) else {}
    real = {c: t for c, t in (real or {}).items() if SAFE_TYPE.fullmatch(t.strip())}
    columns = list(dict.fromkeys([*real, *pinned, *(k for row in rows for k in row)]))
    if not columns:
        raise ValueError(f"table '{table}' has no columns: give rows, or columns: {{name: type}}")
    bad = [c for c in columns if not IDENTIFIER.fullmatch(str(c))]
    bad += [t for t in pinned.values() if not COLUMN_TYPE.fullmatch(t.strip())]
    if bad:
        raise ValueError(f"table {table!r}: not a column name or type: {bad[0]!r}")
    types = {
        c: pinned.get(c) or real.get(c) or _sql_type([row.get(c) for row in rows]) for c in columns
    }
    qualified = f"{_quote(schema)}.{_quote(name)}"
    column_sql = ", ".join(f"{_quote(c)} {types[c].strip()}" for c in columns)
    con.execute(f"create table {qualified} ({column_sql})")
    if rows:
        con.executemany(
            f"insert into {qualified} values ({', '.join('?' for _ in columns)})",
            [[_normalize(row.get(c)) for c in columns] for row in rows],
        )


def _with_entity_table(rule: RuleFile, case: Case) -> dict[str, list[dict[str, Any]] | TableRows]:
    """Add dim_services / dim_teams from the expected entities when the case leaves it out."""
    given = dict(case.given)
    table = {"service": "marts.dim_services", "team": "marts.dim_teams"}.get(rule.entity)
    if table and table not in given:
        key = "service_id" if rule.entity == "service" else "team_id"
        given[table] = [{key: entity} for entity in case.expect]
    return given


def run_case(
    rule: RuleFile,
    fixture: Path,
    case: Case,
    default_as_of: dt.date | None,
    timeout_seconds: float = 30.0,
    schema: RealSchema | None = None,
) -> CaseResult:
    from dagster_project.rules.engine import preview_rules  # the engine pulls in pyarrow

    result = CaseResult(rule=rule, fixture=fixture, name=case.name)
    as_of = case.as_of or default_as_of
    assert as_of is not None
    try:
        exemptions = [Exemption(**{"rule": rule.rule_id, **e}) for e in case.exemptions]
    except ValidationError as exc:
        result.failures.append(f"bad exemption in the case: {exc.errors()[0]['msg']}")
        return result
    with tempfile.TemporaryDirectory(prefix="stature-rules-test-") as tmp:
        scratch = Path(tmp) / "fixture.duckdb"
        try:
            build_scratch(scratch, _with_entity_table(rule, case), schema)
        except (duckdb.Error, ValueError) as exc:
            result.failures.append(f"cannot build the fixture tables: {exc}")
            return result
        report = preview_rules(
            warehouse=scratch,
            rules=[rule],
            as_of=as_of,
            exemptions=exemptions,
            timeout_seconds=timeout_seconds,
        )
    result.failures += [str(p) for p in report.problems]
    got = {row["entity_id"]: row for row in report.rows or []}
    for entity, expected in case.expect.items():
        want = expected
        row = got.get(entity)
        if row is None:
            result.failures.append(
                f"{entity}: expected {want.status}, but the entity is not in the results"
            )
            continue
        detail = f" (value {row['value']!r}, note {row['note']!r})"
        if row["status"] != want.status:
            result.failures.append(f"{entity}: expected {want.status}, got {row['status']}{detail}")
        if "value" in want.model_fields_set and not _same(row["value"], want.value):
            result.failures.append(f"{entity}: expected value {want.value!r}, got {row['value']!r}")
        if "note" in want.model_fields_set and row["note"] != want.note:
            result.failures.append(f"{entity}: expected note {want.note!r}, got {row['note']!r}")
    for entity in sorted(set(got) - set(case.expect)):
        result.failures.append(
            f"{entity}: not in expect, got {got[entity]['status']} (list every entity)"
        )
    return result


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def run_fixtures(
    rule: RuleFile, timeout_seconds: float = 30.0, schema: RealSchema | None = None
) -> tuple[list[CaseResult], list[Problem]]:
    """All cases of a rule's fixture file; ([], []) when it has none. With the real `schema`,
    the fixture is checked against it first (its problems are the fixture's: none runs)."""
    path = fixture_path(rule)
    if not path.exists():
        return [], []
    fixture, problems = load_fixture(path)
    if fixture is None:
        return [], problems
    if schema is not None:
        lines = key_lines(path.read_text(encoding="utf-8"), 1)
        problems = check_fixture(rule, path, fixture.cases, lines, schema)
        if problems:
            return [], problems
    return [
        run_case(rule, path, case, fixture.as_of, timeout_seconds, schema) for case in fixture.cases
    ], []


__all__ = ["STATUSES", "CaseResult", "fixture_path", "load_fixture", "run_fixtures"]
