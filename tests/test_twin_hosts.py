"""The same history on GitHub and on GitLab gives the same DORA figures: two services whose code,
reviews and deployments are one story, told once by GitHub (PRs, reviews, deployments with
statuses) and once by GitLab (merge requests, notes, deployments), in week 2026-W11:

    b0 (history) - m1 (merge commit of #1 / !1: c1) - s2 (squash of #2 / !2: c2) - d3 (direct)
    #1/!1: c1 authored 03-09 08:00, opened 09:00, bob approves 10:00, merged 11:00
    #2/!2: c2 authored 03-10 08:00, opened 08:30, carl comments 09:00, merged 10:00 (squash)
    d3 authored 03-10 12:00. D1 ships m1 03-09 12:00; D2 ships d3 03-10 14:00.
    An incident of each service 03-10 15:00-16:00 fails D2 (recovered in 2 h).

Lead times: #1 08:00 -> 12:00 = 4 (coding 1, pickup 1, review 1, deploy 1); #2 03-10 08:00 ->
14:00 = 6 (0.5, 0.5, 1, 4); d3 12:00 -> 14:00 = 2. p50 4.

Told a third time, the GitHub story is deployed by Jenkins (job `deploy/twin-jk`, builds 1 and 2
starting 10 minutes before D1 and D2, shipping m1 and d3): the same figures again. Told a fourth
time on GitLab without the project's commits (no commit graph), the two merge requests fall
back to the time order: each goes with the first deployment at or after its merge, D1 and D2,
so 4 and 6 again (p50 5), with `linkage` 'time_order' and no direct commit. Org, week: 8
deployments, 4 failed; lead times 2,2,2,4,4,4,4,6,6,6,6 (p50 4), 9 linked by the graph, 2 by
time order; 4 services deploy, 4 bring changes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from ingestion import ingest_export
from tests.support.api_shapes import (
    HISTORY,
    build,
    gh_commit,
    gh_deployment,
    gh_pull,
    gh_review,
    gh_status,
    gl_commit,
    gl_deployment,
    gl_mr,
    gl_note,
    incident,
    write_json,
)
from tests.test_dbt_models import run_dbt

pytestmark = pytest.mark.slow

CATALOG = """\
kind: Component
metadata:
  name: twin-gh
  annotations: {github.com/project-slug: acme/twin, pagerduty.com/service-id: PGH}
spec: {type: service, lifecycle: production, owner: team-a}
---
kind: Component
metadata:
  name: twin-gl
  annotations: {gitlab.com/project-slug: group/twin, pagerduty.com/service-id: PGL}
spec: {type: service, lifecycle: production, owner: team-b}
---
kind: Component
metadata:
  name: twin-jk
  annotations:
    github.com/project-slug: acme/twin-jk
    jenkins.io/job-full-name: deploy/twin-jk
    pagerduty.com/service-id: PJK
spec: {type: service, lifecycle: production, owner: team-c}
---
kind: Component
metadata:
  name: twin-nograph
  annotations: {gitlab.com/project-slug: group/nograph, pagerduty.com/service-id: PNG}
