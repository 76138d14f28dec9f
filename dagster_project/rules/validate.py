"""Validation before execution: sqlglot reads the rule and the warehouse catalog says what
exists. A rule is accepted only as one SELECT over tables of the allowed schemas, with no
table functions, file paths or `query()`, whose tables and columns exist and whose output
has the entity key and `value` or `status`.

The sandbox (sandbox.py) enforces the same limits again at run time; this module is what
turns a hostile or mistaken rule into a message with file, line, column and a fix.
"""

from __future__ import annotations

import bisect
import difflib
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import OptimizeError, ParseError, TokenError
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema
from sqlglot.tokens import Token, TokenType

from dagster_project.rules.loader import RuleFile
from dagster_project.rules.messages import syntax_hint
from dagster_project.rules.model import ALLOWED_SCHEMAS, ENTITY_KEYS, Problem

DIALECT = "duckdb"
_ALLOWED_TABLE_FUNCTIONS = {"range", "generate_series", "unnest"}
_FORBIDDEN_FUNCTIONS = {
    "query",
    "query_table",
    "glob",
    "getenv",
    "sniff_csv",
    "json_execute_serialized_sql",
    "st_read",
    "st_readosm",
    "load_aws_credentials",
}
_FORBIDDEN_PREFIXES = (
    "read_",
    "parquet_",
    "iceberg_",
    "delta_",
    "sqlite_",
    "postgres_",
    "mysql_",
    "duckdb_",
    "pragma_",
    "http",
    "load_",
    "install_",
    "ducklake_",
)
_STATEMENT_NODES = tuple(
    getattr(exp, name)
    for name in (
        "Create",
        "Drop",
        "Insert",
        "Update",
        "Delete",
        "Merge",
        "Copy",
        "Attach",
        "Detach",
        "Pragma",
        "Set",
        "Command",
        "Use",
        "Alter",
        "Install",
        "Describe",
        "Summarize",
        "Transaction",
        "Commit",
        "Rollback",
        "LoadData",
        "Export",
        "Import",
        "Analyze",
    )
    if hasattr(exp, name)
)
_PATHLIKE = re.compile(
    r"[/\\~]|://|\.(csv|tsv|txt|parquet|json|ndjson|jsonl|db|duckdb|xlsx|gz|zst)$", re.I
)
SAFE_HINT = "a rule is one plain SELECT over tables of schemas " + ", ".join(ALLOWED_SCHEMAS)

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # "falling back to Command" is ours to report


@dataclass(frozen=True)
class Catalog:
    """Tables and columns of the allowed schemas: {schema: {table: {column: type}}}."""

    tables: dict[str, dict[str, dict[str, str]]]

    @classmethod
    def from_connection(cls, con, database: str | None = None) -> Catalog:
        where = "table_schema in ({})".format(", ".join(f"'{s}'" for s in ALLOWED_SCHEMAS))
        params: list[str] = []
        if database:
            where += " and table_catalog = ?"
            params.append(database)
        rows = con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            f"where {where} order by table_schema, table_name, ordinal_position",
            params,
        ).fetchall()
        tables: dict[str, dict[str, dict[str, str]]] = {}
        for schema, table, column, dtype in rows:
            tables.setdefault(schema.lower(), {}).setdefault(table.lower(), {})[column.lower()] = (
                dtype
            )
        return cls(tables)

    def has_table(self, schema: str, table: str) -> bool:
        return table.lower() in self.tables.get(schema.lower(), {})

    def columns(self, schema: str, table: str) -> dict[str, str]:
        return self.tables.get(schema.lower(), {}).get(table.lower(), {})

    def table_names(self) -> list[str]:
        return [f"{s}.{t}" for s, ts in self.tables.items() for t in ts]

    def sqlglot_schema(self) -> MappingSchema:
        # Types do not matter for name resolution, and some DuckDB types do not parse.
        mapping = {
            s: {t: dict.fromkeys(cols, "UNKNOWN") for t, cols in ts.items()}
            for s, ts in self.tables.items()
        }
        return MappingSchema(mapping, dialect=DIALECT)


