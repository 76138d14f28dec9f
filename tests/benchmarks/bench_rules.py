"""Rule-engine benchmark (a script that prints figures, not a test).

Builds synthetic marts for 2,000 services in a scratch DuckDB, writes 200 rules modelled on
the starter library (catalog flags, CI runs, deployments, DORA tiers, manual measures,
incidents: every one windowed on `getvariable('as_of')`), then times:

1. one date: `evaluate_rules` for all 200 rules (goal < 10 s on 2 cores);
2. a year of daily backfill: `evaluate_dates` over 365 dates (goal < 5 minutes).

    .venv/bin/python tests/benchmarks/bench_rules.py [--services 2000] [--rules 200] [--days 365]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from dagster_project.config import StatureConfig
from dagster_project.rules.engine import date_range, evaluate_dates, evaluate_rules

AS_OF = dt.date(2026, 11, 15)

SYNTHETIC_MARTS = """
create schema marts;
create table marts.dim_teams as
select 'team-' || i as team_id, 'Team ' || i as name, 0 as service_count from range($teams) t(i);
create table marts.dim_services as
select
    'svc-' || i as service_id, 'Service ' || i as name, 'team-' || (i % $teams) as team_id,
    'system-' || (i % 40) as system, 'service' as type,
    'tier-' || (1 + i % 3) as tier,
    case when i % 17 = 0 then 'deprecated' when i % 11 = 0 then 'experimental' else 'production' end as lifecycle,
    'acme/svc-' || i as repo,
    case when i % 5 <> 0 then 'P' || i end as pagerduty_service_id, null::varchar as opsgenie_team,
    case when i % 4 <> 0 then 'https://wiki.example/runbooks/svc-' || i end as runbook_url,
    i % 4 <> 0 as has_runbook, i % 5 <> 0 as has_oncall,
    case when i % 3 <> 0 then 'https://grafana.example/alerts/svc-' || i end as alerts_url,
    i % 3 <> 0 as has_alerts,
    i % 4 as endpoint_count, greatest(0, i % 4 - (i % 7 = 0)::int) as tls_endpoint_count,
    case when i % 2 = 0 then 99.9 end as slo_target
from range($services) t(i);
create table marts.fct_deployments as
select
    'd-' || i as deployment_id, 'svc-' || (i % $services) as service_id, 'production' as environment,
    timestamptz '2025-06-01 00:00:00+00' + to_seconds((hash(i) % (540 * 86400))::bigint) as deployed_at,
    md5(i::varchar) as sha, 'github' as source, hash(i * 7) % 10 = 0 as is_failure,
    []::varchar[] as failure_reasons, hash(i * 11) % 20 = 0 as is_rework,
    null::timestamptz as recovered_at, (hash(i * 13) % 4800) / 100.0 as recovery_hours
from range($services * 90) t(i);
create table marts.fct_ci_runs as
select
    'r-' || i as run_id, 'svc-' || (i % $services) as service_id,
    ['CI', 'Build', 'Dependency review (SBOM)', 'CodeQL', 'Deploy to production'][(1 + hash(i) % 5)::bigint] as workflow_name,
    case when hash(i * 3) % 10 = 0 then 'failure' else 'success' end as conclusion,
    timestamptz '2025-06-01 00:00:00+00' + to_seconds((hash(i * 5) % (540 * 86400))::bigint) as created_at,
    null::timestamptz as updated_at, hash(i) % 5 = 4 as is_deploy, hash(i) % 5 in (2, 3) as is_security_scan,
    hash(i) % 5 = 2 as is_sbom, hash(i) % 5 = 3 as is_static_analysis
from range($services * 120) t(i);
create table marts.fct_incidents as
select
    'inc-' || i as incident_id, 'svc-' || (hash(i) % $services) as service_id, 'pagerduty' as source,
    'SEV' || (1 + i % 3) as severity,
    timestamptz '2025-06-01 00:00:00+00' + to_seconds((hash(i * 5) % (540 * 86400))::bigint) as created_at,
    null::timestamptz as resolved_at, (hash(i * 7) % 20000) / 100.0 as restore_hours, null::varchar as deployment_id
