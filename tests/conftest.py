"""Shared fixtures: a small generated org, a workspace (config, warehouse, published dir) in
a temp folder, so tests never touch data/, and the one nightly run of the session that the
end-to-end, report, notebook and BI tests read (they copy it before they change anything)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
STATURE = Path(sys.executable).with_name("stature")
SMALL_ORG_END = dt.date(2026, 11, 15)


@pytest.fixture(autouse=True, scope="session")
def _dagster_home(tmp_path_factory: pytest.TempPathFactory):
    """In-process runs record into the Dagster instance in $DAGSTER_HOME. The tests get a
    fresh one of their own, even under `make`, whose DAGSTER_HOME is the project's
    data/dagster_home: what `make demo` and `make dev` recorded there must not reach a test
    (a backfill test read the demo's partitions as its own), and no test run belongs in the
    developer's UI. A test that needs another instance sets it itself."""
    before = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(tmp_path_factory.mktemp("dagster_home"))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = before


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


def pytest_collection_modifyitems(config, items) -> None:
    """The Superset import installs Superset (minutes, and the package registry): it runs only
    when asked for by name (`-m superset`, `make check-superset`), never as part of a
    selection like `-m "not slow"`."""
    if "superset" in (config.option.markexpr or "").replace("not superset", ""):
        return
    skip = pytest.mark.skip(reason="installs Superset: run with -m superset (make check-superset)")
    for item in items:
        if item.get_closest_marker("superset"):
            item.add_marker(skip)


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


@dataclass
class NightlyRun:
    """The session's `stature run` of the small org as of SMALL_ORG_END.

    It runs the way a user points a run at other paths: the config comes from
    $STATURE_CONFIG (`run_config`), whose warehouse and rules folder are decoys that the
    `--warehouse` and `--rules-dir` flags must beat, and whose export directory is unset, so
    only `--export-dir` brings data. `workspace` holds a plain config naming the paths the
    run really used, for the commands tests run afterwards (`report`, `summary`, ...).
    Read it, never write to it: copy the warehouse or the published folder first."""

    workspace: Workspace
    result: subprocess.CompletedProcess
    run_config: Path
    decoy_warehouse: Path
    decoy_rules: Path


@pytest.fixture(scope="session")
def nightly(tmp_path_factory, small_org) -> NightlyRun:
    root = tmp_path_factory.mktemp("nightly")
    ws = make_workspace(root, small_org)
    decoy_rules = root / "decoy_rules"
    (decoy_rules / "security").mkdir(parents=True)
    run_config = yaml.safe_load(ws.config.read_text())
    run_config.pop("export_dir")
    run_config["warehouse"] = str(root / "decoy.duckdb")
    run_config["rules"] = {**run_config["rules"], "dir": str(decoy_rules)}
    (root / "run-config.yml").write_text(yaml.safe_dump(run_config, sort_keys=False))
    env = {
        **os.environ,
        "DAGSTER_HOME": str(root / "dagster_home"),
        "STATURE_CONFIG": str(root / "run-config.yml"),
    }
    env.pop("STATURE_WAREHOUSE", None)
    result = subprocess.run(
        [
            str(STATURE),
            "run",
            "--as-of",
            SMALL_ORG_END.isoformat(),
            "--export-dir",
            str(small_org),
            "--rules-dir",
            str(REPO / "rules_sql"),
            "--warehouse",
            str(ws.warehouse),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return NightlyRun(ws, result, root / "run-config.yml", root / "decoy.duckdb", decoy_rules)


def copy_of_nightly(nightly: NightlyRun, root: Path, export_dir: Path | None = None) -> Workspace:
    """A workspace of its own holding a copy of the nightly's warehouse and published folder
    for a test that runs again or changes something."""
    ws = make_workspace(root, export_dir or nightly.workspace.export_dir)
    shutil.copyfile(nightly.workspace.warehouse, ws.warehouse)
    shutil.copytree(nightly.workspace.published, ws.published, symlinks=True)
    return ws


@pytest.fixture
def workspace(tmp_path, small_org) -> Workspace:
    export = tmp_path / "export"
    shutil.copytree(small_org, export)
    return make_workspace(tmp_path / "ws", export)


ARTIFACTS = REPO / "data" / "test-artifacts"


@dataclass
class Artifacts:
    """Where the browser tests keep their screenshots: data/test-artifacts/ (git-ignored),
    emptied at the start of each session, so a CI job can upload the folder."""

    folder: Path

    def save(self, name: str, png: bytes, *, min_height: int = 300) -> Path:
        """Keep a screenshot after checking it is one: a PNG 1,400 px wide, at least
        `min_height` tall, with many colours (a drawn page, not a blank one)."""
        from io import BytesIO

        from PIL import Image

        with Image.open(BytesIO(png)) as image:
            assert image.format == "PNG"
            width, height = image.size
            assert width == 1400 and height >= min_height, (name, image.size)
            assert len(image.convert("RGB").getcolors(maxcolors=1 << 20)) > 100, name
        path = self.folder / name
        path.write_bytes(png)
        return path


@pytest.fixture(scope="session")
def artifacts() -> Artifacts:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return Artifacts(ARTIFACTS)


# The org a VP of engineering looks at: 500 services in 25 teams. 200 days to SMALL_ORG_END
# give a closed quarter before the open one (and a partial one before that); half the PR
# rate and per-repo .ndjson keep the export small. One nightly run of it per session is
# shared by the site's browser tests and the notebook's; a test that changes anything works
# on a copy.
LARGE_ORG = {"services": 500, "teams": 25, "days": 200, "scale": 0.5, "ndjson": True}


@dataclass
class LargeRun:
    """The session's `stature run` of the 500-service org: read it, never write to it."""

    workspace: Workspace
    result: subprocess.CompletedProcess
    seconds: float


@pytest.fixture(scope="session")
def large_nightly(tmp_path_factory) -> LargeRun:
    from ingestion.sample_org import generate_sample_org

    root = tmp_path_factory.mktemp("large")
    export = root / "export"
    generate_sample_org(export, end=SMALL_ORG_END, **LARGE_ORG)
    ws = make_workspace(
        root / "ws", export, org={"name": "Acme at scale", "timezone": "Europe/Berlin"}
    )
    started = time.monotonic()
    result = ws.stature("run", "--as-of", SMALL_ORG_END.isoformat(), timeout=1800)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return LargeRun(ws, result, time.monotonic() - started)
