"""Quarterly maturity snapshots: build the open quarter, close ended ones, recompute a closed
one on request; the movements between consecutive quarters; the audit of closes and
recomputes (docs/maturity.md).

Tables, schema `scorecards`:
- `maturity_snapshots`: one row per (quarter, entity). A quarter's rows are *open*
  (`is_closed = false`, rebuilt by every run in the quarter from that run's check results) or
  *closed* (written once, from the check results as of the quarter's last day). Only
  `recompute` (`stature snapshot --recompute`) replaces closed rows, and it leaves an audit row.
- `maturity_movements`: each entity's level against the quarter before (up, down, same, new,
  or unrated: no enforced, levelled rule applies to it this quarter).
- `maturity_audit`: one row per close and per recompute: who, when, why, the ruleset versions.

A quarter's check results as of its last day are evaluated with the rule engine when they are
missing (quarter ends only, so 8 quarters of history cost 8 evaluations, not 730).
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.config import StatureConfig
from dagster_project.maturity.ladder import (
    STATUS_COLUMNS,
    EntityLevel,
    Ladder,
    aggregate_blockers,
    aggregate_level,
    entity_level,
    level_distribution,
)
from dagster_project.maturity.quarters import Quarter, parse_quarter, quarter_of, quarters_between
from dagster_project.rules.model import ORG_ENTITY_ID
from dagster_project.warehouse import connect, table_exists

SCHEMA = "scorecards"
SNAPSHOTS = f"{SCHEMA}.maturity_snapshots"
MOVEMENTS = f"{SCHEMA}.maturity_movements"
AUDIT = f"{SCHEMA}.maturity_audit"

SNAPSHOT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("quarter", "VARCHAR NOT NULL"),
    ("quarter_start", "DATE NOT NULL"),
    ("quarter_end", "DATE NOT NULL"),
    ("entity_type", "VARCHAR NOT NULL"),
    ("entity_id", "VARCHAR NOT NULL"),
    ("team_id", "VARCHAR"),
    ("level", "INTEGER"),  # NULL: unrated (no enforced, levelled rule applies)
    ("level_name", "VARCHAR NOT NULL"),
    ("next_level_name", "VARCHAR"),
    ("blockers", "VARCHAR[] NOT NULL"),
    *((f"{status}_count", "INTEGER NOT NULL") for status in STATUS_COLUMNS),
    ("service_count", "INTEGER"),
    ("level_counts", "INTEGER[]"),
    ("level_rule", "VARCHAR NOT NULL"),
    ("ladder", "VARCHAR NOT NULL"),
    ("is_closed", "BOOLEAN NOT NULL"),
    ("ruleset_version", "VARCHAR NOT NULL"),
    ("as_of", "DATE NOT NULL"),
    ("computed_at", "TIMESTAMPTZ NOT NULL"),
    ("run_id", "VARCHAR"),
)
MOVEMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("quarter", "VARCHAR NOT NULL"),
    ("quarter_start", "DATE NOT NULL"),
    ("previous_quarter", "VARCHAR"),
    ("entity_type", "VARCHAR NOT NULL"),
    ("entity_id", "VARCHAR NOT NULL"),
    ("team_id", "VARCHAR"),
    ("level_from", "INTEGER"),
    ("level_name_from", "VARCHAR"),
    ("level_to", "INTEGER"),
    ("level_name_to", "VARCHAR NOT NULL"),
    ("level_change", "INTEGER"),
    ("movement", "VARCHAR NOT NULL"),
    ("is_closed", "BOOLEAN NOT NULL"),
)
AUDIT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("quarter", "VARCHAR NOT NULL"),
    ("action", "VARCHAR NOT NULL"),
    ("reason", "VARCHAR NOT NULL"),
    ("requested_by", "VARCHAR NOT NULL"),
    ("requested_at", "TIMESTAMPTZ NOT NULL"),
    ("as_of", "DATE NOT NULL"),
    ("previous_ruleset_version", "VARCHAR"),
    ("new_ruleset_version", "VARCHAR NOT NULL"),
    ("entities", "INTEGER NOT NULL"),
    ("levels_changed", "INTEGER"),
    ("run_id", "VARCHAR"),
)


def _ddl(table: str, columns: Sequence[tuple[str, str]]) -> str:
    body = ",\n    ".join(f"{name} {kind}" for name, kind in columns)
    return f"create table if not exists {table} (\n    {body}\n);\n"


DDL = (
    f"create schema if not exists {SCHEMA};\n"
    + _ddl(SNAPSHOTS, SNAPSHOT_COLUMNS)
    + _ddl(MOVEMENTS, MOVEMENT_COLUMNS)
    + _ddl(AUDIT, AUDIT_COLUMNS)
)

MOVEMENTS_SQL = f"""
insert into {MOVEMENTS}
select
    cur.quarter,
    cur.quarter_start,
    prev.quarter as previous_quarter,
    cur.entity_type,
    cur.entity_id,
    cur.team_id,
    prev.level as level_from,
    prev.level_name as level_name_from,
    cur.level as level_to,
    cur.level_name as level_name_to,
    cur.level - prev.level as level_change,
    case
        when cur.level is null then 'unrated'
        when prev.level is null then 'new'
        when cur.level > prev.level then 'up'
        when cur.level < prev.level then 'down'
        else 'same'
    end as movement,
    cur.is_closed
