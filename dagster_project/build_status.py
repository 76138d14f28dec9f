"""What the last dbt build did to each model, seed and test, kept in the warehouse
(`ops.dbt_results`), so a later step can tell a table rebuilt this run from one whose build
failed or was skipped (the rules then report `not_reported` with the reason, never a stale
value), and the run can name the model that failed and DuckDB's error.

Read from dbt's own `run_results.json` and manifest: nothing here runs dbt.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster_project.warehouse import connect, table_exists

SCHEMA = "ops"
TABLE = "dbt_results"
BUILT = ("model", "seed", "snapshot")
FAILED_MODEL = ("error",)  # a model, seed or snapshot that failed to build
FAILED_TEST = ("fail", "error")  # a test that found rows (fail) or could not run (error)
SET_ASIDE_TEST = "no_values_set_aside"  # the staging test counting values that did not convert
MAX_MESSAGE = 500

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.{TABLE} (
    unique_id varchar, resource_type varchar, name varchar, relation varchar,
    status varchar, severity varchar, message varchar, failures bigint, cause varchar,
    run_id varchar, recorded_at timestamptz
);
"""


@dataclass(frozen=True)
class NodeResult:
    unique_id: str
    resource_type: str  # model, seed, snapshot, test
    name: str
    relation: str | None  # schema.name built (a test: the model it tests)
    status: str  # success, error, skipped (built); pass, fail, warn, error, skipped (tests)
    severity: str | None  # tests: error or warn
    message: str | None  # the first line of dbt's error that says what went wrong
    failures: int | None  # tests: rows found
    cause: str | None  # skipped: the failed node upstream, as a problem line names it

    @property
    def failed(self) -> bool:
        if self.resource_type in BUILT:
            return self.status in FAILED_MODEL
        return self.resource_type == "test" and self.status in FAILED_TEST

    @property
    def label(self) -> str:
        return f"{self.resource_type} {self.name}"


def error_line(message: str | None) -> str | None:
    """DuckDB's error out of dbt's message: `Runtime Error in model x (path)` and the
    `compiled code at` pointer are dbt's wrapping, the first other line is the cause."""
    if not message:
        return None
    lines = [ln.strip() for ln in str(message).splitlines() if ln.strip()]
    useful = [
        ln
        for ln in lines
        if not ln.startswith(("Runtime Error in ", "Database Error in ", "Compilation Error in "))
        and not ln.startswith("compiled code at")
    ]
    return (useful or lines or [""])[0][:MAX_MESSAGE] or None


def _relation(node: Mapping[str, Any], nodes: Mapping[str, Any]) -> str | None:
    if node.get("resource_type") in BUILT:
        return f"{node.get('schema')}.{node.get('alias') or node.get('name')}"
    attached = node.get("attached_node")
    parents = [attached] if attached else list(node.get("depends_on", {}).get("nodes", []))
    for parent in parents:
        if parent in nodes and nodes[parent].get("resource_type") in BUILT:
            return _relation(nodes[parent], nodes)
    return None


