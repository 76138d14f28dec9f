"""Evaluating rules for one date (the nightly run) or many (backfill), and storing the results.

One evaluation opens the sandbox, validates every rule against the warehouse catalog, runs
each valid rule once per date (time-limited, in parallel worker connections), grades all
rows in one SQL pass (grade.py), closes the sandbox and writes the results through a
separate read-write connection (store.py). A rule that is invalid, errors or times out gets
`error` rows for its applicable entities; the others are not affected.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from dagster_project.config import StatureConfig
from dagster_project.rules import grade
from dagster_project.rules.catalog import write_rule_catalog
from dagster_project.rules.catalog_asof import CatalogHistory
from dagster_project.rules.exemptions import (
    Exemption,
    check_exemptions,
    exemptions_path,
    load_exemptions,
)
from dagster_project.rules.history import date_range as date_range  # re-exported
from dagster_project.rules.loader import RuleFile, load_rules, select_rule
from dagster_project.rules.model import ENTITY_KEYS, ORG_ENTITY_ID, STATUSES, Problem, display_path
from dagster_project.rules.sandbox import WAREHOUSE_ALIAS, RuleTimeout, Sandbox
from dagster_project.rules.store import META_SCHEMA, full_rows, write_results
from dagster_project.rules.validate import (
    Catalog,
    CheckedRule,
    batch_query,
    entity_table,
    tables_read,
    validate_rule,
)

Progress = Callable[[int, int, str], None]
MAX_ROWS_PER_CHUNK = 6_000_000  # results held in memory before a write (narrow rows, ~70 B each)
_NUMERIC = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "BOOLEAN",
    '"NULL"',
    "NULL",
)
_ROW_COLUMNS = ("value", "status", "note", "evidence_url")


@dataclass
class RuleOutcome:
    """What happened to one rule in an evaluation."""

    rule_id: str
    scorecard: str
    path: Path
    version: str
    entity_type: str
    level: int | None = None
    owner: str | None = None
    title: str | None = None
    rollout: str = "enforced"
    counts: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    ignored_rows: int = 0
    seconds: float = 0.0
    # Tables the rule reads that were not fresh this run: it was not run (not_reported).
    not_fresh: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def add_error(self, message: str) -> None:
        if message not in self.errors:
            self.errors.append(message)


@dataclass
class EvaluationReport:
    """Counts by status, per-rule errors, and (for preview/diff/test) the rows themselves."""

    run_id: str
    dates: list[dt.date]
    rules: dict[str, RuleOutcome] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. the catalog history's reach
    rows_written: int = 0
    seconds: float = 0.0
    rows: list[dict] | None = None

    @property
    def counts(self) -> Counter:
        total: Counter = Counter()
        for outcome in self.rules.values():
            total.update(outcome.counts)
        return total

    @property
    def failed_rules(self) -> list[str]:
        return sorted(r for r, o in self.rules.items() if o.failed)

    @property
    def ok(self) -> bool:
        return not self.failed_rules and not self.problems

    def merge(self, other: EvaluationReport) -> None:
        self.dates += other.dates
        self.rows_written += other.rows_written
        self.seconds += other.seconds
        for p in other.problems:
            if str(p) not in {str(q) for q in self.problems}:
                self.problems.append(p)
        self.drafts = sorted(set(self.drafts) | set(other.drafts))
        self.notes += [n for n in other.notes if n not in self.notes]
        for rule_id, o in other.rules.items():
            mine = self.rules.setdefault(rule_id, o)
            if mine is not o:
                mine.counts.update(o.counts)
                mine.ignored_rows += o.ignored_rows
                mine.seconds += o.seconds
                for e in o.errors:
                    mine.add_error(e)
        if other.rows is not None:
            self.rows = (self.rows or []) + other.rows

    def summary(self) -> str:
        dates = f"{self.dates[0]}" if len(self.dates) == 1 else f"{len(self.dates)} dates"
        counts = ", ".join(f"{s} {self.counts[s]}" for s in STATUSES if self.counts[s])
        lines = [
            f"{len(self.rules)} rules evaluated for {dates} in {self.seconds:.1f} s: {counts or 'no rows'}"
        ]
        if self.drafts:
            lines.append(f"drafts not stored: {', '.join(self.drafts)}")
        for rule_id in self.failed_rules:
            o = self.rules[rule_id]
            lines.append(f"FAILED {o.scorecard}/{rule_id}: {o.errors[0]}")
            lines += [f"    {e}" for e in o.errors[1:3]]
        lines += [f"PROBLEM {p}" for p in self.problems]
        lines += [f"NOTE {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass
class RunState:
    """What carries over between the chunks of one backfill: validation against the same
    catalog is done once, and a rule that timed out is not retried on every later date."""

    checked: dict[tuple[str, str], CheckedRule] = field(default_factory=dict)
    timed_out: dict[str, dt.date] = field(default_factory=dict)


@dataclass
class _Prepared:
    idx: int
    rule: RuleFile
    outcome: RuleOutcome
    checked: CheckedRule | None = None
    error: str | None = None  # set: every applicable entity gets `error` on every date
    insert_sql: str | None = None  # one date: the date in getvariable('as_of')
    batch_sql: str | None = None  # every date of `_dates` in one LATERAL join

    @property
    def runnable(self) -> bool:
        return self.error is None and self.insert_sql is not None


def _outcome(rule: RuleFile) -> RuleOutcome:
    h = rule.header
    return RuleOutcome(
        rule_id=rule.rule_id,
        scorecard=rule.scorecard,
        path=rule.path,
        version=rule.version,
        entity_type=rule.entity,
        level=h.level if h else None,
        owner=h.owner if h else None,
        title=h.title if h else None,
        rollout=h.rollout if h else "enforced",
    )


def _duckdb_message(exc: BaseException) -> str:
    """DuckDB's error, first line and the `LINE n:` pointer (same line numbers as the file:
    the rule is wrapped without adding lines before it)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    keep = lines[:1] + [ln for ln in lines[1:] if ln.startswith("LINE ")][:1]
    return " ".join(keep)[:1000]


