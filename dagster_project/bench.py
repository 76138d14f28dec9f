"""`stature bench`: how long the nightly takes at a given org size, stage by stage, for a full
build and for a one-day increment, beside a bare DuckDB query over the same files.

For each size it generates the sample org (NDJSON bundles) as it stood on day D and on day
D+1 (the same story, `--export-at`), then runs the real `stature run` as a child process:
once on an empty warehouse over day D (the full build), once more over day D+1 (the nightly
increment). Stages come from the step timings Dagster records for the run (in the bench's
own Dagster home: the nightly and any continuation of it); peak memory is the largest process
of the run (dbt included). The reference is a hand-written DuckDB query that reads every
file and computes monthly DORA figures per service, and DuckDB's `read_json` over the export
gives the rate ingestion is compared with. The figures are measurements, never assertions.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.config import ENGINES
from dagster_project.report.sizes import (
    PAGE_BUDGET_BYTES,
    PAGE_KINDS,
    KindSizes,
    SiteSizes,
    kilobytes,
    site_sizes,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
STATURE = Path(sys.executable).with_name("stature")
STAGES = ("ingest", "dbt", "rules", "snapshots", "publish", "report", "other")
STORY_END = dt.date(2026, 11, 16)  # the benchmark org's story ends the day after day D

# Monthly DORA figures per repo straight from the export files: production deployments
# (GitHub deployments with a success status in a production environment, and successful
# production deploy runs), deploy days, lead time p50 (first commit of a merged PR to the
# first production deployment of its repo after the merge), and incident restore time p50.
BARE_QUERY = """
with statuses as (
    select d.deployment_id, unnest(d.items, max_depth := 2)
    from read_json('{root}/github/*/*/deployment_statuses.ndjson',
                   format='newline_delimited', filename=true) as d
),
deployments as (
    select regexp_extract(filename, 'github/([^/]+/[^/]+)/', 1) as repo, unnest(d, max_depth := 2)
    from read_json('{root}/github/*/*/deployments*.json', format='array', filename=true) as d
),
prod_deploys as (
    select dep.repo, dep.id as deployment_id, min(s.created_at::timestamptz) as deployed_at
    from deployments as dep
    join statuses as s on s.deployment_id = dep.id and s.state = 'success'
    where regexp_matches(dep.environment, '(?i)^prod(uction)?$')
    group by all
    union all
    select regexp_extract(filename, 'github/([^/]+/[^/]+)/', 1), r.id, r.updated_at::timestamptz
    from (
        select filename, unnest(workflow_runs, max_depth := 2)
        from read_json('{root}/github/*/*/workflow_runs*.json', filename=true)
    ) as r
    where regexp_matches(r.name, '(?i)deploy') and regexp_matches(r.name, '(?i)prod')
      and r.conclusion = 'success'
),
pulls as (
    select regexp_extract(filename, 'github/([^/]+/[^/]+)/', 1) as repo, unnest(p, max_depth := 2)
    from read_json('{root}/github/*/*/pulls*.json', format='array', filename=true) as p
),
first_commits as (
    select regexp_extract(filename, 'github/([^/]+/[^/]+)/', 1) as repo, c.number,
           min(list_min([i.commit.author."date"::timestamptz for i in c.items])) as first_at
    from read_json('{root}/github/*/*/pull_commits.ndjson',
                   format='newline_delimited', filename=true) as c
    group by all
),
changes as (
    select p.repo, p.number, f.first_at,
           (select min(d.deployed_at) from prod_deploys as d
            where d.repo = p.repo and d.deployed_at >= p.merged_at::timestamptz) as deployed_at
    from pulls as p
    join first_commits as f on f.repo = p.repo and f.number = p.number
    where p.merged_at is not null
),
incidents as (
    select i.service.id as pd_service, i.created_at::timestamptz as created_at,
           i.resolved_at::timestamptz as resolved_at
    from (select unnest(incidents, max_depth := 2)
          from read_json('{root}/pagerduty/incidents*.json')) as i
),
months as (
    select repo, date_trunc('month', deployed_at) as month, count(*) as deployments,
           count(distinct deployed_at::date) as deploy_days
    from prod_deploys group by all
),
lead as (
    select repo, date_trunc('month', deployed_at) as month,
           quantile_cont(epoch(deployed_at) - epoch(first_at), 0.5) / 3600 as lead_p50_hours
    from changes where deployed_at is not null group by all
)
select m.repo, m.month, m.deployments, m.deploy_days, l.lead_p50_hours,
       (select count(*) from incidents) as incidents,
       (select quantile_cont(epoch(resolved_at) - epoch(created_at), 0.5) / 3600
        from incidents where resolved_at is not null) as restore_p50_hours
