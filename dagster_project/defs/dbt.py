"""dbt assets: every model, seed and test of dbt_project/ as Dagster assets and checks, in two
steps of the nightly:

dbt_models     staging, intermediate, marts and seeds, after ingestion (the rules read them)
dbt_reporting  the models tagged `reporting` (models/scorecards, models/reporting): the
               balanced scorecard and the reporting views, after the rule and maturity
               assets, before publish

Keys are `<schema>/<alias>` (`marts/fct_deployments`, sources `raw_github/pulls`), so the
ingestion assets link upstream and the rule assets downstream by the same names. The
reporting models' sources (`scorecards.*`, written in Python) are mapped onto the assets that
write them (`source_deps`). The org's settings reach dbt as `--vars` from stature.yml, with
the run's as-of date for the reporting step; the warehouse path as STATURE_WAREHOUSE.
"""

# No `from __future__ import annotations` here: Dagster checks the type object of the
# `context` annotation, and a string annotation fails that check.
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from dagster_project.config import StatureConfig
from dagster_project.defs.resources import StatureResource, run_as_of
from dagster_project.warehouse import connect

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_DIR = REPO_ROOT / "dbt_project"
MANIFEST = DBT_DIR / "target" / "manifest.json"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
KEEP_RUN_TARGETS = 3
REPORTING_TAG = "reporting"

dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


def ensure_manifest() -> Path:
    """dagster-dbt reads the manifest at import: parse the project if it is missing."""
    if not MANIFEST.exists():
        subprocess.run(
            [str(DBT_EXECUTABLE), "parse", "--quiet", "--profiles-dir", ".", "--project-dir", "."],
            cwd=DBT_DIR,
            check=True,
        )
    return MANIFEST


class StatureTranslator(DagsterDbtTranslator):
    """Keys `<schema>/<alias>`; a model reading a source named in `source_deps` depends on the
    assets listed there instead (check_results is written by every rule asset, not by one)."""

    def __init__(self, source_deps: Mapping[str, Sequence[dg.AssetKey]] | None = None) -> None:
        super().__init__()
        self.source_deps = {k: list(v) for k, v in (source_deps or {}).items()}

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        name = dbt_resource_props["name"]
        if dbt_resource_props.get("resource_type") == "model":
            name = dbt_resource_props.get("alias") or name
        return dg.AssetKey([dbt_resource_props["schema"], name])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if REPORTING_TAG in (dbt_resource_props.get("tags") or []):
            return "dbt_reporting"
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
                deps += [dg.AssetDep(key) for key in replaced]
        unique = list({d.asset_key: d for d in deps}.values())
        return spec.replace_attributes(deps=unique)


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project, profiles_dir=str(DBT_DIR), dbt_executable=str(DBT_EXECUTABLE)
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


def reporting_vars(config: StatureConfig, as_of: Any) -> dict[str, Any]:
    """What the reporting models need beyond the org's dbt vars: the run's as-of date, the
    org's name, the maturity ladder and the balanced scorecard's settings."""
    bsc = config.balanced_scorecard
    return {
        **config.dbt_vars(),
        "as_of": str(as_of),
        "org_name": config.org.name,
        "maturity_ladder": list(config.ladder_names),
        "bsc_perspectives": list(bsc.perspectives),
        "bsc_trend_flat_band": bsc.trend_flat_band,
    }


def ensure_scorecard_sources(warehouse: Path) -> None:
    """Create the scorecards tables the reporting models read (empty) when no stage has written
    them yet, so the views build; the stages that own them fill them."""
    from dagster_project.maturity.bsc import ensure_schema as bsc_schema
    from dagster_project.maturity.snapshot import ensure_schema as snapshot_schema
    from dagster_project.rules.catalog import ensure_schema as catalog_schema
    from dagster_project.rules.store import ensure_schema as results_schema

    with connect(warehouse) as con:
        for ensure in (results_schema, catalog_schema, snapshot_schema, bsc_schema):
            ensure(con)


def build_dbt_assets(
    source_deps: Mapping[str, Sequence[dg.AssetKey]] | None = None,
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
        # dbt runs as a child process: the warehouse path reaches its profile through the env.
        os.environ["STATURE_WAREHOUSE"] = str(stature.warehouse_path(config))
        args = ["build", "--vars", json.dumps(config.dbt_vars())]
        yield from dbt.cli(args, context=context).stream()
        _prune_run_targets()

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
        os.environ["STATURE_WAREHOUSE"] = str(warehouse)
        ensure_scorecard_sources(warehouse)
        args = ["build", "--vars", json.dumps(reporting_vars(config, run_as_of(context, config)))]
        yield from dbt.cli(args, context=context).stream()
        _prune_run_targets()

    return [_dbt_models, _dbt_reporting]