def _problems_message(problems: Sequence[Problem]) -> str:
    text = "; ".join(str(p) for p in problems[:3])
    more = len(problems) - 3
    return (text + (f"; and {more} more (stature rules check)" if more > 0 else ""))[:2000]


def _bind(con: duckdb.DuckDBPyConnection, p: _Prepared) -> None:
    """Find the rule's output columns with DuckDB's binder (nothing runs) and build the
    statement that stores its rows."""
    assert p.checked is not None
    query = p.checked.query_sql
    rel = con.sql(f"select * from ({query}\n) as _rule")
    columns = {
        name.lower(): (name, str(kind)) for name, kind in zip(rel.columns, rel.types, strict=True)
    }
    key = ENTITY_KEYS[p.rule.entity]
    where = display_path(p.rule.path)
    if key not in columns:
        p.error = f"{where}: the output has no '{key}' column: select the entity key as {key}"
        return
    if "value" not in columns and "status" not in columns:
        p.error = f"{where}: the output has neither 'value' nor 'status'"
        return
    if "value" in columns and not columns["value"][1].upper().startswith(_NUMERIC):
        p.error = f"{where}: value must be a number, not {columns['value'][1]}: cast it (value::double) or use status"
        return

    spelled = {name: spelling for name, (spelling, _) in columns.items()}
    p.insert_sql = grade.out_insert_sql(p.idx, query, key, spelled)
    batch = batch_query(query)
    if batch is not None:
        p.batch_sql = grade.out_insert_sql(p.idx, batch, key, spelled, batch=True)


