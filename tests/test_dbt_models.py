"""The dbt project on real DuckDB: `dbt build` (models, data tests and the dbt unit tests) on
empty raw tables, and a small hand-made org whose DORA figures were worked out by hand.

The scenario (service `checkout`, repo acme/checkout, UTC, window 24 h, horizon 90 days):

    mainline  c0 (2025-06-01, history) - c1 (squash of PR 1) - c2 (direct commit)
              - c3 (squash of PR 2, label hotfix) - m3 (merge commit of PR 3: p3a, p3b)
    D1 2026-01-05 14:00 ships c1   -> PR 1
    D2 2026-01-06 12:00 ships c3   -> c2 and PR 2 (hotfix: D2 is rework, D1 fails, 22 h later)
       (a staging deployment and a failed production deployment of c3 are not deployments)
    D3 2026-01-07 16:00 ships m3   -> PR 3
    D4 2026-01-07 18:00 ships c3   -> rollback: D4 is rework, D3 fails
    I1 2026-01-08 10:00 (16 h after D4, resolved 13:00) -> attributed to D4: D4 fails, 19 h;
       so D3 recovers only with the next deployment that did not fail, D5: 65 h
    I2 2026-01-09 19:00 (25 h after D4, resolved 20:00) -> outside the window: not attributed
    D5 2026-01-10 09:00 ships m3 again -> contains nothing new
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.dbt import ensure_scorecard_sources
from tests.support import raw_fixture

ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"


def run_dbt(
    warehouse: Path, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run dbt against `warehouse`, with its target and logs under tmp_path (the project's
    own target/ holds the manifest Dagster reads, so tests never write there); `env` adds to
    dbt's environment (the Spark engine's settings)."""
    env = {
        **os.environ,
        "STATURE_WAREHOUSE": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(env or {}),
    }
    command = [str(DBT), *args]
    if args and args[0] in ("build", "run") and "--select" not in args:
        # The reporting models read what the rule and maturity stages write (scorecards.*):
        # a whole-project run here builds the marts, as the dbt_models asset does.
        command += ["--exclude", "tag:reporting"]
    command += [
        "--project-dir",
        str(DBT_DIR),
        "--profiles-dir",
        str(DBT_DIR),
        "--target-path",
        str(tmp_path / "dbt_target"),
        "--log-path",
        str(tmp_path / "dbt_logs"),
    ]
    return subprocess.run(
        command, env=env, cwd=DBT_DIR, capture_output=True, text=True, timeout=900
    )


def ts(text: str) -> str:
    return text if text.endswith("Z") else text + "Z"


# --- the hand-made org ----------------------------------------------------------------------

REPO = "acme/checkout"


def _commit(
    sha: str, authored: str, parents: list[str], message: str, committed: str | None = None
):
    return {
        "sha": sha,
        "commit": {
            "author": {"name": "Dev", "email": "dev@acme.test", "date": ts(authored)},
            "committer": {
                "name": "GitHub",
                "email": "noreply@github.com",
                "date": ts(committed or authored),
            },
            "message": message,
        },
        "author": {"login": "dev"},
        "parents": [
            {"sha": p, "url": f"https://api.github.com/repos/{REPO}/commits/{p}"} for p in parents
        ],
    }


def _pull(
    number: int,
    title: str,
    opened: str,
    merged: str | None,
    merge_sha: str | None,
    *,
    labels: tuple[str, ...] = (),
    branch: str = "feature/x",
) -> dict:
    return {
        "id": 1000 + number,
        "number": number,
        "state": "closed" if merged else "open",
        "title": title,
        "user": {"login": "dev"},
        "head": {"ref": branch, "sha": "h" * 40},
        "base": {"ref": "main"},
        "labels": [{"id": i, "name": name} for i, name in enumerate(labels)],
        "draft": False,
        "merge_commit_sha": merge_sha,
        "created_at": ts(opened),
        "updated_at": ts(merged or opened),
        "closed_at": ts(merged) if merged else None,
        "merged_at": ts(merged) if merged else None,
    }


