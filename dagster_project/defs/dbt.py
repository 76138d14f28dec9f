"""dbt assets: every model, seed and test of dbt_project/ as Dagster assets and checks, in two
steps of the nightly:

dbt_models     staging, intermediate, marts and seeds, after ingestion (the rules read them)
dbt_reporting  the models tagged `reporting` (models/scorecards, models/reporting): the
               balanced scorecard and the reporting views, after the rule and maturity
               assets, before publish

Keys are `<schema>/<alias>` (`marts/fct_deployments`, sources `raw_github/pulls`), so the
ingestion assets link upstream and the rule assets downstream by the same names. The
reporting models' sources (`scorecards.*`, written in Python) are mapped onto the assets that
write them (`source_deps`). The org's settings reach dbt as `--vars` from stature.yml, the
run's as-of date (which the reporting models read) as STATURE_AS_OF and the warehouse path
as STATURE_WAREHOUSE.

The nightly builds models and data tests only: unit tests assume the default vars and run in
`make test`. A model or test that fails does not fail the step: dbt skips what depends on
it, the step yields the models that were built (Dagster then skips only the assets reading
the others), records every node's result in `ops.dbt_results` (build_status) and logs the
failed model with DuckDB's error. On DuckDB dbt runs in the run's own process
(dbt_inprocess.py); on Spark through `stature-dbt`, a child process that dies with the run.

The DORA marts and GitHub's large staging models are incremental (dbt_project/macros/
incremental.sql). The models step rebuilds them in full on its own (`--full-refresh`) when the last build left no record in
ops.dbt_incremental_state, or when the dbt vars or the project's files differ from that
build's (`build_fingerprint`): a new benchmark edition or production pattern changes every
row, and rows an earlier version of a model wrote would otherwise stay.
"""

# No `from __future__ import annotations` here: Dagster checks the type object of the
# `context` annotation, and a string annotation fails that check.
import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from packaging import version

from dagster_project import build_status, engines
from dagster_project.config import StatureConfig
from dagster_project.dbt_child import PARENT_ENV
from dagster_project.defs.dbt_inprocess import InProcessBuild, unique_target_path
from dagster_project.defs.resources import StatureResource, run_as_of
from dagster_project.warehouse import connect

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_DIR = REPO_ROOT / "dbt_project"
MANIFEST = DBT_DIR / "target" / "manifest.json"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
# dbt killed with the run that started it (dagster_project/dbt_child.py); plain dbt if the
# launcher is not installed (an environment set up before it existed: `make setup`).
DBT_GUARDED = Path(sys.executable).with_name("stature-dbt")
KEEP_RUN_TARGETS = 3
REPORTING_TAG = "reporting"
REPORTING_GROUP = "dbt_reporting"  # the Dagster group (and step) of the models tagged reporting

INCREMENTAL_STATE = "ops.dbt_incremental_state"
PROJECT_PARTS = ("models", "macros", "seeds", "tests", "snapshots")

dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


def _project_changed_since(stamp: float) -> bool:
    """Whether a file dbt parses (models, macros, seeds, tests, snapshots, the project file)
    is newer than `stamp`."""
    roots = [DBT_DIR / name for name in PROJECT_PARTS]
    files = [DBT_DIR / "dbt_project.yml", *(f for r in roots if r.is_dir() for f in r.rglob("*"))]
    return any(f.is_file() and f.stat().st_mtime > stamp for f in files)


def ensure_manifest() -> Path:
    """dagster-dbt reads the manifest at import: parse the project if the manifest is missing
    or older than the project (after a `git pull`, a stale manifest would name models that
    no longer exist, or miss new ones, and fail the nightly's dbt step)."""
    if not MANIFEST.exists() or _project_changed_since(MANIFEST.stat().st_mtime):
        subprocess.run(
            [str(DBT_EXECUTABLE), "parse", "--quiet", "--profiles-dir", ".", "--project-dir", "."],
            cwd=DBT_DIR,
            check=True,
        )
    return MANIFEST