def _applicability(
    sandbox: Sandbox, con: duckdb.DuckDBPyConnection, p: _Prepared, catalog: Catalog
) -> None:
    """Fill `_app` for the rule: which entities it applies to."""
    entity = p.rule.entity
    if entity == "org":
        con.execute(f"insert into memory.main._app values ({p.idx}, '{ORG_ENTITY_ID}', true)")
        return
    table = entity_table(entity)
    assert table is not None
    key = ENTITY_KEYS[entity]
    if not catalog.has_table(*table):
        p.error = (
            p.error
            or f"{table[0]}.{table[1]} not found in the warehouse: build the marts first (stature run)"
        )
        return
    expr = (
        p.checked.applies_to_sql if p.checked else None
    )  # a valid applies_to, even if the query is not
    if expr:
        try:
            with sandbox.time_limit(con):
                con.execute(
                    f"insert into memory.main._app select {p.idx}, {key}::varchar, bool_or(coalesce(({expr}), false)) "
                    f"from {table[0]}.{table[1]} where {key} is not null group by all"
                )
            return
        except (duckdb.Error, RuleTimeout) as exc:
            p.error = f"{display_path(p.rule.path)}: applies_to failed: {_duckdb_message(exc)}"
    con.execute(
        f"insert into memory.main._app select {p.idx}, entity_id, true from memory.main._entities "
        f"where entity_type = '{entity}'"
    )