@dataclass
class CheckedRule:
    """A rule after validation: its problems, the tables it reads and its output columns."""

    rule: RuleFile
    problems: list[Problem] = field(default_factory=list)
    tables: list[tuple[str, str]] = field(default_factory=list)
    output_columns: list[str] | None = None
    applies_to_sql: str | None = None
    query_sql: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rule_id(self) -> str:
        return self.rule.rule_id


class _Text:
    """Offsets in a file's text as (line, column), both 1-based."""

    def __init__(self, text: str):
        self.starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def pos(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


def _meta_offset(node: exp.Expression) -> int | None:
    if isinstance(node, exp.Table):  # point at `schema.table`, not at its last part
        parts = [node.args.get(k) for k in ("catalog", "db", "this")]
        starts = [
            p.meta["start"]
            for p in parts
            if isinstance(p, exp.Identifier) and "start" in (p.meta or {})
        ]
        if starts:
            return min(starts)
    for candidate in (node, node.args.get("this")):
        if isinstance(candidate, exp.Expression) and "start" in (candidate.meta or {}):
            return candidate.meta["start"]
    for child in node.walk():
        if isinstance(child, exp.Expression) and "start" in (child.meta or {}):
            return child.meta["start"]
    return None


def func_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return type(node).__name__.lower()


def forbidden_function(name: str) -> bool:
    name = name.lower()
    return (
        name in _FORBIDDEN_FUNCTIONS
        or name.startswith(_FORBIDDEN_PREFIXES)
        or name.endswith("_scan")
    )


def tokenize(sql: str) -> list[Token]:
    return Dialect.get_or_raise(DIALECT).tokenize(sql)


def statement_starts(tokens: list[Token]) -> list[Token]:
    """The first token of each statement (statements are separated by semicolons)."""
    starts, expect = [], True
    for tok in tokens:
        if tok.token_type == TokenType.SEMICOLON:
            expect = True
        elif expect:
            starts.append(tok)
            expect = False
    return starts


def strip_semicolons(sql: str, tokens: list[Token]) -> str:
    """The query without its trailing semicolon(s), so it can be wrapped as a subquery."""
    semis = [t for t in tokens if t.token_type == TokenType.SEMICOLON]
    return sql[: semis[0].start] if semis else sql


def batch_query(sql: str) -> str | None:
    """The query with every `getvariable('as_of')` replaced by `_stature_d.as_of`, so it can
    run for many dates in one LATERAL join (backfill); None if it reads other variables."""
    try:
        tokens = tokenize(sql)
    except TokenError:
        return None
    out, last = [], 0
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.text.lower() == "getvariable" and i + 3 < len(tokens):
            arg, close = tokens[i + 2], tokens[i + 3]
            if (
                tokens[i + 1].token_type != TokenType.L_PAREN
                or close.token_type != TokenType.R_PAREN
            ):
                return None
            if arg.token_type != TokenType.STRING or arg.text != "as_of":
                return None
            out.append(sql[last : tok.start])
            out.append("_stature_d.as_of")
            last = close.end + 1
            i += 4
            continue
        i += 1
    out.append(sql[last:])
    return "".join(out)


class _Checker:
    def __init__(self, rule: RuleFile, catalog: Catalog | None):
        self.rule = rule
        self.catalog = catalog
        self.text = _Text(rule.text)
        self.problems: list[Problem] = []

    def add(
        self,
        message: str,
        hint: str = "",
        offset: int | None = None,
        line: int | None = None,
        col: int | None = None,
    ) -> None:
        if offset is not None:
            line, col = self.text.pos(offset)
        self.problems.append(Problem(self.rule.path, line, col, message, hint))

    def at(self, node: exp.Expression, message: str, hint: str = "") -> None:
        self.add(message, hint, offset=_meta_offset(node))


def _offset(text: str, line: int | None, col: int | None) -> int | None:
    """The character offset of a 1-based (line, column) in `text`."""
    if line is None:
        return None
    lines = text.split("\n")
    if line > len(lines):
        return len(text)
    return sum(len(x) + 1 for x in lines[: line - 1]) + max(0, (col or 1) - 1)


def validate_rule(rule: RuleFile, catalog: Catalog | None = None) -> CheckedRule:
    """Check a rule without running it. With no catalog (no warehouse yet), tables and
    columns are not checked; everything else is."""
    checked = CheckedRule(rule=rule, problems=list(rule.problems), query_sql=rule.text)
    c = _Checker(rule, catalog)
    sql = rule.text
    try:
        tokens = tokenize(sql)
    except TokenError as exc:
        c.add(
            f"cannot read the SQL: {exc}",
            "look for an unclosed quote or /* comment",
            line=rule.header_end_line,
        )
        checked.problems += c.problems
        return checked
    starts = statement_starts(tokens)
    if not starts:
        c.add(
            "no SQL after the header",
            "write one SELECT after ---*/",
            line=rule.header_end_line + 1,
            col=1,
        )
        checked.problems += c.problems
        return checked
    if len(starts) > 1:
        c.add(
            f"{len(starts)} statements found; a rule is exactly one SELECT",
            "remove everything after the first statement's semicolon",
            offset=starts[1].start,
        )
        checked.problems += c.problems
        return checked
    checked.query_sql = strip_semicolons(sql, tokens)
    first = starts[0]
    try:
        parsed = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except ParseError as exc:
        err = exc.errors[0] if exc.errors else {}
        line, col = err.get("line"), err.get("col")
        highlight = err.get("highlight") or ""
        if line is not None and col is not None and highlight:
            col = max(1, col - len(highlight) + 1)  # sqlglot points at the end of the token
        description = re.sub(
            r"<class 'sqlglot\.expressions\.[\w.]*?(\w+)'>",
            r"\1",
            err.get("description") or str(exc),
        )
        offset = _offset(rule.text, line, col)
        hint = syntax_hint(description, tokens, offset)
        near = f" near '{highlight}'" if highlight else ""
        c.add(
            f"syntax error{near}: {description}",
            hint or "fix the SQL (it must run as is in a DuckDB shell)",
            line=line,
            col=col,
        )
        checked.problems += c.problems
        return checked
    if len(parsed) != 1:
        c.add("expected one SELECT", SAFE_HINT, offset=first.start)
        checked.problems += c.problems
        return checked
    tree = parsed[0]
    if not isinstance(tree, exp.Query):
        kind = first.text.upper()
        c.add(
            f"{kind} statement not allowed: {SAFE_HINT}",
            "no DDL, DML, COPY, ATTACH, INSTALL/LOAD, PRAGMA or SET: write a SELECT",
            offset=first.start,
        )
        checked.problems += c.problems
        return checked
    for node in tree.walk():
        if isinstance(node, _STATEMENT_NODES):
            c.at(node, f"{type(node).__name__.upper()} inside the query is not allowed", SAFE_HINT)
    checked.tables = _check_tables(c, tree)
    _check_functions(c, tree)
    if not c.problems:
        checked.output_columns = _check_columns(c, tree)
    checked.problems += c.problems
    if rule.header is not None:
        checked.problems += _check_output(rule, checked.output_columns, first)
        if rule.header.applies_to:
            sql_text, problems = validate_applies_to(rule, catalog)
            checked.applies_to_sql = sql_text
            checked.problems += problems
    return checked


def _check_tables(c: _Checker, tree: exp.Expression) -> list[tuple[str, str]]:
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    tables: list[tuple[str, str]] = []
    for table in tree.find_all(exp.Table):
        this = table.this
        if not isinstance(this, exp.Identifier):
            name = func_name(this) if isinstance(this, exp.Expression) else str(this)
            if name in _ALLOWED_TABLE_FUNCTIONS or isinstance(this, exp.GenerateSeries):
                continue
            c.at(
                table,
                f"table function {name}() not allowed: {SAFE_HINT}",
                "read marts/scorecards tables; files, query() and other table functions are refused",
            )
            continue
        name, schema, database = table.name, table.db, table.catalog
        if not schema and name.lower() in ctes:
            continue
        if _PATHLIKE.search(name):
            c.at(table, f"reading a file is not allowed: '{name}'", SAFE_HINT)
            continue
        if database:
            c.at(
                table,
                f"'{table.sql(DIALECT)}': name no database, only schema.table",
                "write e.g. marts.dim_services",
            )
            continue
        if not schema:
            c.at(table, f"table '{name}' has no schema", f"qualify it: marts.{name}")
            continue
        if schema.lower() not in ALLOWED_SCHEMAS:
            c.at(
                table,
                f"schema '{schema}' not allowed: {SAFE_HINT}",
                "read the marts, not raw or staging tables",
            )
            continue
        if c.catalog is not None and not c.catalog.has_table(schema, name):
            close = difflib.get_close_matches(
                f"{schema}.{name}".lower(), c.catalog.table_names(), n=1
            )
            hint = (
                f"did you mean {close[0]}?"
                if close
                else "check the name, or build the marts first (stature run)"
            )
            c.at(table, f"unknown table {schema}.{name}", hint)
            continue
        key = (schema.lower(), name.lower())
        if key not in tables:
            tables.append(key)
    return tables


def _check_functions(c: _Checker, tree: exp.Expression) -> None:
    for node in tree.find_all(exp.Func):
        if isinstance(node.parent, exp.Table) and node.parent.this is node:
            continue  # reported as a table function
        name = func_name(node)
        if forbidden_function(name):
            c.at(
                node,
                f"function {name}() not allowed: {SAFE_HINT}",
                "rules may not read files, settings or run SQL text",
            )


def _check_columns(c: _Checker, tree: exp.Expression) -> list[str] | None:
    if c.catalog is None:
        return _named_outputs(tree)
    try:
        qualified = qualify(
            tree.copy(),
            schema=c.catalog.sqlglot_schema(),
            dialect=DIALECT,
            validate_qualify_columns=True,
        )
    except OptimizeError as exc:
        message = str(exc)
        m = re.search(r"Column '([^']+)' could not be resolved", message) or re.search(
            r"Unknown column: (\S+)", message
        )
        if not m:
            return _named_outputs(
                tree
            )  # sqlglot could not follow; DuckDB's binder decides at run time
        name = m.group(1)
        node = next(
            (col for col in tree.find_all(exp.Column) if col.name.lower() == name.lower()), None
        )
        line_col = re.search(r"Line: (\d+), Col: (\d+)", message)
        if node is not None and _meta_offset(node) is not None:
            c.at(node, f"unknown column '{name}'", _column_hint(c.catalog, name))
        elif line_col:
            c.add(
                f"unknown column '{name}'",
                _column_hint(c.catalog, name),
                line=int(line_col.group(1)),
                col=int(line_col.group(2)),
            )
        else:
            c.add(f"unknown column '{name}'", _column_hint(c.catalog, name))
        return None
    except Exception:
        return _named_outputs(tree)
    return _named_outputs(qualified)


def _column_hint(catalog: Catalog, name: str) -> str:
    columns = {col for ts in catalog.tables.values() for cols in ts.values() for col in cols}
    close = difflib.get_close_matches(name.lower(), sorted(columns), n=1)
    return (
        f"did you mean {close[0]}?"
        if close
        else "check the column against the table's documentation"
    )


def _named_outputs(tree: exp.Expression) -> list[str] | None:
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select):
        return None
    if any(
        isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
        for e in select.expressions
    ):
        return None
    return [name.lower() for name in select.named_selects]


