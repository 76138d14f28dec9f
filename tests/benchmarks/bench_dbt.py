"""dbt transform benchmark (a script that prints figures, not a test).

1. A large org: the sample-org generator at 2,000 services and one year of history
   (ndjson export), ingested into a scratch warehouse, then `dbt build` (models, data tests
   and unit tests) timed. Goal: under 3 minutes on 2 cores.
2. Commit-graph linkage scaling: synthetic repos (linear mainline, a merged side branch every
   10 commits, a deployment every 5 mainline commits) at growing history lengths; times the
   models that link commits to deployments. Close to linear means the time per commit stays
   flat as history grows.

    .venv/bin/python -m tests.benchmarks.bench_dbt [--services 2000] [--days 365]
        [--workdir DIR] [--reuse] [--skip-org] [--skip-scaling]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[2]
DBT_DIR = ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
LINKAGE_MODELS = (
    "int_commits_mainline_ranked",
    "int_commits_branch_walked",
    "int_changes_identified",
    "int_deployments_positioned",
    "int_changes_linked",
)


def load_average() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def run_dbt(warehouse: Path, workdir: Path, *args: str) -> tuple[float, dict]:
    """Run dbt against `warehouse`; returns (wall seconds, run_results.json)."""
    target = workdir / "dbt_target"
    env = {
        **os.environ,
        "STATURE_WAREHOUSE": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [
        str(DBT), *args,
        "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
        "--target-path", str(target), "--log-path", str(workdir / "dbt_logs"),
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=DBT_DIR, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stdout[-4000:], done.stderr[-2000:])
        raise SystemExit(f"dbt {' '.join(args)} failed")
    return wall, json.loads((target / "run_results.json").read_text())


def node_seconds(results: dict) -> dict[str, float]:
    return {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results["results"]}


# --- 1. the large org -------------------------------------------------------------------------


def bench_org(workdir: Path, services: int, days: int, teams: int, reuse: bool) -> None:
    from ingestion import ingest_export
    from ingestion.sample_org import generate_sample_org

    export = workdir / "export"
    warehouse = workdir / "warehouse.duckdb"
    if not (reuse and export.is_dir()):
        started = time.perf_counter()
        summary = generate_sample_org(
            export, services=services, teams=teams, days=days, ndjson=True
        )
        print(f"generate {services} services x {days} days: {time.perf_counter() - started:.0f} s")
        print("  records: " + ", ".join(f"{k} {v:,}" for k, v in summary["records"].items()))
        warehouse.unlink(missing_ok=True)
    if not (reuse and warehouse.exists()):
        started = time.perf_counter()
        report = ingest_export(export, warehouse)
        print(f"ingest (export mode): {time.perf_counter() - started:.0f} s, ok={report.ok}")

    print(f"load average before dbt: {load_average()}")
    # the marts, as the dbt_models asset builds them (the reporting models need scorecards.*)
    wall, results = run_dbt(warehouse, workdir, "build", "--exclude", "tag:reporting")
    # the models' own seconds: a test's unique_id ends in a hash, never a model's name
    models = {
        r["unique_id"].split(".")[-1]: r["execution_time"]
        for r in results["results"]
        if r["unique_id"].startswith("model.")
    }
    print(
        f"dbt build: {wall:.0f} s wall (dbt {results['elapsed_time']:.0f} s; goal < 180 s), "
        f"{len(results['results'])} nodes, all passed"
    )
    print(
        "  slowest nodes: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(models.items(), key=lambda kv: -kv[1])[:8])
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in ("fct_deployments", "fct_changes", "fct_incidents", "dora_metrics"):
            (count,) = con.execute(f"select count(*) from marts.{table}").fetchone()
            print(f"  marts.{table}: {count:,} rows")
        (coverage,) = con.execute(
            "select avg(case when linkage = 'graph' then 1.0 else 0.0 end) from marts.fct_changes where linkage is not null"
        ).fetchone()
        print(f"  linkage coverage (graph): {coverage:.1%}")


# --- 2. linkage scaling -----------------------------------------------------------------------

SYNTHETIC_RAW = """
insert into raw_catalog.entities
select 'Component', 'default', 'svc-' || r, '{"kind": "Component", "metadata": {"name": "svc-' || r
    || '", "annotations": {"github.com/project-slug": "acme/svc-' || r
    || '"}}, "spec": {"owner": "team-' || (r % 20) || '", "lifecycle": "production"}}', 'bench', 'bench', 'b' || r
from range($repos) t(r);

-- mainline commit i of repo r: sha m<r>-<i>, first parent m<r>-<i-1>; every 10th is a merge
-- of a two-commit side branch b<r>-<i>-1 <- b<r>-<i>-2 forked from m<r>-<i-2>.
create temp table mainline as
select r, i, timestamptz '2025-01-01 00:00:00+00' + to_seconds(i * 3600) as landed
from range($repos) t1(r), range($length) t2(i);

