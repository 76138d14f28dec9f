"""The Superset starter dashboard in bi/superset/stature_leaders/: an importable bundle
(database, datasets, charts, dashboard as Superset writes them) whose every dataset's SQL
runs against a published copy through SQLAlchemy, as Superset runs it, and gives the
columns the dataset declares.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.pool import NullPool

from tests.conftest import REPO
from tests.support.report_warehouse import published_copy

BUNDLE = REPO / "bi" / "superset" / "stature_leaders"
DATASETS = sorted((BUNDLE / "datasets" / "Stature").glob("*.yaml"))


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    _, _, report = published_copy(tmp_path_factory.mktemp("bi"))
    engine = sa.create_engine(
        f"duckdb:///{report.database}?access_mode=read_only", poolclass=NullPool
    )
    yield engine
    engine.dispose()


def test_the_bundle_is_whole_every_chart_on_the_dashboard_and_every_dataset_charted():
    assert _load(BUNDLE / "metadata.yaml")["type"] == "Dashboard"
    database = _load(BUNDLE / "databases" / "Stature.yaml")
    # read-only, absolute path: what the manual tells a reader to connect with
    assert database["sqlalchemy_uri"].startswith("duckdb:////")
    assert database["sqlalchemy_uri"].endswith("?access_mode=read_only")
    assert database["allow_dml"] is False
    datasets = {d["uuid"]: d for d in map(_load, DATASETS)}
    assert len(datasets) == 6
    assert {d["database_uuid"] for d in datasets.values()} == {database["uuid"]}
    charts = [_load(p) for p in sorted((BUNDLE / "charts").glob("*.yaml"))]
    assert sorted(c["dataset_uuid"] for c in charts) == sorted(datasets)
    (dashboard,) = [_load(p) for p in (BUNDLE / "dashboards").glob("*.yaml")]
    placed = {
        item["meta"]["uuid"]
        for key, item in dashboard["position"].items()
        if key.startswith("CHART-")
    }
    assert placed == {c["uuid"] for c in charts}
    rows = dashboard["position"]["GRID_ID"]["children"]
    assert all(dashboard["position"][r]["type"] == "ROW" for r in rows)


@pytest.mark.parametrize("path", DATASETS, ids=lambda p: p.stem)
def test_every_question_runs_on_the_published_copy(engine, path):
    dataset = _load(path)
    with engine.connect() as con:
        result = con.execute(sa.text(dataset["sql"]))
        columns = list(result.keys())
        rows = result.all()
    assert columns == [c["column_name"] for c in dataset["columns"]]
    assert rows, f"{path.name}: no rows on the hand-made published copy"
    # every time axis is a date column the dataset marks as such
    assert dataset["main_dttm_col"] in (None, *columns)


def test_the_running_quarter_is_labelled_to_date_in_the_trend_questions(engine):
    sql = _load(BUNDLE / "datasets" / "Stature" / "deploys_per_week_by_team.yaml")["sql"]
    with engine.connect() as con:
        rows = con.execute(sa.text(sql)).mappings().all()
        open_quarters = (
            con.execute(
                sa.text(
                    "select distinct period_label from reporting.dora_trends "
                    "where period_grain = 'quarter' and not is_closed"
                )
            )
            .scalars()
            .all()
        )
    assert open_quarters, "the hand-made copy has a running quarter"
    assert {r["period_label"] for r in rows if r["period_state"] == "to date"} == set(open_quarters)
    assert all(
        r["period_state"] == "closed" for r in rows if r["period_label"] not in open_quarters
    )