from range($services * 8) t(i);
create table marts.dora_metrics as
with months as (select unnest(generate_series(date '2025-01-01', date '2026-12-01', interval 1 month))::date as period_start)
select
    'month' as period_grain, m.period_start, strftime(m.period_start, '%Y-%m') as period_label,
    'service' as entity_type, 'svc-' || i as entity_id, (hash(i, m.period_start) % 40)::int as deployments,
    (hash(i, m.period_start) % 20)::int as deploy_days, (hash(i, m.period_start) % 400) / 40.0 as deployment_frequency,
    (hash(i * 3, m.period_start) % 5000) / 10.0 as lead_time_p50_hours, null::double as lead_time_p75_hours,
    null::double as lead_time_p90_hours, (hash(i * 5, m.period_start) % 50) / 100.0 as change_failure_rate,
    (hash(i * 7, m.period_start) % 3000) / 10.0 as recovery_time_p50_hours, 0.05 as rework_rate,
    10 as changes, 1 as failed_deployments,
    ['elite', 'high', 'medium', 'low'][(1 + hash(i, m.period_start) % 4)::bigint] as deployment_frequency_tier,
    ['elite', 'high', 'medium', 'low'][(1 + hash(i * 3, m.period_start) % 4)::bigint] as lead_time_tier,
    ['elite', 'high', 'medium', 'low'][(1 + hash(i * 5, m.period_start) % 4)::bigint] as change_failure_rate_tier,
    ['elite', 'high', 'medium', 'low'][(1 + hash(i * 7, m.period_start) % 4)::bigint] as recovery_time_tier,
    '2023' as benchmark_edition
from range($services) t(i), months m;
create table marts.fct_manual_measures as
with months as (select unnest(generate_series(date '2025-01-01', date '2026-12-01', interval 1 month))::date as period_start)
select
    m.period_start, (m.period_start + interval 1 month - interval 1 day)::date as period_end, 'month' as period_grain,
    'service' as entity_type, 'svc-' || i as entity_id, 'slo_compliance' as measure_id,
    90 + (hash(i, m.period_start) % 1000) / 100.0 as value, 'percent' as unit, 'inputs/slo.csv' as source
from range($services) t(i), months m where i % 2 = 0;
"""

TEMPLATES = [
    # (entity table flags)
    "select service_id, tls_endpoint_count / endpoint_count as value from marts.dim_services where endpoint_count > 0",
    "select service_id, case when has_runbook then 'pass' else 'fail' end as status, runbook_url as evidence_url from marts.dim_services",
    # (CI runs in a window)
    """select s.service_id, count(r.run_id) as value, 'last run: ' || coalesce(max(r.created_at)::date::varchar, 'never') as note
from marts.dim_services s
left join marts.fct_ci_runs r on r.service_id = s.service_id and r.is_sbom and r.conclusion = 'success'
    and r.created_at < getvariable('as_of') + interval 1 day and r.created_at >= getvariable('as_of') - interval {w} day
group by s.service_id""",
    # (deployments per week)
    """select s.service_id, count(d.deployment_id) / ({w} / 7.0) as value
from marts.dim_services s
left join marts.fct_deployments d on d.service_id = s.service_id
    and d.deployed_at < getvariable('as_of') + interval 1 day and d.deployed_at >= getvariable('as_of') - interval {w} day
group by s.service_id""",
    # (DORA tier of the last complete month)
    """select entity_id as service_id, lead_time_p50_hours as value,
    case lower(lead_time_tier) when 'elite' then 'pass' when 'high' then 'pass' when 'medium' then 'warn' when 'low' then 'fail' end as status
from marts.dora_metrics
where entity_type = 'service' and period_grain = 'month'
  and period_start = date_trunc('month', getvariable('as_of') - interval {m} month)::date""",
    # (manual measure of the last month)
    """select entity_id as service_id, value
from marts.fct_manual_measures
where measure_id = 'slo_compliance' and entity_type = 'service' and period_grain = 'month'
  and period_start = date_trunc('month', getvariable('as_of') - interval 1 month)::date""",
    # (incidents: median restore time)
    """select service_id, median(restore_hours) as value, count(*) || ' incidents' as note