def _review(review_id: int, submitted: str, login: str = "reviewer") -> dict:
    return {
        "id": review_id,
        "user": {"login": login},
        "state": "APPROVED",
        "submitted_at": ts(submitted),
    }


def _deployment(dep_id: int, sha: str, environment: str, created: str) -> dict:
    return {
        "id": dep_id,
        "sha": sha,
        "ref": "main",
        "task": "deploy",
        "environment": environment,
        "description": None,
        "creator": {"login": "deploy-bot"},
        "payload": {},
        "created_at": ts(created),
        "updated_at": ts(created),
    }


def _status(status_id: int, state: str, created: str) -> dict:
    return {"id": status_id, "state": state, "created_at": ts(created), "updated_at": ts(created)}


def _incident(incident_id: str, created: str, resolved: str | None, title: str) -> dict:
    return {
        "id": incident_id,
        "incident_number": int(incident_id[-1]),
        "title": title,
        "status": "resolved" if resolved else "triggered",
        "urgency": "high",
        "service": {"id": "PCHK", "summary": "checkout"},
        "created_at": ts(created),
        "updated_at": ts(resolved or created),
        "resolved_at": ts(resolved) if resolved else None,
        "last_status_change_at": ts(resolved or created),
    }


def load_small_org(con: duckdb.DuckDBPyConnection) -> None:
    rf = raw_fixture
    rf.insert(
        con,
        "catalog",
        "entities",
        rf.catalog_rows(
            [
                {
                    "apiVersion": "backstage.io/v1alpha1",
                    "kind": "Group",
                    "metadata": {"name": "payments"},
                    "spec": {"type": "team", "profile": {"displayName": "Payments"}},
                },
                {
                    "apiVersion": "backstage.io/v1alpha1",
                    "kind": "Group",
                    "metadata": {"name": "platform"},
                    "spec": {"type": "team", "profile": {"displayName": "Platform"}},
                },
                {
                    "apiVersion": "backstage.io/v1alpha1",
                    "kind": "Component",
                    "metadata": {
                        "name": "checkout",
                        "annotations": {
                            "github.com/project-slug": REPO,
                            "pagerduty.com/service-id": "PCHK",
                            "stature.dev/tier": "tier-1",
                            "stature.dev/runbook": "https://wiki.acme.test/checkout",
                            "stature.dev/endpoints": "https://checkout.acme.test, http://legacy.acme.test",
                            "stature.dev/owner-history": "platform@2025-01-01,group:default/payments@2026-01-07",
                        },
                    },
                    "spec": {
                        "type": "service",
                        "lifecycle": "production",
                        "owner": "group:default/payments",
                    },
                },
                {
                    "apiVersion": "backstage.io/v1alpha1",
                    "kind": "Component",
                    "metadata": {
                        "name": "ledger",
                        "annotations": {"github.com/project-slug": "acme/ledger"},
                    },
                    "spec": {"type": "service", "lifecycle": "production", "owner": "payments"},
                },
            ]
        ),
    )
    commits = [
        _commit("c0" * 20, "2025-06-01T00:00:00", [], "Initial commit"),
        _commit(
            "c1" * 20, "2026-01-03T11:59:00", ["c0" * 20], "Add cart (#1)", "2026-01-03T12:00:00"
        ),
        _commit("c2" * 20, "2026-01-06T08:00:00", ["c1" * 20], "Bump version"),
        _commit(
            "c3" * 20, "2026-01-06T10:59:00", ["c2" * 20], "Fix tax (#2)", "2026-01-06T11:00:00"
        ),
        _commit("a3" * 20, "2026-01-07T10:00:00", ["c3" * 20], "Start coupons"),
        _commit("b3" * 20, "2026-01-07T12:00:00", ["a3" * 20], "Finish coupons"),
        _commit(
            "d3" * 20,
            "2026-01-07T14:00:00",
            ["c3" * 20, "b3" * 20],
            "Merge pull request #3 from acme/coupons",
        ),
    ]
    rf.insert(con, "github", "commits", rf.github_rows("commits", commits, repo=REPO))
    pulls = [
        _pull(1, "Add cart", "2026-01-02T16:00:00", "2026-01-03T12:00:00", "c1" * 20),
        _pull(
            2,
            "Fix tax",
            "2026-01-06T09:30:00",
            "2026-01-06T11:00:00",
            "c3" * 20,
            labels=("hotfix",),
        ),
        _pull(3, "Coupons", "2026-01-07T12:30:00", "2026-01-07T14:00:00", "d3" * 20),
        _pull(4, "Abandoned", "2026-01-07T12:30:00", None, "e4" * 20),
    ]
    rf.insert(con, "github", "pulls", rf.github_rows("pulls", pulls, repo=REPO))
    pull_commits = {
        1: [
            _commit("p1" * 20, "2026-01-02T09:00:00", ["c0" * 20], "cart wip"),
            _commit("q1" * 20, "2026-01-02T15:00:00", ["p1" * 20], "cart done"),
        ],
        2: [_commit("p2" * 20, "2026-01-06T09:00:00", ["c2" * 20], "fix tax")],
        3: [
            _commit("a3" * 20, "2026-01-07T10:00:00", ["c3" * 20], "Start coupons"),
            _commit("b3" * 20, "2026-01-07T12:00:00", ["a3" * 20], "Finish coupons"),
        ],
    }
    for number, items in pull_commits.items():
        rf.insert(
            con,
            "github",
            "pull_commits",
            rf.github_rows("pull_commits", items, repo=REPO, parent=number),
        )
    reviews = {
        1: [_review(11, "2026-01-03T10:00:00"), _review(12, "2026-01-03T11:00:00")],
        3: [_review(31, "2026-01-07T13:30:00"), _review(32, "2026-01-07T13:00:00", login="dev")],
    }
    for number, items in reviews.items():
        rf.insert(
            con,
            "github",
            "pull_reviews",
            rf.github_rows("pull_reviews", items, repo=REPO, parent=number),
        )
    deployments = [
        (1, "c1" * 20, "production", "2026-01-05T13:50:00", [("success", "2026-01-05T14:00:00")]),
        (2, "c3" * 20, "staging", "2026-01-06T11:20:00", [("success", "2026-01-06T11:30:00")]),
        (3, "c3" * 20, "production", "2026-01-06T11:40:00", [("failure", "2026-01-06T11:45:00")]),
        (
            4,
            "c3" * 20,
            "Production",
            "2026-01-06T11:50:00",
            [("in_progress", "2026-01-06T11:55:00"), ("success", "2026-01-06T12:00:00")],
        ),
        (5, "d3" * 20, "production", "2026-01-07T15:50:00", [("success", "2026-01-07T16:00:00")]),
        (6, "c3" * 20, "production", "2026-01-07T17:50:00", [("success", "2026-01-07T18:00:00")]),
        (7, "d3" * 20, "prod", "2026-01-10T08:50:00", [("success", "2026-01-10T09:00:00")]),
    ]
    rf.insert(
        con,
        "github",
        "deployments",
        rf.github_rows(
            "deployments",
            [_deployment(i, sha, env, created) for i, sha, env, created, _ in deployments],
            repo=REPO,
        ),
    )
    for dep_id, _, _, _, statuses in deployments:
        rows = [_status(dep_id * 10 + n, state, at) for n, (state, at) in enumerate(statuses)]
        rf.insert(
            con,
            "github",
            "deployment_statuses",
            rf.github_rows("deployment_statuses", rows, repo=REPO, parent=dep_id),
        )
    rf.insert(
        con,
        "pagerduty",
        "incidents",
        rf.pagerduty_rows(
            [
                _incident("PINC1", "2026-01-08T10:00:00", "2026-01-08T13:00:00", "Checkout errors"),
                _incident("PINC2", "2026-01-09T19:00:00", "2026-01-09T20:00:00", "Checkout slow"),
            ]
        ),
    )


