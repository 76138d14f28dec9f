"""The nightly's dbt step on DuckDB runs dbt inside the run's own process: through the real
Definitions, on a copy of the session nightly's warehouse, the reporting step builds every
reporting model for the run's date, reports each node to Dagster, and leaves the warehouse
file free for the next writer (dbt-duckdb keeps a connection per process unless it is
closed)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import dagster as dg
import duckdb

from dagster_project.defs.assembly import build_definitions
from dagster_project.defs.dbt import REPORTING_GROUP, REPORTING_TAG
from dagster_project.defs.jobs import NIGHTLY
from dagster_project.manifest import load_manifest
from tests.conftest import copy_of_nightly

# Before the small org's last quarter ends (2026-09-30), so that quarter is not complete yet.
AS_OF = dt.date(2026, 9, 29)


def _reporting_nodes() -> tuple[set[str], int]:
    """The models tagged reporting that make a table or view (an ephemeral one is inlined into
    the others: no event), as `<schema>/<alias>`, and the data tests on them."""
    manifest = load_manifest()
    models = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and REPORTING_TAG in node["tags"]
        and node["config"]["materialized"] != "ephemeral"
    }
    tests = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and node.get("attached_node") in models
    ]
    keys = {f"{node['schema']}/{node['alias']}" for node in models.values()}
    return keys, len(tests)


def test_the_reporting_step_builds_for_the_runs_date_and_frees_the_warehouse(nightly, tmp_path):
    ws = copy_of_nightly(nightly, tmp_path / "ws")
    job = build_definitions(config_path=ws.config).resolve_job_def(NIGHTLY)
    selection = dg.AssetSelection.groups(REPORTING_GROUP).resolve(job.asset_layer.asset_graph)
    instance = dg.DagsterInstance.ephemeral()

    result = job.execute_in_process(
        asset_selection=list(selection), partition_key=AS_OF.isoformat(), instance=instance
    )

    assert result.success
    models, tests = _reporting_nodes()
    built = {
        event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
    }
    assert built == models
    checks = result.get_asset_check_evaluations()
    assert len(checks) == tests > 0
    assert all(check.passed for check in checks)

    # The run's date reached the models: the scorecard is as of it, and its last complete
    # quarter is the one before.
    with duckdb.connect(str(ws.warehouse), read_only=True) as con:
        as_of, last_quarter = con.execute(
            "select min(as_of), max(period_end) from scorecards.balanced_scorecard"
        ).fetchone()
    assert (as_of, last_quarter) == (AS_OF, dt.date(2026, 6, 30))

    # Nothing of dbt holds the file: another process takes the write lock at once.
    write = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
        "con.execute('create table ops.after_dbt as select 1 as one'); con.close()"
    )
    done = subprocess.run(
        [sys.executable, "-c", write, str(ws.warehouse)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
