"""The data tests written for this project (dbt_project/tests/generic/stature_tests.sql) fail
on the rows they guard against, and say which column: run by dbt on a copy of the session's
nightly warehouse with such rows put in."""

import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project.config import DuplicateKey, load_yaml
from tests.conftest import NightlyRun
from tests.support.dbt_run import dbt

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"


@pytest.mark.parametrize(
    "path",
    sorted(p for p in DBT_DIR.rglob("*.yml") if not {"target", "dbt_packages"} & set(p.parts)),
    ids=lambda p: str(p.relative_to(DBT_DIR)),
)
def test_no_dbt_yaml_file_gives_a_key_twice(path: Path) -> None:
    """YAML keeps the last of a key given twice: a model's second `data_tests:` would drop
    every test of its first without a word (it did, once). The config's loader refuses it."""
    load_yaml(path.read_text())


def test_a_key_given_twice_is_refused_with_both_lines() -> None:
    text = "models:\n  - name: m\n    data_tests: [a]\n    columns: []\n    data_tests: [b]\n"
    with pytest.raises(DuplicateKey, match=r"'data_tests' is given twice, at lines 3 and 5"):
        load_yaml(text)
    assert yaml.safe_load(text)["models"][0]["data_tests"] == ["b"]  # what dbt would read


def test_nulls_a_repeated_key_and_an_unknown_code_fail_their_tests(
    nightly: NightlyRun, tmp_path: Path
) -> None:
    """A model's required columns are checked by one not_null_columns test, which lists each
    column that has NULLs and on how many rows; its counts and durations by one
    non_negative_columns test, alike; a key column by one primary_key test (unique and not
    null); its coded columns by one accepted_values_columns test, which lists each value a
    column should not hold."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(nightly.workspace.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        first, last = con.execute(
            "select min(deployment_id), max(deployment_id) from marts.fct_deployments"
        ).fetchone()
        assert first != last
        con.execute(
            "update marts.fct_deployments set deploy_day = null where deployment_id in (?, ?)",
            [first, last],
        )
        con.execute(
            "update marts.fct_deployments set service_id = null, change_count = -1, "
            "source = 'ftp' where deployment_id = ?",
            [last],
        )
        con.execute(
            "insert into marts.fct_deployments "
            "select * from marts.fct_deployments where deployment_id = ?",
            [first],
        )
    selected = [
        f"fct_deployments,test_name:{name}"
        for name in (
            "not_null_columns",
            "non_negative_columns",
            "primary_key",
            "accepted_values_columns",
        )
    ]
    result = dbt(warehouse, tmp_path, "test", "--select", *selected, "--store-failures")
    assert result.returncode == 1, result.stdout[-3000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())
    outcome = {
        r["unique_id"].split(".")[2].split("_fct_deployments")[0]: (r["status"], r["failures"])
        for r in results["results"]
        if r["unique_id"].startswith("test.")
    }
    assert outcome == {
        "not_null_columns": ("fail", 2),
        "non_negative_columns": ("fail", 1),
        "primary_key": ("fail", 1),
        "accepted_values_columns": ("fail", 1),
    }
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = dict(
            con.execute(
                "select table_name, schema_name || '.' || table_name from duckdb_tables() "
                "where schema_name like '%audit%'"
            ).fetchall()
        )
        nulls = next(v for k, v in tables.items() if k.startswith("not_null_columns"))
        key = next(v for k, v in tables.items() if k.startswith("primary_key"))
        negative = next(v for k, v in tables.items() if k.startswith("non_negative_columns"))
        assert con.execute(f"select * from {negative}").fetchall() == [("change_count", 1)]
        assert sorted(con.execute(f"select * from {nulls}").fetchall()) == [
            ("deploy_day", 3),  # the two rows set NULL and the copy of the first
            ("service_id", 1),
        ]
        assert con.execute(f"select * from {key}").fetchall() == [(first, 2)]
        coded = next(v for k, v in tables.items() if k.startswith("accepted_values_columns"))
        assert con.execute(f"select * from {coded}").fetchall() == [("source", "ftp", 1)]