# --- tests ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_dbt_build_passes_on_empty_raw_tables(tmp_path: Path) -> None:
    """Every model builds, every data test and every dbt unit test passes. This is where
    the dbt unit tests run, once: the end-to-end runs leave them out."""
    warehouse = raw_fixture.create_raw_warehouse(tmp_path / "warehouse.duckdb")
    unit: dict[str, str] = {}
    for step in ("marts", "reporting"):
        if step == "reporting":
            # The reporting models read the tables the rule, initiative and maturity stages
            # create: made empty the way the nightly's reporting step makes them.
            ensure_scorecard_sources(warehouse)
            args = ("build", "--select", "tag:reporting")
        else:
            args = ("build",)
        result = run_dbt(warehouse, tmp_path, *args)
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
        assert "ERROR=0" in result.stdout
        results = json.loads((tmp_path / "dbt_target" / "run_results.json").read_text())
        unit |= {
            r["unique_id"]: r["status"]
            for r in results["results"]
            if r["unique_id"].startswith("unit_test.")
        }
    manifest = json.loads((tmp_path / "dbt_target" / "manifest.json").read_text())
    assert set(unit) == set(manifest["unit_tests"]) and len(unit) >= 18
    assert set(unit.values()) == {"pass"}


@pytest.mark.slow
def test_a_table_model_replaces_what_stood_there_and_keeps_it_when_the_build_fails(
    tmp_path: Path,
) -> None:
    """The table materialization (macros/table_duckdb.sql): one `create or replace`. A view of
    the model's name (the model was a view once) and the tables an interrupted build by
    dbt-duckdb's own materialization leaves go; a build that fails keeps the old table."""
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create view marts.dim_calendar as select 1 as date_day")
        con.execute("create table marts.dim_calendar__dbt_tmp as select 1 as x")
        con.execute("create table marts.dim_calendar__dbt_backup as select 1 as x")
    built = run_dbt(warehouse, tmp_path, "build", "--select", "dim_calendar")
    assert built.returncode == 0, built.stdout[-6000:]
    tables = "select table_name, table_type from information_schema.tables order by 1"
    assert _rows(warehouse, tables) == [("dim_calendar", "BASE TABLE")]
    days = "select min(date_day), max(date_day), count(*) from marts.dim_calendar"
    first, last = dt.date(2000, 1, 1), dt.date(2059, 12, 31)  # the project's calendar vars
    assert _rows(warehouse, days) == [(first, last, (last - first).days + 1)]

    broken = json.dumps({"calendar_last_day": "not a date"})
    failed = run_dbt(warehouse, tmp_path, "build", "--select", "dim_calendar", "--vars", broken)
    assert failed.returncode == 1 and "not a date" in failed.stdout
    assert _rows(warehouse, tables) == [("dim_calendar", "BASE TABLE")]
    assert _rows(warehouse, days) == [(first, last, (last - first).days + 1)]


