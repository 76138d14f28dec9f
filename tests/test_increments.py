"""Increments equal a full rebuild: the same small org exported night after night (the
generator's `export_at`, so each night only the files that gained or changed a record
differ) goes through two warehouses. One runs the ordinary nightly (the manifest skips
unchanged export files), the other `--full-refresh` every night (every file read, every
model rebuilt). After the last night every public table and every raw table must hold the
same rows, and the incremental side must really have skipped files."""

from __future__ import annotations

import datetime as dt
import shutil

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


def test_nightly_increments_equal_full_rebuilds(tmp_path):
    export = tmp_path / "export"
    incremental = make_workspace(tmp_path / "incremental", export)
    full = make_workspace(tmp_path / "full", export)
    for i, night in enumerate(NIGHTS):
        # the export as it stood that night, written again over the same folder
        generate_sample_org(
            export, end=STORY_END, export_at=night, days=90, services=12, teams=4, ndjson=True
        )
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
