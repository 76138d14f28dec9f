"""The whole nightly job through the real CLI, Dagster, dlt, dbt and the rule engine, on a
generated sample org in a temp folder; then a second run while a reader holds the published
copy."""

from __future__ import annotations

import threading
import time

import duckdb
import pytest

from tests.conftest import SMALL_ORG_END, Workspace, make_workspace

pytestmark = pytest.mark.slow

PUBLIC_TABLES = [
    "marts.dim_services",
    "marts.dim_teams",
    "marts.fct_deployments",
    "marts.fct_changes",
    "marts.fct_incidents",
    "marts.dora_metrics",
    "marts.bsc_measures",
    "scorecards.check_results",
    "scorecards.maturity_snapshots",
    "scorecards.maturity_movements",
    "scorecards.maturity_audit",
    "scorecards.balanced_scorecard",
    "scorecards.bsc_targets",
]


@pytest.fixture(scope="module")
def ran(tmp_path_factory, small_org) -> tuple[Workspace, object]:
    ws = make_workspace(tmp_path_factory.mktemp("e2e"), small_org)
    result = ws.stature("run", "--as-of", SMALL_ORG_END.isoformat())
    return ws, result


def test_the_nightly_run_succeeds_and_prints_the_summary(ran):
    ws, result = ran
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    out = result.stdout
    assert "Services and teams: 12 services in 4 teams" in out
    assert "DORA by team" in out
    assert "Check results as of 2026-11-15" in out
    assert str(ws.published / "stature.duckdb") in out
    assert "All well." in out


@pytest.mark.parametrize("table", PUBLIC_TABLES)
def test_every_public_table_is_filled_in_the_published_copy(ran, table):
    ws, _ = ran
    with duckdb.connect(str(ws.published / "stature.duckdb"), read_only=True) as con:
        assert con.execute(f"select count(*) from {table}").fetchone()[0] > 0
    assert (
        ws.published / "parquet" / table.split(".")[0] / f"{table.split('.')[1]}.parquet"
    ).exists()


def test_eight_closed_quarters_of_maturity_and_a_balanced_scorecard(ran):
    ws, _ = ran
    with duckdb.connect(str(ws.published / "stature.duckdb"), read_only=True) as con:
        quarters = con.execute(
            "select quarter, bool_and(is_closed) from scorecards.maturity_snapshots "
            "group by 1 order by 1"
        ).fetchall()
        entity_types = con.execute(
            "select distinct entity_type from scorecards.maturity_snapshots order by 1"
        ).fetchall()
        graded = con.execute(
            "select count(distinct entity_id), count(*) filter (where status in "
            "('green', 'yellow', 'red')) from scorecards.balanced_scorecard"
        ).fetchone()
    assert [q for q, closed in quarters if closed] == [
        "2024-Q4",
        "2025-Q1",
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
    ]
    assert quarters[-1] == ("2026-Q4", False)
    assert entity_types == [("org",), ("service",), ("team",)]
    assert graded[0] == 5  # four teams and the org
    assert graded[1] > 0


def test_a_reader_of_the_published_copy_works_during_a_run(ran):
    ws, _ = ran
    database = ws.published / "stature.duckdb"
    seen: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def read_repeatedly() -> None:
        while not done.is_set():
            try:
                with duckdb.connect(str(database), read_only=True) as con:
                    seen.append(
                        con.execute("select count(*) from marts.fct_deployments").fetchone()[0]
                    )
            except BaseException as exc:  # any failure to read is the finding
                errors.append(exc)
            time.sleep(0.2)

    reader = threading.Thread(target=read_repeatedly)
    reader.start()
    try:
        result = ws.stature("run", "--as-of", SMALL_ORG_END.isoformat())
    finally:
        done.set()
        reader.join()
    assert result.returncode == 0, result.stderr[-4000:]
    assert errors == []
    assert len(seen) > 10
    # the same export again: the same deployments, never a half-written state
    assert len(set(seen)) == 1
