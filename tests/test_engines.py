"""The same results from either engine (`engine: duckdb | spark`, docs/engines.md).

The sample org's nightly runs through the real CLI once per engine; the hand-worked scenarios
(tests/test_mixed_org.py, tests/test_monorepo.py, whose figures are worked out by hand and
asserted on DuckDB) are built on Spark as the nightly's models step builds them. Every row of
every mart, every check status and every maturity level must be equal, floats within 1e-9.

These need pyspark, dbt-spark and Java 17: `make test-spark` installs them and runs this file.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.conftest import SMALL_ORG_END, NightlyRun, make_workspace
from tests.support.engine_parity import build_on_spark, compare, require_spark, tables_of
from tests.support.monorepo_org import write_monorepo_org
from tests.support.scenario import build
from tests.test_dbt_models import run_dbt

pytestmark = [pytest.mark.spark, pytest.mark.slow]

DORA_MARTS = [
    "marts.fct_deployments",
    "marts.fct_changes",
    "marts.fct_incidents",
    "marts.dora_metrics",
]


@pytest.fixture(scope="session")
def spark_nightly(tmp_path_factory, small_org) -> tuple:
    """The sample org's nightly with `engine: spark`, as of the DuckDB nightly's date."""
    require_spark()
    ws = make_workspace(tmp_path_factory.mktemp("spark_nightly"), small_org, engine="spark")
    result = ws.stature("run", "--as-of", SMALL_ORG_END.isoformat(), timeout=2400)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return ws, result


def test_the_spark_nightly_succeeds_and_says_so(spark_nightly):
    ws, result = spark_nightly
    assert result.stdout.rstrip().endswith("All well."), result.stdout[-3000:]
    assert ", models built by Spark (session)\n" in result.stdout
    with duckdb.connect(str(ws.warehouse), read_only=True) as con:
        statuses = dict(
            con.execute(
                "select status, count(*) from ops.dbt_results where resource_type = 'model' "
                "group by all"
            ).fetchall()
        )
    assert set(statuses) == {"success"}, statuses
    # the raw tables went to the lake as Parquet and the marts came back from it
    lake = ws.warehouse.with_name("warehouse.duckdb.lake")
    assert (lake / "raw" / "raw_github" / "pulls" / "data.parquet").is_file()
    assert any((lake / "out" / "marts" / "fct_deployments").glob("*.parquet"))


def test_every_mart_is_equal_on_both_engines(nightly: NightlyRun, spark_nightly):
    duckdb_warehouse = nightly.workspace.warehouse
    spark_warehouse = spark_nightly[0].warehouse
    marts = tables_of(duckdb_warehouse, "marts")
    assert set(DORA_MARTS) <= set(marts)
    assert tables_of(spark_warehouse, "marts") == marts
    parity = compare(duckdb_warehouse, spark_warehouse, marts)
    assert parity.differences == {}
    assert parity.compared == marts
    with duckdb.connect(str(spark_warehouse), read_only=True) as con:
        deployments = con.execute("select count(*) from marts.fct_deployments").fetchone()[0]
    assert deployments > 100  # the comparison compared something


def test_every_check_status_and_maturity_level_is_equal(nightly: NightlyRun, spark_nightly):
    duckdb_warehouse = nightly.workspace.warehouse
    spark_warehouse = spark_nightly[0].warehouse
    query = {
        # the values too, below, within the float tolerance
        "checks": "select as_of, rule_id, entity_type, entity_id, status "
        "from scorecards.check_results order by all",
        "levels": "select quarter, entity_type, entity_id, level "
        "from scorecards.maturity_snapshots order by all",
    }
    seen = {}
    for engine, warehouse in (("duckdb", duckdb_warehouse), ("spark", spark_warehouse)):
        with duckdb.connect(str(warehouse), read_only=True) as con:
            seen[engine] = {name: con.execute(sql).fetchall() for name, sql in query.items()}
    assert len(seen["duckdb"]["checks"]) > 100 and len(seen["duckdb"]["levels"]) > 10
    assert {status for *_, status in seen["duckdb"]["checks"]} >= {"pass", "fail"}
    assert seen["spark"] == seen["duckdb"]
    parity = compare(duckdb_warehouse, spark_warehouse, tables_of(duckdb_warehouse, "scorecards"))
    assert parity.differences == {}


def test_readers_get_the_same_published_copy(nightly: NightlyRun, spark_nightly):
    """The published DuckDB file holds the same tables and views with the same rows, and the
    same Parquet files, whichever engine built the marts."""

    def published(folder: Path) -> tuple[dict, set]:
        with duckdb.connect(str(folder / "stature.duckdb"), read_only=True) as con:
            objects = con.execute(
                "select schema_name || '.' || table_name from duckdb_tables() "
                "union all select schema_name || '.' || view_name from duckdb_views() "
                "where not internal order by all"
            ).fetchall()
            counts = {
                name: con.execute(f"select count(*) from {name}").fetchone()[0]
                for (name,) in objects
            }
        current = (folder / "parquet").resolve()
        files = {str(p.relative_to(current)) for p in current.rglob("*.parquet")}
        return counts, files

    duckdb_counts, duckdb_files = published(nightly.workspace.published)
    spark_counts, spark_files = published(spark_nightly[0].published)
    assert spark_counts == duckdb_counts
    assert "reporting.dora_trends" in spark_counts and spark_counts["marts.dora_metrics"] > 0
    assert spark_files == duckdb_files


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory) -> dict[str, Path]:
    from tests.support.mixed_org import write_mixed_org

    root = tmp_path_factory.mktemp("scenarios")
    return {
        "mixed": write_mixed_org(root / "mixed"),
        "monorepo": write_monorepo_org(root / "monorepo"),
    }


@pytest.mark.parametrize("scenario", ["mixed", "monorepo"])
def test_the_hand_worked_scenarios_are_equal_on_spark(scenario, scenarios, tmp_path):
    """The scenarios' figures are asserted by hand on DuckDB (test_mixed_org, test_monorepo):
    Spark must build every mart of them row for row the same."""
    require_spark()
    from ingestion import ingest_export

    export = scenarios[scenario]
    on_duckdb = tmp_path / "duckdb" / "warehouse.duckdb"
    on_duckdb.parent.mkdir()
    assert ingest_export(export, on_duckdb).ok
    build(on_duckdb, on_duckdb.parent)
    (tmp_path / "spark").mkdir()
    on_spark = build_on_spark(export, tmp_path / "spark")

    marts = tables_of(on_duckdb, "marts")
    assert tables_of(on_spark, "marts") == marts
    parity = compare(on_duckdb, on_spark, marts)
    assert parity.differences == {}
    with duckdb.connect(str(on_spark), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_deployments").fetchone()[0] > 0
        assert con.execute("select count(*) from marts.fct_changes").fetchone()[0] > 0


def test_the_reporting_models_are_portable_too(spark_nightly, tmp_path):
    """The nightly builds the reporting models (scorecards.*, reporting.*) on DuckDB, after the
    rule engine has written what they read. Built on Spark over the same tables, they give the
    same rows: here, over the Spark nightly's own lake and its scorecards tables."""
    from dagster_project import engines
    from dagster_project.config import load_config
    from dagster_project.defs.dbt import reporting_vars
    from dagster_project.manifest import load_manifest

    ws = spark_nightly[0]
    config = load_config(ws.config)
    manifest = load_manifest()
    sources = sorted(
        f"scorecards.{s['name']}"
        for s in manifest["sources"].values()
        if s["schema"] == "scorecards"
    )
    with duckdb.connect(str(ws.warehouse), read_only=True) as con:
        present = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables()"
            ).fetchall()
        }
    sources = [s for s in sources if s in present]
    assert "scorecards.check_results" in sources
    engines.write_tables(ws.warehouse, config.lake_path, sources)
    env = engines.dbt_environment(config, sources) | {"STATURE_AS_OF": SMALL_ORG_END.isoformat()}
    args = ["build", "--select", "tag:reporting", "--exclude", "test_type:unit"]
    args += ["--vars", json.dumps(reporting_vars(config))]
    result = run_dbt(ws.warehouse, tmp_path, *args, env=env)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]

    run_results = json.loads((tmp_path / "dbt_target" / "run_results.json").read_text())
    target_manifest = json.loads((tmp_path / "dbt_target" / "manifest.json").read_text())
    on_spark, on_duckdb = tmp_path / "on_spark.duckdb", tmp_path / "on_duckdb.duckdb"
    compared = []
    for schema in ("scorecards", "reporting"):
        built = engines.built_marts(run_results, target_manifest, schema)
        assert built, schema
        assert engines.load_marts(on_spark, config.lake_path, built, schema) == sorted(built)
        # DuckDB's own: the nightly's relations, each read in its own warehouse (a view's SQL
        # names its tables without the file's catalog) and kept as a table
        for name in built:
            rows = tmp_path / f"{schema}.{name}.parquet"
            with duckdb.connect(str(ws.warehouse), read_only=True) as con:
                con.execute(f"copy (select * from {schema}.{name}) to '{rows}' (format parquet)")
            with duckdb.connect(str(on_duckdb)) as con:
                con.execute(f"create schema if not exists {schema}")
                con.execute(f"create table {schema}.{name} as select * from '{rows}'")
        compared += [f"{schema}.{name}" for name in sorted(built)]
    assert "reporting.dora_trends" in compared and "reporting.service_maturity" in compared
    parity = compare(on_duckdb, on_spark, compared)
    assert parity.differences == {}
    assert parity.compared == compared
