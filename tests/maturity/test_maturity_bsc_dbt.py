"""marts.bsc_measures with real dbt: the model, its unit test and its data tests build on a
warehouse whose upstream marts are written by hand, and the figures are the hand-worked ones.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")

UPSTREAM = """
create schema marts;
create table marts.dora_metrics (
    period_grain varchar, period_start date, period_end date, period_label varchar,
    entity_type varchar, entity_id varchar, deployment_frequency double,
    lead_time_p50_hours double, change_failure_rate double, recovery_time_p50_hours double,
    rework_rate double
);
insert into marts.dora_metrics values
    ('quarter', '2026-04-01', '2026-06-30', '2026-Q1', 'org', 'org', 6.0, 30.0, 0.125, 2.5, 0.05),
    ('quarter', '2026-04-01', '2026-06-30', '2026-Q1', 'team', 'core', 6.0, 30.0, 0.125, 2.5, 0.05),
    ('month', '2026-04-01', '2026-04-30', '2026-04', 'org', 'org', 9.0, 1.0, 1.0, 1.0, 1.0);
create table marts.dim_services (service_id varchar, lifecycle varchar);
insert into marts.dim_services values ('api', 'production'), ('worker', 'production');
create table marts.dim_service_teams (
    service_id varchar, team_id varchar, valid_from date, valid_to date
);
insert into marts.dim_service_teams values
    ('api', 'core', '1970-01-01', null), ('worker', 'core', '1970-01-01', null);
create table marts.fct_changes (
    change_id varchar, team_id varchar, change_type varchar, first_review_at timestamptz,
    merged_at timestamptz, pickup_hours double, review_hours double
);
insert into marts.fct_changes values
    ('pr1', 'core', 'pr', '2026-04-02 10:00:00+00', '2026-04-02 20:00:00+00', 2.0, 10.0),
    ('pr2', 'core', 'pr', '2026-05-02 10:00:00+00', '2026-05-03 10:00:00+00', 6.0, 24.0),
    ('pr3', 'core', 'pr', '2026-06-02 10:00:00+00', '2026-06-02 12:00:00+00', 1.0, 3.0),
    ('pr4', 'core', 'pr', null, '2026-06-03 12:00:00+00', null, null),
    ('c1', 'core', 'direct_commit', null, null, null, null),
    -- merged at 23:30 UTC on 30 June: 1 July in Berlin, the next quarter
    ('pr5', 'core', 'pr', '2026-06-30 20:00:00+00', '2026-06-30 23:30:00+00', 100.0, 100.0);
create table marts.fct_incidents (
    incident_id varchar, service_id varchar, team_id varchar, created_day date,
    restore_hours double
);
insert into marts.fct_incidents values ('i1', 'api', 'core', '2026-05-05', 21.84);
create table marts.fct_issues (
    issue_key varchar, service_id varchar, created_at timestamptz, is_customer_reported boolean
);
insert into marts.fct_issues values
    ('x#1', 'api', '2026-04-10 09:00:00+00', true),
    ('x#2', 'worker', '2026-04-11 09:00:00+00', true),
    ('x#3', 'worker', '2026-04-12 09:00:00+00', true);
create table marts.fct_manual_measures (
    period_grain varchar, period_start date, entity_type varchar, entity_id varchar,
    measure_id varchar, value double
);
insert into marts.fct_manual_measures values
    ('quarter', '2026-04-01', 'team', 'core', 'infra_cost', 1500.0),
    ('quarter', '2026-04-01', 'team', 'core', 'transactions', 1000000.0),
    ('quarter', '2026-04-01', 'team', 'core', 'revenue_attributed', 60000.0),
    ('quarter', '2026-04-01', 'team', 'core', 'training_completion', 90.0),
    ('quarter', '2026-04-01', 'org', 'acme', 'internal_mobility', 14.0);
"""


@pytest.mark.slow
def test_bsc_measures_builds_with_dbt_and_gives_the_hand_worked_figures(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute(UPSTREAM)
    con.close()
    env = {**os.environ, "STATURE_WAREHOUSE": str(warehouse)}
    # an April fiscal year: 2026-04-01 .. 2026-06-30 is 2026-Q1
    variables = {"fiscal_year_start_month": 4, "stature_timezone": "Europe/Berlin"}
    done = subprocess.run(
        [
            str(DBT),
            "build",
            "--select",
            "bsc_measure_catalog bsc_measures",
            "--vars",
            json.dumps(variables),
            "--profiles-dir",
            ".",
            "--project-dir",
            ".",
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=REPO / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert "bsc_ratios_uptime_and_the_org_roll_up" in done.stdout  # the unit test ran
    con = duckdb.connect(str(warehouse), read_only=True)
    got = con.execute(
        "select period, period_end, entity_id, measure_id, round(value, 6), unit, source "
        "from marts.bsc_measures where entity_type = 'team' order by period, measure_id"
    ).fetchall()
    con.close()
    q1 = ("2026-Q1", dt.date(2026, 6, 30), "core")
    assert got == [
        (*q1, "change_failure_rate", 12.5, "% of deployments", "dora_metrics"),
        (*q1, "cost_per_transaction", 1.5, "USD per 1000 transactions", "fct_manual_measures"),
        # 3 customer-reported issues over 2 production services
        (*q1, "customer_reported_bugs", 1.5, "bugs per service", "fct_issues"),
        (*q1, "deployment_frequency", 3.0, "deploys/week per service", "dora_metrics"),
        (*q1, "infra_cost_share", 2.5, "% of revenue", "fct_manual_measures"),
        (*q1, "lead_time", 30.0, "hours (p50)", "dora_metrics"),
        (*q1, "recovery_time", 2.5, "hours (p50)", "dora_metrics"),
        # reviewed PRs merged in the quarter: 12, 30 and 4 hours -> p50 12 (pr5 is in July)
        (*q1, "review_turnaround", 12.0, "hours (p50)", "fct_changes"),
        (*q1, "rework_rate", 5.0, "% of deployments", "dora_metrics"),
        (*q1, "training_completion", 90.0, "% completed", "fct_manual_measures"),
        # 21.84 h lost of 2 services x 91 days x 24 h = 4368 h: 99.5%
        (*q1, "uptime", 99.5, "% of service hours", "fct_incidents"),
        (
            "2026-Q2",
            dt.date(2026, 9, 30),
            "core",
            "review_turnaround",
            200.0,
            "hours (p50)",
            "fct_changes",
        ),
    ]
