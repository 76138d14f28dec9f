"""What an operator watches: the published copy's freshness check, the run-failure alert
(a log line, and a POST to a real HTTP server on 127.0.0.1), and the asset checks and
dependencies the Dagster UI shows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from dagster_project.definitions import build_definitions
from dagster_project.defs.monitoring import (
    FRESH,
    FRESHNESS_JOB,
    PUBLISHED_KEY,
    alert_line,
    build_failure_sensor,
    freshness,
    send_alert,
)
from dagster_project.defs.resources import WAREHOUSE_TAG
from tests.conftest import REPO
from tests.support.webhook import recording_webhook


def _published(folder: Path, at: dt.datetime) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(folder / "stature.duckdb"))
    con.execute("create schema _stature")
    con.execute("create table _stature.publish_info as select ?::timestamptz as published_at", [at])
    con.close()
    return folder


def test_freshness_fails_for_an_old_copy_and_passes_for_a_fresh_one(tmp_path):
    now = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
    fresh = _published(tmp_path / "fresh", now - dt.timedelta(hours=25))
    old = _published(tmp_path / "old", now - dt.timedelta(hours=27))
    ok, text, meta = freshness(fresh, 26, now=now)
    assert ok and text == "published 25.0 h ago" and meta["age_hours"] == 25.0
    ok, text, _ = freshness(old, 26, now=now)
    assert not ok
    assert text == "published 27.0 h ago, more than 26 h: readers see old data"
    ok, text, _ = freshness(tmp_path / "none", 26, now=now)
    assert not ok and text.startswith("no published copy in ")


def _config(tmp_path: Path, published: Path) -> str:
    config = yaml.safe_load((REPO / "stature.yml").read_text())
    config.update(
        warehouse=str(tmp_path / "warehouse.duckdb"),
        published_dir=str(published),
        rules={"dir": str(REPO / "rules_sql")},
    )
    path = tmp_path / "stature.yml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


@pytest.mark.parametrize(("hours", "passed"), [(2, True), (40, False)])
def test_the_freshness_job_checks_the_published_copy_in_dagster(tmp_path, hours, passed):
    published = _published(
        tmp_path / "published", dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    )
    defs = build_definitions(config_path=_config(tmp_path, published))
    job = defs.resolve_job_def(FRESHNESS_JOB)
    result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral())
    (evaluation,) = result.get_asset_check_evaluations()
    assert (evaluation.asset_key, evaluation.check_name) == (PUBLISHED_KEY, FRESH)
    assert evaluation.passed is passed
    assert not result.get_asset_materialization_events()  # a check, no copy made


@pytest.fixture
def webhook():
    with recording_webhook("/hook", status=204) as hook:
        yield hook


def test_a_failed_run_writes_an_alert_line_and_posts_it_to_the_webhook(
    tmp_path, webhook, monkeypatch
):
    url, posts = webhook
    monkeypatch.setenv("STATURE_ALERT_WEBHOOK_URL", url)

    @dg.op
    def breaks():
        raise ValueError("the warehouse file is gone")

    @dg.job
    def broken():
        breaks()

    instance = dg.DagsterInstance.ephemeral()
    warehouse = tmp_path / "data" / "warehouse.duckdb"
    result = broken.execute_in_process(
        instance=instance, raise_on_error=False, tags={WAREHOUSE_TAG: str(warehouse)}
    )
    assert not result.success
    sensor = build_failure_sensor(load_default_config())
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_instance=instance,
        dagster_event=result.get_run_failure_event(),
        dagster_run=result.dagster_run,
    ).for_run_failure()
    sensor(context)
    line = (tmp_path / "data" / "logs" / "alerts.log").read_text().strip()
    assert line.endswith(
        f"stature: run {result.run_id} of job broken failed: "
        "step breaks failed: ValueError: the warehouse file is gone"
    )
    (post,) = posts
    assert post["text"] == line and post["run_id"] == result.run_id and post["job"] == "broken"
    assert post["status"] == "failure"


def load_default_config():
    from dagster_project.config import StatureConfig

    return StatureConfig()


def test_an_unreachable_webhook_is_said_and_the_alert_still_logged(tmp_path):
    @dg.job
    def nothing():
        pass

    run = nothing.execute_in_process(instance=dg.DagsterInstance.ephemeral()).dagster_run
    line = alert_line(run, "boom")
    # a port nothing listens on: the POST fails, the line is still written
    problem = send_alert(line, run, tmp_path, "http://127.0.0.1:9/secret-token")
    assert problem == "the alert webhook did not take the alert: ConnectionError"
    assert "secret-token" not in problem
    assert (tmp_path / "alerts.log").read_text() == line + "\n"


def test_publish_reads_the_public_tables_only_and_every_rule_has_its_checks():
    defs = build_definitions(config_path=str(REPO / "stature.yml"))
    graph = defs.resolve_asset_graph()
    parents = graph.get(PUBLISHED_KEY).parent_keys
    schemas = {key.path[0] for key in parents}
    assert schemas <= {"marts", "scorecards", "reporting"}, schemas
    assert {"marts", "scorecards", "reporting"} <= schemas
    # the quarterly snapshot reads the rules and the marts
    quarter = graph.get(dg.AssetKey(["scorecards", "maturity_quarter"])).parent_keys
    assert dg.AssetKey(["marts", "dim_services"]) in quarter
    assert any(graph.get(key).group_name == "rules" for key in quarter)

    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    rules = [k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "rules"]
    assert rules
    for key in rules:
        assert (key.to_user_string(), "no_errors") in checks
        assert (key.to_user_string(), "not_reported_share") in checks
    assert ("raw_github/_rejected", "no_new_rejections") in checks
    assert ("published/stature", "fresh") in checks


def test_cli_runs_go_to_the_projects_dagster_home_when_dagster_home_is_unset(tmp_path, monkeypatch):
    from dagster_project.defs.runner import JobOptions, instance_for

    config = _config(tmp_path, tmp_path / "published")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    instance = instance_for(JobOptions(config_path=config))
    # relative to the config's folder, as every path in it
    assert Path(instance.root_directory) == tmp_path / "data" / "dagster_home"
    assert not instance.is_ephemeral
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "mine"))
    assert Path(instance_for(JobOptions(config_path=config)).root_directory) == tmp_path / "mine"
