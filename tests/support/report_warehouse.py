"""A hand-made warehouse shaped like the public tables, with figures worked out by hand, the
real dbt reporting models built on it once per test session, and a headless Chromium driven
over the DevTools pipe: what the report, notebook and BI tests share."""

from __future__ import annotations

import atexit
import base64
import contextlib
import datetime as dt
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from dagster_project.config import load_config
from dagster_project.manifest import schema_models
from dagster_project.maturity import bsc, snapshot
from dagster_project.publish import publish
from dagster_project.rules import catalog, initiatives, store
from dagster_project.rules.loader import load_rules
from tests.support.dbt_run import create_like_model, dbt_build, insert_rows

# --- A warehouse shaped like the public tables, with figures worked out by hand -------------

AS_OF = dt.date(2026, 11, 15)
QUARTERS = [
    (f"{year}-Q{q}", dt.date(year, 3 * q - 2, 1)) for year in (2025, 2026) for q in (1, 2, 3, 4)
]
# The closed quarters' last evaluation dates (2025-Q1 .. 2026-Q3)
QUARTER_ENDS = [
    dt.date(2025, 3, 31),
    dt.date(2025, 6, 30),
    dt.date(2025, 9, 30),
    dt.date(2025, 12, 31),
    dt.date(2026, 3, 31),
    dt.date(2026, 6, 30),
    dt.date(2026, 9, 30),
]
TEAMS = [("alpha", "Alpha Team"), ("beta", "Beta Team")]
# (service_id, name, current team, tier, lifecycle); `jobs` moved from alpha to beta on
# 2026-01-01, so before then its results count for alpha.
SERVICES = [
    ("api", "API", "alpha", "tier-1", "production"),
    ("web", "Web", "alpha", "tier-2", "production"),
    ("jobs", "Jobs", "beta", "tier-2", "production"),
]
REORG = dt.date(2026, 1, 1)
# rule_id -> (scorecard, level, entity, rollout)
RULES = {
    "has_runbook": ("engineering_maturity", 2, "service", "enforced"),
    "deploys_weekly": ("engineering_maturity", 3, "service", "enforced"),
    "preview_rule": ("engineering_maturity", 4, "service", "shadow"),
    "team_oncall": ("engineering_maturity", 2, "team", "enforced"),
    "sec_scan": ("security", 4, "service", "enforced"),
}
# The latest evaluation, as_of 2026-11-15: (rule, entity) -> (status, value)
LATEST = {
    ("has_runbook", "api"): ("pass", 1.0),
    ("deploys_weekly", "api"): ("pass", 2.5),
    ("preview_rule", "api"): ("fail", 0.0),
    ("sec_scan", "api"): ("fail", 0.0),
    ("has_runbook", "web"): ("fail", 0.0),
    ("deploys_weekly", "web"): ("fail", 0.1),
    ("preview_rule", "web"): ("pass", 1.0),
    ("sec_scan", "web"): ("not_applicable", None),
    ("has_runbook", "jobs"): ("pass", 1.0),
    ("deploys_weekly", "jobs"): ("warn", 0.5),
    ("preview_rule", "jobs"): ("fail", 0.0),
    ("sec_scan", "jobs"): ("exempt", None),
    ("team_oncall", "alpha"): ("pass", 1.0),
    ("team_oncall", "beta"): ("not_reported", None),
}
THRESHOLDS = {
    "has_runbook": "pass == 1",
    "deploys_weekly": "pass >= 1; warn >= 0.25",
    "preview_rule": "pass == 1",
    "team_oncall": "pass == 1",
    "sec_scan": "pass == 1",
}


def _history_status(rule: str, entity: str, i: int) -> tuple[str, float | None]:
    """Statuses of earlier evaluations (quarter index i = 0 for 2025-Q1)."""
    passing = {
        ("has_runbook", "api"): True,
        ("has_runbook", "web"): i >= 3,
        ("has_runbook", "jobs"): i >= 5,
        ("deploys_weekly", "api"): i >= 2,
        ("team_oncall", "alpha"): True,
        ("sec_scan", "api"): True,
    }.get((rule, entity))
    if (rule, entity) == ("deploys_weekly", "web"):
        return "warn", 0.5
    if (rule, entity) == ("sec_scan", "web"):
        return "not_applicable", None
    return ("pass", 1.0) if passing else ("fail", 0.0)