spec: {type: service, lifecycle: production, owner: team-d}
"""
# (name, authored, parents, message)
MAINLINE = [
    ("d3", "2026-03-10T12:00:00", ["s2"], "Bump version"),
    ("s2", "2026-03-10T10:00:00", ["m1"], "Fix tax"),
    ("m1", "2026-03-09T11:00:00", ["b0", "c1"], "Merge cart"),
    ("c1", "2026-03-09T08:00:00", ["b0"], "Cart"),
    ("b0", HISTORY, [], "Initial commit"),
]


def write_github(root: Path, r: str = "acme/twin", deployments: bool = True) -> None:
    repo = root / "github" / r
    write_json(repo / "commits.json", [gh_commit(r, *c) for c in MAINLINE])
    write_json(
        repo / "pulls.json",
        [
            gh_pull(1, "Add cart", "2026-03-09T09:00:00", "2026-03-09T11:00:00", "m1"),
            gh_pull(2, "Fix tax", "2026-03-10T08:30:00", "2026-03-10T10:00:00", "s2"),
        ],
    )
    write_json(repo / "pull_commits" / "1.json", [gh_commit(r, *MAINLINE[3])])
    write_json(
        repo / "pull_commits" / "2.json",
        [gh_commit(r, "c2", "2026-03-10T08:00:00", ["m1"], "tax")],
    )
    write_json(repo / "pull_reviews" / "1.json", [gh_review(1, "2026-03-09T10:00:00", "bob")])
    write_json(repo / "pull_reviews" / "2.json", [gh_review(2, "2026-03-10T09:00:00", "carl")])
    if not deployments:
        return
    write_json(
        repo / "deployments.json",
        [
            gh_deployment(2, "d3", "production", "2026-03-10T13:50:00"),
            gh_deployment(1, "m1", "production", "2026-03-09T11:50:00"),
        ],
    )
    write_json(
        repo / "deployment_statuses" / "1.json", [gh_status(11, "success", "2026-03-09T12:00:00")]
    )
    write_json(
        repo / "deployment_statuses" / "2.json", [gh_status(21, "success", "2026-03-10T14:00:00")]
    )


def write_gitlab(root: Path, p: str = "group/twin", pid: int = 12, commits: bool = True) -> None:
    project = root / "gitlab" / p
    if commits:
        write_json(project / "commits.json", [gl_commit(p, *c) for c in MAINLINE])
    write_json(
        project / "merge_requests.json",
        [
            gl_mr(
                p,
                pid,
                1,
                "Add cart",
                "2026-03-09T09:00:00",
                "2026-03-09T11:00:00",
                merge="m1",
                head="c1",
            ),
            gl_mr(
                p,
                pid,
                2,
                "Fix tax",
                "2026-03-10T08:30:00",
                "2026-03-10T10:00:00",
                squash="s2",
                head="c2",
            ),
        ],
    )
    write_json(project / "merge_request_commits" / "1.json", [gl_commit(p, *MAINLINE[3])])
    write_json(
        project / "merge_request_commits" / "2.json",
        [gl_commit(p, "c2", "2026-03-10T08:00:00", ["m1"], "tax")],
    )
    write_json(
        project / "merge_request_notes" / "1.json",
        [gl_note(1, 1, "2026-03-09T10:00:00", "bob", "approved this merge request", system=True)],
    )
    write_json(
        project / "merge_request_notes" / "2.json",
        [gl_note(2, 2, "2026-03-10T09:00:00", "carl", "Please add a test")],
    )
    write_json(
        project / "deployments.json",
        [
            gl_deployment(
                501, "m1", "production", "success", "2026-03-09T11:50:00", "2026-03-09T12:00:00"
            ),
            gl_deployment(
                502, "d3", "production", "success", "2026-03-10T13:50:00", "2026-03-10T14:00:00"
            ),
        ],
    )


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("twins")
    export = root / "export"
    write_json(export / "catalog" / "twins.yaml", CATALOG)
    write_github(export)
    write_gitlab(export)
    write_github(export, "acme/twin-jk", deployments=False)
    builds = [
        build("deploy/twin-jk", 2, "SUCCESS", "2026-03-10T13:50:00", 10, "d3"),
        build("deploy/twin-jk", 1, "SUCCESS", "2026-03-09T11:50:00", 10, "m1"),
    ]
    write_json(
        export / "jenkins" / "deploy" / "twin-jk" / "builds.json",
        {"_class": "hudson.model.FreeStyleProject", "allBuilds": builds},
    )
    write_gitlab(export, "group/nograph", 13, commits=False)
    write_json(
        export / "pagerduty" / "incidents.json",
        {
            "incidents": [
                incident(f"PI{s}", n, s, "Errors", "2026-03-10T15:00:00", "2026-03-10T16:00:00")
                for n, s in enumerate(("PGH", "PGL", "PJK", "PNG"), start=1)
            ],
            "limit": 100,
            "offset": 0,
            "more": False,
        },
    )
    warehouse = root / "warehouse.duckdb"
    assert ingest_export(export, warehouse).ok
    result = run_dbt(warehouse, root, "build", "--exclude", "test_type:unit")
    assert result.returncode == 0, result.stdout[-6000:]
    return warehouse


def by_service(warehouse: Path, sql: str) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        rows = con.execute(sql).fetchall()
    out: dict[str, list[tuple]] = {}
    for key, *rest in rows:
        out.setdefault(key, []).append(tuple(rest))
    return out


def test_the_same_history_gives_the_same_changes_on_either_host(twins):
    changes = by_service(
        twins,
        """select service_id, change_type, first_commit_source, first_commit_at, opened_at,
                  first_review_at, merged_at, deployed_at, linkage, lead_time_hours,
                  coding_hours, pickup_hours, review_hours, deploy_hours
           from marts.fct_changes order by service_id, merged_at""",
    )

    def t(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)

    d1, d2 = t("2026-03-09T12:00"), t("2026-03-10T14:00")
    expected = [
        ("pr", "pr_commits", t("2026-03-09T08:00"), t("2026-03-09T09:00"), t("2026-03-09T10:00"),
         t("2026-03-09T11:00"), d1, "graph", 4.0, 1.0, 1.0, 1.0, 1.0),
        ("pr", "pr_commits", t("2026-03-10T08:00"), t("2026-03-10T08:30"), t("2026-03-10T09:00"),
         t("2026-03-10T10:00"), d2, "graph", 6.0, 0.5, 0.5, 1.0, 4.0),
        ("direct_commit", "commit", t("2026-03-10T12:00"), None, None, t("2026-03-10T12:00"), d2,
         "graph", 2.0, None, None, None, None),
    ]  # fmt: skip
    # without the commit graph: the requests alone, each with the first deployment after its merge
    by_time = [(*change[:7], "time_order", *change[8:]) for change in expected[:2]]
    assert changes == {
        "twin-gh": expected,
        "twin-gl": expected,
        "twin-jk": expected,
        "twin-nograph": by_time,
    }


def test_the_same_history_gives_the_same_dora_figures_on_either_host(twins):
    deployments = by_service(
        twins,
        "select service_id, deployed_at, is_failure, failure_reasons, recovery_hours "
        "from marts.fct_deployments order by service_id, deployed_at",
    )
    assert deployments["twin-gh"] == deployments["twin-gl"] == deployments["twin-jk"]
    assert deployments["twin-nograph"] == deployments["twin-gl"]
    assert [d[1:] for d in deployments["twin-gl"]] == [(False, [], None), (True, ["incident"], 2.0)]
    with duckdb.connect(str(twins), read_only=True) as con:
        figures = con.execute(
            "select entity_type, entity_id, columns(* exclude (entity_type, entity_id)) "
            "from marts.dora_metrics where entity_type <> 'org' order by all"
        ).fetchall()
    rows = {(r[0], r[1]): r[2:] for r in figures}
    assert (
        rows[("service", "twin-gh")] == rows[("service", "twin-gl")] == rows[("service", "twin-jk")]
    )
    assert rows[("team", "team-a")] == rows[("team", "team-b")] == rows[("team", "team-c")]
    with duckdb.connect(str(twins), read_only=True) as con:
        week = con.execute(
            "select deployments, lead_time_sample_size, lead_time_p50_hours, change_failure_rate, "
            "recovery_time_p50_hours, lead_time_coverage from marts.dora_metrics "
            "where period_grain = 'week' and entity_id = 'twin-gl'"
        ).fetchall()
    assert week == [(2, 3, 4.0, 0.5, 2.0, 1.0)]


def test_without_the_commit_graph_changes_fall_back_to_the_time_order_and_say_so(twins):
    with duckdb.connect(str(twins), read_only=True) as con:
        week = con.execute(
            "select entity_type, entity_id, deployments, failed_deployments, "
            "lead_time_sample_size, lead_time_p50_hours, changes_linked_by_graph, "
            "changes_linked_by_time_order, linkage_coverage, services_with_deployments, "
            "services_with_changes, lead_time_coverage from marts.dora_metrics "
            "where period_grain = 'week' and entity_id in ('twin-gl', 'twin-nograph', 'org') "
            "order by entity_id"
        ).fetchall()
    assert week == [
        ("org", "org", 8, 4, 11, 4.0, 9, 2, 9 / 11, 4, 4, 1.0),
        ("service", "twin-gl", 2, 1, 3, 4.0, 3, 0, 1.0, 1, 1, 1.0),
        ("service", "twin-nograph", 2, 1, 2, 5.0, 0, 2, 0.0, 1, 1, 1.0),
    ]
