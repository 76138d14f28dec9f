"""A hand-made warehouse shaped like the public tables, with figures worked out by hand, and
a headless Chromium driven over the DevTools pipe: what the report, notebook and BI tests
share."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from dagster_project.config import load_config
from dagster_project.publish import publish
from dagster_project.report.views import create_reporting_views

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


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    return dt.date(day.year + month // 12, month % 12 + 1, 1)


def _dora_rows():
    """Quarterly DORA for services, teams and the org; monthly and weekly for the org."""
    rows = []
    for i, (label, start) in enumerate(QUARTERS):
        team_values = {
            "alpha": (10 + 2 * i, 48.0 - 4 * i, 0.2 - 0.02 * i, 10.0 - i),
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
        rows.append(("month", start, f"2026-{month:02d}", "org", "org", 10, 30.0, 0.1, 6.0))
    rows.append(("week", dt.date(2026, 11, 9), "2026-W46", "org", "org", 3, 20.0, 0.0, None))
    return rows


def build_contract_warehouse(
    path: Path,
    *,
    marts: bool = True,
    check_results: bool = True,
    maturity: bool = True,
    balanced_scorecard: bool = True,
) -> Path:
    """A warehouse file with the public tables (or some of them), filled by hand."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists scorecards")
        if marts:
            con.execute(
                "create or replace table marts.dim_teams "
                "(team_id varchar, name varchar, service_count integer)"
            )
            for team_id, name in TEAMS:
                count = sum(1 for s in SERVICES if s[2] == team_id)
                con.execute("insert into marts.dim_teams values (?, ?, ?)", [team_id, name, count])
            con.execute(
                "create or replace table marts.dim_services (service_id varchar, name varchar, "
                "team_id varchar, tier varchar, lifecycle varchar, repo varchar)"
            )
            for service in SERVICES:
                con.execute(
                    "insert into marts.dim_services values (?, ?, ?, ?, ?, ?)",
                    [*service, f"acme/{service[0]}"],
                )
            con.execute(
                "create or replace table marts.dim_service_teams "
                "(service_id varchar, team_id varchar, valid_from date, valid_to date)"
            )
            con.executemany(
                "insert into marts.dim_service_teams values (?, ?, ?, ?)",
                [
                    ("api", "alpha", dt.date(1970, 1, 1), None),
                    ("web", "alpha", dt.date(1970, 1, 1), None),
                    ("jobs", "alpha", dt.date(1970, 1, 1), REORG),
                    ("jobs", "beta", REORG, None),
                ],
            )
            con.execute(
                """
                create or replace table marts.dora_metrics (
                    period_grain varchar, period_start date, period_end date,
                    period_label varchar, entity_type varchar, entity_id varchar,
                    deployments bigint, deploy_days bigint, deployment_frequency double,
                    lead_time_sample_size bigint, lead_time_p50_hours double,
                    lead_time_p75_hours double, lead_time_p90_hours double,
                    failed_deployments bigint, change_failure_rate double,
                    recovery_sample_size bigint, recovery_time_p50_hours double,
                    rework_deployments bigint, rework_rate double, incidents bigint,
                    restore_time_p50_hours double, changes_deployed bigint,
                    linkage_coverage double, deployment_frequency_tier varchar,
                    lead_time_tier varchar, change_failure_rate_tier varchar,
                    recovery_time_tier varchar, rework_rate_tier varchar,
                    benchmark_edition varchar
                )
                """
            )
            for grain, start, label, etype, eid, deploys, lead, cfr, recovery in _dora_rows():
                end = {
                    "quarter": _add_months(start, 3),
                    "month": _add_months(start, 1),
                    "week": start + dt.timedelta(days=7),
                }[grain] - dt.timedelta(days=1)
                days = (end - start).days + 1
                failed = round(deploys * cfr)
                con.execute(
                    "insert into marts.dora_metrics values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        grain,
                        start,
                        end,
                        label,
                        etype,
                        eid,
                        deploys,
                        min(deploys, days),
                        deploys / (days / 7),
                        deploys * 2,
                        lead,
                        lead * 1.5,
                        lead * 2,
                        failed,
                        cfr,
                        failed,
                        recovery,
                        round(deploys * 0.05),
                        0.05,
                        failed,
                        recovery,
                        deploys * 2,
                        1.0,
                        "high",
                        "high" if lead < 168 else "medium",
                        "elite" if cfr <= 0.15 else "high",
                        "high",
                        "elite",
                        "2023",
                    ],
                )
            con.execute(
                "create or replace table marts.fct_deployments (deployment_id varchar, "
                "service_id varchar, deployed_at timestamptz)"
            )
            con.execute(
                "insert into marts.fct_deployments values "
                "('d1', 'api', '2026-11-14 16:30:00+00'), ('d2', 'jobs', '2026-11-02 09:00:00+00')"
            )
            con.execute(
                "create or replace table marts.bsc_measures (period varchar, entity_type varchar,"
                " entity_id varchar, perspective varchar, measure_id varchar, value double, "
                "unit varchar)"
            )
        if check_results:
            con.execute(
                """
                create or replace table scorecards.check_results (
                    as_of date, rule_id varchar, rule_version varchar, scorecard varchar,
                    level integer, entity_type varchar, entity_id varchar, status varchar,
                    value double, threshold varchar, note varchar, evidence_url varchar,
                    rollout varchar, evaluated_at timestamptz, run_id varchar
                )
                """
            )
            evaluations = [(d, i) for i, d in enumerate(QUARTER_ENDS)]
            evaluations.append((dt.date(2026, 11, 14), 7))
            rows = []
            for as_of, i in evaluations:
                for rule, (scorecard, level, entity, _) in RULES.items():
                    entities = (
                        [s[0] for s in SERVICES] if entity == "service" else ["alpha", "beta"]
                    )
                    for eid in entities:
                        status, value = _history_status(rule, eid, i)
                        rows.append((as_of, rule, scorecard, level, entity, eid, status, value))
            for (rule, eid), (status, value) in LATEST.items():
                scorecard, level, entity, _ = RULES[rule]
                rows.append((AS_OF, rule, scorecard, level, entity, eid, status, value))
            for as_of, rule, scorecard, level, entity, eid, status, value in rows:
                con.execute(
                    "insert into scorecards.check_results values "
                    "(?, ?, 'v1', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'run-1')",
                    [
                        as_of,
                        rule,
                        scorecard,
                        level,
                        entity,
                        eid,
                        status,
                        value,
                        THRESHOLDS[rule],
                        f"{rule} on {eid}",
                        f"https://ci.example/{eid}/{rule}" if status == "fail" else None,
                        RULES[rule][3],
                        dt.datetime(2026, 11, 16, 2, tzinfo=dt.UTC),
                    ],
                )
        if maturity:
            con.execute(
                """
                create or replace table scorecards.maturity_snapshots (
                    quarter varchar, quarter_start date, entity_type varchar, entity_id varchar,
                    team_id varchar, level integer, level_name varchar, pass_count integer,
                    fail_count integer, blockers varchar[], ruleset_version varchar,
                    as_of date, computed_at timestamptz
                )
                """
            )
            for i, (label, start) in enumerate(QUARTERS):
                as_of = QUARTER_ENDS[i] if i < len(QUARTER_ENDS) else AS_OF
                for service, levels in LEVELS.items():
                    level = levels[i]
                    if level is None:
                        continue
                    team = "beta" if service == "jobs" and start >= REORG else "alpha"
                    if service == "newsvc":
                        team = "beta"
                    con.execute(
                        "insert into scorecards.maturity_snapshots values "
                        "(?, ?, 'service', ?, ?, ?, ?, 0, 0, ?, 'rs1', ?, ?)",
                        [
                            label,
                            start,
                            service,
                            team,
                            level,
                            LADDER[level - 1],
                            BLOCKERS[service] if i == 7 else [],
                            as_of,
                            dt.datetime(2026, 11, 16, 2, tzinfo=dt.UTC),
                        ],
                    )
                con.execute(
                    "insert into scorecards.maturity_snapshots values "
                    "(?, ?, 'team', 'alpha', 'alpha', 2, 'Defined', 0, 0, [], 'rs1', ?, ?)",
                    [label, start, as_of, dt.datetime(2026, 11, 16, 2, tzinfo=dt.UTC)],
                )
        if balanced_scorecard:
            con.execute(
                """
                create or replace table scorecards.balanced_scorecard (
                    period varchar, period_start date, period_end date, entity_type varchar,
                    entity_id varchar, perspective varchar, objective varchar,
                    measure_id varchar, title varchar, value double, unit varchar,
                    target double, direction varchar, yellow_band double, yellow_limit double,
                    status varchar, previous_value double, trend varchar, owner varchar,
                    indicator varchar, value_source varchar, rule_version varchar,
                    as_of date, computed_at timestamptz
                )
                """
            )
            # (perspective, measure, title, value, target, direction, status, trend, owner,
            #  indicator, unit)
            measures = [
                ("Business Value", "revenue_per_engineer", "Revenue per engineer", 210.0, 200.0,
                 "higher_is_better", "green", "up", "cfo", "lagging", "kEUR"),
                ("Customer Outcomes", "availability", "Availability", 0.998, 0.999,
                 "higher_is_better", "yellow", "flat", "sre", "lagging", "ratio"),
                ("Engineering Excellence", "lead_time_days", "Lead time", 2.0, 1.0,
                 "lower_is_better", "red", "down", "vpe", "leading", "days"),
                ("Team Capability", "enps", "eNPS", 30.0, 20.0, "higher_is_better", "green", "up",
                 "hr", "leading", "score"),
            ]  # fmt: skip
            periods = [
                ("2026-Q2", dt.date(2026, 4, 1), dt.date(2026, 6, 30), 0.9),
                ("2026-Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30), 1.0),
            ]
            for period, start, end, factor in periods:
                for perspective, measure, title, value, target, direction, *rest in measures:
                    status, trend, owner, indicator, unit = rest
                    con.execute(
                        "insert into scorecards.balanced_scorecard values (?, ?, ?, 'org', "
                        "'org', ?, ?, ?, ?, ?, ?, ?, ?, 0.1, null, ?, ?, ?, ?, ?, 'rule', 'v1', "
                        "?, now())",
                        [period, start, end, perspective, f"{measure} objective", measure,
                         title, value * factor, unit, target, direction, status, value * 0.9,
                         trend, owner, indicator, end],
                    )  # fmt: skip
            con.execute(
                "insert into scorecards.balanced_scorecard values ('2026-Q3', '2026-07-01', "
                "'2026-09-30', 'team', 'alpha', 'Engineering Excellence', 'flow', "
                "'deploys_per_week', 'Deploys per week', 1.5, 'deploys/week', 2.0, "
                "'higher_is_better', 0.1, null, 'yellow', 1.2, 'up', 'alpha-lead', 'leading', "
                "'rule', 'v1', '2026-09-30', now())"
            )
    return path


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

STRATEGY_LINKS = [
    ("enps", "lead_time_days"),
    ("lead_time_days", "availability"),
    ("availability", "revenue_per_engineer"),
]
RULE_FILES = {
    "engineering_maturity/has_runbook.sql": """/*---
id: has_runbook
title: Has a runbook
scorecard: engineering_maturity
level: 2
owner: platform-team
thresholds: {pass: "== 1"}
unit: runbooks
remediation: https://wiki.example/runbooks
---*/
select service_id, case when has_runbook then 1 else 0 end as value from marts.dim_services
""",
    "engineering_maturity/not_a_rule.sql": "select 1 as value\n",
}


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


def published_copy(root: Path, *, strategy_map: bool = True, **parts: bool):
    """Build the hand-made warehouse (or the parts asked for), create the reporting views,
    publish it; returns (config, the views outcome, the publish report)."""
    root.mkdir(parents=True, exist_ok=True)
    warehouse = build_contract_warehouse(root / "warehouse.duckdb", **parts)
    config = load_config(make_config(root, strategy_map=strategy_map))
    with duckdb.connect(str(warehouse)) as con:
        outcome = create_reporting_views(con, config, rules_dir=write_rules(root / "rules"))
    report = publish(warehouse, root / "published", run_id="run-1")
    return config, outcome, report


# The reporting views every consumer expects in the published copy.
VIEW_NAMES = [
    "reporting.balanced_scorecard",
    "reporting.dora_trends",
    "reporting.maturity_distribution",
    "reporting.maturity_movements",
    "reporting.scorecard_pass_rates",
    "reporting.service_maturity",
    "reporting.service_standards",
]
