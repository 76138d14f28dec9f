"""The incremental DORA models on real DuckDB: the hand-made org of test_dbt_models built once,
then three records land and dbt builds again without --full-refresh:

    D6       checkout, 2026-01-13 10:00, ships d3 again (a new week; contains nothing new)
    L1       ledger, 2026-01-06 09:00: a deployment that arrives late (ledger's first)
    PINC3    checkout incident 2026-01-10 10:00 (1 h after D5), resolved 12:00: late too

PINC3 is attributed to D5 (window): D5 fails and recovers in 3 h. D3 (rolled back) recovers
with the next deployment that did not fail: no longer D5 but D6, 01-07 16:00 -> 01-13 10:00 =
138 h. Only the events that changed are written again, and only the periods holding them.

The GitHub staging models read only what landed since their last build: checkout's PR #1 is
retitled in place before the second build, keeping its old load id (no landing does that),
and the second build must not see it; PR #4 gets a version older than the one it has, in a
new landing, and must keep its newest version.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.support import raw_fixture
from tests.test_dbt_models import (
    REPO,
    _deployment,
    _incident,
    _pull,
    _records,
    _rows,
    _status,
    load_small_org,
    run_dbt,
)

# models and seeds up to the DORA marts, no tests: what the nightly builds, minus its checks
BUILD = (
    "build",
    "--select",
    "+dora_metrics",
    "--exclude-resource-type",
    "test",
    "--exclude-resource-type",
    "unit_test",
)
D3, D5, D6 = (f"github:acme/checkout:{i}" for i in (5, 7, 8))
L1 = "github:acme/ledger:101"
WEEK = "2026-01-05"
MARK = "not recomputed"


def land_late_records(con: duckdb.DuckDBPyConnection) -> None:
    rf = raw_fixture
    for repo, dep_id, sha, created, done in (
        ("acme/checkout", 8, "d3" * 20, "2026-01-13T09:50:00", "2026-01-13T10:00:00"),
        ("acme/ledger", 101, "f1" * 20, "2026-01-06T08:50:00", "2026-01-06T09:00:00"),
    ):
        deployment = rf.github_rows(
            "deployments", [_deployment(dep_id, sha, "production", created)], repo=repo
        )
        rf.insert(con, "github", "deployments", deployment)
        status = [_status(dep_id * 10, "success", done)]
        rows = rf.github_rows("deployment_statuses", status, repo=repo, parent=dep_id)
        rf.insert(con, "github", "deployment_statuses", rows)
    incident = _incident("PINC3", "2026-01-10T10:00:00", "2026-01-10T12:00:00", "Checkout errors")
    rf.insert(con, "pagerduty", "incidents", rf.pagerduty_rows([incident]))


@pytest.fixture(scope="module")
def increment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp_path = tmp_path_factory.mktemp("increment")
    warehouse = raw_fixture.create_raw_warehouse(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        load_small_org(con)
    first = run_dbt(warehouse, tmp_path, *BUILD)
    assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-2000:]
    first_built = _rows(
        warehouse, "select max(built_at) from intermediate.int_dora_events_periodized"
    )
    with duckdb.connect(str(warehouse)) as con:
        # A stored figure the increment must leave alone where nothing changed (platform's week:
        # D1, D2 and their changes) and recompute where something did (checkout's week).
        con.execute(
            "update marts.dora_metrics set deployment_frequency_tier = ? "
            "where period_grain = 'week' and period_start = ? and entity_id in ('platform', 'checkout')",
            [MARK, WEEK],
        )
        land_late_records(con)
        con.execute(
            "update raw_github.pulls set payload = replace(payload::varchar, ?, ?)::json "
            "where repo = ? and number = 1",
            ['"Add cart"', '"Retitled in place"', REPO],
        )
        older = _pull(4, "An older version", "2026-01-06T12:00:00", None, "e4" * 20)
        raw_fixture.insert(
            con, "github", "pulls", raw_fixture.github_rows("pulls", [older], repo=REPO)
        )
    second = run_dbt(warehouse, tmp_path, *BUILD)
    assert second.returncode == 0, second.stdout[-6000:] + second.stderr[-2000:]
    assert "incremental model marts.dora_metrics" in second.stdout
    return {"warehouse": warehouse, "first_built": first_built[0][0], "dbt_dir": tmp_path}


def test_only_changed_events_are_written_again(increment) -> None:
    with duckdb.connect(str(increment["warehouse"]), read_only=True) as con:
        rows = con.execute(
            "select event_id, built_at > ? from intermediate.int_dora_events_periodized",
            [increment["first_built"]],
        ).fetchall()
    rewritten = sorted(event for event, newer in rows if newer)
    assert rewritten == sorted([D3, D5, D6, L1, "pagerduty:PINC3"])
    assert len(rows) == 14  # 7 deployments, 4 deployed changes, 3 incidents


def test_late_records_change_the_deployments_they_touch(increment) -> None:
    columns = "is_failure, failure_reasons, recovery_hours, next_deployment_id, team_id"
    found = _records(
        increment["warehouse"],
        f"select deployment_id, {columns} from marts.fct_deployments "
        f"where deployment_id in ('{D3}', '{D5}', '{D6}', '{L1}')",
        "deployment_id",
    )
    assert {k: tuple(v.values())[1:] for k, v in found.items()} == {
        D3: (True, ["rollback"], 138.0, "github:acme/checkout:6", "payments"),
        D5: (True, ["incident"], 3.0, D6, "payments"),
        D6: (False, [], None, None, "payments"),
        L1: (False, [], None, None, "payments"),
    }
    incidents = _records(
        increment["warehouse"],
        "select incident_id, deployment_id, attribution_method from marts.fct_incidents",
        "incident_id",
    )
    assert incidents["pagerduty:PINC3"]["deployment_id"] == D5
    assert incidents["pagerduty:PINC3"]["attribution_method"] == "window"


def test_only_touched_periods_are_recomputed(increment) -> None:
    columns = (
        "deployments, deploy_days, failed_deployments, change_failure_rate, "
        "recovery_sample_size, recovery_time_p50_hours, rework_rate, incidents, "
        "deployment_frequency_tier"
    )
    metrics = _records(
        increment["warehouse"],
        f"select entity_type, entity_id, period_start::varchar as period_start, {columns} "
        "from marts.dora_metrics where period_grain = 'week'",
        "entity_type,entity_id,period_start",
    )
    figures = {k: tuple(v.values())[3:] for k, v in metrics.items()}
    # Week of 01-05: checkout D1..D5, failed D1, D3, D4, D5 (4 of 5); recoveries 22 (D1),
    # 138 (D3), 19 (D4), 3 (D5) -> p50 (19 + 22) / 2 = 20.5; rework D2, D4; incidents 3.
    # 5 deploys a week: high (recomputed over the mark).
    assert figures[("service", "checkout", WEEK)] == (5, 4, 4, 0.8, 4, 20.5, 0.4, 3, "high")
    # the org adds ledger's L1 on 01-06 (a day already counted): 6, 4 of 6 failed.
    assert figures[("org", "org", WEEK)] == (
        6, 4, 4, pytest.approx(4 / 6), 4, 20.5, pytest.approx(2 / 6), 3, "high"
    )  # fmt: skip
    # payments: D3 (138), D4 (19), D5 (3) and L1: 3 of 4 failed, p50 19.
    assert figures[("team", "payments", WEEK)] == (4, 3, 3, 0.75, 3, 19.0, 0.25, 3, "high")
    assert figures[("service", "ledger", WEEK)] == (1, 1, 0, 0.0, 0, None, 0.0, 0, "high")
    # platform's week holds nothing that changed: not recomputed, the mark stays
    assert figures[("team", "platform", WEEK)] == (2, 2, 1, 0.5, 1, 22.0, 0.5, 0, MARK)
    # the new week: D6 only; every entity's series reaches it
    assert figures[("service", "checkout", "2026-01-12")] == (1, 1, 0, 0.0, 0, None, 0.0, 0, "high")
    assert figures[("team", "platform", "2026-01-12")][:3] == (0, 0, 0)
    assert sorted(k for k in figures if k[2] == "2026-01-12") == [
        ("org", "org", "2026-01-12"),
        ("service", "checkout", "2026-01-12"),
        ("service", "ledger", "2026-01-12"),
        ("team", "payments", "2026-01-12"),
        ("team", "platform", "2026-01-12"),
    ]


def test_a_full_refresh_rebuilds_the_untouched_periods_too(increment, tmp_path: Path) -> None:
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(Path(increment["warehouse"]).read_bytes())
    # the increment's dbt folder: its parse state saves a full parse of the project
    dbt_dir = increment["dbt_dir"]
    result = run_dbt(copy, dbt_dir, "run", "--select", "dora_metrics", "--full-refresh")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    tiers = _rows(
        copy,
        "select deployment_frequency_tier from marts.dora_metrics "
        f"where period_grain = 'week' and period_start = '{WEEK}' and entity_id = 'platform'",
    )
    assert tiers == [("high",)]


PR_TITLES = (
    f"select pr_number, title from staging.stg_github__pull_requests where repo = '{REPO}' "
    "order by 1"
)


def test_staging_reads_only_what_landed_since_its_last_build(increment) -> None:
    titles = _rows(increment["warehouse"], PR_TITLES)
    # #1 was changed without a landing: not read again; #4 was read again, all its versions,
    # and its newest stays.
    assert titles == [(1, "Add cart"), (2, "Fix tax"), (3, "Coupons"), (4, "Abandoned")]


def test_a_full_refresh_of_staging_reads_every_row(increment, tmp_path: Path) -> None:
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(Path(increment["warehouse"]).read_bytes())
    select = ("--select", "stg_github__pull_requests", "--full-refresh")
    result = run_dbt(copy, increment["dbt_dir"], "run", *select)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    titles = dict(_rows(copy, PR_TITLES))
    assert (titles[1], titles[4]) == ("Retitled in place", "Abandoned")
