"""One Dagster asset per rule file, partitioned by as_of, materialized with dg.materialize."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import duckdb
from rules_helpers import statuses

from dagster_project.defs.resources import StatureResource
from dagster_project.defs.rules import RULES_PARTITIONS, build_rule_assets


def _materialization(result: dg.ExecuteInJobResult, key: dg.AssetKey) -> dict:
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        if mat.asset_key == key:
            return {k: v.value for k, v in mat.metadata.items()}
    raise AssertionError(f"no materialization of {key}")


def test_rule_assets_keys_deps_partitions_and_metadata(
    tmp_path, make_warehouse, rules_dir, write_rule
):
    warehouse = make_warehouse()
    write_rule(
        "sbom",
        "select s.service_id, count(r.run_id) as value from marts.dim_services s "
        "left join marts.fct_ci_runs r using (service_id) group by 1",
        level=3,
    )
    write_rule("broken", "select service_id, 1 as value from marts.nope", scorecard="dora")
    (rules_dir / "dora" / "headless.sql").write_text("select 1\n")
    assets = build_rule_assets(rules_dir)
    (step,) = assets  # one step computes every rule: one asset per rule file in it
    by_key = {spec.key: spec for spec in step.specs}
    sbom = dg.AssetKey(["scorecards", "security", "sbom"])
    assert set(by_key) == {
        sbom,
        dg.AssetKey(["scorecards", "dora", "broken"]),
        dg.AssetKey(["scorecards", "dora", "headless"]),
    }
    spec = by_key[sbom]
    assert set(spec.deps and [d.asset_key for d in spec.deps]) == {
        dg.AssetKey(["marts", "dim_services"]),
        dg.AssetKey(["marts", "fct_ci_runs"]),
    }
    assert spec.group_name == "rules"
    assert spec.partitions_def == RULES_PARTITIONS
    assert spec.owners == ["team:platform-team"]
    assert spec.metadata["level"] == 3 and spec.metadata["owner"] == "platform-team"
    assert spec.metadata["scorecard"] == "security" and spec.metadata["title"] == "Rule sbom"

    config_file = tmp_path / "stature.yml"
    config_file.write_text("")
    resource = StatureResource(
        config_path=str(config_file), warehouse=str(warehouse), rules_dir=str(rules_dir)
    )
    result = dg.materialize(assets, partition_key="2026-11-15", resources={"stature": resource})
    assert result.success  # a failing rule never fails the step
    meta = _materialization(result, sbom)
    assert (meta["fail"], meta["pass"], meta["errors"], meta["as_of"]) == (3, 0, 0, "2026-11-15")
    broken = _materialization(result, dg.AssetKey(["scorecards", "dora", "broken"]))
    assert broken["errors"] == 1 and broken["error"] == 3
    assert "unknown table marts.nope" in broken["error_message"]
    headless = _materialization(result, dg.AssetKey(["scorecards", "dora", "headless"]))
    assert headless["errors"] == 1 and headless["error"] == 3
    assert set(statuses(warehouse, "headless").values()) == {"error"}
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select distinct as_of from scorecards.check_results").fetchall() == [
        (dt.date(2026, 11, 15),)
    ]
    con.close()


def test_a_new_file_becomes_a_new_asset(rules_dir, write_rule):
    write_rule("one", "select service_id, 1 as value from marts.dim_services")
    assert {k.path[-1] for a in build_rule_assets(rules_dir) for k in a.keys} == {"one"}
    write_rule("two", "select service_id, 1 as value from marts.dim_services", scorecard="dora")
    keys = {k for a in build_rule_assets(rules_dir) for k in a.keys}
    assert dg.AssetKey(["scorecards", "dora", "two"]) in keys and len(keys) == 2
    assert dg.Definitions(
        assets=build_rule_assets(rules_dir), resources={"stature": StatureResource()}
    )
