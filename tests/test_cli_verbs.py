"""The public verbs and flags of `stature` as a user types them, each through the real CLI in
a subprocess: `sample-org` (and its NDJSON bundles, which land the same rows as per-file
pages), `ingest` against a local HTTP server (`--save-export`, `--full-refresh`, a failing
source's exit 1), `publish` and `summary`.

`run` with `--export-dir`, `--rules-dir`, `--warehouse` and `$STATURE_CONFIG` is the shared
nightly run itself (tests/conftest.py, checked in tests/test_pipeline_e2e.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import REPO, SMALL_ORG_END, STATURE, NightlyRun, make_workspace
from tests.support.replay_server import ExportApi, LocalServer

pytestmark = pytest.mark.slow

TOKEN = "stature-cli-test-token"


def stature(*args: str, env: dict[str, str] | None = None, cwd: Path = REPO):
    """The real `stature` command; DAGSTER_HOME and the warehouse come from the caller."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("STATURE_WAREHOUSE", None)
    return subprocess.run(
        [str(STATURE), *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=900
    )


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def raw_rows(warehouse: Path, *, schemas: tuple[str, ...] = ()) -> dict[str, list]:
    """Every raw table's rows, without dlt's bookkeeping and the file each came from."""
    out: dict[str, list] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like 'raw\\_%' escape '\\' "
            "and table_schema not like '%\\_staging' escape '\\' "
            "and table_name not like '\\_%' escape '\\' order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            if schemas and schema not in schemas:
                continue
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? "
                    "and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if not c.startswith("_dlt") and c not in ("source_file", "file")
            ]
            select = ", ".join(f'"{c}"::varchar' for c in columns)
            out[f"{schema}.{table}"] = con.execute(
                f'select {select} from "{schema}"."{table}" order by all'
            ).fetchall()
    return out


# --- sample-org and NDJSON bundles ------------------------------------------------------------


def test_sample_org_writes_the_session_org_and_its_ndjson_bundles_land_the_same_rows(
    tmp_path, nightly: NightlyRun
):
    """`stature sample-org` with its defaults writes the org the session's run read, file for
    file; with --ndjson the per-PR and per-deployment files become one .ndjson per repo,
    and ingesting that lands exactly the raw rows the run landed from the per-file form."""
    per_file, bundled = tmp_path / "per_file", tmp_path / "bundled"
    result = stature("sample-org", "--out", str(per_file))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"sample org written to {per_file}: 12 services in 4 teams")
    assert tree_digest(per_file) == tree_digest(nightly.workspace.export_dir)

    result = stature("sample-org", "--out", str(bundled), "--ndjson")
    assert result.returncode == 0, result.stderr
    for name in ("pull_commits", "pull_reviews", "deployment_statuses"):
        assert list(bundled.glob(f"github/*/*/{name}.ndjson")), name
        assert not list(bundled.glob(f"github/*/*/{name}/*.json")), name
        assert list(per_file.glob(f"github/*/*/{name}/*.json")), name

    ws = make_workspace(tmp_path / "ws", bundled)
    warehouse = tmp_path / "bundled.duckdb"  # --warehouse beats the config's
    # as of the run's date: the catalog's recorded versions start on the landing's date
    result = ws.stature(
        "ingest",
        "--export-dir",
        str(bundled),
        "--warehouse",
        str(warehouse),
        "--as-of",
        SMALL_ORG_END.isoformat(),
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert not ws.warehouse.exists()
    # raw_meta is the landing's own record (which files were read, when): the files differ
    landed, expected = (
        {t: rows for t, rows in raw_rows(w).items() if not t.startswith("raw_meta.")}
        for w in (warehouse, nightly.workspace.warehouse)
    )
    assert landed.keys() == expected.keys()
    for table in expected:
        assert landed[table] == expected[table], table
    for table in ("raw_github.pull_commits", "raw_github.pull_reviews"):
        assert landed[table], table


# --- ingest in API mode: --save-export, --full-refresh, a failing source ----------------------


def pr_numbers(export: Path) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for page in export.glob("github/*/*/pulls*.json"):
        repo = f"{page.parent.parent.name}/{page.parent.name}"
        out.setdefault(repo, set()).update(p["number"] for p in json.loads(page.read_text()))
    return out


@pytest.fixture(scope="module")
def small_export(tmp_path_factory) -> Path:
    from ingestion.sample_org import generate_sample_org

    out = tmp_path_factory.mktemp("api_org") / "export"
    generate_sample_org(out, end=dt.date(2026, 11, 15), days=30)
    return out


def api_workspace(root: Path, export: Path, server: LocalServer) -> Path:
    """A config that pulls GitHub and PagerDuty from `server` (tokens from the environment)."""
    root.mkdir(parents=True, exist_ok=True)
    repos = sorted(f"{o.name}/{r.name}" for o in (export / "github").iterdir() for r in o.iterdir())
    config = {
        "warehouse": str(root / "warehouse.duckdb"),
        "published_dir": str(root / "published"),
        "sources": {
            "github": {
                "base_url": f"{server.url}/github",
                "token_env": "CLI_TEST_GITHUB",
                "repos": repos,
            },
            "pagerduty": {"base_url": f"{server.url}/pagerduty", "token_env": "CLI_TEST_PD"},
            "catalog": {"paths": [str(export / "catalog" / "*.yaml")]},
        },
    }
    path = root / "stature.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def test_ingest_saves_an_export_refreshes_in_full_and_a_failing_source_exits_1(
    tmp_path, small_export, monkeypatch
):
    env = {
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "CLI_TEST_GITHUB": TOKEN,
        "CLI_TEST_PD": "not-the-token",
    }
    saved = tmp_path / "saved"
    with LocalServer(ExportApi(small_export, token=TOKEN)) as server:
        config = api_workspace(tmp_path / "api", small_export, server)
        warehouse = tmp_path / "api" / "warehouse.duckdb"

        # PagerDuty refuses the token: that source fails, GitHub lands and is saved; exit 1
        first = stature("ingest", "--config", str(config), "--save-export", str(saved), env=env)
        assert first.returncode == 1, first.stdout[-2000:] + first.stderr[-2000:]
        assert "source pagerduty failed" in first.stderr and "CLI_TEST_PD" in first.stderr
        assert TOKEN not in first.stdout + first.stderr
        github_first = [t for t in server.paths() if t.startswith("/github/")]
        assert any("/commits?" in t for t in github_first)
        # what the API returned, saved in the export layout: every PR of every repo
        assert pr_numbers(saved) == pr_numbers(small_export) != {}
        pulls = raw_rows(warehouse, schemas=("raw_github",))["raw_github.pulls"]
        assert pulls

        # A plain ingest would ask only for what changed (since=...); --full-refresh asks
        # for everything again, as the first pull did. -v: Dagster's step logs on the
        # terminal instead of a log file; --as-of: the run's date, kept as its tag
        server.requests.clear()
        env["CLI_TEST_PD"] = TOKEN
        again = stature(
            "ingest",
            "--config",
            str(config),
            "--full-refresh",
            "-v",
            "--as-of",
            "2026-11-14",
            env=env,
        )
        assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
        assert "(step logs:" in first.stdout and "(step logs:" not in again.stdout
        assert "ingest_github" in again.stderr
        github_again = [t for t in server.paths() if t.startswith("/github/")]
        assert sorted(github_again) == sorted(github_first)
        assert not [t for t in github_again if "since=" in t]
        assert "raw_pagerduty.incidents:" in again.stdout

    import dagster as dg

    monkeypatch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
    with dg.DagsterInstance.get() as instance:  # the runs the CLI recorded
        latest = instance.get_runs(limit=1)[0]
    assert (latest.job_name, latest.tags["stature/as_of"]) == ("ingest", "2026-11-14")

    # --save-export saves an API pull: with --export-dir it is bad usage, said before any work
    both = stature(
        "ingest",
        "--config",
        str(config),
        "--export-dir",
        str(saved),
        "--save-export",
        str(tmp_path / "elsewhere"),
        env=env,
    )
    assert both.returncode == 2
    assert "--save-export saves an API pull" in both.stderr