from months as m left join lead as l using (repo, month)
order by all
"""

# DuckDB's own reader over the same GitHub files (most of the export): every record as JSON.
READ_JSON_QUERY = """
select sum(n) from (
    select count(*) as n from read_json(
        ['{root}/github/*/*/pulls*.json', '{root}/github/*/*/commits*.json',
         '{root}/github/*/*/deployments*.json', '{root}/github/*/*/issues*.json'],
        format='array', records=false)
    union all
    select count(*) from read_json('{root}/github/*/*/workflow_runs*.json', records=false)
    union all
    select count(*) from read_json('{root}/github/*/*/*.ndjson', format='newline_delimited',
                                   records=false)
)
"""


@dataclass
class RunFigures:
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # user + system of the run and its children: what load hides
    peak_mb: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)
    exit_status: int = 0
    site: SiteSizes | None = None  # the site the run left in the published folder


@dataclass
class EngineFigures:
    """The two runs (full build, one-day increment) of one size on one engine."""

    engine: str
    full: RunFigures = field(default_factory=RunFigures)
    increment: RunFigures = field(default_factory=RunFigures)


@dataclass
class SizeFigures:
    services: int
    days: int
    files: int = 0
    megabytes: float = 0.0
    generate_seconds: float = 0.0
    bare_seconds: float = 0.0
    bare_cpu_seconds: float = 0.0
    read_json_seconds: float = 0.0
    runs: list[EngineFigures] = field(default_factory=list)  # one per engine, in order


def stage_of(step: str) -> str:
    """The benchmark's stage of a nightly step (step keys as the Definitions name them)."""
    if step.startswith("ingest_"):
        return "ingest"
    if step.startswith("dbt_"):
        return "dbt"
    if step == "rules":  # every rule file, one step
        return "rules"
    if step.startswith("scorecards__"):  # maturity snapshots, bsc targets, initiatives
        return "snapshots"
    if step.startswith("published__stature"):  # the read-only copy (and its freshness check)
        return "publish"
    return "report"


def stages_of(steps: dict[str, float], wall: float) -> dict[str, float]:
    out = dict.fromkeys(STAGES, 0.0)
    for step, seconds in steps.items():
        out[stage_of(step)] += seconds
    # start-up (Definitions, dbt manifest), the summary and whatever ran between steps
    out["other"] = max(0.0, wall - sum(out.values()))
    return out


def _run_ids(dagster_home: Path) -> set[str]:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        return {run.run_id for run in instance.get_runs()}


def _step_seconds(dagster_home: Path, before: set[str]) -> dict[str, float]:
    """Seconds per step of the runs not in `before` (a nightly and its continuation)."""
    import dagster as dg

    out: dict[str, float] = {}
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        for run in instance.get_runs():
            if run.run_id in before:
                continue
            for stats in instance.get_run_step_stats(run.run_id):
                if stats.start_time is not None and stats.end_time is not None:
                    seconds = stats.end_time - stats.start_time
                    out[stats.step_key] = out.get(stats.step_key, 0.0) + seconds
    return out


def machine() -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO_ROOT
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    ).stdout.strip()
    cpus = len(os.sched_getaffinity(0))
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{platform.machine()}, {cpus} cores, {memory:.0f} GiB, Python "
        f"{platform.python_version()}, commit {commit or '?'}{' (modified)' if dirty else ''}, "
        f"load average {load} at start"
    )


