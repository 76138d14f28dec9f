"""The CLI's contract: exit 2 for bad usage or config, 1 when the run finished but something
was rejected or failed (and it says what), 0 when all is well."""

from __future__ import annotations

import dagster as dg
import pytest

from tests.conftest import make_workspace
from tests.test_export_ingest import write_export


def test_bad_config_exits_2_naming_file_and_key(tmp_path):
    ws = make_workspace(tmp_path, tmp_path / "export")
    ws.config.write_text("org:\n  timezone: Nowhere/Land\n")
    result = ws.stature("ingest")
    assert result.returncode == 2
    assert f"{ws.config}:2" in result.stderr and "org.timezone" in result.stderr


def test_bad_usage_exits_2(tmp_path):
    ws = make_workspace(tmp_path, tmp_path / "export")
    result = ws.stature("run", "--as-of", "yesterday")
    assert result.returncode == 2
    assert "not a date" in result.stderr


@pytest.mark.slow
def test_ingest_of_a_broken_export_lands_the_rest_and_exits_1(tmp_path):
    export = write_export(tmp_path / "export", broken=True)
    ws = make_workspace(tmp_path / "ws", export)
    result = ws.stature("ingest", "--export-dir", str(export))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "raw_github.pulls: 3 rows" in result.stdout
    assert "github/acme/alpha/deployments.json: invalid JSON at line 1" in result.stdout
    assert "3 record(s) rejected" in result.stderr
    # the operator sees in the UI which source rejected what: the landing's check failed
    # (a warning) with a sample of what was set aside; a clean source's passed
    instance = dg.DagsterInstance.from_config(str(ws.root / "dagster_home"))
    keys = [
        dg.AssetCheckKey(dg.AssetKey([f"raw_{source}", "_rejected"]), "no_new_rejections")
        for source in ("github", "pagerduty")
    ]
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    status = {key.asset_key.path[0]: record.status.value for key, record in latest.items()}
    assert status == {"raw_github": "FAILED", "raw_pagerduty": "SUCCEEDED"}
    evaluation = latest[keys[0]].event.asset_check_evaluation
    assert "deployments.json" in evaluation.metadata["sample"].value
    assert "Warnings (the run still counts as well):" in result.stderr