class StatureTranslator(DagsterDbtTranslator):
    """Keys `<schema>/<alias>`; a model reading a source named in `source_deps` depends on the
    assets listed there instead (check_results is written by every rule asset, not by one)."""

    def __init__(self, source_deps: Mapping[str, Sequence[dg.AssetDep]] | None = None) -> None:
        super().__init__()
        self.source_deps = {k: list(v) for k, v in (source_deps or {}).items()}

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        name = dbt_resource_props["name"]
        if dbt_resource_props.get("resource_type") == "model":
            name = dbt_resource_props.get("alias") or name
        return dg.AssetKey([dbt_resource_props["schema"], name])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if REPORTING_TAG in (dbt_resource_props.get("tags") or []):
            return REPORTING_GROUP
        schema = dbt_resource_props.get("schema", "")
        return "dbt_" + schema if schema else "dbt"

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any):
        spec = super().get_asset_spec(manifest, unique_id, project)
        if not unique_id.startswith("model.") or not self.source_deps:
            return spec
        deps: list[dg.AssetDep] = []
        for dep in spec.deps:
            replaced = self.source_deps.get(dep.asset_key.to_user_string())
            if replaced is None:
                deps.append(dep)
            else:
                deps += replaced
        unique = list({d.asset_key: d for d in deps}.values())
        return spec.replace_attributes(deps=unique)

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        """Tests as non-blocking checks: dbt itself skips what a failing test guards, and the
        rules read ops.dbt_results. A blocking check would fail the whole dbt step, and
        Dagster would then abandon every asset after it, the unrelated ones included."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        return spec._replace(blocking=False) if spec is not None else None


class StatureDbtCli(DbtCliResource):
    """dagster-dbt's resource without the two probes it makes before every `dbt` command,
    which cost about 5 s per step and give this project nothing: it asks the executable for
    its version (a whole dbt start-up, 3 s; dbt-core's installed version is the same
    answer), and it builds a dbt adapter (2 s) that only the row-count and column-metadata
    fetchers use, which the assets here do not call."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def dbt_resource() -> DbtCliResource:
    executable = DBT_GUARDED if DBT_GUARDED.exists() else DBT_EXECUTABLE
    return StatureDbtCli(
        project_dir=dbt_project, profiles_dir=str(DBT_DIR), dbt_executable=str(executable)
    )


def _prune_run_targets() -> None:
    """dagster-dbt leaves target/<run>-<hash>/ folders behind; keep the newest few."""
    target = DBT_DIR / "target"
    runs = sorted(
        (p for p in target.iterdir() if p.is_dir() and "-" in p.name),
        key=lambda p: p.stat().st_mtime,
    )
    for old in runs[:-KEEP_RUN_TARGETS]:
        shutil.rmtree(old, ignore_errors=True)


def _report_build(
    context: AssetExecutionContext,
    invocation,
    warehouse: Path,
    translator: DagsterDbtTranslator,
):
    """Record what dbt did to every node; an observation (never a materialization) on each
    model that failed or was skipped, with the reason. A build that did not run at all (a
    project that does not parse, a warehouse that cannot be opened) fails the step."""
    try:
        run_results = invocation.get_artifact("run_results.json")
    except FileNotFoundError:
        run_results = None
    if not run_results or not run_results.get("results"):
        error = invocation.get_error()
        raise dg.Failure(
            description=f"dbt build did not run: {error or 'no results (see the step log)'}"
        )
    results = build_status.read_results(run_results, invocation.manifest)
    build_status.record(warehouse, results, run_id=context.run.run_id)
    for result in results:
        if result.resource_type not in build_status.BUILT or result.status == "success":
            continue
        node = invocation.manifest["nodes"].get(result.unique_id)
        if node is None:
            continue
        reason = result.message if result.status == "error" else result.cause
        yield dg.AssetObservation(
            asset_key=translator.get_asset_key(node),
            metadata={"dbt_status": result.status, "reason": reason or ""},
        )
    for line in build_status.problems(results):
        context.log.error(line)
    for line in build_status.set_aside(warehouse, results):
        context.log.warning(line)


def build_fingerprint(dbt_vars: Mapping[str, Any]) -> str:
    """What the incremental models' rows depend on besides the data: the dbt vars (first half)
    and every file dbt reads (second half: models, macros, seeds such as the benchmark
    editions, the project file)."""
    settings = hashlib.sha256(json.dumps(dbt_vars, sort_keys=True, default=str).encode())
    project = hashlib.sha256()
    roots = [DBT_DIR / name for name in PROJECT_PARTS]
    files = [DBT_DIR / "dbt_project.yml", *(f for r in roots if r.is_dir() for f in r.rglob("*"))]
    for path in sorted(f for f in files if f.is_file()):
        project.update(str(path.relative_to(DBT_DIR)).encode() + b"\0" + path.read_bytes())
    return settings.hexdigest()[:8] + project.hexdigest()[:8]


def full_refresh_reason(warehouse: Path, fingerprint: str) -> str | None:
    """Why the models step must rebuild the incremental models from all history, or None."""
    if not Path(warehouse).exists():
        return "first build"
    with connect(warehouse, read_only=True) as con:
        schema, table = INCREMENTAL_STATE.split(".")
        exists = con.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
        row = (
            con.execute(f"select fingerprint from {INCREMENTAL_STATE}").fetchone()
            if exists
            else None
        )
    if row is None:
        return "no complete build of the incremental models recorded"
    if row[0][:8] != fingerprint[:8]:
        return "the dbt vars (stature.yml) changed since the last build"
    if row[0] != fingerprint:
        return "the dbt project's files changed since the last build"
    return None