# Maturity per quarter (2025-Q1 .. 2026-Q4); `newsvc` first appears in 2026-Q3.
LEVELS = {
    "api": [1, 1, 2, 2, 2, 3, 3, 3],
    "web": [1, 1, 1, 2, 2, 2, 2, 1],
    "jobs": [1, 1, 1, 1, 1, 1, 2, 2],
    "newsvc": [None] * 6 + [2, 2],
}
BLOCKERS = {"api": ["sec_scan"], "web": ["has_runbook"], "jobs": ["perf_budget"], "newsvc": []}
LADDER = ["Ad hoc", "Defined", "Measured", "Embedded", "Systemic"]
# The open quarter 2026-Q4 (46 days elapsed on 2026-11-15): alpha deployed 46 times in it,
# 7.0 a week so far (not 46 over the quarter's 13.1 weeks); the org deployed 30 times in
# the 15 days of November: 14.0 a week so far.
ALPHA_OPEN_QUARTER_DEPLOYS = 46
ORG_NOVEMBER_DEPLOYS = 30


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def _alpha_deploys(i: int) -> int:
    return ALPHA_OPEN_QUARTER_DEPLOYS if i == 7 else 10 + 2 * i


def _dora_rows():
    """Quarterly DORA for services, teams and the org; monthly and weekly for the org."""
    rows = []
    for i, (label, start) in enumerate(QUARTERS):
        team_values = {
            "alpha": (_alpha_deploys(i), 48.0 - 4 * i, 0.2 - 0.02 * i, 10.0 - i),
            "beta": (20 - i, 24.0 + 2 * i, 0.1, 5.0),
        }
        for team, (deploys, lead, cfr, recovery) in team_values.items():
            rows.append(("quarter", start, label, "team", team, deploys, lead, cfr, recovery))
        total = sum(v[0] for v in team_values.values())
        rows.append(("quarter", start, label, "org", "org", total, 36.0, 0.15, 7.0))
        for service, share in (("api", 2), ("web", 2), ("jobs", 1)):
            owner = "alpha" if service != "jobs" else "beta"
            deploys, lead, cfr, recovery = team_values[owner]
            rows.append(
                ("quarter", start, label, "service", service, deploys // share, lead, cfr, recovery)
            )
    for month in (9, 10, 11):
        start = dt.date(2026, month, 1)
        deploys = ORG_NOVEMBER_DEPLOYS if month == 11 else 10
        rows.append(("month", start, f"2026-{month:02d}", "org", "org", deploys, 30.0, 0.1, 6.0))
    rows.append(("week", dt.date(2026, 11, 9), "2026-W46", "org", "org", 3, 20.0, 0.0, None))
    return rows


def _dora_metrics():
    """marts.dora_metrics rows as the mart computes them: rates over the whole period."""
    for grain, start, label, etype, eid, deploys, lead, cfr, recovery in _dora_rows():
        end = {
            "quarter": _add_months(start, 3),
            "month": _add_months(start, 1),
            "week": start + dt.timedelta(days=7),
        }[grain] - dt.timedelta(days=1)
        days = (end - start).days + 1
        failed = round(deploys * cfr)
        yield {
            "period_grain": grain,
            "period_start": start,
            "period_end": end,
            "period_label": label,
            "entity_type": etype,
            "entity_id": eid,
            "deployments": deploys,
            "deploy_days": min(deploys, days),
            "deployment_frequency": deploys / (days / 7),
            "lead_time_sample_size": deploys * 2,
            "lead_time_p50_hours": lead,
            "lead_time_p75_hours": lead * 1.5,
            "lead_time_p90_hours": lead * 2,
            "failed_deployments": failed,
            "change_failure_rate": cfr,
            "recovery_sample_size": failed,
            "recovery_time_p50_hours": recovery,
            "rework_deployments": round(deploys * 0.05),
            "rework_rate": 0.05,
            "incidents": failed,
            "restore_time_p50_hours": recovery,
            "changes": deploys * 2,
            "linkage_coverage": 1.0,
            "deployment_frequency_tier": "high",
            "lead_time_tier": "high" if lead < 168 else "medium",
            "change_failure_rate_tier": "elite" if cfr <= 0.15 else "high",
            "recovery_time_tier": "high",
            "rework_rate_tier": "elite",
            "benchmark_edition": "2023",
        }


def _write_marts(con: duckdb.DuckDBPyConnection) -> None:
    for relation in ("dim_teams", "dim_services", "dim_service_teams", "dora_metrics"):
        create_like_model(con, f"marts.{relation}")
    for relation in ("fct_deployments", "bsc_measures"):
        create_like_model(con, f"marts.{relation}")
    insert_rows(
        con,
        "marts.dim_teams",
        (
            {"team_id": t, "name": n, "service_count": sum(1 for s in SERVICES if s[2] == t)}
            for t, n in TEAMS
        ),
    )
    insert_rows(
        con,
        "marts.dim_services",
        (
            {"service_id": s, "name": n, "team_id": t, "tier": tier, "lifecycle": lc,
             "repo": f"acme/{s}"}
            for s, n, t, tier, lc in SERVICES
        ),
    )  # fmt: skip
    insert_rows(
        con,
        "marts.dim_service_teams",
        (
            {"service_id": s, "team_id": t, "valid_from": f, "valid_to": to}
            for s, t, f, to in [
                ("api", "alpha", dt.date(1970, 1, 1), None),
                ("web", "alpha", dt.date(1970, 1, 1), None),
                ("jobs", "alpha", dt.date(1970, 1, 1), REORG),
                ("jobs", "beta", REORG, None),
            ]
        ),
    )
    insert_rows(con, "marts.dora_metrics", _dora_metrics())
    insert_rows(
        con,
        "marts.fct_deployments",
        [
            {"deployment_id": "d1", "service_id": "api",
             "deployed_at": dt.datetime(2026, 11, 14, 16, 30, tzinfo=dt.UTC)},
            {"deployment_id": "d2", "service_id": "jobs",
             "deployed_at": dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)},
        ],
    )  # fmt: skip


