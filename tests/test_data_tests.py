"""The data tests written for this project (dbt_project/tests/generic/stature_tests.sql) fail
on the rows they guard against, and say which column: run by dbt on a copy of the session's
nightly warehouse with such rows put in."""

import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import NightlyRun
from tests.support.dbt_run import dbt

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
MERGE = "tag:yaml.org,2002:merge"


class _StrictLoader(yaml.SafeLoader):
    """YAML that refuses a key given twice in one mapping. YAML keeps the last, so a model's
    second `data_tests:` would silently drop every test of its first."""

    def construct_mapping(self, node, deep=False):
        seen: dict[object, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE:  # `<<: *anchor`: its keys may be overridden
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"{key!r} given twice (first on line {seen[key]})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _StrictLoader.construct_mapping
)


@pytest.mark.parametrize(
    "path",
    sorted(p for p in DBT_DIR.rglob("*.yml") if not {"target", "dbt_packages"} & set(p.parts)),
    ids=lambda p: str(p.relative_to(DBT_DIR)),
)
def test_no_dbt_yaml_file_gives_a_key_twice(path: Path) -> None:
    yaml.load(path.read_text(), Loader=_StrictLoader)


def test_the_strict_loader_names_a_key_given_twice() -> None:
    text = "models:\n  - name: m\n    data_tests: [a]\n    columns: []\n    data_tests: [b]\n"
    with pytest.raises(
        yaml.constructor.ConstructorError, match=r"'data_tests' given twice \(first on line 3\)"
    ):
        yaml.load(text, Loader=_StrictLoader)
    assert yaml.safe_load(text)["models"][0]["data_tests"] == ["b"]  # what dbt would have read


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
