"""Shared fixtures: a small generated org and a workspace (config, warehouse, published dir)
in a temp folder, so tests never touch data/ and never share a warehouse."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
STATURE = Path(sys.executable).with_name("stature")
SMALL_ORG_END = dt.date(2026, 11, 15)


@dataclass
class Workspace:
    root: Path
    config: Path
    warehouse: Path
    published: Path
    export_dir: Path

    def stature(self, *args: str, check: bool = False, timeout: float = 900):
        """Run the real `stature` CLI in a subprocess against this workspace."""
        env = {**os.environ, "DAGSTER_HOME": str(self.root / "dagster_home")}
        env.pop("STATURE_WAREHOUSE", None)
        return subprocess.run(
            [str(STATURE), *args, "--config", str(self.config)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )


def require_program(path: Path, how_to_install: str) -> None:
    """For a test that needs an installed program (the browser tests need Chromium): when it
    is missing, fail with CI set (CI must run the test, never skip it), else skip saying why."""
    if path.exists():
        return
    reason = f"{path} is not installed ({how_to_install})"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: with CI set this test must run, not skip", pytrace=False)
    pytest.skip(f"{reason}; with CI set this fails")


def make_workspace(root: Path, export_dir: Path, **overrides) -> Workspace:
    root.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((REPO / "stature.yml").read_text())
    config.update(
        warehouse=str(root / "warehouse.duckdb"),
        published_dir=str(root / "published"),
        export_dir=str(export_dir),
    )
    config["rules"] = {**config.get("rules", {}), "dir": str(REPO / "rules_sql")}
    config.update(overrides)
    path = root / "stature.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return Workspace(root, path, root / "warehouse.duckdb", root / "published", export_dir)


@pytest.fixture(scope="session")
def small_org(tmp_path_factory) -> Path:
    """A 12-service, 4-team sample org over the 2 years up to SMALL_ORG_END."""
    from ingestion.sample_org import generate_sample_org

    out = tmp_path_factory.mktemp("small_org") / "export"
    generate_sample_org(out, end=SMALL_ORG_END, days=730, services=12, teams=4)
    return out


@pytest.fixture
def workspace(tmp_path, small_org) -> Workspace:
    export = tmp_path / "export"
    shutil.copytree(small_org, export)
    return make_workspace(tmp_path / "ws", export)