# --- publish and summary ----------------------------------------------------------------------


def published_tables(database: Path) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as con:
        names = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            "where schema_name || '.' || table_name <> 'reporting.publish_info' order by 1"
        ).fetchall()
        return {n: con.execute(f"select count(*) from {n}").fetchone()[0] for (n,) in names}


def test_summary_prints_what_the_run_printed_from_the_published_copy(nightly: NightlyRun):
    result = nightly.workspace.stature("summary")
    assert result.returncode == 0, result.stderr
    run_out = nightly.result.stdout
    # the run prints the summary between its own first lines and its verdict
    expected = run_out[run_out.index("\nServices and teams:") : run_out.index("\nAll well.")]
    assert "Balanced scorecard, org," in expected and "Maturity by quarter" in expected
    assert result.stdout == expected


def test_summary_without_a_published_copy_says_what_to_do(tmp_path, small_org):
    ws = make_workspace(tmp_path / "ws", small_org)
    result = ws.stature("summary")
    assert result.returncode == 0
    assert result.stdout.strip() == (
        f"No published copy at {ws.published / 'stature.duckdb'} yet: run `stature run` first."
    )


def test_publish_copies_the_warehouse_again_with_a_new_run_id(tmp_path, nightly: NightlyRun):
    ws = make_workspace(tmp_path / "ws", nightly.workspace.export_dir)
    shutil.copyfile(nightly.workspace.warehouse, ws.warehouse)
    result = ws.stature("publish")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.stdout.rstrip().endswith("All well.")
    database = ws.published / "stature.duckdb"
    assert published_tables(database) == published_tables(
        nightly.workspace.published / "stature.duckdb"
    )
    with duckdb.connect(str(database), read_only=True) as con:
        mine = con.execute("select run_id from reporting.publish_info").fetchone()[0]
    with duckdb.connect(str(nightly.workspace.published / "stature.duckdb"), read_only=True) as con:
        theirs = con.execute("select run_id from reporting.publish_info").fetchone()[0]
    assert mine and mine != theirs
    assert (ws.published / "report" / "index.html").exists()
    assert (ws.published / "parquet" / "marts" / "fct_deployments.parquet").exists()
