"""The engine setting and the Spark engine's two ends that run without Spark: what dbt's
environment carries (and never carries), and the raw tables written to the lake and the marts
loaded back, on real DuckDB files. The Spark builds themselves are in tests/test_engines.py."""

from __future__ import annotations

import json

import duckdb
import pytest

from dagster_project import engines
from dagster_project.config import ConfigError, load_config


def _config(tmp_path, text: str):
    path = tmp_path / "stature.yml"
    path.write_text(text)
    return load_config(path)


def test_duckdb_is_the_default_and_one_line_switches_to_spark(tmp_path, monkeypatch):
    monkeypatch.delenv("STATURE_ENGINE", raising=False)
    assert _config(tmp_path, "").engine == "duckdb"
    config = _config(tmp_path, "warehouse: wh/w.duckdb\nengine: spark\n")
    assert config.engine == "spark"
    assert config.spark.method == "session"
    # the lake sits next to the warehouse file unless spark.lake says where
    assert config.lake_path == tmp_path / "wh" / "w.duckdb.lake"
    config = _config(tmp_path, "engine: spark\nspark:\n  lake: shared/lake\n")
    assert config.lake_path == tmp_path / "shared" / "lake"


def test_the_engine_variable_wins_over_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("STATURE_ENGINE", "spark")
    assert _config(tmp_path, "engine: duckdb\n").engine == "spark"
    monkeypatch.delenv("STATURE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no stature.yml here: the defaults, and the variable
    assert load_config().engine == "spark"
    monkeypatch.setenv("STATURE_ENGINE", "oracle")
    with pytest.raises(
        ConfigError, match=r"STATURE_ENGINE='oracle': the engine is one of duckdb, spark"
    ):
        _config(tmp_path, "")


def test_a_wrong_engine_or_spark_key_names_the_line(tmp_path, monkeypatch):
    monkeypatch.delenv("STATURE_ENGINE", raising=False)
    with pytest.raises(ConfigError) as error:
        _config(tmp_path, "org:\n  name: x\nengine: oracle\n")
    assert "stature.yml:3" in str(error.value) and "engine" in str(error.value)
    with pytest.raises(ConfigError) as error:
        _config(tmp_path, "engine: spark\nspark:\n  method: jdbc\n")
    assert "stature.yml:3" in str(error.value) and "spark.method" in str(error.value)


def test_dbt_gets_the_target_and_on_spark_the_connection(tmp_path, monkeypatch):
    monkeypatch.delenv("STATURE_ENGINE", raising=False)
    duck = _config(tmp_path, "")
    assert engines.dbt_environment(duck) == {"STATURE_DBT_TARGET": "duckdb"}

    config = _config(
        tmp_path,
        "warehouse: w.duckdb\nengine: spark\nspark:\n  settings: {spark.driver.memory: 6g}\n",
    )
    env = engines.dbt_environment(config, ["raw_github.pulls", "raw_catalog.components"])
    lake = tmp_path / "w.duckdb.lake"
    assert env["STATURE_DBT_TARGET"] == "spark"
    assert env["STATURE_LAKE"] == str(lake)
    assert env["STATURE_LAKE_TABLES"] == "raw_github.pulls,raw_catalog.components"
    assert env["STATURE_SPARK_METHOD"] == "session"
    settings = json.loads(env["STATURE_SPARK_PARAMETERS"])
    assert settings["spark.sql.ansi.enabled"] == "false"
    assert settings["spark.sql.session.timeZone"] == "UTC"
    assert settings["spark.sql.warehouse.dir"] == str(lake / "spark-warehouse")
    assert str(lake / "metastore_db") in settings["spark.hadoop.javax.jdo.option.ConnectionURL"]
    assert settings["spark.driver.memory"] == "6g"  # the config's settings win


def test_a_cluster_gets_its_token_from_the_named_variable_only(tmp_path, monkeypatch):
    monkeypatch.delenv("STATURE_ENGINE", raising=False)
    config = _config(
        tmp_path,
        "engine: spark\nspark:\n  method: http\n  host: dbc-1.cloud.example.com\n"
        "  cluster: 0123-abc\n  token_env: DATABRICKS_TOKEN\n  lake: /mnt/lake\n",
    )
    monkeypatch.delenv("DATABRICKS_TOKEN", raising=False)
    assert "STATURE_SPARK_TOKEN" not in engines.dbt_environment(config)
    monkeypatch.setenv("DATABRICKS_TOKEN", "s3cr3t-value")
    env = engines.dbt_environment(config)
    assert env["STATURE_SPARK_TOKEN"] == "s3cr3t-value"
    assert [k for k, v in env.items() if "s3cr3t" in v] == ["STATURE_SPARK_TOKEN"]
    assert env["STATURE_SPARK_HOST"] == "dbc-1.cloud.example.com"
    assert env["STATURE_SPARK_CLUSTER"] == "0123-abc"
    assert env["STATURE_LAKE"] == "/mnt/lake"
    # a cluster keeps its own metastore and warehouse folder: only runtime settings are sent
    settings = json.loads(env["STATURE_SPARK_PARAMETERS"])
    assert set(settings) == set(engines.RUNTIME_SETTINGS)


def test_raw_tables_go_to_the_lake_and_marts_come_back(tmp_path):
    warehouse, lake = tmp_path / "w.duckdb", tmp_path / "w.duckdb.lake"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("create schema raw_github; create schema marts; create schema ops")
        con.execute(
            "create table raw_github.pulls as select 7::bigint as id, "
            "'{\"a\": [1, 2]}'::json as payload, "
            "timestamptz '2026-03-02 09:00:00+00' as created_at, ['x', 'y'] as labels"
        )
        con.execute("create table raw_github.empty (id bigint)")
        con.execute("create table ops.not_raw as select 1 as x")
        con.execute("create table marts.fct_deployments as select 'old' as deployment_id")
    (lake / "raw" / "raw_github" / "gone").mkdir(parents=True)  # last night's, now replaced

    assert engines.write_raw_tables(warehouse, lake) == ["raw_github.empty", "raw_github.pulls"]
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        row = con.execute(
            f"select id, payload, created_at::varchar, labels "
            f"from '{lake}/raw/raw_github/pulls/data.parquet'"
        ).fetchone()
        assert row == (7, '{"a": [1, 2]}', "2026-03-02 09:00:00+00", ["x", "y"])
        assert con.execute(
            f"select count(*) from '{lake}/raw/raw_github/empty/*.parquet'"
        ).fetchone() == (0,)
        # what Spark writes back: a folder of part files per mart
        out = lake / "out" / "marts" / "fct_deployments"
        out.mkdir(parents=True)
        for part in (1, 2):
            con.execute(
                f"copy (select 'd{part}' as deployment_id, {part}.5::double as x, "
                f"{part}::integer as n) "
                f"to '{out}/part-{part}.parquet' (format parquet)"
            )
        (lake / "out" / "marts" / "dora_metrics").mkdir()  # a folder without rows files

    # the contract's types win over Parquet's (Spark's INT comes back BIGINT, as on DuckDB)
    marts = {"fct_deployments": {"n": "bigint", "gone": "varchar"}, "dora_metrics": {}}
    loaded = engines.load_marts(warehouse, lake, marts)
    assert loaded == ["fct_deployments"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select * from marts.fct_deployments order by all").fetchall()
        kinds = con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where table_name = 'fct_deployments' order by column_index"
        ).fetchall()
    assert rows == [("d1", 1.5, 1), ("d2", 2.5, 2)]
    assert kinds == [("deployment_id", "VARCHAR"), ("x", "DOUBLE"), ("n", "BIGINT")]

    engines.clear_marts(lake)
    assert not (lake / "out" / "marts").exists()
    assert (lake / "raw" / "raw_github" / "pulls" / "data.parquet").is_file()


def test_only_the_marts_the_build_built_come_back_with_their_contract_types():
    def node(schema, name, **columns):
        return {
            "resource_type": "model",
            "schema": schema,
            "name": name,
            "alias": name,
            "columns": {c: {"data_type": t} for c, t in columns.items()},
        }

    manifest = {
        "nodes": {
            "model.s.fct_deployments": node("marts", "fct_deployments", n="bigint", note=None),
            "model.s.dora_metrics": node("marts", "dora_metrics", value="double"),
            "model.s.int_x": node("intermediate", "int_x", a="varchar"),
            "test.s.unique_x": {"resource_type": "test", "schema": "marts", "name": "unique_x"},
        }
    }
    results = {
        "results": [
            {"unique_id": "model.s.fct_deployments", "status": "success"},
            {"unique_id": "model.s.dora_metrics", "status": "error"},
            {"unique_id": "model.s.int_x", "status": "success"},
            {"unique_id": "test.s.unique_x", "status": "pass"},
        ]
    }
    assert engines.built_marts(results, manifest) == {"fct_deployments": {"n": "bigint"}}
    assert engines.built_marts(None, manifest) == {}


def test_a_machine_without_spark_is_told_how_to_set_it_up(tmp_path, monkeypatch):
    monkeypatch.delenv("STATURE_ENGINE", raising=False)
    assert engines.not_ready(_config(tmp_path, "")) is None  # DuckDB needs nothing more
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on it
    problem = engines.not_ready(_config(tmp_path, "engine: spark\n"))
    assert problem is not None
    assert "a Java 17 runtime (java)" in problem and "make setup-spark" in problem
    # a cluster needs no local Java
    cluster = _config(tmp_path, "engine: spark\nspark: {method: thrift, host: spark.internal}\n")
    assert "java" not in (engines.not_ready(cluster) or "")


def test_a_killed_sessions_metastore_locks_are_cleared(tmp_path):
    metastore = tmp_path / "lake" / "metastore_db"
    metastore.mkdir(parents=True)
    for name in ("db.lck", "dbex.lck", "service.properties"):
        (metastore / name).write_text("x")
    removed = engines.clear_stale_metastore_locks(tmp_path / "lake")
    assert [p.name for p in removed] == ["db.lck", "dbex.lck"]
    assert [p.name for p in metastore.iterdir()] == ["service.properties"]
    assert engines.clear_stale_metastore_locks(tmp_path / "nothing") == []
