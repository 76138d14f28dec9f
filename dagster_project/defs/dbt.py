"""dbt assets: every model, seed and test of dbt_project/ as Dagster assets and checks.

Keys are `<schema>/<name>` (`marts/fct_deployments`, sources `raw_github/pulls`), so the
ingestion assets link upstream and the rule assets downstream by the same names. The org's
settings reach dbt as `--vars` from stature.yml; the warehouse path as STATURE_WAREHOUSE.
"""

# No `from __future__ import annotations` here: Dagster checks the type object of the
# `context` annotation, and a string annotation fails that check.
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from dagster_project.defs.resources import StatureResource

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_DIR = REPO_ROOT / "dbt_project"
MANIFEST = DBT_DIR / "target" / "manifest.json"
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
KEEP_RUN_TARGETS = 3

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
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        schema = dbt_resource_props.get("schema", "")
        return "dbt_" + schema if schema else "dbt"


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


def build_dbt_assets() -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=ensure_manifest(),
        dagster_dbt_translator=StatureTranslator(),
        project=dbt_project,
        name="dbt_models",
    )
    def _dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, stature: StatureResource):
        config = stature.load()
        # dbt runs as a child process: the warehouse path reaches its profile through the env.
        os.environ["STATURE_WAREHOUSE"] = str(stature.warehouse_path(config))
        args = ["build", "--vars", json.dumps(config.dbt_vars())]
        yield from dbt.cli(args, context=context).stream()
        _prune_run_targets()

    return _dbt_models