def _write_check_results(con: duckdb.DuckDBPyConnection) -> None:
    evaluations = [(d, i) for i, d in enumerate(QUARTER_ENDS)]
    evaluations.append((dt.date(2026, 11, 14), 7))
    rows = []
    for as_of, i in evaluations:
        for rule, (_, _, entity, _) in RULES.items():
            entities = [s[0] for s in SERVICES] if entity == "service" else ["alpha", "beta"]
            for eid in entities:
                rows.append((as_of, rule, eid, *_history_status(rule, eid, i)))
    rows += [(AS_OF, rule, eid, *result) for (rule, eid), result in LATEST.items()]
    insert_rows(
        con,
        "scorecards.check_results",
        (
            {
                "as_of": as_of,
                "rule_id": rule,
                "rule_version": "v1",
                "scorecard": RULES[rule][0],
                "level": RULES[rule][1],
                "entity_type": RULES[rule][2],
                "entity_id": eid,
                "status": status,
                "value": value,
                "threshold": THRESHOLDS[rule],
                "note": f"{rule} on {eid}",
                "evidence_url": f"https://ci.example/{eid}/{rule}" if status == "fail" else None,
                "rollout": RULES[rule][3],
                "evaluated_at": dt.datetime(2026, 11, 16, 2, tzinfo=dt.UTC),
                "run_id": "run-1",
            }
            for as_of, rule, eid, status, value in rows
        ),
    )