def _generate(out: Path, services: int, days: int, export_at: dt.date) -> float:
    started = time.perf_counter()
    subprocess.run(
        [
            str(STATURE), "sample-org", "--out", str(out), "--end", STORY_END.isoformat(),
            "--export-at", export_at.isoformat(), "--days", str(days),
            "--services", str(services), "--teams", str(max(4, services // 10)), "--ndjson",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - started


def run_config(workdir: Path, engine: str) -> Path:
    """A config like the demo's on `engine`, writing everything under `workdir`: its own
    warehouse, published folder and (on Spark) the lake next to the warehouse. The demo's own
    `engine:` line, paths and `spark.lake` are left out, so each key is given once."""
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: one of {', '.join(ENGINES)}")
    text = (REPO_ROOT / "stature.yml").read_text()
    lines = []
    block = ""  # the top-level key the line belongs to
    for line in text.splitlines():
        if line[:1].isalpha():
            block = line.split(":", 1)[0]
        if line.startswith(("warehouse:", "published_dir:", "export_dir:", "engine:")):
            continue
        if block == "spark" and line.strip().startswith("lake:"):
            continue  # the lake goes next to this run's warehouse
        lines.append(line.replace("dir: rules_sql", f"dir: {REPO_ROOT / 'rules_sql'}"))
    lines += [
        f"engine: {engine}",
        f"warehouse: {workdir / 'warehouse.duckdb'}",
        f"published_dir: {workdir / 'pub'}",
    ]
    path = workdir / "stature.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(
    config: Path, engine: str, export: Path, as_of: dt.date, workdir: Path, log: Path
) -> RunFigures:
    """One `stature run` as a child process: wall time, peak memory, seconds per stage."""
    home = workdir / "dg"
    home.mkdir(parents=True, exist_ok=True)
    # the config names the engine; $STATURE_ENGINE would win over it, so it says the same
    env = {**os.environ, "DAGSTER_HOME": str(home), "STATURE_ENGINE": engine}
    env.pop("STATURE_WAREHOUSE", None)  # would win over the run's own warehouse
    before = _run_ids(home)
    command = [
        str(STATURE), "run", "--config", str(config), "--export-dir", str(export),
        "--as-of", as_of.isoformat(),
    ]  # fmt: skip
    started = time.perf_counter()
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out, env=env, cwd=workdir)
        _, status, usage = os.wait4(process.pid, 0)
    figures = RunFigures(seconds=time.perf_counter() - started)
    # ru_maxrss of a waited child covers its own descendants (dbt): the largest of them
    figures.peak_mb = usage.ru_maxrss / 1024
    figures.cpu_seconds = usage.ru_utime + usage.ru_stime
    figures.exit_status = os.waitstatus_to_exitcode(status)
    figures.stages = stages_of(_step_seconds(home, before), figures.seconds)
    site = workdir / "pub" / "report"  # published_dir of the bench's config
    figures.site = site_sizes(site) if (site / "index.html").is_file() else None
    return figures


def _timed_query(sql: str) -> tuple[float, float]:
    """Wall and CPU seconds (DuckDB's threads run in this process) of one query."""
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    try:
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        con.execute(sql).fetchall()
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    finally:
        con.close()


def _folder_size(root: Path) -> tuple[int, float]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files) / 2**20


def measure(
    services: int, days: int, workdir: Path, log: Path, engines: Sequence[str] = ("duckdb",)
) -> SizeFigures:
    """Generate the org at this size, then time the bare query and, on each engine in its own
    run folder (warehouse, lake, published folder, Dagster home), a full run and an
    increment over the same files."""
    figures = SizeFigures(services, days)
    day1, day2 = workdir / "export-day1", workdir / "export-day2"
    as_of1, as_of2 = STORY_END - dt.timedelta(days=1), STORY_END
    figures.generate_seconds = _generate(day1, services, days, as_of1)
    _generate(day2, services, days, as_of2)
    figures.files, figures.megabytes = _folder_size(day1)
    figures.bare_seconds, figures.bare_cpu_seconds = _timed_query(BARE_QUERY.format(root=day1))
    figures.read_json_seconds, _ = _timed_query(READ_JSON_QUERY.format(root=day1))
    for engine in engines:
        run_dir = workdir / f"run-{engine}"
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)
        config = run_config(run_dir, engine)
        runs = EngineFigures(engine)
        runs.full = _run(config, engine, day1, as_of1, run_dir, log)
        runs.increment = _run(config, engine, day2, as_of2, run_dir, log)
        figures.runs.append(runs)
    return figures


