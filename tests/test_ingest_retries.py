"""A source that fails in API mode is tried again by Dagster: the real `stature ingest` against
a local server whose PagerDuty answers 503 for a while. Per-request retries and the step's
retries are settings (`operations.api_request_attempts`, `api_backoff_seconds`,
`ingest_retries`, `ingest_retry_delay_seconds`), so these runs wait for nothing.

PagerDuty alone is configured (the other sources land empty tables), which keeps each run to a
few seconds of Dagster's own time.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from tests.conftest import REPO, STATURE
from tests.support.replay_server import ExportApi, Fault, LocalServer

pytestmark = pytest.mark.slow  # two real Dagster runs, ~20 s each

TOKEN = "stature-retry-test-token"
INCIDENTS = r"^/pagerduty/incidents"


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    from ingestion.sample_org import generate_sample_org

    out = tmp_path_factory.mktemp("retry_org") / "export"
    generate_sample_org(out, end=dt.date(2026, 11, 15), days=28)
    return out


def exported_incidents(export: Path) -> int:
    import json

    return sum(
        len(json.loads(page.read_text())["incidents"])
        for page in (export / "pagerduty").glob("incidents*.json")
    )


def ingest(root: Path, export: Path, server: LocalServer) -> subprocess.CompletedProcess:
    """`stature ingest -v` with one request per attempt, no waits, and one step retry."""
    config = {
        "warehouse": str(root / "warehouse.duckdb"),
        "published_dir": str(root / "published"),
        "sources": {
            "pagerduty": {"base_url": f"{server.url}/pagerduty", "token_env": "RETRY_TEST_PD"},
            "catalog": {"paths": [str(export / "catalog" / "*.yaml")]},
        },
        "operations": {
            "ingest_retries": 1,
            "ingest_retry_delay_seconds": 0,
            "api_request_attempts": 2,
            "api_backoff_seconds": 0,
        },
    }
    root.mkdir(parents=True)
    (root / "stature.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    env = {**os.environ, "DAGSTER_HOME": str(root / "dagster_home"), "RETRY_TEST_PD": TOKEN}
    env.pop("STATURE_WAREHOUSE", None)
    return subprocess.run(
        [str(STATURE), "ingest", "--config", str(root / "stature.yml"), "-v"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def landed_incidents(root: Path) -> int:
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("select count(*) from raw_pagerduty.incidents").fetchone()[0]


def step_events(root: Path) -> list[str]:
    """The event types of the run's `ingest_pagerduty` step, in order, from Dagster's log."""
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    try:
        with dg.DagsterInstance.get() as instance:
            run = instance.get_runs(limit=1)[0]
            return [
                e.dagster_event.event_type_value
                for e in instance.all_logs(run.run_id)
                if e.dagster_event and e.step_key == "ingest_pagerduty"
            ]
    finally:
        del os.environ["DAGSTER_HOME"]


def test_a_source_down_for_one_attempt_is_retried_and_lands_everything(tmp_path, export):
    # both requests of the first attempt fail; the step's retry finds the server back
    down = Fault(INCIDENTS, lambda base: (503, {}, b"Service Unavailable"), times=2)
    with LocalServer(ExportApi(export, token=TOKEN, faults=[down])) as server:
        done = ingest(tmp_path / "w", export, server)
        first_pages = [p for p in server.paths() if p.startswith("/pagerduty/incidents")]
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "retrying in 0 s (attempt 2 of 2)" in output
    assert TOKEN not in output
    # two refused requests, then the pages of the second attempt
    assert len(first_pages) >= 3
    assert landed_incidents(tmp_path / "w") == exported_incidents(export) > 0
    events = step_events(tmp_path / "w")
    assert events.count("STEP_UP_FOR_RETRY") == 1
    assert events.count("STEP_RESTARTED") == 1
    assert events[-1] == "STEP_SUCCESS"


def test_a_source_down_for_every_attempt_is_reported_failed_and_the_run_goes_on(tmp_path, export):
    down = Fault(INCIDENTS, lambda base: (503, {}, b"Service Unavailable"), times=10**6)
    with LocalServer(ExportApi(export, token=TOKEN, faults=[down])) as server:
        done = ingest(tmp_path / "w", export, server)
        tried = [p for p in server.paths() if p.startswith("/pagerduty/incidents")]
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    assert "source pagerduty failed" in done.stderr
    assert "503" in output
    # two attempts of the step, two requests each
    assert len(tried) == 4
    # the catalog landed all the same, and PagerDuty's table exists, empty
    with duckdb.connect(str(tmp_path / "w" / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw_catalog.entities").fetchone()[0] > 0
    assert landed_incidents(tmp_path / "w") == 0
    events = step_events(tmp_path / "w")
    assert events.count("STEP_UP_FOR_RETRY") == 1
    assert events.count("STEP_RESTARTED") == 1