from marts.fct_incidents
where created_at < getvariable('as_of') + interval 1 day and created_at >= getvariable('as_of') - interval {w} day
group by service_id""",
]


def build(path: Path, services: int, teams: int) -> None:
    con = duckdb.connect(str(path))
    try:
        sql = SYNTHETIC_MARTS.replace("$services", str(services)).replace("$teams", str(teams))
        con.execute("SET TimeZone = 'UTC'")
        con.execute(sql)
    finally:
        con.close()


def write_rules(rules_dir: Path, n: int) -> None:
    scorecards = ["security", "production_readiness", "engineering_maturity", "dora"]
    for i in range(n):
        template = TEMPLATES[i % len(TEMPLATES)]
        sql = template.format(w=7 * (1 + i % 8), m=1 + i % 3)
        scorecard = scorecards[i % len(scorecards)]
        folder = rules_dir / scorecard
        folder.mkdir(parents=True, exist_ok=True)
        applies = "\napplies_to: \"lifecycle = 'production'\"" if i % 3 == 0 else ""
        text = (
            f"/*---\nid: bench_{i:03d}\ntitle: Benchmark rule {i}\nscorecard: {scorecard}\n"
            f"level: {2 + i % 4}\nowner: platform-team\n"
            f'thresholds: {{pass: ">= {(i % 5) / 4:g}", warn: ">= 0"}}{applies}\n---*/\n{sql}\n'
        )
        (folder / f"bench_{i:03d}.sql").write_text(text)


def cpu_seconds() -> float:
    """CPU time of this process (all threads): the work done, whatever else the machine runs."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.platform()}, Python {platform.python_version()}, duckdb {duckdb.__version__}, {os.cpu_count()} CPUs ({cpu})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--skip-backfill", action="store_true")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="stature-bench-") as tmp:
        tmp_path = Path(tmp)
        warehouse, rules_dir = tmp_path / "bench.duckdb", tmp_path / "rules_sql"
        t0 = time.perf_counter()
        build(warehouse, args.services, max(1, args.services // 40))
        write_rules(rules_dir, args.rules)
        print(
            f"synthetic marts: {args.services} services, {args.rules} rules, built in {time.perf_counter() - t0:.1f} s"
        )
        config = StatureConfig()

        t0, c0 = time.perf_counter(), cpu_seconds()
        report = evaluate_rules(
            config, warehouse=warehouse, rules_dir=rules_dir, as_of=AS_OF, run_id="bench-1"
        )
        one, one_cpu = time.perf_counter() - t0, cpu_seconds() - c0
        print(
            f"one date: {args.rules} rules x {args.services} services = {report.rows_written:,} "
            f"results in {one:.2f} s wall, {one_cpu:.2f} s CPU (goal < 10 s); "
            f"load average {load_average()}"
        )
        print(f"  {report.summary().splitlines()[0]}")
        if not report.ok:
            print(report.summary())
            return 1
        if args.skip_backfill:
            return 0

        dates = date_range(AS_OF - dt.timedelta(days=args.days - 1), AS_OF)
        started = time.perf_counter()

        def progress(done: int, total: int, label: str) -> None:
            if done % (args.rules * 30) == 0 or done == total:
                elapsed = time.perf_counter() - started
                print(
                    f"  [{done // args.rules}/{len(dates)} dates] {label.split()[0]} {elapsed:.0f} s",
                    flush=True,
                )

        t0, c0 = time.perf_counter(), cpu_seconds()
        report = evaluate_dates(
            config,
            warehouse=warehouse,
            rules_dir=rules_dir,
            dates=dates,
            run_id="bench-backfill",
            progress=progress,
            workers=args.workers,
        )
        year, year_cpu = time.perf_counter() - t0, cpu_seconds() - c0
        print(
            f"backfill: {len(dates)} daily dates x {args.rules} rules = {report.rows_written:,} results in "
            f"{year:.1f} s wall ({year / 60:.1f} min; goal < 5 min), {year_cpu:.1f} s CPU; "
            f"warehouse {warehouse.stat().st_size / 1e6:.0f} MB; load average {load_average()}"
        )
        return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
