"""Dagster's instance for CLI runs: the cheaper local event log keeps Dagster's files and
reads back with Dagster's own storage; a user's own dagster.yaml is never touched; and no
step of the nightly makes Dagster list every daily rule partition to start."""

from __future__ import annotations

import threading

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from dagster_project.definitions import build_definitions
from dagster_project.defs.instance import INSTANCE_FILE, LocalEventLogStorage, ensure_instance_file
from dagster_project.defs.runner import JobOptions, instance_for
from tests.conftest import REPO


@dg.asset
def counted() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


@dg.asset_check(asset=counted)
def has_rows() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def test_a_new_home_gets_the_local_event_log_and_dagster_reads_its_runs(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with instance_for(JobOptions()) as instance:
        assert (home / INSTANCE_FILE).is_file()
        assert isinstance(instance.event_log_storage, LocalEventLogStorage)
        result = dg.materialize([counted, has_rows], instance=instance)
        assert result.success
        run_id = result.run_id
        # the same instance reads its own events back
        latest = instance.get_latest_materialization_event(dg.AssetKey("counted"))
        assert latest.asset_materialization.metadata["rows"].value == 3
    # Dagster's stock storage (what `dagster dev` would use without our dagster.yaml) reads
    # the same files: one database per run under history/runs
    stock = SqliteEventLogStorage(str(home / "history" / "runs"))
    kinds = [e.dagster_event.event_type_value for e in stock.get_logs_for_run(run_id)]
    assert "ASSET_MATERIALIZATION" in kinds
    assert kinds[-1] == "PIPELINE_SUCCESS"  # the run succeeded (its legacy name)


def test_a_dagster_yaml_the_user_wrote_is_left_alone(tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    mine = "# my own instance\ntelemetry:\n  enabled: false\n"
    (home / INSTANCE_FILE).write_text(mine)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with instance_for(JobOptions()) as instance:
        assert not isinstance(instance.event_log_storage, LocalEventLogStorage)
    assert (home / INSTANCE_FILE).read_text() == mine


def test_a_moved_instance_keeps_its_events_in_its_own_folder(tmp_path):
    old, new = tmp_path / "old_home", tmp_path / "new_home"
    ensure_instance_file(old)
    new.mkdir()
    (new / INSTANCE_FILE).write_bytes((old / INSTANCE_FILE).read_bytes())  # copied along
    ensure_instance_file(new)
    text = (new / INSTANCE_FILE).read_text()
    assert f"base_dir: {(new / 'history' / 'runs').resolve()}" in text
    assert str(old) not in text


@pytest.mark.timeout(120)
def test_asking_for_a_table_while_a_connection_is_open_does_not_block(tmp_path):
    """Dagster calls has_table while it holds a connection; the open engines must not turn
    that into a wait on the storage's own lock."""
    storage = LocalEventLogStorage(str(tmp_path / "runs"))
    answers: list[bool] = []

    def ask() -> None:
        with storage.index_connection():
            answers.append(storage.has_table("event_logs"))

    worker = threading.Thread(target=ask, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert answers == [True], "has_table waited on the connection its caller holds"
    storage.dispose()


def test_no_unpartitioned_asset_reads_every_day_of_the_rules():
    """A dependency of an unpartitioned asset on the daily rule assets maps to their latest
    day: the default (every day) makes Dagster list every day since history_start, per rule,
    each time such a step starts."""
    graph = build_definitions(config_path=str(REPO / "stature.yml")).resolve_asset_graph()
    daily = {
        k
        for k in graph.get_all_asset_keys()
        if isinstance(graph.get(k).partitions_def, dg.TimeWindowPartitionsDefinition)
    }
    assert daily, "the rule assets are daily-partitioned"
    readers = 0
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.partitions_def is not None:
            continue
        for parent in node.parent_keys & daily:
            readers += 1
            mapping = graph.get_partition_mapping(key, parent)
            assert isinstance(mapping, dg.LastPartitionMapping), (key, parent, mapping)
    # balanced-scorecard targets, initiatives, reporting models, publish
    assert readers >= 4 * len(daily)
    # a daily asset on a daily one keeps day for day: each day's snapshot on that day's rules
    snapshots = dg.AssetKey(["scorecards", "maturity_snapshots"])
    rule = next(k for k in graph.get(snapshots).parent_keys if k in daily)
    mapping = graph.get_partition_mapping(snapshots, rule)
    assert isinstance(mapping, dg.TimeWindowPartitionMapping), mapping
