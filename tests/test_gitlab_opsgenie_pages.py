"""GitLab and Opsgenie in API mode against recorded pages (tests/fixtures/gitlab/*/app,
tests/fixtures/opsgenie/*/...), replayed by a real HTTP server on 127.0.0.1: a project named by its
numeric id, merge requests whose list refuses keyset pages and pages by `X-Next-Page` alone, the
commits and notes of each merge request not closed unmerged, pipelines read again one by one,
the default branch's commits paged by `Link` without a total, and Opsgenie team names, also from
a key that may not read them."""

from __future__ import annotations

import duckdb

from dagster_project.config import GitlabSource, OpsgenieSource
from ingestion import pull_source
from ingestion.cursors import load_cursors
from tests.support.replay_server import LocalServer
from tests.test_api_ingest import TOKEN, config, recorded, settings

P = "/api/v4/projects/group%2Fapp"
A, B, C, F, M = ("a" * 40, "b" * 40, "c" * 40, "f" * 40, "e" * 40)


def _rows(warehouse, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql).fetchall()


def test_gitlab_recorded_pages_land_merge_requests_their_commits_notes_and_the_graph(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with LocalServer(recorded("gitlab/*/app")) as server:
        cfg = config(
            tmp_path, gitlab=GitlabSource(base_url=f"{server.url}/api/v4", projects=["77"])
        )
        report = pull_source("gitlab", cfg, warehouse, settings=settings(per_page=2))
    assert report.error is None and not report.rejected
    assert report.rows == {
        "merge_requests": 3,
        "pipelines": 1,
        "deployments": 1,
        "merge_request_commits": 4,  # 3 of !1 (two pages), 1 of !3; none of !2 (closed)
        "merge_request_notes": 2,
        "commits": 6,
        # no catalog component maps the project with stature.dev/paths: no diff is asked for
        "merge_request_diffs": 0,
        "commit_diffs": 0,
    }
    paths = [r.target for r in server.requests]
    assert paths[0] == "/api/v4/projects/77"  # the id, resolved to group/app
    assert all(r.headers["PRIVATE-TOKEN"] == TOKEN for r in server.requests)
    mr_lists = [p for p in paths if p.startswith(f"{P}/merge_requests?")]
    assert ["pagination=keyset" in p for p in mr_lists] == [True, False, False]
    assert "page=2" in mr_lists[2]  # followed X-Next-Page: the first page sent no Link
    assert not any("/merge_requests/2/" in p for p in paths)
    assert f"{P}/merge_requests/1/commits?per_page=2&page=2" in paths
    assert f"{P}/pipelines/901" in paths  # the slim list's pipeline, read whole
    assert f"{P}/repository/commits?per_page=2&page=2" in paths

    # rows land under the path however the project was named; the full pipeline object lands
    assert _rows(warehouse, "select distinct project from raw_gitlab.merge_request_commits") == [
        ("group/app",)
    ]
    assert _rows(
        warehouse, "select mr_iid, sha from raw_gitlab.merge_request_commits order by 1, 2"
    ) == [(1, A), (1, B), (1, F), (3, C)]
    assert _rows(
        warehouse,
        "select note_id, payload->>'system', payload->>'body' from raw_gitlab.merge_request_notes "
        "order by 1",
    ) == [(900, "false", "Could the index be lazy?"), (901, "true", "approved this merge request")]
    assert _rows(warehouse, "select payload->>'name' from raw_gitlab.pipelines") == [
        ("Deploy to production",)
    ]
    cursors = load_cursors(warehouse, "gitlab", f"{server.url}/api/v4")
    assert cursors.get("group/app merge_requests") == {"updated_at": "2026-03-03T10:00:02.000Z"}
    assert cursors.get("group/app commits") == {"committed_at": "2026-03-03T10:00:00.000Z"}

    # The next run asks only for what changed: updated_after (a second early) and, for commits,
    # since 30 days before the newest commit date (merges bring old dates). Same server, same
    # cursors: the port is kept.
    port = int(server.url.rpartition(":")[2])
    with LocalServer(recorded("gitlab/*/app"), port=port) as server:
        cfg = config(
            tmp_path, gitlab=GitlabSource(base_url=f"{server.url}/api/v4", projects=["77"])
        )
        report = pull_source("gitlab", cfg, warehouse, settings=settings(per_page=2))
    assert report.error is None
    asked = [r for r in server.requests if r.path == f"{P}/merge_requests"]
    assert asked[0].query["updated_after"] == ["2026-03-03T10:00:01Z"]
    commits = [r for r in server.requests if r.path == f"{P}/repository/commits"]
    assert commits[0].query["since"] == ["2026-02-01T10:00:00Z"]


def test_opsgenie_team_names_land_and_a_key_without_configuration_access_is_said(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with LocalServer(recorded("opsgenie/alerts/readonly", "opsgenie/teams/full")) as server:
        cfg = config(tmp_path, opsgenie=OpsgenieSource(base_url=server.url))
        report = pull_source("opsgenie", cfg, warehouse, settings=settings())
    assert report.error is None and report.rows == {"alerts": 1, "teams": 1}
    assert _rows(warehouse, "select team_id, payload->>'name' from raw_opsgenie.teams") == [
        ("8418d193-2dab-4490-b331-8c02cdd196b7", "Search On-Call")
    ]

    warehouse = tmp_path / "readonly.duckdb"
    with LocalServer(recorded("opsgenie/alerts/readonly", "opsgenie/teams/readonly")) as server:
        cfg = config(tmp_path, opsgenie=OpsgenieSource(base_url=server.url))
        report = pull_source("opsgenie", cfg, warehouse, settings=settings())
    # the alerts land; the refused team list is said, not an error (annotate team ids instead)
    assert report.error is None and report.rows == {"alerts": 1, "teams": 0}
    assert report.skipped == {
        "team names (the API key has no configuration access: annotate team ids)": 1
    }