def _load_entities(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> dict[str, set[str]]:
    for entity in ("service", "team"):
        schema, table = entity_table(entity)  # type: ignore[misc]
        if catalog.has_table(schema, table):
            key = ENTITY_KEYS[entity]
            con.execute(
                f"insert into memory.main._entities select distinct '{entity}', {key}::varchar "
                f"from {schema}.{table} where {key} is not null"
            )
    con.execute(f"insert into memory.main._entities values ('org', '{ORG_ENTITY_ID}')")
    found: dict[str, set[str]] = {"service": set(), "team": set(), "org": set()}
    for entity, entity_id in con.execute(
        "select entity_type, entity_id from memory.main._entities"
    ).fetchall():
        found[entity].add(entity_id)
    return found


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def evaluate_ruleset(
    *,
    warehouse: Path,
    rules: Sequence[RuleFile],
    dates: Sequence[dt.date],
    exemptions: Sequence[Exemption] = (),
    exemptions_file: Path | None = None,
    known_rules: Sequence[RuleFile] | None = None,
    timeout_seconds: float = 30.0,
    run_id: str | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
    state: RunState | None = None,
    batching: bool = True,
    unavailable: Mapping[str, str] | None = None,
    catalog_as_of: dt.date | None = None,
) -> tuple[EvaluationReport, pa.Table, pa.Table]:
    """Evaluate `rules` for `dates` in one sandbox; return the report, the narrow results
    and the per-rule metadata (store.py joins them). Nothing is written.

    `unavailable` maps tables (`marts.fct_changes`) that are not fresh (their build failed
    this run) to the reason: a rule reading one is not run, and every entity it applies to
    gets `not_reported` with that reason as its note, never the stale value.

    `catalog_as_of`: the rules read `marts.dim_services` as the catalog was on that date
    (every date of `dates` must see the same catalog: CatalogHistory.group)."""
    if not dates:
        raise ValueError("no evaluation date given")
    started = time.monotonic()
    state = state or RunState()
    run_id = run_id or str(uuid.uuid4())
    report = EvaluationReport(run_id=run_id, dates=list(dates))
    if not rules:  # nothing to run (a diff that only adds rules has no old side)
        empty = pa.Table.from_pylist([], schema=grade.RESULT_SCHEMA)
        return report, empty, pa.Table.from_pylist([], schema=META_SCHEMA)
    prepared: list[_Prepared] = []
    seen: dict[str, _Prepared] = {}
    for rule in rules:
        if rule.rule_id in seen:  # a duplicate id: the first file's error rows stand for both
            seen[rule.rule_id].outcome.add_error(_problems_message(rule.problems))
            continue
        p = _Prepared(idx=len(prepared), rule=rule, outcome=_outcome(rule))
        prepared.append(p)
        seen[rule.rule_id] = p
        report.rules[rule.rule_id] = p.outcome
    with Sandbox(warehouse, timeout_seconds, catalog_as_of=catalog_as_of) as sandbox:
        con = sandbox.con
        catalog = Catalog.from_connection(con, WAREHOUSE_ALIAS)
        con.execute(grade.SCRATCH_DDL)
        entities = _load_entities(con, catalog)
        path = exemptions_file or Path("exemptions.yml")
        good, problems = check_exemptions(exemptions, path, known_rules or rules, entities)
        report.problems += problems
        if good:
            con.executemany(
                "insert into memory.main._exempt values (?, ?, ?, ?, ?)",
                [(e.rule, e.entity, e.expires, e.since, e.note) for e in good],
            )
        con.executemany("insert into memory.main._dates values (?)", [(d,) for d in dates])
        # getvariable() is typed by its value when a rule is bound: bind with a real date.
        sandbox.set_as_of(con, dates[0])
        rule_rows = []
        for p in prepared:
            key = (str(p.rule.path), p.rule.version)
            if key not in state.checked:
                state.checked[key] = validate_rule(p.rule, catalog)
            p.checked = state.checked[key]
            stale = _stale_inputs(p, unavailable or {})
            if stale:
                pass  # not run: not_reported below, even if a failed table is missing
            elif not p.checked.ok:
                p.error = _problems_message(p.checked.problems)
            elif p.rule.rule_id in state.timed_out:
                p.error = (
                    f"{display_path(p.rule.path)}: not run: timed out on {state.timed_out[p.rule.rule_id]} "
                    f"(rules.timeout_seconds = {timeout_seconds:g})"
                )
            thresholds = p.rule.header.thresholds if p.rule.header else None
            rule_rows.append(
                (
                    p.idx,
                    p.rule.rule_id,
                    p.rule.entity,
                    *grade.threshold_columns(thresholds),
                    *grade.placeholder_texts(p.rule.header),
                )
            )
            _applicability(sandbox, con, p, catalog)
            if stale:
                if p.error is None:
                    _not_fresh(con, p, stale, unavailable or {})
                continue
            if p.error is None:
                try:
                    with sandbox.time_limit(con):
                        _bind(con, p)
                except (duckdb.Error, RuleTimeout) as exc:
                    p.error = f"{display_path(p.rule.path)}: {_duckdb_message(exc)}"
        con.executemany(f"insert into memory.main._rules values ({', '.join('?' * 14)})", rule_rows)
        errors: list[tuple[int, dt.date, str]] = [
            (p.idx, d, p.error) for p in prepared if p.error for d in dates
        ]
        errors += _run(
            sandbox,
            [p for p in prepared if p.runnable],
            dates,
            progress,
            len(prepared),
            workers,
            state,
            batching,
        )
        for p in prepared:
            if p.error:
                p.outcome.add_error(p.error)
        if errors:
            con.executemany("insert into memory.main._err values (?, ?, ?)", errors)
        results = _grade(con, prepared, len(dates))
    meta = pa.Table.from_pylist([_meta_row(p) for p in prepared], schema=META_SCHEMA)
    report.seconds = time.monotonic() - started
    return report, results, meta


def _stale_inputs(p: _Prepared, unavailable: Mapping[str, str]) -> list[str]:
    """The tables the rule reads whose last build failed (`marts.fct_changes`), also when
    the table is not in the warehouse at all (a first build that failed)."""
    if not unavailable:
        return []
    return [f"{s}.{t}" for s, t in tables_read(p.rule) if f"{s}.{t}" in unavailable]


def _not_fresh(
    con: duckdb.DuckDBPyConnection, p: _Prepared, stale: list[str], unavailable: Mapping[str, str]
) -> None:
    """A rule reading a table that is not fresh is not run: its applicable entities get
    `not_reported` rows with the reason (the rule is not broken, so not `error`)."""
    note = "; ".join(f"input {table} is not fresh: {unavailable[table]}" for table in stale)
    p.outcome.not_fresh = stale
    con.execute(
        "insert into memory.main._out select a.rule_idx, d.as_of, a.entity_id, null, "
        "'not_reported', ?, null from memory.main._app a, memory.main._dates d "
        "where a.rule_idx = ? and a.applicable",
        [note[:1000], p.idx],
    )


def _meta_row(p: _Prepared) -> dict:
    h = p.rule.header
    return {
        "rule_idx": p.idx,
        "rule_id": p.rule.rule_id,
        "rule_version": p.rule.version,
        "scorecard": p.rule.scorecard,
        "level": h.level if h else None,
        "entity_type": p.rule.entity,
        "threshold": h.threshold_text if h else None,
        "rollout": h.rollout if h else "enforced",
        "enforce_from": h.enforce_from if h else None,
        "path": str(p.rule.path),
        "content": p.rule.text,
    }


def _run(
    sandbox: Sandbox,
    runnable: list[_Prepared],
    dates: Sequence[dt.date],
    progress: Progress | None,
    n_rules: int,
    workers: int | None,
    state: RunState,
    batching: bool = True,
) -> list[tuple[int, dt.date, str]]:
    """Run every runnable rule for every date on a few worker connections."""
    errors: list[tuple[int, dt.date, str]] = []
    lock = threading.Lock()
    total = n_rules * len(dates)
    done = [total - len(runnable) * len(dates)]
    work: queue.Queue[_Prepared] = queue.Queue()
    for p in runnable:
        work.put(p)

    def worker() -> None:
        con = sandbox.cursor()
        try:
            while True:
                try:
                    p = work.get_nowait()
                except queue.Empty:
                    return
                started = time.monotonic()
                stopped: str | None = None
                pending = list(dates)
                if len(dates) > 1 and p.batch_sql and batching:
                    try:
                        with sandbox.time_limit(con):
                            con.execute(p.batch_sql)
                        pending = []
                    except (duckdb.Error, RuleTimeout):
                        pass  # run date by date: errors are then pinned on their dates
                    if not pending:
                        with lock:
                            for as_of in dates:
                                done[0] += 1
                                if progress:
                                    progress(done[0], total, f"{as_of} {p.rule.rule_id}")
                for as_of in pending:
                    if stopped is None:
                        try:
                            sandbox.set_as_of(con, as_of)
                            with sandbox.time_limit(con):
                                con.execute(p.insert_sql)
                        except RuleTimeout as exc:
                            stopped = str(as_of)
                            message = f"{display_path(p.rule.path)}: {exc} on {as_of}"
                            with lock:
                                state.timed_out.setdefault(p.rule.rule_id, as_of)
                                errors.append((p.idx, as_of, message))
                                p.outcome.add_error(message)
                        except duckdb.Error as exc:
                            message = f"{display_path(p.rule.path)}: {_duckdb_message(exc)}"
                            with lock:
                                errors.append((p.idx, as_of, message))
                                p.outcome.add_error(message)
                    else:
                        with lock:
                            errors.append(
                                (
                                    p.idx,
                                    as_of,
                                    f"{display_path(p.rule.path)}: not run: timed out on {stopped}",
                                )
                            )
                    with lock:
                        done[0] += 1
                        if progress:
                            progress(done[0], total, f"{as_of} {p.rule.rule_id}")
                p.outcome.seconds += time.monotonic() - started
        finally:
            con.close()

    n = min(workers or default_workers(), max(1, len(runnable)))
    if n == 1:
        worker()
    else:
        threads = [threading.Thread(target=worker, name=f"stature-rules-{i}") for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return errors


def _grade(con: duckdb.DuckDBPyConnection, prepared: list[_Prepared], n_dates: int) -> pa.Table:
    """Grade every row in one pass; count statuses and ignored rows per rule.

    Duplicate entity rows or a status outside the allowed set make that (rule, date) an
    error. Both are rare and both show in the graded rows (more rows than entities x dates,
    an unknown status), so they are searched for, and the grade redone, only then.
    """
    expected = con.execute("select count(*) from memory.main._app").fetchall()[0][0] * n_dates
    for attempt in range(2):
        graded = con.sql(grade.GRADE_SELECT).to_arrow_table()
        counts = graded.group_by(["rule_idx", "status"]).aggregate([([], "count_all")])
        clean = graded.num_rows == expected and set(counts["status"].to_pylist()) <= set(STATUSES)
        if clean or attempt == 1:
            break
        errors: list[tuple[int, dt.date, str]] = []
        _post_checks(con, prepared, errors)
        if errors:
            con.executemany("insert into memory.main._err values (?, ?, ?)", errors)
    for idx, status, n in zip(
        *(counts[c].to_pylist() for c in ("rule_idx", "status", "count_all")), strict=True
    ):
        prepared[idx].outcome.counts[status] += n
    matched = graded.filter(graded["has_row"]).group_by(["rule_idx"]).aggregate([([], "count_all")])
    matched_by_rule = dict(
        zip(matched["rule_idx"].to_pylist(), matched["count_all"].to_pylist(), strict=True)
    )
    for idx, n in con.execute(
        "select rule_idx, count(*) from memory.main._out group by all"
    ).fetchall():
        prepared[idx].outcome.ignored_rows += max(0, n - matched_by_rule.get(idx, 0))
    return graded.drop_columns(["has_row"])


def _post_checks(con: duckdb.DuckDBPyConnection, prepared: list[_Prepared], errors: list) -> None:
    """Duplicate entity rows and statuses outside the allowed set make that date an error."""
    bad: dict[tuple[int, dt.date], str] = {}
    for idx, as_of, entity_id, n in con.execute(grade.DUPLICATES_SQL).fetchall():
        key = ENTITY_KEYS[prepared[idx].rule.entity]
        bad.setdefault(
            (idx, as_of),
            f"{display_path(prepared[idx].rule.path)}: {n} rows for {key} '{entity_id}' on {as_of}: "
            f"a rule returns one row per entity (aggregate, or pick one row)",
        )
    for idx, as_of, statuses in con.execute(grade.BAD_STATUS_SQL).fetchall():
        bad.setdefault(
            (idx, as_of),
            f"{display_path(prepared[idx].rule.path)}: status {', '.join(repr(s) for s in statuses)} not allowed: "
            f"use {', '.join(grade.RULE_STATUSES)} (or NULL to use the thresholds)",
        )
    for (idx, as_of), message in bad.items():
        errors.append((idx, as_of, message))
        prepared[idx].outcome.add_error(message)
        con.execute("delete from memory.main._out where rule_idx = ? and as_of = ?", [idx, as_of])


# --- runs over a rules directory --------------------------------------------------------


def _chunks(dates: Sequence[dt.date], rows_per_date: int) -> Iterable[list[dt.date]]:
    size = max(1, MAX_ROWS_PER_CHUNK // max(1, rows_per_date))
    for i in range(0, len(dates), size):
        yield list(dates[i : i + size])


def _count_entities(warehouse: Path, rules: Sequence[RuleFile]) -> int:
    """Rows one date will produce (to size backfill chunks); cheap, read-only."""
    counts = {"org": 1}
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return 2000 * max(1, len(rules))
    try:
        for entity in ("service", "team"):
            schema, table = entity_table(entity)  # type: ignore[misc]
            try:
                counts[entity] = con.execute(f"select count(*) from {schema}.{table}").fetchall()[
                    0
                ][0]
            except duckdb.Error:
                counts[entity] = 0
    finally:
        con.close()
    return sum(counts.get(r.entity, 0) for r in rules)


def evaluate_dates(
    config: StatureConfig,
    *,
    warehouse: Path,
    rules_dir: Path,
    dates: Sequence[dt.date],
    run_id: str,
    only: Sequence[str] | None = None,
    progress: Progress | None = None,
    write: bool = True,
    workers: int | None = None,
    batching: bool = True,
    unavailable: Mapping[str, str] | None = None,
) -> EvaluationReport:
    """Evaluate the rules of `rules_dir` (or those named in `only`) for every date and store
    the results, a chunk of dates at a time. Draft rules are reported, not stored.
    `unavailable`: tables not fresh this run (see evaluate_ruleset)."""
    all_rules = load_rules(rules_dir)
    selected = [r for r in all_rules if select_rule(r, set(only))] if only else all_rules
    drafts = [r.rule_id for r in selected if r.header and r.header.rollout == "draft"]
    rules = [r for r in selected if r.rule_id not in drafts]
    exemptions, ex_problems = load_exemptions(exemptions_path(rules_dir))
    report = EvaluationReport(run_id=run_id, dates=[], drafts=drafts, problems=list(ex_problems))
    if not rules:
        report.dates = list(dates)
        return report
    dates = sorted(set(dates))
    per_date = _count_entities(warehouse, rules)
    state = RunState()
    history = CatalogHistory.read(warehouse)
    report.notes += [n for n in [history.note(dates)] if n]
    chunks = [
        (binding, chunk)
        for binding, same_catalog in history.group(dates)
        for chunk in _chunks(same_catalog, per_date)
    ]
    for binding, chunk in chunks:
        part, results, meta = evaluate_ruleset(
            warehouse=warehouse,
            rules=rules,
            dates=chunk,
            exemptions=exemptions,
            exemptions_file=exemptions_path(rules_dir),
            known_rules=all_rules,
            timeout_seconds=config.rules.timeout_seconds,
            run_id=run_id,
            progress=_offset_progress(progress, dates, chunk, len(rules)),
            workers=workers,
            state=state,
            batching=batching,
            unavailable=unavailable,
            catalog_as_of=binding,
        )
        started = time.monotonic()
        if write:
            part.rows_written = write_results(
                warehouse, results, meta, chunk, run_id=run_id, evaluated_at=dt.datetime.now(dt.UTC)
            )
        part.seconds += time.monotonic() - started
        report.merge(part)
    if write:
        # What each rule means travels with its results: a backfill fills the catalog too.
        write_rule_catalog(warehouse, all_rules)
    return report


def _offset_progress(
    progress: Progress | None, dates: Sequence[dt.date], chunk: Sequence[dt.date], n_rules: int
) -> Progress | None:
    """Progress of one chunk as progress over all dates (rules x dates steps)."""
    if progress is None:
        return None
    before = dates.index(chunk[0]) * n_rules
    total = len(dates) * n_rules

    def report(done: int, _total: int, label: str) -> None:
        progress(before + done, total, label)

    return report


def evaluate_rules(
    config: StatureConfig,
    *,
    warehouse: Path,
    rules_dir: Path,
    as_of: dt.date,
    run_id: str,
    only: Sequence[str] | None = None,
    progress: Progress | None = None,
    unavailable: Mapping[str, str] | None = None,
) -> EvaluationReport:
    """The nightly run's entry point: evaluate and store every rule for one date; rules
    reading a table in `unavailable` report `not_reported` with the reason."""
    return evaluate_dates(
        config,
        warehouse=warehouse,
        rules_dir=rules_dir,
        dates=[as_of],
        run_id=run_id,
        only=only,
        progress=progress,
        unavailable=unavailable,
    )


def preview_rules(
    *,
    warehouse: Path,
    rules: Sequence[RuleFile],
    as_of: dt.date,
    exemptions: Sequence[Exemption] = (),
    exemptions_file: Path | None = None,
    known_rules: Sequence[RuleFile] | None = None,
    timeout_seconds: float = 30.0,
) -> EvaluationReport:
    """Evaluate without writing (drafts included) and return the rows: preview, diff, test."""
    run_id = "preview"
    history = CatalogHistory.read(warehouse)
    report, results, meta = evaluate_ruleset(
        warehouse=warehouse,
        rules=rules,
        dates=[as_of],
        exemptions=exemptions,
        exemptions_file=exemptions_file,
        known_rules=known_rules,
        timeout_seconds=timeout_seconds,
        run_id=run_id,
        catalog_as_of=history.binding(as_of),
    )
    report.notes += [n for n in [history.note([as_of])] if n]
    report.rows = full_rows(results, meta, run_id=run_id, evaluated_at=dt.datetime.now(dt.UTC))
    return report