def incremental_models_built(run_results: Mapping[str, Any] | None, manifest: Mapping) -> bool:
    """Whether this build built every incremental model of the project."""
    wanted = {
        uid
        for uid, node in manifest["nodes"].items()
        if node.get("resource_type") == "model"
        and node.get("config", {}).get("materialized") == "incremental"
    }
    done = {
        r["unique_id"] for r in (run_results or {}).get("results", []) if r["status"] == "success"
    }
    return wanted <= done


def record_incremental_state(warehouse: Path, fingerprint: str | None, *, full: bool) -> None:
    """Keep the fingerprint of a build that built every incremental model; none (so the next
    build is a full one) after a build that failed or skipped one of them."""
    with connect(warehouse) as con:
        con.execute("create schema if not exists ops")
        con.execute(
            f"create table if not exists {INCREMENTAL_STATE} "
            "(fingerprint varchar, full_refresh boolean, built_at timestamptz)"
        )
        con.execute("begin")
        con.execute(f"delete from {INCREMENTAL_STATE}")
        if fingerprint is not None:
            con.execute(
                f"insert into {INCREMENTAL_STATE} values (?, ?, ?)",
                [fingerprint, full, dt.datetime.now(dt.UTC)],
            )
        con.execute("commit")


def reporting_vars(config: StatureConfig, as_of: Any = None) -> dict[str, Any]:
    """What the reporting models need beyond the org's dbt vars: the org's name, the maturity
    ladder and the balanced scorecard's settings (and `as_of`, if given). The nightly passes
    these same vars to both steps and the as-of date in the environment: dbt re-parses the
    whole project whenever its vars differ from the last parse's."""
    bsc = config.balanced_scorecard
    out = {
        **config.dbt_vars(),
        "org_name": config.org.name,
        "maturity_ladder": list(config.ladder_names),
        "bsc_perspectives": list(bsc.perspectives),
        "bsc_trend_flat_band": bsc.trend_flat_band,
    }
    if as_of is not None:
        out["as_of"] = str(as_of)
    return out


def ensure_scorecard_sources(warehouse: Path) -> None:
    """Create the scorecards tables the reporting models read (empty) when no stage has written
    them yet, so the views build; the stages that own them fill them."""
    from dagster_project.maturity.bsc import ensure_schema as bsc_schema
    from dagster_project.maturity.snapshot import ensure_schema as snapshot_schema
    from dagster_project.rules.catalog import ensure_schema as catalog_schema
    from dagster_project.rules.initiatives import ensure_schema as initiatives_schema
    from dagster_project.rules.store import ensure_schema as results_schema

    with connect(warehouse) as con:
        for ensure in (
            results_schema,
            catalog_schema,
            snapshot_schema,
            bsc_schema,
            initiatives_schema,
        ):
            ensure(con)


def _keep_parse_state(invocation) -> None:
    """dagster-dbt starts each build from target/partial_parse.msgpack and leaves the updated
    state in the run's own folder: put it back, so the next step and the next night parse
    only what changed (a full parse of the project costs 5-10 s each time)."""
    fresh = Path(invocation.target_path) / "partial_parse.msgpack"
    if fresh.exists():
        shared = DBT_DIR / "target" / "partial_parse.msgpack"
        with contextlib.suppress(OSError):
            temporary = shared.with_suffix(f".{os.getpid()}.tmp")
            shutil.copyfile(fresh, temporary)
            temporary.replace(shared)


