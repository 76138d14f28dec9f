"""When the nightly's dbt step rebuilds the incremental models in full on its own: no record of
a complete build, other dbt vars, other project files; and what a build records."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.defs.dbt import (
    INCREMENTAL_STATE,
    build_fingerprint,
    full_refresh_reason,
    incremental_models_built,
    record_incremental_state,
)

VARS = {"benchmark_edition": "2023", "stature_timezone": "UTC"}


def test_a_build_that_built_every_incremental_model_lets_the_next_be_incremental(tmp_path: Path):
    warehouse = tmp_path / "warehouse.duckdb"
    fingerprint = build_fingerprint(VARS)
    assert full_refresh_reason(warehouse, fingerprint) == "first build"
    duckdb.connect(str(warehouse)).close()
    assert full_refresh_reason(warehouse, fingerprint) == (
        "no complete build of the incremental models recorded"
    )

    record_incremental_state(warehouse, fingerprint, full=True)
    assert full_refresh_reason(warehouse, fingerprint) is None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            f"select fingerprint, full_refresh from {INCREMENTAL_STATE}"
        ).fetchall() == [(fingerprint, True)]

    # a new benchmark edition changes every graded row: the vars half of the fingerprint
    other = build_fingerprint({**VARS, "benchmark_edition": "2024"})
    assert other[8:] == fingerprint[8:] and other[:8] != fingerprint[:8]
    assert full_refresh_reason(warehouse, other) == (
        "the dbt vars (stature.yml) changed since the last build"
    )
    edited_project = fingerprint[:8] + "0" * 8
    assert full_refresh_reason(warehouse, edited_project) == (
        "the dbt project's files changed since the last build"
    )

    # a build that failed or skipped an incremental model leaves no record: the next is full
    record_incremental_state(warehouse, None, full=False)
    assert full_refresh_reason(warehouse, fingerprint) == (
        "no complete build of the incremental models recorded"
    )


def test_every_incremental_model_must_have_been_built():
    manifest = {
        "nodes": {
            "model.stature.fct_deployments": {
                "resource_type": "model",
                "config": {"materialized": "incremental"},
            },
            "model.stature.dora_metrics": {
                "resource_type": "model",
                "config": {"materialized": "incremental"},
            },
            "model.stature.dim_teams": {
                "resource_type": "model",
                "config": {"materialized": "table"},
            },
        }
    }

    def results(**status: str) -> dict:
        return {
            "results": [{"unique_id": f"model.stature.{k}", "status": v} for k, v in status.items()]
        }

    assert incremental_models_built(
        results(fct_deployments="success", dora_metrics="success", dim_teams="error"), manifest
    )
    assert not incremental_models_built(
        results(fct_deployments="success", dora_metrics="skipped"), manifest
    )
    assert not incremental_models_built(results(fct_deployments="success"), manifest)
    assert not incremental_models_built(None, manifest)