# One initiative over has_runbook: every service passes on 2026-09-30 and 2026-11-14, `web`
# fails on AS_OF (2/3 passing: at risk, web late for alpha).
INITIATIVE = {
    "initiative_id": "runbooks", "title": "Every service links a runbook", "owner": "sre-team",
    "description": "Runbooks one click from the alert.", "entity": "service",
    "applies_to": None, "scorecard": None, "level": None, "start_date": dt.date(2026, 9, 1),
    "deadline": dt.date(2027, 3, 31), "target": 1.0, "pace_days": 90, "path": None,
    "version": "v1", "loaded_at": dt.datetime(2026, 11, 16, 2, tzinfo=dt.UTC),
}  # fmt: skip


def _write_initiative(con: duckdb.DuckDBPyConnection) -> None:
    insert_rows(con, "scorecards.initiatives", [INITIATIVE])
    insert_rows(
        con,
        "scorecards.initiative_rules",
        [{"initiative_id": "runbooks", "rule_id": "has_runbook"}],
    )
    insert_rows(
        con,
        "scorecards.initiative_scope",
        [
            {
                "initiative_id": "runbooks",
                "entity_type": "service",
                "entity_id": s[0],
                "as_of": AS_OF,
            }
            for s in SERVICES
        ],
    )


def _write_maturity(con: duckdb.DuckDBPyConnection) -> None:
    computed = dt.datetime(2026, 11, 16, 2, tzinfo=dt.UTC)
    rows = []

    def snapshot_row(i: int, etype: str, eid: str, team: str, level: int, blockers: list):
        label, start = QUARTERS[i]
        closed = i < len(QUARTER_ENDS)
        return {
            "quarter": label,
            "quarter_start": start,
            "quarter_end": _add_months(start, 3) - dt.timedelta(days=1),
            "entity_type": etype,
            "entity_id": eid,
            "team_id": team,
            "level": level,
            "level_name": LADDER[level - 1],
            "next_level_name": LADDER[level] if level < len(LADDER) else None,
            "blockers": blockers,
            **{f"{s}_count": 0 for s in ("pass", "warn", "fail", "not_reported", "error")},
            **{f"{s}_count": 0 for s in ("exempt", "not_applicable")},
            "level_rule": "rules",
            "ladder": "default",
            "is_closed": closed,
            "ruleset_version": "rs1",
            "as_of": QUARTER_ENDS[i] if closed else AS_OF,
            "computed_at": computed,
            "run_id": "run-1",
        }

    for i, (_, start) in enumerate(QUARTERS):
        for service, levels in LEVELS.items():
            if levels[i] is None:
                continue
            team = (
                "beta" if (service == "jobs" and start >= REORG) or service == "newsvc" else "alpha"
            )
            blockers = BLOCKERS[service] if i == 7 else []
            rows.append(snapshot_row(i, "service", service, team, levels[i], blockers))
        rows.append(snapshot_row(i, "team", "alpha", "alpha", 2, []))
    insert_rows(con, "scorecards.maturity_snapshots", rows)
    snapshot.rebuild_movements(con)


# The balanced scorecard as the dbt model leaves it (the grading itself is tested in
# tests/maturity): (perspective, measure, title, value, target, direction, status, trend,
# owner, indicator, unit) of the org, for 2026-Q2 (values x 0.9) and 2026-Q3.
BSC_MEASURES = [
    ("Business Value", "revenue_per_engineer", "Revenue per engineer", 210.0, 200.0,
     "higher_is_better", "green", "better", "cfo", "lagging", "kEUR"),
    ("Customer Outcomes", "availability", "Availability", 0.998, 0.999,
     "higher_is_better", "yellow", "flat", "sre", "lagging", "ratio"),
    ("Engineering Excellence", "lead_time_days", "Lead time", 2.0, 1.0,
     "lower_is_better", "red", "worse", "vpe", "leading", "days"),
    ("Team Capability", "enps", "eNPS", 30.0, 20.0, "higher_is_better", "green", "better",
     "hr", "leading", "score"),
]  # fmt: skip