insert into raw_github.commits
select 'acme/svc-' || r, 'm' || r || '-' || i,
    json_object(
        'sha', 'm' || r || '-' || i,
        'commit', json_object('author', json_object('date', strftime(landed, '%Y-%m-%dT%H:%M:%SZ')),
                              'committer', json_object('date', strftime(landed, '%Y-%m-%dT%H:%M:%SZ')),
                              'message', 'change ' || i),
        'parents', case
            when i = 0 then json_array()
            when i % 10 = 0 and i >= 2 then json_array(json_object('sha', 'm' || r || '-' || (i - 1)),
                                                      json_object('sha', 'b' || r || '-' || i || '-2'))
            else json_array(json_object('sha', 'm' || r || '-' || (i - 1))) end),
    'bench', 'bench', 'c' || r || '-' || i
from mainline;

insert into raw_github.commits
select 'acme/svc-' || r, 'b' || r || '-' || i || '-' || k,
    json_object(
        'sha', 'b' || r || '-' || i || '-' || k,
        'commit', json_object('author', json_object('date', strftime(landed - to_seconds(3000 - k * 600), '%Y-%m-%dT%H:%M:%SZ')),
                              'committer', json_object('date', strftime(landed - to_seconds(3000 - k * 600), '%Y-%m-%dT%H:%M:%SZ')),
                              'message', 'branch ' || i || '/' || k),
        'parents', json_array(json_object('sha', case when k = 1 then 'm' || r || '-' || (i - 2)
                                                      else 'b' || r || '-' || i || '-1' end))),
    'bench', 'bench', 'b' || r || '-' || i || '-' || k
from mainline, range(1, 3) t(k)
where i % 10 = 0 and i >= 2;

insert into raw_github.deployments
select 'acme/svc-' || r, r * 1000000 + i, landed + to_seconds(1800),
    json_object('id', r * 1000000 + i, 'sha', 'm' || r || '-' || i, 'environment', 'production',
                'created_at', strftime(landed + to_seconds(1800), '%Y-%m-%dT%H:%M:%SZ')),
    'bench', 'bench', 'd' || r || '-' || i
from mainline
where i % 5 = 4;

insert into raw_github.deployment_statuses
select 'acme/svc-' || r, r * 1000000 + i, r * 1000000 + i,
    json_object('id', r * 1000000 + i, 'state', 'success',
                'created_at', strftime(landed + to_seconds(2400), '%Y-%m-%dT%H:%M:%SZ')),
    'bench', 'bench', 's' || r || '-' || i
from mainline
where i % 5 = 4;
"""


def bench_scaling(workdir: Path, repos: int, lengths: list[int]) -> None:
    from tests.support.raw_fixture import create_raw_tables

    print(f"commit-graph linkage, {repos} repos; time of {', '.join(LINKAGE_MODELS)}")
    select = " ".join(LINKAGE_MODELS)
    for length in lengths:
        warehouse = workdir / f"scaling_{length}.duckdb"
        warehouse.unlink(missing_ok=True)
        with duckdb.connect(str(warehouse)) as con:
            con.execute("SET TimeZone = 'UTC'")
            create_raw_tables(con)
            con.execute(SYNTHETIC_RAW.replace("$repos", str(repos)).replace("$length", str(length)))
            (commits,) = con.execute("select count(*) from raw_github.commits").fetchone()
        run_dbt(
            warehouse,
            workdir,
            "run",
            "--select",
            f"+{LINKAGE_MODELS[-1]}",
            "--exclude",
            LINKAGE_MODELS[-1],
        )
        _, results = run_dbt(warehouse, workdir, "run", "--select", select)
        linkage = sum(node_seconds(results).values())
        print(
            f"  {length:>5} mainline commits per repo ({commits:,} commits): "
            f"{linkage:.1f} s, {linkage / commits * 1e6:.1f} us per commit"
        )
        warehouse.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--teams", type=int, default=80)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--workdir", type=Path, help="keep the export and warehouse here")
    parser.add_argument("--reuse", action="store_true", help="reuse the workdir's export/warehouse")
    parser.add_argument("--skip-org", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--scaling-repos", type=int, default=200)
    parser.add_argument("--scaling-lengths", default="250,500,1000,2000")
    args = parser.parse_args(argv)
    cpus = len(os.sched_getaffinity(0))
    print(f"{cpus} cores; load average {load_average()}")
    with tempfile.TemporaryDirectory(prefix="stature-bench-dbt-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        if not args.skip_org:
            bench_org(workdir, args.services, args.days, args.teams, args.reuse)
        if not args.skip_scaling:
            lengths = [int(x) for x in args.scaling_lengths.split(",")]
            bench_scaling(workdir, args.scaling_repos, lengths)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