def table(results: list[SizeFigures]) -> str:
    """One Markdown table: a column per (size, engine, full | increment). The engine is in the
    headers only when a size ran on more than DuckDB (`12 svc spark full`); the reference rows
    (the bare query, the export) are once per size, in its first column."""
    named = any(run.engine != "duckdb" or len(r.runs) > 1 for r in results for run in r.runs)
    # (size, engine's runs, first of its size): one pair of columns each
    pairs = [(r, run, i == 0) for r in results for i, run in enumerate(r.runs)]
    header = ["stage"]
    for r, run, _ in pairs:
        label = f"{r.services} svc {run.engine}" if named else f"{r.services} svc"
        header += [f"{label} full", f"{label} +1 day"]
    rows: list[list[str]] = []
    for stage in STAGES:
        row = [stage]
        for _, run, _ in pairs:
            row += [
                f"{run.full.stages.get(stage, 0):.1f} s",
                f"{run.increment.stages.get(stage, 0):.1f} s",
            ]
        rows.append(row)

    def both(full: str, increment: str = "") -> list[str]:
        """A cell per run from its figures (`{f}`: full or increment; `{r}`: the size)."""
        return [
            cell
            for r, run, _ in pairs
            for cell in (full.format(r=r, f=run.full), increment.format(r=r, f=run.increment))
        ]

    def once(text: str) -> list[str]:
        """The size's cell in its first column, the rest blank."""
        return [cell for r, _, first in pairs for cell in (text.format(r=r) if first else "", "")]

    rows.append(
        ["**total (`stature run`)**", *both("**{f.seconds:.1f} s**", "**{f.seconds:.1f} s**")]
    )
    rows.append(
        ["CPU time (user + system)", *both("{f.cpu_seconds:.0f} s", "{f.cpu_seconds:.0f} s")]
    )
    rows.append(["peak memory", *both("{f.peak_mb:,.0f} MB", "{f.peak_mb:,.0f} MB")])
    rows.append(["exit status", *both("{f.exit_status}", "{f.exit_status}")])
    rows.append(
        [
            "bare DuckDB query, same files",
            *once("{r.bare_seconds:.1f} s ({r.bare_cpu_seconds:.0f} s CPU)"),
        ]
    )
    ratio = [
        cell
        for r, run, _ in pairs
        for cell in (
            f"{run.full.seconds / r.bare_seconds:.1f}x wall, "
            f"{run.full.cpu_seconds / max(r.bare_cpu_seconds, 0.01):.1f}x CPU"
            if r.bare_seconds
            else "?",
            "",
        )
    ]
    rows.append(["full run / bare query", *ratio])
    rate = []
    for r, run, _ in pairs:
        ingest = run.full.stages.get("ingest", 0.0)
        mine = r.megabytes / ingest if ingest else 0.0
        duck = r.megabytes / r.read_json_seconds if r.read_json_seconds else 0.0
        rate += [
            f"{mine:.0f} MB/s vs read_json {duck:.0f} MB/s ({mine / duck:.0%})" if duck else "?",
            "",
        ]
    rows.append(["export ingestion rate", *rate])
    rows.append(["export", *once("{r.files:,} files, {r.megabytes:,.0f} MB")])
    rows += site_rows(results)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)  # fmt: skip


def site_rows(results: list[SizeFigures]) -> list[list[str]]:
    """The site each run left: its pages and bytes in all, the largest page of each kind,
    and whether every page is within the budget."""

    def cells(describe: Callable[[SiteSizes], str]) -> list[str]:
        runs = [run for r in results for e in r.runs for run in (e.full, e.increment)]
        return [describe(run.site) if run.site else "no site" for run in runs]

    rows = [
        ["site: pages, size", *cells(lambda s: f"{s.pages:,} pages, {s.total_bytes / 1e6:,.1f} MB")]
    ]
    for kind in PAGE_KINDS:
        rows.append([f"largest {kind} page", *cells(lambda s, k=kind: largest_page(s.kinds[k]))])
    rows.append(
        [
            f"every page under {PAGE_BUDGET_BYTES / 1e6:g} MB",
            *cells(lambda s: "yes" if s.within_budget else f"**no**: {largest_page(s.largest)}"),
        ]
    )
    return rows


def largest_page(kind: KindSizes) -> str:
    """`standards/x.html 134 KB (of 40 pages, 2,100 KB in all)`"""
    if not kind.pages:
        return "none"
    return (
        f"{kind.largest} {kilobytes(kind.largest_bytes)} "
        f"(of {kind.pages:,} pages, {kilobytes(kind.total_bytes)} in all)"
    )


def run_bench(
    sizes: list[int],
    days: int,
    workdir: Path,
    keep: bool = False,
    engines: Sequence[str] = ("duckdb",),
) -> str:
    """Each size generated once and run on each engine in `engines` (in order); the table."""
    engines = list(dict.fromkeys(engines))  # each once, in the order given
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "bench.log"
    header = f"Stature benchmark on {machine()}; {days} days of history, {dt.date.today()}"
    if engines != ["duckdb"]:
        header += f"; engines {', '.join(engines)}"
    print(header, flush=True)
    results = []
    for services in sizes:
        print(f"  {services} services: generating, then a full run and a one-day increment "
              f"on {', '.join(engines)} (log: {log})", flush=True)  # fmt: skip
        figures = measure(services, days, workdir / f"org-{services}", log, engines)
        results.append(figures)
        if not keep:
            shutil.rmtree(workdir / f"org-{services}", ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out = f"{header}\n\n{table(results)}\n\n(largest child process overall: {peak:,.0f} MB)"
    print("\n" + out.split("\n\n", 1)[1], flush=True)
    return out