@pytest.fixture(scope="module")
def small_org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("small_org")
    warehouse = raw_fixture.create_raw_warehouse(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        load_small_org(con)
    result = run_dbt(warehouse, tmp_path, "build", "--exclude", "test_type:unit")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    return warehouse


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql).fetchall()


D1, D2, D3, D4 = (f"github:acme/checkout:{i}" for i in (1, 4, 5, 6))


def _records(warehouse: Path, sql: str, key: str) -> dict[object, dict[str, object]]:
    """Rows of `sql` as {row[key]: {column: value}} (key may be a comma-separated tuple)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    keys = key.split(",")
    return {(row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)): row for row in rows}


@pytest.mark.slow
def test_small_org_changes_lead_times(small_org: Path) -> None:
    changes = _records(
        small_org,
        """
        select change_id, change_type, deployment_id, linkage, lead_time_hours,
               coding_hours, pickup_hours, review_hours, deploy_hours, team_id
        from marts.fct_changes""",
        "change_id",
    )
    # c0 (2025-06-01) is older than the 90-day horizon before D1: history, not a change.
    assert sorted(changes) == [
        "acme/checkout#1",
        "acme/checkout#2",
        "acme/checkout#3",
        "acme/checkout@" + "c2" * 20,
    ]
    parts = ("coding_hours", "pickup_hours", "review_hours", "deploy_hours")

    # PR 1 (squash): first commit 01-02 09:00 -> D1 01-05 14:00 = 77 h; coding 09:00 -> opened
    # 16:00 = 7, pickup -> first review 01-03 10:00 = 18, review -> merged 12:00 = 2, deploy
    # 01-03 12:00 -> 01-05 14:00 = 50 (7 + 18 + 2 + 50 = 77). D1 was platform's.
    pr1 = changes["acme/checkout#1"]
    assert (pr1["deployment_id"], pr1["linkage"], pr1["lead_time_hours"]) == (D1, "graph", 77.0)
    assert tuple(pr1[p] for p in parts) == (7.0, 18.0, 2.0, 50.0)
    assert pr1["team_id"] == "platform"

    # PR 2 (hotfix, no review): 01-06 09:00 -> D2 12:00 = 3 h; coding 0.5, deploy 1.
    pr2 = changes["acme/checkout#2"]
    assert (pr2["deployment_id"], pr2["lead_time_hours"]) == (D2, 3.0)
    assert tuple(pr2[p] for p in parts) == (0.5, None, None, 1.0)

    # PR 3 (merge commit; the author's own review does not count): branch commit 01-07 10:00
    # -> D3 16:00 = 6 h: coding 2.5, pickup 1 (-> bob 13:30), review 0.5, deploy 2. D3 came
    # after the reorg of 01-07: payments'.
    pr3 = changes["acme/checkout#3"]
    assert (pr3["deployment_id"], pr3["lead_time_hours"], pr3["team_id"]) == (D3, 6.0, "payments")
    assert tuple(pr3[p] for p in parts) == (2.5, 1.0, 0.5, 2.0)

    # direct commit c2: authored 01-06 08:00 -> D2 12:00 = 4 h; no parts.
    direct = changes["acme/checkout@" + "c2" * 20]
    assert (direct["change_type"], direct["deployment_id"], direct["lead_time_hours"]) == (
        "direct_commit",
        D2,
        4.0,
    )
    assert tuple(direct[p] for p in parts) == (None, None, None, None)


@pytest.mark.slow
def test_small_org_deployments(small_org: Path) -> None:
    columns = "team_id, is_failure, failure_reasons, is_rework, rework_reason, recovery_hours"
    deployments = _records(
        small_org, f"select deployment_id, {columns} from marts.fct_deployments", "deployment_id"
    )
    found = {k: tuple(v.values())[1:] for k, v in deployments.items()}
    # fmt: off
    assert found == {
        # D1 is followed 22 h later by the hotfix deploy D2: failed, recovered by D2.
        D1: ("platform", True, ["hotfix"], False, None, 22.0),
        D2: ("platform", False, [], True, "hotfix", None),
        # D3 is rolled back by D4; D4 failed too, so D3 recovers only with D5 (65 h).
        D3: ("payments", True, ["rollback"], False, None, 65.0),
        # D4: rollback (rework) and the incident 16 h later; resolved after 19 h.
        D4: ("payments", True, ["incident"], True, "rollback", 19.0),
        "github:acme/checkout:7": ("payments", False, [], False, None, None),
    }
    # fmt: on
    incidents = _records(
        small_org,
        "select incident_id, deployment_id, attribution_method, restore_hours from marts.fct_incidents",
        "incident_id",
    )
    assert incidents["pagerduty:PINC1"] == {
        "incident_id": "pagerduty:PINC1",
        "deployment_id": D4,
        "attribution_method": "window",
        "restore_hours": 3.0,
    }
    # 25 h after D4, no later deployment: not attributed.
    assert incidents["pagerduty:PINC2"]["deployment_id"] is None


@pytest.mark.slow
def test_small_org_dora_metrics(small_org: Path) -> None:
    metrics = _records(
        small_org,
        "select * from marts.dora_metrics where period_grain = 'week'",
        "entity_type,entity_id",
    )
    assert sorted(metrics) == [
        ("org", "org"),
        ("service", "checkout"),
        ("team", "payments"),
        ("team", "platform"),
    ]
    # Lead times 3, 4, 6, 77: p50 = (4 + 6) / 2 = 5; p75 at rank 2.25 = 6 + 0.25 * 71 = 23.75;
    # p90 at rank 2.7 = 6 + 0.7 * 71 = 55.7. Failures D1, D3, D4 of 5; rework D2, D4;
    # recoveries 22, 65, 19 -> p50 22; incident restores 3, 1 -> p50 2; all linked by graph.
    week = {
        "period_label": "2026-W02",
        "deployments": 5,
        "deploy_days": 4,
        "deployment_frequency": 5.0,
        "lead_time_sample_size": 4,
        "lead_time_p50_hours": 5.0,
        "lead_time_p75_hours": 23.75,
        "lead_time_p90_hours": pytest.approx(55.7),
        "failed_deployments": 3,
        "change_failure_rate": 0.6,
        "recovery_time_p50_hours": 22.0,
        "rework_rate": 0.4,
        "incidents": 2,
        "restore_time_p50_hours": 2.0,
        "linkage_coverage": 1.0,
        "benchmark_edition": "2023",
    }
    for entity in (("org", "org"), ("service", "checkout")):
        assert {k: metrics[entity][k] for k in week} == week
    # payments owns D3 (65 h), D4 (19 h), D5 and PR 3 (6 h): recovery p50 42.
    payments = {
        **week,
        "deployments": 3,
        "deploy_days": 2,
        "deployment_frequency": 3.0,
        "lead_time_sample_size": 1,
        "lead_time_p50_hours": 6.0,
        "lead_time_p75_hours": 6.0,
        "lead_time_p90_hours": 6.0,
        "failed_deployments": 2,
        "change_failure_rate": pytest.approx(2 / 3),
        "recovery_time_p50_hours": 42.0,
        "rework_rate": pytest.approx(1 / 3),
    }
    assert {k: metrics[("team", "payments")][k] for k in week} == payments
    # platform owns D1 (failed, 22 h) and D2 with PR 1 (77), PR 2 (3), c2 (4): p50 4;
    # p75 at rank 1.5 = 4 + 0.5 * 73 = 40.5; p90 at rank 1.8 = 4 + 0.8 * 73 = 62.4.
    platform = {
        **week,
        "deployments": 2,
        "deploy_days": 2,
        "deployment_frequency": 2.0,
        "lead_time_sample_size": 3,
        "lead_time_p50_hours": 4.0,
        "lead_time_p75_hours": 40.5,
        "lead_time_p90_hours": pytest.approx(62.4),
        "failed_deployments": 1,
        "change_failure_rate": 0.5,
        "recovery_time_p50_hours": 22.0,
        "rework_rate": 0.5,
        "incidents": 0,
        "restore_time_p50_hours": None,
    }
    assert {k: metrics[("team", "platform")][k] for k in week} == platform
    # Tiers (2023): 5 deploys a week > 7? no, >= 1: high; lead time p50 5 h < 24 h: elite;
    # change failure 60% > 15%: low; recovery p50 22 h < 24 h: high.
    org = metrics[("org", "org")]
    assert (
        org["deployment_frequency_tier"],
        org["lead_time_tier"],
        org["change_failure_rate_tier"],
        org["recovery_time_tier"],
        org["rework_rate_tier"],
    ) == ("high", "elite", "low", "high", None)


# --- GitLab, Jenkins and Opsgenie ---------------------------------------------------------------


def _ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp() * 1000)


def load_other_sources(con: duckdb.DuckDBPyConnection) -> None:
    """gl-app deploys with GitLab, jk-app with a Jenkins job and is on call in Opsgenie."""
    rf = raw_fixture
    rf.insert(
        con,
        "catalog",
        "entities",
        rf.catalog_rows(
            [
                {
                    "kind": "Component",
                    "metadata": {
                        "name": "gl-app",
                        "annotations": {"gitlab.com/project-slug": "group/gl-app"},
                    },
                    "spec": {"type": "service", "lifecycle": "production", "owner": "platform"},
                },
                {
                    "kind": "Component",
                    "metadata": {
                        "name": "jk-app",
                        "annotations": {
                            "jenkins.io/job-full-name": "deploy/jk-app",
                            "opsgenie.com/team": "jk-oncall",
                        },
                    },
                    "spec": {"type": "service", "lifecycle": "production", "owner": "platform"},
                },
            ]
        ),
    )

    def gitlab_deployment(dep_id: int, status: str, env: str, finished: str) -> dict:
        return {
            "project": "group/gl-app",
            "deployment_id": dep_id,
            "updated_at": ts(finished),
            "payload": {
                "id": dep_id,
                "iid": dep_id,
                "sha": f"{dep_id:040d}",
                "ref": "main",
                "status": status,
                "environment": {"name": env},
                "created_at": ts(finished),
                "updated_at": ts(finished),
                "deployable": {"name": "deploy", "status": status, "finished_at": ts(finished)},
            },
        }

    rf.insert(
        con,
        "gitlab",
        "deployments",
        [
            gitlab_deployment(1, "success", "production", "2026-02-02T10:00:00"),
            gitlab_deployment(2, "success", "staging", "2026-02-02T11:00:00"),
            gitlab_deployment(3, "failed", "production", "2026-02-02T12:00:00"),
        ],
    )

    def build(number: int, result: str, started: str, env: str = "production") -> dict:
        return {
            "job": "deploy/jk-app",
            "number": number,
            "started_at": ts(started),
            "payload": {
                "number": number,
                "result": result,
                "timestamp": _ms(started),
                "duration": 600_000,
                "building": False,
                "actions": [
                    {
                        "_class": "hudson.model.ParametersAction",
                        "parameters": [{"name": "ENVIRONMENT", "value": env}],
                    },
                    {
                        "_class": "hudson.plugins.git.util.BuildData",
                        "lastBuiltRevision": {"SHA1": f"{number:040x}"},
                    },
                ],
            },
        }

    rf.insert(
        con,
        "jenkins",
        "builds",
        [
            build(7, "SUCCESS", "2026-02-03T09:00:00"),
            build(8, "FAILURE", "2026-02-03T10:00:00"),
            build(9, "SUCCESS", "2026-02-03T11:00:00", env="qa"),
        ],
    )
    rf.insert(
        con,
        "opsgenie",
        "alerts",
        [
            {
                "alert_id": "og-1",
                "updated_at": ts("2026-02-03T12:10:00"),
                "payload": {
                    "id": "og-1",
                    "tinyId": "1",
                    "message": "jk-app 5xx",
                    "status": "closed",
                    "priority": "P2",
                    "teams": [{"id": "t-1"}],
                    "responders": [{"type": "team", "id": "t-1", "name": "jk-oncall"}],
                    "tags": [],
                    "createdAt": ts("2026-02-03T10:10:00"),
                    "updatedAt": ts("2026-02-03T12:10:00"),
                    "report": {"closeTime": 7_200_000},
                },
            },
        ],
    )


@pytest.mark.slow
def test_gitlab_jenkins_and_opsgenie(tmp_path: Path) -> None:
    warehouse = raw_fixture.create_raw_warehouse(tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        load_other_sources(con)
    result = run_dbt(warehouse, tmp_path, "build", "--exclude", "test_type:unit")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    deployments = _rows(
        warehouse,
        """
        select deployment_id, service_id, source, deployed_at, is_failure, failure_reasons
        from marts.fct_deployments order by deployment_id""",
    )
    utc = dt.UTC
    assert deployments == [
        # GitLab: only the successful production deployment; deployed when its job finished.
        (
            "gitlab:group/gl-app:1",
            "gl-app",
            "gitlab_deployment",
            dt.datetime(2026, 2, 2, 10, tzinfo=utc),
            False,
            [],
        ),
        # Jenkins: the SUCCESS build to production; deployed at start + duration (10 min).
        # The Opsgenie alert of its team an hour later is attributed to it.
        (
            "jenkins:deploy/jk-app:7",
            "jk-app",
            "jenkins",
            dt.datetime(2026, 2, 3, 9, 10, tzinfo=utc),
            True,
            ["incident"],
        ),
    ]
    incidents = _rows(
        warehouse,
        """
        select incident_id, service_id, severity, restore_hours, deployment_id
        from marts.fct_incidents""",
    )
    # closed 7,200,000 ms after creation: restored in 2 h.
    assert incidents == [("opsgenie:og-1", "jk-app", "P2", 2.0, "jenkins:deploy/jk-app:7")]
