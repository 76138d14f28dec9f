"""When an upstream output is missing (a dbt model failed), Dagster skips everything reading it,
down to publish: the continuation runs exactly what was skipped, in a second run. Real Dagster
runs on an ephemeral instance; and the Definitions' wiring that keeps the published folder
untouched until publish."""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.continuation import (
    CONTINUES_TAG,
    DEPTH_TAG,
    MAX_DEPTH,
    build_continuation_sensor,
    never_rerun_keys,
    unfinished_assets,
)

A, B = dg.AssetKey("a"), dg.AssetKey("b")


def _graph(b_fails: bool = True):
    @dg.multi_asset(specs=[dg.AssetSpec(A, skippable=True), dg.AssetSpec(B, skippable=True)])
    def models():
        yield dg.MaterializeResult(asset_key=A)
        if not b_fails:  # when B "failed" (a dbt model), it yields nothing
            yield dg.MaterializeResult(asset_key=B)

    @dg.asset(deps=[A])
    def reads_a():
        return None

    @dg.asset(deps=[B])
    def reads_b():
        return None

    @dg.asset(deps=[reads_a, reads_b])
    def publish():
        return None

    job = dg.define_asset_job("nightly", selection=dg.AssetSelection.all())
    return dg.Definitions(assets=[models, reads_a, reads_b, publish], jobs=[job]), job


def test_the_continuation_runs_what_was_skipped_and_nothing_else():
    defs, job_def = _graph()
    instance = dg.DagsterInstance.ephemeral()
    job = defs.resolve_job_def("nightly")
    first = job.execute_in_process(instance=instance, raise_on_error=False)
    assert first.success
    done = {e.asset_key for e in first.get_asset_materialization_events()}
    assert done == {A, dg.AssetKey("reads_a")}

    remaining = unfinished_assets(instance, first.run_id, never_rerun=[A, B])
    assert remaining == [dg.AssetKey("publish"), dg.AssetKey("reads_b")]

    sensor = build_continuation_sensor(job_def, [A, B])
    run = instance.get_run_by_id(first.run_id)
    success = next(e for e in first.all_events if e.event_type == dg.DagsterEventType.RUN_SUCCESS)
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=success,
        repository_def=defs.get_repository_def(),
    )
    request = sensor(context)
    assert isinstance(request, dg.RunRequest)
    assert sorted(request.asset_selection, key=str) == remaining
    assert request.tags[CONTINUES_TAG] == first.run_id

    second = job.execute_in_process(
        instance=instance, asset_selection=remaining, tags=request.tags, raise_on_error=False
    )
    assert second.success
    assert {e.asset_key for e in second.get_asset_materialization_events()} == set(remaining)
    # nothing left: the continuation is not continued
    again = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(second.run_id),
        dagster_event=next(
            e for e in second.all_events if e.event_type == dg.DagsterEventType.RUN_SUCCESS
        ),
        repository_def=defs.get_repository_def(),
    )
    assert isinstance(sensor(again), dg.SkipReason)


def _sensor_request(sensor, defs, instance, run_id):
    run = instance.get_run_by_id(run_id)
    success = next(
        e
        for e in instance.all_logs(run_id)
        if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.RUN_SUCCESS
    )
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=success.dagster_event,
        repository_def=defs.get_repository_def(),
    )
    return sensor(context)


def test_a_second_partial_step_is_continued_once_more_and_then_publish_runs():
    """Two partial steps, as in the nightly: the marts (B fails), then the reporting models
    (D, reading B, fails in the continuation). The first continuation runs the reporting step
    but skips publish again; the second runs publish; there is no third."""
    C, D = dg.AssetKey("c"), dg.AssetKey("d")

    @dg.multi_asset(specs=[dg.AssetSpec(A, skippable=True), dg.AssetSpec(B, skippable=True)])
    def models():
        yield dg.MaterializeResult(asset_key=A)

    @dg.multi_asset(
        specs=[
            dg.AssetSpec(C, deps=[A], skippable=True),
            dg.AssetSpec(D, deps=[B], skippable=True),
        ]
    )
    def reporting():
        yield dg.MaterializeResult(asset_key=C)

    @dg.asset(deps=[C, D])
    def publish():
        return None

    job_def = dg.define_asset_job("nightly", selection=dg.AssetSelection.all())
    defs = dg.Definitions(assets=[models, reporting, publish], jobs=[job_def])
    job = defs.resolve_job_def("nightly")
    sensor = build_continuation_sensor(job_def, [A, B])
    instance = dg.DagsterInstance.ephemeral()

    runs = [job.execute_in_process(instance=instance, raise_on_error=False)]
    while isinstance(
        request := _sensor_request(sensor, defs, instance, runs[-1].run_id), dg.RunRequest
    ):
        runs.append(
            job.execute_in_process(
                instance=instance,
                asset_selection=list(request.asset_selection),
                tags=request.tags,
                raise_on_error=False,
            )
        )
    done = [{e.asset_key for e in r.get_asset_materialization_events()} for r in runs]
    assert done == [{A}, {C}, {dg.AssetKey("publish")}]
    assert [r.dagster_run.tags.get(DEPTH_TAG) for r in runs] == [None, "1", "2"]
    assert len(runs) == MAX_DEPTH + 1


def test_a_run_that_did_everything_is_not_continued():
    defs, _ = _graph(b_fails=False)
    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def("nightly").execute_in_process(instance=instance)
    assert result.success
    assert unfinished_assets(instance, result.run_id, never_rerun=[A, B]) == []


def test_nothing_is_drawn_into_the_published_folder_before_publish():
    from dagster_project.defs.assembly import build_definitions

    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    strategy_map = graph.get(dg.AssetKey(["published", "strategy_map"]))
    report = graph.get(dg.AssetKey(["published", "report"]))
    assert dg.AssetKey(["published", "stature"]) in strategy_map.parent_keys
    assert dg.AssetKey(["published", "strategy_map"]) in report.parent_keys
    assert sorted(s.name for s in defs.sensors) == ["nightly_continuation", "run_failure_alert"]


def test_a_run_whose_upstream_step_failed_outright_is_not_continued():
    """dbt did not run at all (a project that does not parse): nothing downstream may run on
    yesterday's tables as if they were fresh."""

    @dg.asset
    def models():
        raise RuntimeError("dbt build did not run")

    @dg.asset(deps=[models])
    def reads_models():
        return None

    defs = dg.Definitions(
        assets=[models, reads_models],
        jobs=[dg.define_asset_job("nightly", selection=dg.AssetSelection.all())],
    )
    instance = dg.DagsterInstance.ephemeral()
    result = defs.resolve_job_def("nightly").execute_in_process(
        instance=instance, raise_on_error=False
    )
    assert not result.success
    assert unfinished_assets(instance, result.run_id, never_rerun=[models.key]) == []


def test_a_continuation_of_the_nightly_builds_the_reporting_step_but_never_the_marts_again():
    # The reporting models are dbt assets too, but they come after the rules: when a mart
    # failed, the continuation must build them (or the published copy has no reporting views).
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    never = never_rerun_keys(graph)
    assert {
        dg.AssetKey(["marts", "fct_deployments"]),
        dg.AssetKey(["staging", "stg_github__pull_requests"]),
        dg.AssetKey(["raw_github", "pulls"]),
    } <= never
    reporting = {
        dg.AssetKey(["reporting", "service_standards"]),
        dg.AssetKey(["reporting", "dora_trends"]),
        dg.AssetKey(["scorecards", "balanced_scorecard"]),
    }
    assert reporting <= graph.get_all_asset_keys()
    assert not reporting & never