from {SNAPSHOTS} as cur
left join {SNAPSHOTS} as prev
    on prev.entity_type = cur.entity_type
    and prev.entity_id = cur.entity_id
    and prev.quarter_start = cast(cur.quarter_start - interval 3 month as date)
"""


class SnapshotError(Exception):
    """A request that cannot be done (a quarter not ended yet, no check results): the message
    says what to do."""


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)
    # Tables made before unrated entities existed held levels NOT NULL.
    con.execute(f"alter table {SNAPSHOTS} alter column level drop not null")
    con.execute(f"alter table {MOVEMENTS} alter column level_to drop not null")


def who() -> str:
    """Who asked for a close or recompute: $USER (or the login name)."""
    name = os.environ.get("USER") or os.environ.get("USERNAME")
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
    return name


# --- computing one snapshot -----------------------------------------------------------------


@dataclass
class Inputs:
    """What one snapshot reads: the check results of one date and who owned what then."""

    as_of: dt.date
    results: list[dict[str, Any]]
    owners: dict[str, str | None]  # service -> team on as_of
    teams: set[str]


def _read_owners(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, str | None]:
    owners: dict[str, str | None] = {}
    if table_exists(con, "marts", "dim_services"):
        owners.update(con.execute("select service_id, team_id from marts.dim_services").fetchall())
    if table_exists(con, "marts", "dim_service_teams"):
        owners.update(
            con.execute(
                "select service_id, team_id from marts.dim_service_teams "
                "where valid_from <= $d and (valid_to is null or valid_to > $d)",
                {"d": as_of},
            ).fetchall()
        )
    return owners


def read_inputs(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> Inputs:
    results: list[dict[str, Any]] = []
    if table_exists(con, SCHEMA, "check_results"):
        cur = con.execute(
            "select rule_id, rule_version, level, rollout, entity_type, entity_id, status "
            f"from {SCHEMA}.check_results where as_of = ? order by rule_id, entity_id",
            [as_of],
        )
        names = [d[0] for d in cur.description]
        results = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    teams: set[str] = set()
    if table_exists(con, "marts", "dim_teams"):
        teams = {r[0] for r in con.execute("select team_id from marts.dim_teams").fetchall()}
    return Inputs(as_of=as_of, results=results, owners=_read_owners(con, as_of), teams=teams)


def ruleset_version(results: Sequence[dict[str, Any]]) -> str:
    """A hash of the levelled rules (id and file version) behind a snapshot: a rule change
    changes it, a balanced-scorecard target change does not."""
    lines = sorted(
        {f"{r['rule_id']}:{r['rule_version']}" for r in results if r.get("level") is not None}
    )
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Settings:
    ladder: Ladder
    warn_blocks: bool = False
    team_rule: str = "median"

    @classmethod
    def from_config(cls, config: StatureConfig) -> Settings:
        return cls(
            Ladder.from_config(config), config.maturity.warn_blocks, config.maturity.team_level
        )


def compute_snapshot(
    inputs: Inputs,
    quarter: Quarter,
    settings: Settings,
    *,
    is_closed: bool,
    computed_at: dt.datetime,
    run_id: str | None = None,
) -> list[dict[str, Any]]:
    """The snapshot rows of every service, team and the org from one date's results
    (level NULL and level_name `Unrated` where no enforced, levelled rule applies)."""
    ladder = settings.ladder
    by_entity: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in inputs.results:
        by_entity[(r["entity_type"], r["entity_id"])].append(r)
    services = sorted(
        {eid for (etype, eid) in by_entity if etype == "service"} | set(inputs.owners)
    )
    owner = {s: inputs.owners.get(s) for s in services}
    teams = sorted(
        inputs.teams
        | {eid for (etype, eid) in by_entity if etype == "team"}
        | {t for t in owner.values() if t}
    )
    version = ruleset_version(inputs.results)
    base = {
        "quarter": quarter.label,
        "quarter_start": quarter.start,
        "quarter_end": quarter.end,
        "ladder": ladder.key,
        "is_closed": is_closed,
        "ruleset_version": version,
        "as_of": inputs.as_of,
        "computed_at": computed_at,
        "run_id": run_id,
    }

    def row(
        entity_type: str,
        entity_id: str,
        team_id: str | None,
        level: int | None,
        blockers: Sequence[str],
        counts: dict[str, int],
        rule: str,
        members: Sequence[int | None] | None = None,
    ) -> dict[str, Any]:
        out = {
            **base,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "team_id": team_id,
            "level": level,
            "level_name": ladder.name(level),
            "next_level_name": None
            if level is None or level >= ladder.top
            else ladder.name(level + 1),
            "blockers": list(blockers),
            "service_count": None if members is None else len(members),
            "level_counts": None if members is None else level_distribution(members, ladder),
            "level_rule": rule,
        }
        out.update({f"{s}_count": counts.get(s, 0) for s in STATUS_COLUMNS})
        return out

    rows: list[dict[str, Any]] = []
    levels: dict[str, EntityLevel] = {}
    for service in services:
        results = by_entity.get(("service", service), [])
        levels[service] = entity_level(results, ladder, settings.warn_blocks)
        lv = levels[service]
        rule = "rules" if lv.evidence else "no applicable rules"
        rows.append(row("service", service, owner[service], lv.level, lv.blockers, lv.counts, rule))
    # A service no enforced, levelled rule applies to is unrated: it does not count toward
    # its team's or the org's level.
    graded = [s for s in services if levels[s].evidence]

    def aggregate(entity_type: str, entity_id: str, members: list[str]) -> dict[str, Any]:
        own_results = by_entity.get((entity_type, entity_id), [])
        own = entity_level(own_results, ladder, settings.warn_blocks)
        member_levels = {m: levels[m].level for m in members}
        level = aggregate_level(list(member_levels.values()), own, ladder, settings.team_rule)
        blockers = aggregate_blockers(
            level,
            own_results,
            {m: by_entity.get(("service", m), []) for m in members},
            member_levels,
            ladder,
            settings.warn_blocks,
        )
        counts = dict(own.counts)
        for m in members:
            for s, n in levels[m].counts.items():
                counts[s] = counts.get(s, 0) + n
        if members:
            rule = f"{settings.team_rule} of services"
            rule += ", capped by own rules" if own.evidence else ""
        else:
            rule = "rules" if own.evidence else "no applicable rules"
        team_id = entity_id if entity_type == "team" else None
        return row(
            entity_type,
            entity_id,
            team_id,
            level,
            blockers,
            counts,
            rule,
            list(member_levels.values()),
        )

    for team in teams:
        rows.append(aggregate("team", team, [s for s in graded if owner[s] == team]))
    rows.append(aggregate("org", ORG_ENTITY_ID, graded))
    return rows


# --- reading and writing the tables ---------------------------------------------------------


def _insert(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    names = [name for name, _ in SNAPSHOT_COLUMNS]
    con.executemany(
        f"insert into {SNAPSHOTS} ({', '.join(names)}) values ({', '.join('?' for _ in names)})",
        [[r[n] for n in names] for r in rows],
    )


def _audit(con: duckdb.DuckDBPyConnection, **values: Any) -> None:
    names = [name for name, _ in AUDIT_COLUMNS]
    con.execute(
        f"insert into {AUDIT} ({', '.join(names)}) values ({', '.join('?' for _ in names)})",
        [values.get(n) for n in names],
    )


def rebuild_movements(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(f"delete from {MOVEMENTS}")
    con.execute(MOVEMENTS_SQL)
    return con.execute(f"select count(*) from {MOVEMENTS}").fetchone()[0]


def closed_quarters(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """{quarter: ruleset_version} of the closed quarters."""
    if not table_exists(con, SCHEMA, "maturity_snapshots"):
        return {}
    return dict(
        con.execute(
            f"select quarter, any_value(ruleset_version) from {SNAPSHOTS} "
            "where is_closed group by quarter"
        ).fetchall()
    )


def _open_as_of(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> dt.date | None:
    row = con.execute(
        f"select max(as_of) from {SNAPSHOTS} where quarter = ? and not is_closed", [quarter.label]
    ).fetchone()
    return row[0] if row else None


def _dates_with_results(con: duckdb.DuckDBPyConnection, dates: Sequence[dt.date]) -> set[dt.date]:
    if not dates or not table_exists(con, SCHEMA, "check_results"):
        return set()
    rows = con.execute(
        f"select distinct as_of from {SCHEMA}.check_results "
        "where as_of in (select unnest($dates::date[]))",
        {"dates": list(dates)},
    ).fetchall()
    return {r[0] for r in rows}


def latest_results_date(warehouse: Path, within: Quarter | None = None) -> dt.date | None:
    """The last date with check results (in `within`, if given): what the last run saw."""
    if not Path(warehouse).exists():
        return None
    with connect(warehouse, read_only=True) as con:
        if not table_exists(con, SCHEMA, "check_results"):
            return None
        sql = f"select max(as_of) from {SCHEMA}.check_results"
        params: list[Any] = []
        if within is not None:
            sql += " where as_of between ? and ?"
            params = [within.start, within.end]
        row = con.execute(sql, params).fetchone()
    return row[0] if row else None


def _earliest_data_day(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The first day the warehouse has figures for: the first DORA quarter, else the first
    check results."""
    days = []
    if table_exists(con, "marts", "dora_metrics"):
        days.append(
            con.execute(
                "select min(period_start) from marts.dora_metrics where period_grain = 'quarter'"
            ).fetchone()[0]
        )
    if table_exists(con, SCHEMA, "check_results"):
        days.append(con.execute(f"select min(as_of) from {SCHEMA}.check_results").fetchone()[0])
    days = [d for d in days if d is not None]
    return min(days) if days else None


