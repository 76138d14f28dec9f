"""The whole nightly job through the real CLI, Dagster, dlt, dbt and the rule engine, on a
generated sample org in a temp folder (the session's shared run, tests/conftest.py); then a
second run over a changed export while readers read the published copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import REPO, SMALL_ORG_END, NightlyRun, copy_of_nightly

pytestmark = pytest.mark.slow

PUBLIC_TABLES = [
    "marts.dim_services",
    "marts.dim_services_history",
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


def published(nightly: NightlyRun, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(nightly.workspace.published / "stature.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_the_nightly_run_succeeds_and_prints_the_summary(nightly):
    out = nightly.result.stdout
    assert out.startswith(
        f"stature run: as of {SMALL_ORG_END}, warehouse {nightly.workspace.warehouse}\n"
    )
    assert "Services and teams: 12 services in 4 teams" in out
    assert "DORA by team" in out
    assert "Check results as of 2026-11-15" in out
    assert str(nightly.workspace.published / "stature.duckdb") in out
    assert out.rstrip().endswith("All well.")
    assert nightly.result.stderr == ""


def test_the_flags_beat_the_config_from_the_environment(nightly):
    """The run read its config from $STATURE_CONFIG (its published_dir is where the copy
    is), but its warehouse and rules folder came from --warehouse and --rules-dir, and its
    data from --export-dir (the config names none)."""
    config = yaml.safe_load(nightly.run_config.read_text())
    assert "export_dir" not in config
    assert Path(config["published_dir"]) == nightly.workspace.published
    assert nightly.workspace.warehouse.exists()
    assert not nightly.decoy_warehouse.exists()
    assert list(nightly.decoy_rules.rglob("*.sql")) == []
    rules = {p.stem for p in (REPO / "rules_sql").glob("*/*.sql")}
    graded = {
        r[0] for r in published(nightly, "select distinct rule_id from scorecards.check_results")
    }
    assert graded == rules
    with duckdb.connect(str(nightly.workspace.warehouse), read_only=True) as con:
        repos = con.execute("select count(distinct repo) from raw_github.pulls").fetchone()[0]
    assert repos == len(list(nightly.workspace.export_dir.glob("github/*/*")))


@pytest.mark.parametrize("table", PUBLIC_TABLES)
def test_every_public_table_is_filled_in_the_published_copy(nightly, table):
    assert published(nightly, f"select count(*) from {table}")[0][0] > 0
    schema, name = table.split(".")
    assert (nightly.workspace.published / "parquet" / schema / f"{name}.parquet").exists()


def test_eight_closed_quarters_of_maturity_and_a_balanced_scorecard(nightly):
    quarters = published(
        nightly,
        "select quarter, bool_and(is_closed) from scorecards.maturity_snapshots "
        "group by 1 order by 1",
    )
    entity_types = published(
        nightly, "select distinct entity_type from scorecards.maturity_snapshots order by 1"
    )
    graded = published(
        nightly,
        "select count(distinct entity_id), count(*) filter (where status in "
        "('green', 'yellow', 'red')) from scorecards.balanced_scorecard",
    )[0]
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


def test_unrated_services_are_neither_bottom_nor_top_of_the_ladder(nightly):
    """A service no enforced, levelled rule applies to has no level: NULL, `Unrated`, and it
    is left out of its team's and the org's levels."""
    rows = published(
        nightly,
        "select s.entity_id, s.level, s.level_name, s.blockers, s.next_level_name "
        "from scorecards.maturity_snapshots s where s.quarter = '2026-Q4' "
        "and s.entity_type = 'service' and s.pass_count + s.warn_count + s.fail_count "
        "+ s.not_reported_count + s.error_count + s.exempt_count = 0 order by 1",
    )
    assert all(r[1:] == (None, "Unrated", [], None) for r in rows), rows
    rated = published(
        nightly,
        "select count(*) from scorecards.maturity_snapshots where quarter = '2026-Q4' "
        "and entity_type = 'service' and level is not null",
    )[0][0]
    org = published(
        nightly,
        "select service_count, list_sum(level_counts) from scorecards.maturity_snapshots "
        "where quarter = '2026-Q4' and entity_type = 'org'",
    )[0]
    assert org == (rated, rated)


def test_unrated_services_are_shown_as_unrated_by_the_summary_report_and_portal(nightly):
    # legacy-reports is deprecated, ranking-lab experimental: no enforced, levelled rule
    # applies to either (only tls_all_endpoints reaches a non-production service, and
    # neither has an endpoint)
    rows = published(
        nightly,
        "select entity_id, level, level_name from scorecards.maturity_snapshots "
        "where quarter = '2026-Q4' and level is null order by 1",
    )
    assert rows == [("legacy-reports", None, "Unrated"), ("ranking-lab", None, "Unrated")]
    out = nightly.result.stdout
    services_per_level = out[out.index("Services per maturity level, 2026-Q4:") :]
    assert "  -      Unrated   2" in services_per_level.split("\n\n")[0]

    page = (nightly.workspace.published / "report" / "services" / "ranking-lab.html").read_text()
    level = page[page.index('<section id="level">') :]
    level = level[: level.index("</section>")]
    assert "<p>Level <strong>Unrated</strong> in 2026-Q4 (to date).</p>" in level
    assert "Not rated: no enforced, levelled standard applies to it." in level
    portal = json.loads(
        (nightly.workspace.published / "services" / "legacy-reports.json").read_text()
    )
    assert portal["maturity"]["level"] is None
    assert portal["maturity"]["level_name"] == "Unrated"
    assert portal["maturity"]["next_level"] is None and portal["maturity"]["blockers"] == []
    team = (nightly.workspace.published / "teams" / "discovery.md").read_text()
    assert "| Ranking Lab | Unrated |" in team
    assert "not rated: no enforced, levelled rule applies |" in team


# --- a second run over a changed export while readers read ----------------------------------

# A reader process: opens the published copy afresh five times a second and reads two
# figures that agree in any one run's copy and disagree in a mixed one: the production
# deployments, counted row by row in fct_deployments and summed week by week for the org in
# dora_metrics; then the same from the Parquet files of one resolved `parquet` link.
READER = textwrap.dedent(
    """
    import json, os, sys, time
    import duckdb

    published, stop = sys.argv[1], sys.argv[2]
    PAIR = (
        "select (select count(*) from {d}), "
        "(select sum(deployments) from {m} where entity_type = 'org' and period_grain = 'week')"
    )
    while not os.path.exists(stop):
        try:
            with duckdb.connect(os.path.join(published, "stature.duckdb"), read_only=True) as con:
                db = con.execute(
                    PAIR.format(d="marts.fct_deployments", m="marts.dora_metrics")
                ).fetchone()
            version = os.path.realpath(os.path.join(published, "parquet"))
            with duckdb.connect() as con:
                files = PAIR.format(
                    d=repr(os.path.join(version, "marts", "fct_deployments.parquet")),
                    m=repr(os.path.join(version, "marts", "dora_metrics.parquet")),
                )
                pq = con.execute(files).fetchone()
            print(json.dumps({"db": list(db), "parquet": list(pq)}), flush=True)
        except Exception as exc:  # any failure to read is the finding
            print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        time.sleep(0.2)
    """
)

BROKEN_RULE = """/*---
id: broken_cast
title: A rule that fails at run time
scorecard: security
level: 2
owner: platform-team
thresholds: {pass: ">= 1"}
rollout: shadow
---*/
select service_id, cast(name as double) as value from marts.dim_services
"""


def change_the_export(export: Path) -> tuple[str, str]:
    """Add a production deployment on 2026-11-14 and move a merged PR's opening an hour
    earlier; returns (the new deployment's id, the PR's change id)."""
    repo = export / "github" / "acme" / "checkout-api"
    page = json.loads((repo / "deployments.json").read_text())
    latest = page[0]
    new = {**latest, "id": latest["id"] + 7_000_000}
    new.update(
        created_at="2026-11-14T09:00:00Z",
        updated_at="2026-11-14T09:05:00Z",
        url=latest["url"].rsplit("/", 1)[0] + f"/{new['id']}",
        statuses_url=latest["url"].rsplit("/", 1)[0] + f"/{new['id']}/statuses",
    )
    (repo / "deployments.json").write_text(json.dumps([new, *page]))
    statuses = json.loads((repo / "deployment_statuses" / f"{latest['id']}.json").read_text())
    status = {**statuses[0], "id": statuses[0]["id"] + 7_000_000, "state": "success"}
    status.update(created_at="2026-11-14T09:05:00Z", updated_at="2026-11-14T09:05:00Z")
    (repo / "deployment_statuses" / f"{new['id']}.json").write_text(json.dumps([status]))

    pulls_file = repo / "pulls.json"
    pulls = json.loads(pulls_file.read_text())
    pr = next(p for p in pulls if p.get("merged_at"))
    pr["created_at"] = shift_hours(pr["created_at"], -1)
    pr["updated_at"] = "2026-11-14T12:00:00Z"
    pulls_file.write_text(json.dumps(pulls))
    return str(new["id"]), pr


def shift_hours(stamp: str, hours: int) -> str:
    import datetime as dt

    moved = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")) + dt.timedelta(hours=hours)
    return moved.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_run_over_a_changed_export_while_readers_read(tmp_path, nightly):
    import shutil

    export = tmp_path / "export"
    shutil.copytree(nightly.workspace.export_dir, export)
    ws = copy_of_nightly(nightly, tmp_path / "ws", export)
    rules = tmp_path / "rules_sql"
    shutil.copytree(REPO / "rules_sql", rules)
    (rules / "security" / "broken_cast.sql").write_text(BROKEN_RULE)
    deployment_id, pr = change_the_export(export)
    old = published(nightly, "select count(*) from marts.fct_deployments")[0][0]

    stop = tmp_path / "stop-reading"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(ws.published), str(stop)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        result = ws.stature("run", "--as-of", SMALL_ORG_END.isoformat(), "--rules-dir", str(rules))
        time.sleep(0.5)  # a few reads of the new copy
    finally:
        stop.touch()
        reads = [json.loads(line) for line in reader.communicate(timeout=60)[0].splitlines()]

    # the run went on past the broken rule, published, and says what failed: exit 1
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 rule(s) errored: scorecards/security/broken_cast" in result.stderr
    assert "All well." not in result.stdout
    assert "Check results as of 2026-11-15" in result.stdout

    errors = [r["error"] for r in reads if "error" in r]
    assert errors == []
    pairs = {tuple(r["db"]) for r in reads} | {tuple(r["parquet"]) for r in reads}
    # every read saw one whole copy: the old one or the new one, never a mix
    assert pairs <= {(old, old), (old + 1, old + 1)}, pairs
    assert {tuple(r["db"]) for r in reads} == {(old, old), (old + 1, old + 1)}
    assert len(reads) > 20

    after = ws.published / "stature.duckdb"
    with duckdb.connect(str(after), read_only=True) as con:
        assert (
            con.execute(
                "select deployed_at from marts.fct_deployments where deployment_id = ?",
                [f"github:acme/checkout-api:{deployment_id}"],
            ).fetchall()
            != []
        )
        errored = con.execute(
            "select distinct status from scorecards.check_results where rule_id = 'broken_cast'"
        ).fetchall()
        others = con.execute(
            "select count(*) from scorecards.check_results where as_of = '2026-11-15' "
            "and rule_id <> 'broken_cast' and status = 'error'"
        ).fetchone()[0]
        opened = con.execute(
            "select opened_at from marts.fct_changes where change_id = ?",
            [f"acme/checkout-api#{pr['number']}"],
        ).fetchall()
    assert errored == [("error",)] and others == 0
    assert [o[0].strftime("%Y-%m-%dT%H:%M:%SZ") for o in opened] == [pr["created_at"]]
    assert os.path.realpath(ws.published / "parquet") != os.path.realpath(
        nightly.workspace.published / "parquet"
    )


def test_the_built_marts_have_the_columns_and_types_the_manifest_declares(nightly):
    """The rule tests build their marts from the manifest's data_type (tests/support/
    marts_schema.py): hold those declarations to what dbt really built."""
    from tests.support.marts_schema import marts_columns

    with duckdb.connect(str(nightly.workspace.warehouse), read_only=True) as con:
        built = {
            f"marts.{table}": tuple(
                (c, kind)
                for c, kind in con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
            )
            for (table,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        declared = {
            table: tuple(
                (c, con.execute(f"select typeof(cast(null as {kind}))").fetchone()[0])
                for c, kind in columns
            )
            for table, columns in marts_columns().items()
        }
    assert declared == built