def _write_balanced_scorecard(con: duckdb.DuckDBPyConnection) -> None:
    create_like_model(con, "scorecards.balanced_scorecard")
    periods = [
        ("2026-Q2", dt.date(2026, 4, 1), dt.date(2026, 6, 30), 0.9),
        ("2026-Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30), 1.0),
    ]
    rows = []
    for period, start, end, factor in periods:
        for perspective, measure, title, value, target, direction, *rest in BSC_MEASURES:
            status, trend, owner, indicator, unit = rest
            rows.append(
                {"period": period, "period_start": start, "period_end": end,
                 "entity_type": "org", "entity_id": "org", "perspective": perspective,
                 "objective": f"{measure} objective", "measure_id": measure, "title": title,
                 "value": value * factor, "unit": unit, "target": target,
                 "direction": direction, "yellow_band": 0.1, "status": status,
                 "previous_value": value * 0.9, "trend": trend, "owner": owner,
                 "indicator": indicator, "value_source": "bsc_measures",
                 "rule_version": "v1", "as_of": AS_OF, "computed_at": dt.datetime.now(dt.UTC)}
            )  # fmt: skip
    rows.append(
        {"period": "2026-Q3", "period_start": dt.date(2026, 7, 1),
         "period_end": dt.date(2026, 9, 30), "entity_type": "team", "entity_id": "alpha",
         "perspective": "Engineering Excellence", "objective": "flow",
         "measure_id": "deploys_per_week", "title": "Deploys per week", "value": 1.5,
         "unit": "deploys/week", "target": 2.0, "direction": "higher_is_better",
         "yellow_band": 0.1, "status": "yellow", "previous_value": 1.2, "trend": "better",
         "owner": "alpha-lead", "indicator": "leading", "value_source": "bsc_measures",
         "rule_version": "v1", "as_of": AS_OF, "computed_at": dt.datetime.now(dt.UTC)}
    )  # fmt: skip
    insert_rows(con, "scorecards.balanced_scorecard", rows)


REPORTING_VARS = {"as_of": AS_OF.isoformat(), "org_name": "Acme Test"}
# What the reporting views read besides the hand-made tables: the calendar and the DORA
# reference marts (built from their seeds), then the views.
REPORTING_SELECT = (
    "dora_benchmarks dora_metric_catalog dim_calendar dim_dora_metrics dim_dora_benchmarks "
    "tag:reporting"
)


def build_contract_warehouse(path: Path, *, work_dir: Path | None = None) -> Path:
    """A warehouse file with every public table filled by hand, the rule catalog written
    from RULE_FILES, and the dbt reporting models built on it (real dbt, as of AS_OF)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("SET TimeZone = 'UTC'")
        _write_marts(con)
        for ddl in (store.DDL, catalog.DDL, snapshot.DDL, bsc.DDL, initiatives.DDL):
            con.execute(ddl)
        _write_check_results(con)
        _write_initiative(con)
        _write_maturity(con)
        _write_balanced_scorecard(con)
    rules = write_rules(path.parent / "rules")
    catalog.write_rule_catalog(path, load_rules(rules))
    dbt_build(
        path,
        REPORTING_SELECT,
        # The scorecard's grading has its own tests; here its table is the hand-made one.
        exclude="scorecards_balanced_scorecard",
        variables=REPORTING_VARS,
        work_dir=work_dir or path.parent / "dbt",
    )
    return path


@functools.cache
def built_warehouse() -> Path:
    """The contract warehouse, built once per test process (dbt takes seconds)."""
    root = Path(tempfile.mkdtemp(prefix="stature-contract-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return build_contract_warehouse(root / "warehouse.duckdb")


# --- Headless Chromium through the DevTools protocol over a pipe ----------------------------
#
# `--remote-debugging-pipe` speaks CDP on file descriptors 3 (commands in) and 4 (events and
# replies out), NUL-separated JSON: no port, no websocket library, nothing to race for. The
# test sees every console message, uncaught exception, log entry and network request of the
# page, and takes the screenshot through the same channel.

CHROMIUM = Path("/usr/bin/chromium")
# What a closed network needs: no background fetches, no component updates, and every host
# name resolves to nothing at once instead of waiting for a DNS timeout.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-default-browser-check",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
)


@dataclass
class PageVisit:
    """What a page did while it loaded in Chromium."""

    url: str
    events: list[dict]
    screenshot: bytes

    def params(self, method: str) -> list[dict]:
        return [e["params"] for e in self.events if e.get("method") == method]

    @property
    def console_errors(self) -> list[str]:
        errors = [
            " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
            for p in self.params("Runtime.consoleAPICalled")
            if p["type"] in ("error", "assert")
        ]
        errors += [
            p["exceptionDetails"].get("exception", {}).get("description")
            or p["exceptionDetails"]["text"]
            for p in self.params("Runtime.exceptionThrown")
        ]
        errors += [
            f"{p['entry']['source']}: {p['entry']['text']}"
            for p in self.params("Log.entryAdded")
            if p["entry"]["level"] == "error"
        ]
        return errors

    @property
    def requested_urls(self) -> list[str]:
        return [p["request"]["url"] for p in self.params("Network.requestWillBeSent")]


# Chromium reads commands on fd 3 and writes on fd 4. The pipe ends arrive under whatever
# numbers they have here; move them above 9 first, so neither overwrites the other, then
# onto 3 and 4, and become Chromium.
_PIPE_LAUNCHER = """
import fcntl, os, sys
ends = [fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3]]
for fd in sys.argv[1:3]:
    os.close(int(fd))