def _build(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: Path,
    dbt_vars: Mapping[str, Any],
    translator: DagsterDbtTranslator,
    *,
    as_of: Any = None,
    full_refresh: bool = False,
    engine_env: Mapping[str, str] | None = None,
):
    """One nightly `dbt build` of the step's selection: models and data tests, never unit
    tests; a failing node blocks only what depends on it (see the module's docstring).
    `full_refresh` rebuilds the incremental models from all history; `engine_env` is the
    engine's part of dbt's environment (dagster_project/engines.py; default DuckDB).

    On DuckDB dbt runs in this process (dbt_inprocess.py); on Spark as a child process
    through `stature-dbt`, so the Spark session and its JVM end with the step."""
    engine_env = engine_env or engines.DUCKDB_ENVIRONMENT
    in_process = engine_env == engines.DUCKDB_ENVIRONMENT
    args = ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(dbt_vars)]
    if full_refresh:
        args.append("--full-refresh")
    env = {"STATURE_WAREHOUSE": str(warehouse), PARENT_ENV: str(os.getpid()), **engine_env}
    if as_of is not None:
        env["STATURE_AS_OF"] = str(as_of)
    # The warehouse path reaches dbt's profile through the environment, set for the step and
    # put back after it (a process that runs several steps or runs must not carry one
    # warehouse into the next); a dbt child process is marked with the run's PID.
    with _environment(**env):
        if in_process:
            invocation = InProcessBuild(
                args,
                context=context,
                translator=translator,
                project=dbt_project,
                target_path=unique_target_path(DBT_DIR, context),
                profiles_dir=DBT_DIR,
            )
            yield from invocation.stream()
        else:
            invocation = dbt.cli(args, context=context, raise_on_error=False)
            try:
                yield from invocation.stream()
            finally:
                # A step that fails mid-stream (a manifest older than the project, an error
                # here) must not leave dbt writing the warehouse behind it.
                if invocation.process.poll() is None:
                    invocation.process.kill()
                    invocation.process.wait()
    _keep_parse_state(invocation)
    yield from _report_build(context, invocation, warehouse, translator)
    _prune_run_targets()
    return invocation.get_artifact("run_results.json"), invocation.manifest


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _prepare_engine(
    context: AssetExecutionContext, config: StatureConfig, warehouse: Path
) -> dict[str, str]:
    """dbt's environment for the configured engine; on Spark, the raw tables written to the
    lake first and the last build's marts cleared."""
    if config.engine != "spark":
        return engines.dbt_environment(config)
    lake = config.lake_path
    if config.spark.method == "session":
        # the run holds the warehouse's lock: a lock file here is a killed run's
        for path in engines.clear_stale_metastore_locks(lake):
            context.log.warning(f"spark: removed a killed run's metastore lock {path}")
    raw_tables = engines.write_raw_tables(warehouse, lake)
    engines.clear_marts(lake)
    context.log.info(f"spark: {len(raw_tables)} raw tables written as Parquet under {lake}")
    return engines.dbt_environment(config, raw_tables)


def _load_spark_marts(
    context: AssetExecutionContext,
    config: StatureConfig,
    warehouse: Path,
    run_results: Mapping[str, Any] | None,
    manifest: Mapping[str, Any],
) -> None:
    """Load into the DuckDB warehouse the marts Spark built in this run."""
    types = engines.built_marts(run_results, manifest)
    loaded = engines.load_marts(warehouse, config.lake_path, types)
    context.log.info(f"spark: {len(loaded)} marts loaded into the warehouse")


def build_dbt_assets(
    source_deps: Mapping[str, Sequence[dg.AssetDep]] | None = None,
) -> list[dg.AssetsDefinition]:
    """[dbt_models, dbt_reporting]; `source_deps` maps a source (`scorecards/check_results`)
    to the assets that write it."""
    translator = StatureTranslator(source_deps)
    manifest = ensure_manifest()

    @dbt_assets(
        manifest=manifest,
        dagster_dbt_translator=translator,
        project=dbt_project,
        name="dbt_models",
        exclude=f"tag:{REPORTING_TAG}",
    )
    def _dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, stature: StatureResource):
        config = stature.load()
        warehouse = stature.warehouse_path(config)
        dbt_vars = reporting_vars(config)  # the reporting step's vars too: one parse state
        # A change of engine rebuilds in full too: the marts Spark wrote are plain tables.
        fingerprint = build_fingerprint({**dbt_vars, "engine": config.engine})
        reason = "asked (--full-refresh)" if stature.full_refresh else None
        reason = reason or full_refresh_reason(warehouse, fingerprint)
        if reason:
            context.log.info(f"dbt: the incremental models are rebuilt in full: {reason}")
        # No record while dbt writes: a build that dies half-way makes the next one full.
        record_incremental_state(warehouse, None, full=bool(reason))
        engine_env = _prepare_engine(context, config, warehouse)
        run_results, manifest = yield from _build(
            context,
            dbt,
            warehouse,
            dbt_vars,
            translator,
            # the reporting step's too, though no model here reads it: dbt re-parses the files
            # that read an environment variable when its value changes, once a night this way
            as_of=run_as_of(context, config),
            full_refresh=reason is not None,
            engine_env=engine_env,
        )
        if config.engine == "spark":
            _load_spark_marts(context, config, warehouse, run_results, manifest)
        built = incremental_models_built(run_results, manifest)
        record_incremental_state(warehouse, fingerprint if built else None, full=bool(reason))

    @dbt_assets(
        manifest=manifest,
        dagster_dbt_translator=translator,
        project=dbt_project,
        name="dbt_reporting",
        select=f"tag:{REPORTING_TAG}",
    )
    def _dbt_reporting(
        context: AssetExecutionContext, dbt: DbtCliResource, stature: StatureResource
    ):
        config = stature.load()
        warehouse = stature.warehouse_path(config)
        ensure_scorecard_sources(warehouse)
        yield from _build(
            context,
            dbt,
            warehouse,
            reporting_vars(config),
            translator,
            as_of=run_as_of(context, config),
            full_refresh=stature.full_refresh,
        )

    return [_dbt_models, _dbt_reporting]
