"""Increments equal a full rebuild: the same small org exported night after night (the
generator's `export_at`, so each night only the files that gained or changed a record
differ) goes through two warehouses. One runs the ordinary nightly (the manifest skips
unchanged export files), the other `--full-refresh` every night (every file read, every
model rebuilt). After the last night every public table and every raw table must hold the
same rows, and the incremental side must really have skipped files and really have taken the
incremental models' path. Before the last night a few records arrive late (older than the
night before): a production deployment that rolls back to an older sha and an incident
attributed to it, which change the failure flags, recovery and DORA periods of days the first
night already built."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from ingestion.sample_org import generate_sample_org
from tests.conftest import make_workspace
from tests.support.compare_published import compare
from tests.test_cli_verbs import raw_rows

pytestmark = pytest.mark.slow

STORY_END = dt.date(2026, 11, 16)
NIGHTS = (STORY_END - dt.timedelta(days=1), STORY_END)  # the first is built once, then copied


def rows_landed_last(ws, schema: str) -> int:
    """Rows the last materialization of each of `schema`'s tables reports landed."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(ws.root / "dagster_home")) as instance:
        keys = [  # the raw tables, not the `_rejected` table (its own asset and metadata)
            k
            for k in instance.all_asset_keys()
            if k.path[0] == schema and not k.path[-1].startswith("_")
        ]
        events = instance.get_latest_materialization_events(keys)
        return sum(
            int(e.asset_materialization.metadata["rows_loaded"].value)
            for e in events.values()
            if e is not None
        )


LATE_REPO = "acme/auth-gateway"
LATE_DEPLOYMENT = 1209990001
LATE_INCIDENT = "QLATE0000000001"


def write_late_records(export: Path) -> None:
    """Records that land tonight with times days before last night: a production deployment
    of auth-gateway on 11-11 that ships the sha of the deployment before its latest one (a
    rollback),
    with its success status, and a PagerDuty incident 25 minutes after it, resolved 11-14."""
    repo = export / "github" / LATE_REPO
    deployments = json.loads((repo / "deployments.json").read_text())
    before = sorted(
        (d for d in deployments if d["created_at"] < "2026-11-11"), key=lambda d: d["created_at"]
    )
    late = {
        **before[-1],
        "id": LATE_DEPLOYMENT,
        "sha": before[-2]["sha"],
        "created_at": "2026-11-11T10:00:00Z",
        "updated_at": "2026-11-11T10:05:00Z",
    }
    late["url"] = late["url"].rsplit("/", 1)[0] + f"/{LATE_DEPLOYMENT}"
    (repo / "deployments.json").write_text(json.dumps([*deployments, late]))
    status = {
        "id": LATE_DEPLOYMENT + 7,
        "state": "success",
        "environment": late["environment"],
        "created_at": "2026-11-11T10:05:00Z",
        "updated_at": "2026-11-11T10:05:00Z",
    }
    with (repo / "deployment_statuses.ndjson").open("a") as out:
        out.write(json.dumps({"deployment_id": LATE_DEPLOYMENT, "items": [status]}) + "\n")

    page = export / "pagerduty" / "incidents.json"
    incidents = json.loads(page.read_text())
    service = next(
        i["service"] for i in incidents["incidents"] if i["service"]["summary"] == "auth-gateway"
    )
    incident = {
        **incidents["incidents"][0],
        "id": LATE_INCIDENT,
        "incident_number": 99001,
        "title": "Login errors after the rollback (auth-gateway)",
        "description": "Reported late.",
        "service": service,
        "status": "resolved",
        "created_at": "2026-11-11T10:30:00Z",
        "updated_at": "2026-11-14T12:00:00Z",
        "last_status_change_at": "2026-11-14T12:00:00Z",
        "resolved_at": "2026-11-14T12:00:00Z",
    }
    incidents["incidents"].append(incident)
    page.write_text(json.dumps(incidents))


def test_nightly_increments_equal_full_rebuilds(tmp_path):
    export = tmp_path / "export"
    incremental = make_workspace(tmp_path / "incremental", export)
    full = make_workspace(tmp_path / "full", export)
    for i, night in enumerate(NIGHTS):
        # the export as it stood that night, written again over the same folder
        generate_sample_org(
            export, end=STORY_END, export_at=night, days=90, services=12, teams=4, ndjson=True
        )
        if i > 0:
            write_late_records(export)
        result = incremental.stature("run", "--as-of", night.isoformat())
        assert result.returncode == 0, (night, result.stdout[-3000:], result.stderr)
        if i == 0:
            # the first night is a full build on both sides: build it once, copy it
            for part in ("warehouse.duckdb", "dlt", "published", "dagster_home"):
                source = incremental.root / part
                if source.is_dir():
                    shutil.copytree(source, full.root / part, symlinks=True)
                else:
                    shutil.copyfile(source, full.root / part)
            continue
        result = full.stature("run", "--as-of", night.isoformat(), "--full-refresh")
        assert result.returncode == 0, (night, result.stdout[-3000:], result.stderr)

    # the last night the incremental side landed only the rows of files that changed, the
    # full side every row of the export again
    landed = {ws.root.name: rows_landed_last(ws, "raw_github") for ws in (incremental, full)}
    assert 0 < landed["incremental"] < landed["full"], landed

    # the incremental side built the DORA marts incrementally, the full side from all history
    state = {}
    for ws in (incremental, full):
        with duckdb.connect(str(ws.warehouse), read_only=True) as con:
            state[ws.root.name] = con.execute(
                "select full_refresh from ops.dbt_incremental_state"
            ).fetchall()
    assert state == {"incremental": [(False,)], "full": [(True,)]}
    # the late records reached the marts: the incident fails the late deployment
    with duckdb.connect(str(incremental.warehouse), read_only=True) as con:
        late = con.execute(
            "select d.is_failure, d.is_rollback, i.deployment_id from marts.fct_incidents i "
            "join marts.fct_deployments d on i.deployment_id = d.deployment_id "
            "where i.incident_id = ?",
            [f"pagerduty:{LATE_INCIDENT}"],
        ).fetchall()
    assert late == [(True, True, f"github:{LATE_REPO}:{LATE_DEPLOYMENT}")]

    same = compare(full.warehouse, incremental.warehouse)
    assert same.ok and not same.only_after, (same.different, same.only_before, same.only_after)
    assert {"marts.fct_deployments", "marts.dora_metrics", "scorecards.check_results"} <= set(
        same.equal
    )
    published = compare(full.published / "stature.duckdb", incremental.published / "stature.duckdb")
    assert published.ok and not published.only_after, published.different

    # the raw tables hold the same rows; the manifests name the same files in the same state
    # (when and in which load each entry was written differs by design)
    raw = {ws.root.name: raw_rows(ws.warehouse) for ws in (incremental, full)}
    manifests = {name: rows.pop("raw_meta.export_files") for name, rows in raw.items()}
    assert raw["incremental"] == raw["full"]
    assert [m[:5] for m in manifests["incremental"]] == [m[:5] for m in manifests["full"]]