def _check_output(rule: RuleFile, outputs: list[str] | None, first: Token) -> list[Problem]:
    header = rule.header
    if header is None or outputs is None:
        return []
    key = ENTITY_KEYS[header.entity]
    line, col = _Text(rule.text).pos(first.start)
    problems = []
    if key not in outputs:
        problems.append(
            Problem(
                rule.path,
                line,
                col,
                f"the output has no '{key}' column (entity: {header.entity})",
                f"select the entity key as {key}",
            )
        )
    if "value" not in outputs and "status" not in outputs:
        problems.append(
            Problem(
                rule.path,
                line,
                col,
                "the output has neither 'value' nor 'status'",
                "select the measured number as value",
            )
        )
    elif header.thresholds is None and "status" not in outputs:
        problems.append(
            Problem(
                rule.path,
                rule.line_of("id"),
                None,
                "no thresholds and no 'status' column: nothing says what passes",
                "add thresholds: {pass: '>= 1'} to the header, or select a status column",
            )
        )
    return problems


def entity_table(entity: str) -> tuple[str, str] | None:
    return {"service": ("marts", "dim_services"), "team": ("marts", "dim_teams")}.get(entity)


def validate_applies_to(
    rule: RuleFile, catalog: Catalog | None
) -> tuple[str | None, list[Problem]]:
    """`applies_to` must be a plain boolean expression over the columns of dim_services
    (dim_teams for team rules): no subqueries, tables, aggregates or file functions."""
    assert rule.header is not None and rule.header.applies_to
    return check_condition(
        rule.header.applies_to, rule.header.entity, rule.path, rule.line_of("applies_to"), catalog
    )


