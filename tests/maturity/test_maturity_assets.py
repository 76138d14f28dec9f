"""The stage in Dagster, through the real Definitions (`build_definitions`, what
definitions.py and the CLI load): the nightly job's maturity assets materialize, the
quarterly job closes a quarter, the schedule asks for the quarter that just ended, and the
nightly job leaves the quarterly group out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
import yaml

from dagster_project.config import load_config
from dagster_project.dates import today_in
from dagster_project.defs.assembly import build_definitions
from dagster_project.defs.jobs import NIGHTLY
from dagster_project.defs.maturity import (
    BSC_KEY,
    CLOSE_SCHEDULE,
    QUARTER_KEY,
    QUARTERLY_JOB,
    SNAPSHOTS_KEY,
    STRATEGY_MAP_KEY,
)
from dagster_project.defs.rules import daily_partitions
from dagster_project.maturity.quarters import quarter_of
from tests.maturity.helpers import add_results, build_catalog, query

D = dt.date


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "rules_sql").mkdir()
    wh = build_catalog(tmp_path / "wh.duckdb", {"a": "t1", "b": "t1"})
    add_results(
        wh,
        "2026-03-31",
        [("r2", 2, "service", "a", "pass"), ("r2", 2, "service", "b", "fail")],
    )
    add_results(wh, "2026-04-20", [("r2", 2, "service", "a", "pass")])
    config = tmp_path / "stature.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "org": {"timezone": "Europe/Berlin"},
                "warehouse": str(wh),
                "published_dir": str(tmp_path / "published"),
                "rules": {"dir": str(tmp_path / "rules_sql")},
                "maturity": {"backfill_quarters": 1},
                "balanced_scorecard": {
                    "strategy_map": [{"cause": "Skilled teams", "effect": "Fast, steady flow"}],
                    "objectives": {
                        "Skilled teams": "Team Capability",
                        "Fast, steady flow": "Engineering Excellence",
                    },
                },
            }
        )
    )
    return config, wh


def test_the_nightly_assets_materialize_for_one_as_of(workspace):
    config, wh = workspace
    nightly = build_definitions(config_path=config).resolve_job_def(NIGHTLY)
    result = nightly.execute_in_process(
        asset_selection=[SNAPSHOTS_KEY, BSC_KEY, STRATEGY_MAP_KEY],
        partition_key="2026-04-20",
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    got = query(
        wh,
        "select quarter, is_closed, entity_id, level from scorecards.maturity_snapshots "
        "where entity_type = 'service' order by 1, 3",
    )
    assert got == [
        ("2026-Q1", True, "a", 5),
        ("2026-Q1", True, "b", 1),
        ("2026-Q2", False, "a", 5),
        ("2026-Q2", False, "b", None),  # no result for b as of 2026-04-20: unrated
    ]
    meta = result.asset_materializations_for_node("scorecards__maturity_snapshots")[0].metadata
    assert meta["closed"].value == ["2026-Q1"] and meta["errors"].value == 0
    assert (Path(config).parent / "published" / "strategy_map.svg").exists()


def test_the_quarterly_job_closes_an_ended_quarter(workspace):
    config, wh = workspace
    quarterly = build_definitions(config_path=config).resolve_job_def(QUARTERLY_JOB)
    result = quarterly.execute_in_process(
        partition_key="2026-Q1", instance=dg.DagsterInstance.ephemeral()
    )
    assert result.success
    assert query(wh, "select distinct quarter, is_closed from scorecards.maturity_snapshots") == [
        ("2026-Q1", True)
    ]


def test_the_wiring_keeps_the_quarterly_asset_out_of_the_nightly_job(workspace):
    config, _ = workspace
    defs = build_definitions(config_path=config)
    nightly = defs.resolve_job_def(NIGHTLY)
    # the org's days: from history_start, in its time zone
    assert nightly.partitions_def == daily_partitions(load_config(config))
    assert nightly.partitions_def.timezone == "Europe/Berlin"
    assert QUARTER_KEY not in nightly.asset_layer.executable_asset_keys
    quarterly = defs.resolve_job_def(QUARTERLY_JOB)
    keys = quarterly.partitions_def.get_partition_keys()
    # keyed by the quarter's label, from history_start (default 2015-01-01) to the open one
    open_quarter = quarter_of(today_in("Europe/Berlin")).label
    assert (keys[0], keys[1], keys[-1]) == ("2015-Q1", "2015-Q2", open_quarter)
    assert len(keys) == len(set(keys)) and "2026-Q1" in keys


def test_the_schedule_closes_the_quarter_that_ended_on_its_first_night(workspace):
    config, _ = workspace
    defs = build_definitions(config_path=config)
    schedule = defs.resolve_schedule_def(CLOSE_SCHEDULE)
    assert (schedule.cron_schedule, schedule.execution_timezone) == (
        "30 4 1 1,4,7,10 *",
        "Europe/Berlin",
    )
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 4, 1, 4, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        repository_def=defs.get_repository_def(),
    )
    (request,) = schedule.evaluate_tick(context).run_requests
    assert (request.partition_key, request.run_key) == ("2026-Q1", "close-2026-Q1")
    assert request.tags["stature/as_of"] == "2026-03-31"