def read_results(run_results: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[NodeResult]:
    """One NodeResult per node dbt ran or skipped, with the cause of every skip."""
    nodes: Mapping[str, Any] = manifest.get("nodes", {})
    status = {r["unique_id"]: str(r.get("status") or "").lower() for r in run_results["results"]}
    by_id = {r["unique_id"]: r for r in run_results["results"]}
    tests_on: dict[str, list[str]] = {}
    for uid, node in nodes.items():
        if node.get("resource_type") == "test" and uid in status:
            attached = node.get("attached_node")
            for parent in [attached] if attached else node.get("depends_on", {}).get("nodes", []):
                tests_on.setdefault(parent, []).append(uid)

    def severity(uid: str) -> str | None:
        node = nodes.get(uid, {})
        if node.get("resource_type") != "test":
            return None
        return str(node.get("config", {}).get("severity") or "error").lower()

    def blocking(uid: str) -> bool:
        kind = nodes.get(uid, {}).get("resource_type")
        if kind in BUILT:
            return status.get(uid) in FAILED_MODEL
        return status.get(uid) in FAILED_TEST and severity(uid) == "error"

    def cause(uid: str) -> str | None:
        seen, frontier = set(), list(nodes.get(uid, {}).get("depends_on", {}).get("nodes", []))
        while frontier:
            parent = frontier.pop(0)
            if parent in seen:
                continue
            seen.add(parent)
            for candidate in [parent, *tests_on.get(parent, [])]:
                if candidate != uid and blocking(candidate):
                    node = nodes.get(candidate, {})
                    what = f"{node.get('resource_type')} {node.get('name')} failed"
                    if status.get(candidate) == "fail":
                        return f"{what} ({by_id[candidate].get('failures')} row(s))"
                    message = error_line(by_id[candidate].get("message"))
                    return f"{what}: {message}" if message else what
            frontier += nodes.get(parent, {}).get("depends_on", {}).get("nodes", [])
        return None

    out = []
    for result in run_results["results"]:
        uid = result["unique_id"]
        node = nodes.get(uid, {})
        kind = node.get("resource_type") or uid.split(".", 1)[0]
        state = status[uid]
        out.append(
            NodeResult(
                unique_id=uid,
                resource_type=kind,
                name=node.get("name") or uid.rsplit(".", 1)[-1],
                relation=_relation(node, nodes) if node else None,
                status=state,
                severity=severity(uid),
                message=error_line(result.get("message"))
                if state not in ("success", "pass")
                else None,
                failures=result.get("failures"),
                cause=cause(uid) if state == "skipped" else None,
            )
        )
    return out


def problems(results: Iterable[NodeResult]) -> list[str]:
    """The run's problem lines: every model that failed with DuckDB's error, every failing
    test of error severity, and which public tables were not rebuilt because of them."""
    results = list(results)
    lines = []
    for r in results:
        if r.resource_type in BUILT and r.status in FAILED_MODEL:
            lines.append(f"{r.label} failed: {r.message or 'see the step log'}")
        elif r.resource_type == "test" and r.status == "error":
            lines.append(f"{r.label} could not run: {r.message or 'see the step log'}")
        elif r.resource_type == "test" and r.status == "fail" and r.severity == "error":
            lines.append(
                f"{r.label} failed on {r.relation}: {r.failures} row(s); "
                "what depends on it was not rebuilt"
            )
    skipped = sorted(
        r.relation for r in results if r.resource_type in BUILT and r.status == "skipped"
    )
    public = [t for t in skipped if t and t.startswith("marts.")]
    if skipped:
        lines.append(
            f"{len(skipped)} dbt model(s) not rebuilt because an upstream failed"
            + (f", among them {', '.join(public)}" if public else "")
            + ": the rules reading them report not_reported"
        )
    return lines


def blocked_tables(results: Iterable[NodeResult]) -> dict[str, str]:
    """schema.table -> why it is not fresh: it failed, was skipped, or an error-severity test
    on it failed."""
    blocked: dict[str, str] = {}
    for r in results:
        if not r.relation:
            continue
        if r.resource_type in BUILT and r.status in FAILED_MODEL:
            blocked[r.relation] = f"{r.label} failed: {r.message or 'see the step log'}"
        elif r.resource_type in BUILT and r.status == "skipped":
            blocked.setdefault(r.relation, f"not rebuilt: {r.cause or 'an upstream node failed'}")
        elif r.resource_type == "test" and r.failed and r.severity == "error":
            blocked.setdefault(r.relation, f"{r.label} failed ({r.failures or 0} row(s))")
    return blocked


def record(warehouse: Path, results: Iterable[NodeResult], *, run_id: str) -> None:
    """Replace ops.dbt_results with this build's results."""
    now = dt.datetime.now(dt.UTC)
    rows = [
        (
            r.unique_id,
            r.resource_type,
            r.name,
            r.relation,
            r.status,
            r.severity,
            r.message,
            r.failures,
            r.cause,
            run_id,
            now,
        )
        for r in results
    ]
    with connect(warehouse) as con:
        con.execute(DDL)
        con.execute("begin")
        con.execute(f"delete from {SCHEMA}.{TABLE}")
        if rows:
            con.executemany(
                f"insert into {SCHEMA}.{TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
        con.execute("commit")


def load(warehouse: Path, *, run_id: str | None = None) -> list[NodeResult]:
    """The last build's results (none before the first build; none if `run_id` is given and
    the last build was another run's)."""
    if not Path(warehouse).exists():
        return []
    with connect(warehouse, read_only=True) as con:
        if not table_exists(con, SCHEMA, TABLE):
            return []
        rows = con.execute(
            f"select unique_id, resource_type, name, relation, status, severity, message, "
            f"failures, cause from {SCHEMA}.{TABLE} where ? is null or run_id = ?",
            [run_id, run_id],
        ).fetchall()
    return [NodeResult(*row) for row in rows]


def unavailable_tables(warehouse: Path) -> dict[str, str]:
    """schema.table -> reason, for every table the last build did not leave fresh."""
    return blocked_tables(load(warehouse))


def set_aside(warehouse: Path, results: Iterable[NodeResult], *, limit: int = 5) -> list[str]:
    """One line per staging model with values that did not convert: how many records, and
    the first few by key, field and file."""
    lines = []
    views = sorted(
        {
            r.relation
            for r in results
            if r.resource_type == "test"
            and r.name.startswith(SET_ASIDE_TEST)
            and r.status in ("warn", "fail")
            and r.relation
        }
    )
    if not views:
        return lines
    with connect(warehouse, read_only=True) as con:
        for view in views:
            schema, name = view.split(".", 1)
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? "
                    "and table_name = ? order by ordinal_position",
                    [schema, name],
                ).fetchall()
            ]
            key = [c for c in columns if c not in ("invalid_fields", "source_file")][:2]
            select = ", ".join(f'"{c}"' for c in key)
            rows = con.execute(
                f'select {select}, source_file, invalid_fields from "{schema}"."{name}" '
                "where len(invalid_fields) > 0 order by all limit ?",
                [limit],
            ).fetchall()
            total = con.execute(
                f'select count(*) from "{schema}"."{name}" where len(invalid_fields) > 0'
            ).fetchone()[0]
            named = "; ".join(
                f"{' '.join(str(v) for v in row[: len(key)])} {', '.join(row[-1])} ({row[-2]})"
                for row in rows
            )
            more = f"; and {total - len(rows)} more" if total > len(rows) else ""
            lines.append(
                f"{view}: {total} record(s) with values that did not convert, set to NULL: "
                f"{named}{more}"
            )
    return lines