def check_condition(
    text: str, entity: str, path: Path, line: int | None, catalog: Catalog | None
) -> tuple[str | None, list[Problem]]:
    """An `applies_to` condition (of a rule or an initiative, in the file at `path`, on
    `line`) checked as above: its DuckDB SQL, or None and the problems."""
    where = entity_table(entity)
    table_name = f"{where[0]}.{where[1]}" if where else "the entity table"

    def problem(message: str, hint: str = "") -> tuple[None, list[Problem]]:
        return None, [Problem(path, line, None, f"applies_to: {message}", hint)]

    try:
        parsed = [s for s in sqlglot.parse(text, read=DIALECT) if s is not None]
    except (ParseError, TokenError) as exc:
        desc = (
            exc.errors[0]["description"] if isinstance(exc, ParseError) and exc.errors else str(exc)
        )
        return problem(
            f"not a valid SQL expression: {desc}", "write a condition such as tier = 'tier-1'"
        )
    if len(parsed) != 1:
        return problem("write one condition, not several statements")
    node = parsed[0]
    if isinstance(node, (exp.Query, *_STATEMENT_NODES)) or not isinstance(node, exp.Expression):
        return problem(f"write a condition over {table_name} columns, not a statement")
    for sub in node.walk():
        if isinstance(sub, (exp.Query, exp.Subquery, exp.Table, *_STATEMENT_NODES)):
            return problem(
                "subqueries and tables are not allowed", f"use columns of {table_name} only"
            )
        if isinstance(sub, (exp.AggFunc, exp.Window)):
            return problem(
                "aggregates and window functions are not allowed", "compare columns with values"
            )
        if isinstance(sub, exp.Func) and forbidden_function(func_name(sub)):
            return problem(f"function {func_name(sub)}() is not allowed")
        if isinstance(sub, exp.Column) and sub.table and where and sub.table.lower() != where[1]:
            return problem(
                f"'{sub.sql(DIALECT)}' names another table", f"use columns of {table_name} only"
            )
    if catalog is not None and where is not None:
        if not catalog.has_table(*where):
            return problem(
                f"{table_name} does not exist in the warehouse",
                "build the marts first (stature run)",
            )
        known = catalog.columns(*where)
        for col in node.find_all(exp.Column):
            if col.name.lower() not in known:
                close = difflib.get_close_matches(col.name.lower(), sorted(known), n=1)
                hint = (
                    f"did you mean {close[0]}?" if close else f"columns: {', '.join(sorted(known))}"
                )
                return problem(f"unknown column '{col.name}' in {table_name}", hint)
    return node.sql(dialect=DIALECT), []


def tables_read(rule: RuleFile) -> list[tuple[str, str]]:
    """The (schema, table) pairs a rule reads, for Dagster deps; empty if it cannot be parsed."""
    checked = validate_rule(rule, None)
    return checked.tables


def validate_rules(rules: Iterable[RuleFile], catalog: Catalog | None) -> list[CheckedRule]:
    return [validate_rule(rule, catalog) for rule in rules]