# --- the operations -------------------------------------------------------------------------


@dataclass
class SnapshotReport:
    """What one operation did, for logs, Dagster metadata and the CLI."""

    as_of: dt.date | None = None
    closed: list[str] = field(default_factory=list)
    already_closed: list[str] = field(default_factory=list)
    refreshed: str | None = None
    recomputed: str | None = None
    evaluated: list[dt.date] = field(default_factory=list)
    rule_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows_written: int = 0
    movements: int = 0
    levels_changed: int | None = None

    def summary(self) -> str:
        parts = []
        if self.closed:
            parts.append(f"closed {', '.join(self.closed)}")
        if self.recomputed:
            parts.append(f"recomputed {self.recomputed} ({self.levels_changed} levels changed)")
        if self.refreshed:
            parts.append(f"refreshed the open quarter {self.refreshed} as of {self.as_of}")
        if self.evaluated:
            parts.append("evaluated the rules as of " + ", ".join(str(d) for d in self.evaluated))
        if not parts:
            parts.append("nothing to write")
        return "; ".join(parts) + "".join(f"\n  note: {n}" for n in self.notes)


@dataclass
class Snapshots:
    """Snapshot operations on one warehouse with one rules directory and config."""

    config: StatureConfig
    warehouse: Path
    rules_dir: Path
    run_id: str | None = None
    requested_by: str = field(default_factory=who)

    @property
    def start_month(self) -> int:
        return self.config.org.fiscal_year_start_month

    def quarter(self, label: str) -> Quarter:
        return parse_quarter(label, self.start_month)

    def quarter_of(self, day: dt.date) -> Quarter:
        return quarter_of(day, self.start_month)

    # Results as of a date: read them, or evaluate the rules when there are none.
    def ensure_results(
        self, dates: Sequence[dt.date], report: SnapshotReport, *, force: bool = False
    ) -> None:
        from dagster_project.rules.engine import evaluate_dates

        if not Path(self.warehouse).exists():
            raise SnapshotError(f"{self.warehouse}: warehouse not found; run `stature run` first")
        with connect(self.warehouse, read_only=True) as con:
            have = set() if force else _dates_with_results(con, dates)
        missing = sorted(set(dates) - have)
        if not missing:
            return
        outcome = evaluate_dates(
            self.config,
            warehouse=self.warehouse,
            rules_dir=self.rules_dir,
            dates=missing,
            run_id=self.run_id or f"snapshot-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}",
        )
        report.evaluated += missing
        report.notes += [n for n in outcome.notes if n not in report.notes]
        report.rule_errors += [
            f"{rule_id}: {outcome.rules[rule_id].errors[0]}" for rule_id in outcome.failed_rules
        ]

    def sync(
        self, as_of: dt.date, *, backfill_from: Quarter | None = None, reason: str | None = None
    ) -> SnapshotReport:
        """The nightly's step: close every ended quarter of the history window that is not
        closed yet (from `backfill_from`, else the last `maturity.backfill_quarters`, not
        before the first quarter with data), then refresh the open quarter as of `as_of`.
        A quarter whose last day is `as_of` is closed, not left open."""
        report = SnapshotReport(as_of=as_of)
        current = self.quarter_of(as_of)
        last_ended = current if as_of >= current.end else current.previous
        with connect(self.warehouse) as con:
            ensure_schema(con)
            closed = closed_quarters(con)
            first = backfill_from or self._window_start(con, last_ended)
        window = quarters_between(first, last_ended)
        report.already_closed = [q.label for q in window if q.label in closed]
        to_close = [q for q in window if q.label not in closed]
        if to_close:
            self._close(to_close, report, reason or "quarter ended")
        if as_of < current.end:
            self._refresh(current, as_of, report)
        return report

    def _window_start(self, con: duckdb.DuckDBPyConnection, last_ended: Quarter) -> Quarter:
        first = last_ended.shift(-(self.config.maturity.backfill_quarters - 1))
        earliest = _earliest_data_day(con)
        if earliest is not None:
            first = max(first, self.quarter_of(earliest))
        return first

    def build(
        self, quarter: Quarter, *, today: dt.date, as_of: dt.date | None = None
    ) -> SnapshotReport:
        """One quarter, as `stature snapshot --quarter` and the quarterly Dagster asset do it:
        a closed quarter is left as it is; an ended one is closed; the open one is refreshed
        as of `as_of` (default: the last date with check results in it, else `today`)."""
        report = SnapshotReport()
        with connect(self.warehouse) as con:
            ensure_schema(con)
            closed = closed_quarters(con)
        if quarter.label in closed:
            report.already_closed.append(quarter.label)
            report.notes.append(
                f"{quarter} is closed: its snapshot is kept as it is "
                f"(stature snapshot --recompute {quarter} --reason ... to rebuild it)"
            )
            return report
        if quarter.end < today:
            self._close([quarter], report, "quarter ended")
        elif quarter.start <= today:
            day = as_of or latest_results_date(self.warehouse, quarter) or today
            report.as_of = day
            self._refresh(quarter, day, report)
        else:
            raise SnapshotError(f"{quarter} has not started yet (today is {today})")
        return report

    def recompute(self, quarter: Quarter, *, reason: str, today: dt.date) -> SnapshotReport:
        """Rebuild an ended quarter with the current rules: evaluate them as of the quarter's
        last day, replace its rows, and record who, why and the ruleset versions."""
        if not reason or not reason.strip():
            raise SnapshotError("a recompute needs --reason: it is kept in the audit table")
        if quarter.end >= today:
            raise SnapshotError(
                f"{quarter} has not ended yet (it ends {quarter.end}): only ended quarters "
                "are recomputed; the open quarter is refreshed by every run"
            )
        report = SnapshotReport(as_of=quarter.end)
        self.ensure_results([quarter.end], report, force=True)
        now = dt.datetime.now(dt.UTC)
        with connect(self.warehouse) as con:
            ensure_schema(con)
            inputs = read_inputs(con, quarter.end)
            if not inputs.results:
                raise SnapshotError(f"no check results as of {quarter.end}: nothing to rebuild")
            rows = compute_snapshot(
                inputs,
                quarter,
                Settings.from_config(self.config),
                is_closed=True,
                computed_at=now,
                run_id=self.run_id,
            )
            con.execute("begin transaction")
            try:
                before = dict(
                    con.execute(
                        f"select entity_type || ':' || entity_id, level from {SNAPSHOTS} "
                        "where quarter = ? and is_closed",
                        [quarter.label],
                    ).fetchall()
                )
                previous = con.execute(
                    f"select any_value(ruleset_version) from {SNAPSHOTS} "
                    "where quarter = ? and is_closed",
                    [quarter.label],
                ).fetchone()[0]
                con.execute(f"delete from {SNAPSHOTS} where quarter = ?", [quarter.label])
                _insert(con, rows)
                changed = sum(
                    1
                    for r in rows
                    if before.get(f"{r['entity_type']}:{r['entity_id']}") != r["level"]
                )
                _audit(
                    con,
                    quarter=quarter.label,
                    action="recompute",
                    reason=reason.strip(),
                    requested_by=self.requested_by,
                    requested_at=now,
                    as_of=quarter.end,
                    previous_ruleset_version=previous,
                    new_ruleset_version=rows[0]["ruleset_version"],
                    entities=len(rows),
                    levels_changed=changed,
                    run_id=self.run_id,
                )
                report.movements = rebuild_movements(con)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        report.recomputed = quarter.label
        report.levels_changed = changed
        report.rows_written = len(rows)
        return report

    def _close(self, quarters: Sequence[Quarter], report: SnapshotReport, reason: str) -> None:
        self.ensure_results([q.end for q in quarters], report)
        settings = Settings.from_config(self.config)
        now = dt.datetime.now(dt.UTC)
        with connect(self.warehouse) as con:
            ensure_schema(con)
            con.execute("begin transaction")
            try:
                closed = closed_quarters(con)  # again, inside the transaction
                for quarter in quarters:
                    if quarter.label in closed:
                        report.already_closed.append(quarter.label)
                        continue
                    inputs = read_inputs(con, quarter.end)
                    if not inputs.results:
                        report.notes.append(
                            f"{quarter} not closed: no check results as of {quarter.end}"
                        )
                        continue
                    rows = compute_snapshot(
                        inputs,
                        quarter,
                        settings,
                        is_closed=True,
                        computed_at=now,
                        run_id=self.run_id,
                    )
                    con.execute(f"delete from {SNAPSHOTS} where quarter = ?", [quarter.label])
                    _insert(con, rows)
                    _audit(
                        con,
                        quarter=quarter.label,
                        action="close",
                        reason=reason,
                        requested_by=self.requested_by,
                        requested_at=now,
                        as_of=quarter.end,
                        new_ruleset_version=rows[0]["ruleset_version"],
                        entities=len(rows),
                        run_id=self.run_id,
                    )
                    report.closed.append(quarter.label)
                    report.rows_written += len(rows)
                report.movements = rebuild_movements(con)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise

    def _refresh(self, quarter: Quarter, as_of: dt.date, report: SnapshotReport) -> None:
        with connect(self.warehouse) as con:
            ensure_schema(con)
            closed = quarter.label in closed_quarters(con)
            stored = _open_as_of(con, quarter)
        if closed:
            report.notes.append(f"{quarter} is closed: the run as of {as_of} leaves it as it is")
            return
        if stored is not None and stored > as_of:
            report.notes.append(f"{quarter} keeps its snapshot as of {stored}, later than {as_of}")
            return
        self.ensure_results([as_of], report)
        with connect(self.warehouse) as con:
            inputs = read_inputs(con, as_of)
            if not inputs.results:
                report.notes.append(f"{quarter} not refreshed: no check results as of {as_of}")
                return
            rows = compute_snapshot(
                inputs,
                quarter,
                Settings.from_config(self.config),
                is_closed=False,
                computed_at=dt.datetime.now(dt.UTC),
                run_id=self.run_id,
            )
            con.execute("begin transaction")
            try:
                con.execute(
                    f"delete from {SNAPSHOTS} where quarter = ? and not is_closed", [quarter.label]
                )
                _insert(con, rows)
                report.movements = rebuild_movements(con)
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        report.refreshed = quarter.label
        report.as_of = as_of
        report.rows_written += len(rows)