for target, fd in zip((3, 4), ends):
    os.dup2(fd, target)
    os.close(fd)
os.execv(sys.argv[3], sys.argv[3:])
"""


class Chromium:
    """One headless Chromium driven over `--remote-debugging-pipe`."""

    def __init__(self, profile_dir: Path, *, executable: Path = CHROMIUM) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _PIPE_LAUNCHER,
                str(to_browser_r),
                str(from_browser_w),
                str(executable),
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile_dir}",
                "about:blank",
            ],
            pass_fds=(to_browser_r, from_browser_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.events: list[dict] = []
        self._replies: dict[int, dict] = {}
        self._cond = threading.Condition()
        self._next_id = 0
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        while True:
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                break
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                with self._cond:
                    if "id" in message:
                        self._replies[message["id"]] = message
                    else:
                        self.events.append(message)
                    self._cond.notify_all()
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def command(
        self,
        method: str,
        params: dict | None = None,
        *,
        session: str | None = None,
        timeout: float = 30,
    ) -> dict:
        with self._cond:
            self._next_id += 1
            ident = self._next_id
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        except BrokenPipeError:
            raise RuntimeError(f"Chromium is gone, cannot send {method}{self._why()}") from None
        deadline = time.monotonic() + timeout
        with self._cond:
            while ident not in self._replies:
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    raise RuntimeError(f"no reply to {method} from Chromium{self._why()}")
                self._cond.wait(left)
            reply = self._replies.pop(ident)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def _why(self) -> str:
        """Chromium's own last words, when it has exited."""
        if self.process.poll() is None:
            return ""
        tail = self.process.stderr.read().decode(errors="replace")[-2000:]
        return f" (exit status {self.process.returncode}): {tail}"

    def wait_for(self, method: str, session: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events:
                    if event.get("method") == method and event.get("sessionId") == session:
                        return event
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    raise RuntimeError(f"Chromium never sent {method}")
                self._cond.wait(left)

    def visit(self, url: str, *, width: int = 1400, height: int = 900) -> tuple[PageVisit, str]:
        """Open `url` in a new tab, wait for it to load, take a full-page screenshot."""
        target = self.command("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.command("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.command(f"{domain}.enable", session=session)
        self.command(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        self.command("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        # one frame after load, so layout and any script have run
        self.evaluate(session, "new Promise(r => requestAnimationFrame(() => r(true)))")
        size = self.command("Page.getLayoutMetrics", session=session)["cssContentSize"]
        shot = self.command(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1},
            },
            session=session,
            timeout=60,
        )
        with self._cond:
            events = [e for e in self.events if e.get("sessionId") == session]
        return PageVisit(url, events, base64.b64decode(shot["data"])), session

    def loads(self, session: str) -> int:
        """How many pages the tab has loaded so far."""
        with self._cond:
            return sum(
                1
                for e in self.events
                if e.get("method") == "Page.loadEventFired" and e.get("sessionId") == session
            )

    def follow(self, session: str, expression: str, timeout: float = 30) -> str:
        """Run `expression` (a click on a link) and wait for the page it opens to load;
        returns the new address."""
        before = self.loads(session)
        self.evaluate(session, expression)
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.loads(session) <= before:
                left = deadline - time.monotonic()
                if self._closed or left <= 0:
                    raise RuntimeError(f"no page loaded after {expression}")
                self._cond.wait(left)
        self.evaluate(session, "new Promise(r => requestAnimationFrame(() => r(true)))")
        return self.evaluate(session, "window.location.href")

    def so_far(self, session: str) -> PageVisit:
        """Everything the tab did since it opened (console, requests), without a screenshot."""
        with self._cond:
            events = [e for e in self.events if e.get("sessionId") == session]
        return PageVisit(self.evaluate(session, "window.location.href"), events, b"")

    def screenshot(self, session: str, *, width: int = 1400) -> bytes:
        """The whole page as it is now (after clicks and filters)."""
        size = self.command("Page.getLayoutMetrics", session=session)["cssContentSize"]
        shot = self.command(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1},
            },
            session=session,
            timeout=60,
        )
        return base64.b64decode(shot["data"])

    def evaluate(self, session: str, expression: str):
        result = self.command(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=session,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.command("Browser.close", timeout=10)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        self._reader.join(timeout=5)
        os.close(self._from_browser)


# --- Workspaces: a published copy of the hand-made warehouse --------------------------------

# Objectives as the hand-made balanced scorecard names them (`<measure> objective`).
STRATEGY_LINKS = [
    ("enps objective", "lead_time_days objective"),
    ("lead_time_days objective", "availability objective"),
    ("availability objective", "revenue_per_engineer objective"),
]


def _rule(rule_id: str, title: str, header: str, sql: str, scorecard: str = "engineering_maturity"):
    return (
        f"{scorecard}/{rule_id}.sql",
        f"/*---\nid: {rule_id}\ntitle: {title}\nscorecard: {scorecard}\n{header.strip()}\n---*/\n"
        + sql,
    )


# The rules behind the hand-made check results (the rule engine writes their headers into
# scorecards.rule_catalog), and a file without a header that the catalog leaves out.
RULE_FILES = dict(
    [
        _rule(
            "has_runbook",
            "Has a runbook",
            """
level: 2
owner: platform-team
thresholds: {pass: "== 1"}
unit: runbooks
remediation: https://wiki.example/runbooks
""",
            "select service_id, case when has_runbook then 1 else 0 end as value "
            "from marts.dim_services\n",
        ),
        _rule(
            "deploys_weekly",
            "Deploys to production weekly",
            """
level: 3
owner: platform-team
thresholds: {pass: ">= 1", warn: ">= 0.25"}
""",
            "select entity_id as service_id, deployment_frequency as value from marts.dora_metrics "
            "where entity_type = 'service' and period_grain = 'month'\n",
        ),
        _rule(
            "preview_rule",
            "Preview environments",
            """
level: 4
owner: platform-team
rollout: shadow
thresholds: {pass: "== 1"}
""",
            "select service_id, 1 as value from marts.dim_services\n",
        ),
        _rule(
            "team_oncall",
            "The team has an on-call rota",
            """
level: 2
owner: platform-team
entity: team
thresholds: {pass: "== 1"}
""",
            "select team_id, 1 as value from marts.dim_teams\n",
        ),
        _rule(
            "sec_scan",
            "Security scanning in CI",
            """
level: 4
owner: security-team
thresholds: {pass: "== 1"}
""",
            "select service_id, 1 as value from marts.dim_services\n",
            scorecard="security",
        ),
        ("engineering_maturity/not_a_rule.sql", "select 1 as value\n"),
    ]
)


def write_rules(root: Path) -> Path:
    for name, text in RULE_FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def make_config(root: Path, *, strategy_map: bool = True) -> Path:
    """A stature.yml for a workspace under `root` (what `stature report` reads)."""
    root.mkdir(parents=True, exist_ok=True)
    config = {
        "org": {"name": "Acme Test"},
        "warehouse": str(root / "warehouse.duckdb"),
        "published_dir": str(root / "published"),
        "rules": {"dir": str(root / "rules")},
    }
    if strategy_map:
        config["balanced_scorecard"] = {
            "strategy_map": [{"cause": c, "effect": e} for c, e in STRATEGY_LINKS]
        }
    path = root / "stature.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


# The tables each stage writes: a part left out drops them, and with them every reporting
# view that reads them (from the dbt manifest), as if that stage had never run.
PARTS = {
    "marts": (
        "marts.dim_teams", "marts.dim_services", "marts.dim_service_teams",
        "marts.dora_metrics", "marts.fct_deployments", "marts.bsc_measures",
        "marts.dim_calendar", "marts.dim_dora_metrics", "marts.dim_dora_benchmarks",
    ),
    "check_results": (
        "scorecards.check_results", "scorecards.rule_catalog", "scorecards.rule_versions",
    ),
    "maturity": (
        "scorecards.maturity_snapshots", "scorecards.maturity_movements",
        "scorecards.maturity_audit",
    ),
    "balanced_scorecard": ("scorecards.balanced_scorecard", "scorecards.bsc_targets"),
    "initiatives": (
        "scorecards.initiatives", "scorecards.initiative_rules", "scorecards.initiative_scope",
        "scorecards.initiative_progress", "scorecards.initiative_status",
    ),
}  # fmt: skip


def _leave_out(warehouse: Path, tables: set[str]) -> list[str]:
    """Drop `tables` and the reporting views reading any of them; returns the views kept."""
    views = {m.relation: set(m.depends_on) for m in schema_models("reporting")}
    dropped = sorted(v for v, needs in views.items() if needs & tables)
    with duckdb.connect(str(warehouse)) as con:
        for view in dropped:
            con.execute(f"drop view if exists {view}")
        for table in sorted(tables):
            con.execute(f"drop table if exists {table}")
    return sorted(set(views) - set(dropped))


def published_copy(root: Path, *, strategy_map: bool = True, **parts: bool):
    """The hand-made warehouse with its reporting views (built once per session), copied
    under `root`, less the parts asked to be left out (marts, check_results, maturity,
    balanced_scorecard = False), published; returns (config, the reporting views in the
    warehouse, the publish report)."""
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise TypeError(f"unknown parts {sorted(unknown)}: choose from {sorted(PARTS)}")
    root.mkdir(parents=True, exist_ok=True)
    warehouse = root / "warehouse.duckdb"
    shutil.copyfile(built_warehouse(), warehouse)
    write_rules(root / "rules")
    missing = {t for part, keep in parts.items() if not keep for t in PARTS[part]}
    views = _leave_out(warehouse, missing)
    config = load_config(make_config(root, strategy_map=strategy_map))
    report = publish(warehouse, root / "published", run_id="run-1")
    return config, views, report


# The reporting views the site, the notebook and BI tools read.
VIEW_NAMES = [
    "reporting.balanced_scorecard",
    "reporting.check_changes",
    "reporting.check_history",
    "reporting.dora_tier_bands",
    "reporting.dora_trends",
    "reporting.dora_trends_by_metric",
    "reporting.fiscal_periods",
    "reporting.initiative_late_entities",
    "reporting.initiative_progress",
    "reporting.initiative_status",
    "reporting.maturity_distribution",
    "reporting.maturity_history",
    "reporting.maturity_movements",
    "reporting.rule_catalog",
    "reporting.rule_pass_rates",
    "reporting.scorecard_pass_rates",
    "reporting.service_maturity",
    "reporting.service_standards",
]
