"""The starter dashboard in a real Superset (`make check-superset`, `pytest -m superset`; not
part of `make test`): bi/superset/check_import.py installs Superset in its own virtualenv,
imports the bundle into a throwaway instance pointed at a published copy, and runs every
chart's query through Superset's API. Here the copy is the hand-made one, so each chart's
row count is checked against the same question asked of DuckDB directly: the rows Superset
returned are the dataset's rows, grouped as the chart groups them.
"""

from __future__ import annotations

import re
import subprocess
import sys

import duckdb
import pytest
import yaml

from tests.conftest import REPO
from tests.support.report_warehouse import published_copy

pytestmark = pytest.mark.superset

BUNDLE = REPO / "bi" / "superset" / "stature_leaders"
CHART_LINE = re.compile(
    r"^  (?P<title>.+) \((?P<viz>\w+), dataset (?P<dataset>\w+)\): (?P<rows>\d+) rows$"
)


def _expected_rows(database, chart: dict, dataset_sql: str) -> int:
    """What the chart asks of its dataset, asked of DuckDB: a time series has a row per
    quarter of its x axis and series; a raw table a row per dataset row."""
    params = chart["params"]
    if params.get("x_axis"):
        assert params["time_grain_sqla"] == "P3M"
        keys = [f"date_trunc('quarter', {params['x_axis']})", *params["groupby"]]
        sql = f"select count(*) from (select distinct {', '.join(keys)} from ({dataset_sql}))"
    else:
        sql = f"select count(*) from ({dataset_sql})"
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_the_starter_dashboard_imports_and_every_chart_runs_in_superset(tmp_path):
    _, _, report = published_copy(tmp_path / "copy")
    result = subprocess.run(
        [sys.executable, str(REPO / "bi" / "superset" / "check_import.py"),
         "--published", str(report.database)],
        cwd=REPO, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "dashboard 'Stature: engineering trends for leaders': 6 charts, 6 datasets" in (
        result.stdout
    )
    ran = {
        m["title"]: m.groupdict() for m in map(CHART_LINE.match, result.stdout.splitlines()) if m
    }
    charts = [yaml.safe_load(p.read_text()) for p in sorted((BUNDLE / "charts").glob("*.yaml"))]
    datasets = {
        d["uuid"]: d
        for d in (
            yaml.safe_load(p.read_text()) for p in (BUNDLE / "datasets" / "Stature").glob("*.yaml")
        )
    }
    assert sorted(ran) == sorted(c["slice_name"] for c in charts)
    for chart in charts:
        dataset = datasets[chart["dataset_uuid"]]
        line = ran[chart["slice_name"]]
        assert (line["viz"], line["dataset"]) == (chart["viz_type"], dataset["table_name"])
        expected = _expected_rows(report.database, chart, dataset["sql"])
        assert expected > 0, f"{dataset['table_name']}: the hand-made copy has no rows for it"
        assert int(line["rows"]) == expected, chart["slice_name"]
    # nothing of the throwaway instance is left behind
    assert not list(tmp_path.glob("stature-superset-*"))
