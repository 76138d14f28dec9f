"""A small org whose code, builds and incidents live on every system Stature reads, written as
an export directory of the APIs' own JSON (GitHub, GitLab, Jenkins, PagerDuty, Opsgenie, a
Backstage catalog), for the tests that work its DORA figures out by hand (tests/test_mixed_org.py).

Week 2026-W10 (Mon 2026-03-02 .. Sun 03-08), UTC, attribution window 24 h, horizon 90 days.
Every repo's first commit (2025-10-01) is history. Teams: storefront (web), discovery (search),
payments (billing, api, legacy).

web     GitHub acme/web, deployed by GitHub Actions, PagerDuty PWEB, Opsgenie selector tag.
        PR #1 (squash w1): commit 03-02 08:00, opened 09:00, bob reviews 10:00, merged 12:00.
        Direct commit w2 03-03 09:00. Run 100 'Deploy to production' ships w1 03-02 14:00;
        run 101 ships w2 03-03 12:00; run 102 'CI' is no deployment.
        PagerDuty PWEB 03-03 15:00-17:00 and alert A4 (tag service:web, no team) 20:00-21:00
        are both attributed to run 101: failed, recovered 21:00 (9 h).
search  GitLab acme/search, GitLab deployments, Opsgenie team named "Search On-Call" (by name).
        Mainline s0 - m1 (merge of !1) - q2 (squash of !2) - f3 (fast-forward of !3) - d4.
        !1: commit a1 03-02 08:00, opened 09:00, ann's own comment 09:30, bob approves 10:00,
        merged 11:00. !2: commit b2 03-03 08:00, opened 08:30, a review request 08:45 (no
        review), carl comments 09:00, merged 10:00. !3: commit f3 03-04 09:00, opened 09:15,
        merged 09:30, no review. Direct commit d4 03-04 13:00. !4 closed unmerged.
        Deployments: 501 ships m1 03-02 12:30; 502 staging; 503 ships d4 03-04 14:00; 504
        failed; 505 ships q2 again 03-04 16:00 (a rollback: 503 fails); 506 ships d4 03-05
        10:00. Alert A1 (team t-search) 03-04 17:00-19:00 is 505's: failed, 3 h; 503 recovers
        with 506 (20 h).
billing GitLab platform/billing, annotated by numeric id 4242, deployed by Jenkins
        deploy/billing, Opsgenie team by id t-billing. !7 (merge commit b1): commit c7 03-05
        09:00, opened 09:30, dan approves 10:00, merged 11:00. Build 20 (SUCCESS, production)
        ships b1 at 12:00 + 30 min; 21 failed; 22 went to staging. Alert A2 03-05 20:00-21:00
        is build 20's: failed, recovered 21:00 (8.5 h).
api     GitHub acme/api, deployed by GitLab pipelines of ci/api (a CI/CD project mirroring it).
        PR #5 (merge commit a1): commit x5 03-06 07:00, opened 08:00, erin approves 09:00,
        merged 10:00. PR #6 hotfix/timeout (squash a2): commit y6 11:30, opened 12:00, merged
        12:30. Pipeline 900 'Deploy api to production' ships a1 03-06 11:00; pipeline 902 and
        GitLab deployment 601 both ship a2 (the deployment was made while the pipeline ran:
        one deployment, 601, 13:30); 901 'Test' is none. The hotfix fails 900 (2.5 h).
legacy  Jenkins deploy/legacy only (no code host): build 5 ships 03-04 08:00 + 10 min. Its
        deployments bring no changes: payments' lead time covers 2 of its 3 services.

Not mapped to any service (marts.unmapped_entities): GitLab project sandbox/experiments (1 merge
request), Jenkins job deploy/tools (2 builds), Opsgenie team "Data Team" (alert A3 03-06
09:00-12:00), PagerDuty service PUNKNOWN (one incident 03-05 09:00-13:00).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.api_shapes import (
    HISTORY,
    alert,
    build,
    gh_commit,
    gh_pull,
    gh_review,
    gh_run,
    gl_commit,
    gl_deployment,
    gl_mr,
    gl_note,
    gl_pipeline,
    incident,
    sha,
)
from tests.support.api_shapes import (
    write_json as write,
)

# The catalog as its owners would write it (annotations by path, by id, by team name).
CATALOG = Path(__file__).parents[1] / "fixtures" / "mixed_org" / "catalog" / "org.yaml"


def write_mixed_org(root: Path) -> Path:
    """Write the org's export directory under `root`; returns it."""
    write(root / "catalog" / "org.yaml", CATALOG.read_text())
    _web(root / "github" / "acme" / "web")
    _api(root / "github" / "acme" / "api", root / "gitlab" / "ci" / "api")
    _search(root / "gitlab" / "acme" / "search")
    _billing(root / "gitlab" / "platform" / "billing")
    _unmapped_and_jenkins(root)
    _incidents(root)
    return root


def _web(repo: Path) -> None:
    r = "acme/web"
    write(
        repo / "commits.json",
        [
            gh_commit(r, "w2", "2026-03-03T09:00:00", ["w1"], "Tweak copy"),
            gh_commit(
                r, "w1", "2026-03-02T11:55:00", ["w0"], "Add banner (#1)", "2026-03-02T12:00:00"
            ),
            gh_commit(r, "w0", HISTORY, [], "Initial commit"),
        ],
    )
    write(
        repo / "pulls.json",
        [gh_pull(1, "Add banner", "2026-03-02T09:00:00", "2026-03-02T12:00:00", "w1")],
    )
    write(
        repo / "pull_commits" / "1.json",
        [gh_commit(r, "p1", "2026-03-02T08:00:00", ["w0"], "banner")],
    )
    write(repo / "pull_reviews" / "1.json", [gh_review(11, "2026-03-02T10:00:00", "bob")])
    runs = [
        gh_run(100, "Deploy to production", "w1", "2026-03-02T13:50:00", "2026-03-02T14:00:00"),
        gh_run(101, "Deploy to production", "w2", "2026-03-03T11:50:00", "2026-03-03T12:00:00"),
        gh_run(102, "CI", "w2", "2026-03-03T09:05:00", "2026-03-03T09:15:00"),
    ]
    write(repo / "workflow_runs.json", {"total_count": len(runs), "workflow_runs": runs})


def _api(repo: Path, ci_project: Path) -> None:
    r = "acme/api"
    write(
        repo / "commits.json",
        [
            gh_commit(
                r, "a2", "2026-03-06T12:25:00", ["a1"], "Raise timeout (#6)", "2026-03-06T12:30:00"
            ),
            gh_commit(
                r,
                "a1",
                "2026-03-06T10:00:00",
                ["a0", "x5"],
                "Merge pull request #5 from acme/limits",
            ),
            gh_commit(r, "x5", "2026-03-06T07:00:00", ["a0"], "Rate limits"),
            gh_commit(r, "a0", HISTORY, [], "Initial commit"),
        ],
    )
    write(
        repo / "pulls.json",
        [
            gh_pull(
                6,
                "Raise timeout",
                "2026-03-06T12:00:00",
                "2026-03-06T12:30:00",
                "a2",
                branch="hotfix/timeout",
            ),
            gh_pull(5, "Rate limits", "2026-03-06T08:00:00", "2026-03-06T10:00:00", "a1"),
        ],
    )
    write(
        repo / "pull_commits" / "5.json",
        [gh_commit(r, "x5", "2026-03-06T07:00:00", ["a0"], "Rate limits")],
    )
    write(
        repo / "pull_commits" / "6.json",
        [gh_commit(r, "y6", "2026-03-06T11:30:00", ["a1"], "timeout")],
    )
    write(repo / "pull_reviews" / "5.json", [gh_review(51, "2026-03-06T09:00:00", "erin")])
    write(repo / "pull_reviews" / "6.json", [])  # the hotfix went in unreviewed
    p = "ci/api"
    write(
        ci_project / "pipelines.json",
        [
            gl_pipeline(
                p,
                500,
                900,
                "Deploy api to production",
                "a1",
                "2026-03-06T10:30:00",
                "2026-03-06T11:00:00",
            ),
            gl_pipeline(p, 500, 901, "Test", "a1", "2026-03-06T10:00:00", "2026-03-06T10:20:00"),
            gl_pipeline(
                p,
                500,
                902,
                "Deploy api to production",
                "a2",
                "2026-03-06T13:00:00",
                "2026-03-06T13:30:00",
            ),
        ],
    )
    write(
        ci_project / "deployments.json",
        [
            gl_deployment(
                601, "a2", "production", "success", "2026-03-06T13:10:00", "2026-03-06T13:30:00"
            ),
        ],
    )


def _search(project: Path) -> None:
    p, pid = "acme/search", 311
    write(
        project / "commits.json",
        [
            gl_commit(p, "d4", "2026-03-04T13:00:00", ["f3"], "Bump deps"),
            gl_commit(
                p, "f3", "2026-03-04T09:00:00", ["q2"], "Speed up index", "2026-03-04T09:30:00"
            ),
            gl_commit(p, "q2", "2026-03-03T10:00:00", ["m1"], "Fix ranking"),
            gl_commit(
                p,
                "m1",
                "2026-03-02T11:00:00",
                ["s0", "a1"],
                "Merge branch 'feature/facets' into 'main'",
            ),
            gl_commit(p, "a1", "2026-03-02T08:00:00", ["s0"], "Add facets"),
            gl_commit(p, "s0", HISTORY, [], "Initial commit"),
        ],
    )
    write(
        project / "merge_requests.json",
        [
            gl_mr(
                p,
                pid,
                1,
                "Add facets",
                "2026-03-02T09:00:00",
                "2026-03-02T11:00:00",
                merge="m1",
                head="a1",
                branch="feature/facets",
            ),
            gl_mr(
                p,
                pid,
                2,
                "Fix ranking",
                "2026-03-03T08:30:00",
                "2026-03-03T10:00:00",
                author="bob",
                squash="q2",
                head="b2",
            ),
            gl_mr(
                p,
                pid,
                3,
                "Speed up index",
                "2026-03-04T09:15:00",
                "2026-03-04T09:30:00",
                author="carl",
                head="f3",
            ),
            gl_mr(p, pid, 4, "Abandoned idea", "2026-03-04T11:00:00", None),
        ],
    )
    commits = {
        1: [gl_commit(p, "a1", "2026-03-02T08:00:00", ["s0"], "Add facets")],
        2: [gl_commit(p, "b2", "2026-03-03T08:00:00", ["m1"], "ranking")],
        3: [gl_commit(p, "f3", "2026-03-04T09:00:00", ["q2"], "Speed up index")],
    }
    # GitLab's NDJSON bundle form for the commits, one file per merge request for the notes
    lines = [json.dumps({"iid": iid, "items": items}) for iid, items in commits.items()]
    write(project / "merge_request_commits.ndjson", "\n".join(lines) + "\n")
    write(
        project / "merge_request_notes" / "1.json",
        [
            gl_note(1, 1, "2026-03-02T09:30:00", "ann", "Ready for review"),
            gl_note(2, 1, "2026-03-02T10:00:00", "bob", "approved this merge request", system=True),
            gl_note(3, 1, "2026-03-02T10:30:00", "bob", "Nice work"),
        ],
    )
    write(
        project / "merge_request_notes" / "2.json",
        [
            gl_note(4, 2, "2026-03-03T08:45:00", "bob", "requested review from @carl", system=True),
            gl_note(5, 2, "2026-03-03T09:00:00", "carl", "Please add a test"),
        ],
    )
    write(project / "merge_request_notes" / "3.json", [])
    write(
        project / "deployments.json",
        [
            gl_deployment(
                501, "m1", "production", "success", "2026-03-02T12:00:00", "2026-03-02T12:30:00"
            ),
            gl_deployment(
                502, "q2", "staging", "success", "2026-03-03T11:00:00", "2026-03-03T11:10:00"
            ),
            gl_deployment(
                503, "d4", "production", "success", "2026-03-04T13:40:00", "2026-03-04T14:00:00"
            ),
            gl_deployment(504, "d4", "production", "failed", "2026-03-04T15:00:00", None),
            gl_deployment(
                505, "q2", "production", "success", "2026-03-04T15:50:00", "2026-03-04T16:00:00"
            ),
            gl_deployment(
                506, "d4", "production", "success", "2026-03-05T09:50:00", "2026-03-05T10:00:00"
            ),
        ],
    )


def _billing(project: Path) -> None:
    p, pid = "platform/billing", 4242
    write(
        project / "commits.json",
        [
            gl_commit(
                p,
                "b1",
                "2026-03-05T11:00:00",
                ["b0", "c7"],
                "Merge branch 'feature/invoices' into 'main'",
            ),
            gl_commit(p, "c7", "2026-03-05T09:00:00", ["b0"], "Invoices"),
            gl_commit(p, "b0", HISTORY, [], "Initial commit"),
        ],
    )
    write(
        project / "merge_requests.json",
        [
            gl_mr(
                p,
                pid,
                7,
                "Invoices",
                "2026-03-05T09:30:00",
                "2026-03-05T11:00:00",
                merge="b1",
                head="c7",
                branch="feature/invoices",
            ),
        ],
    )
    write(
        project / "merge_request_commits" / "7.json",
        [gl_commit(p, "c7", "2026-03-05T09:00:00", ["b0"], "Invoices")],
    )
    write(
        project / "merge_request_notes" / "7.json",
        [
            gl_note(
                70, 7, "2026-03-05T10:00:00", "dan", "approved this merge request", system=True
            ),
        ],
    )


def _unmapped_and_jenkins(root: Path) -> None:
    jobs = {
        "deploy/billing": [
            build("deploy/billing", 22, "SUCCESS", "2026-03-05T11:30:00", 10, "b1", env="staging"),
            build("deploy/billing", 21, "FAILURE", "2026-03-05T11:10:00", 5, "b1"),
            build("deploy/billing", 20, "SUCCESS", "2026-03-05T12:00:00", 30, "b1"),
        ],
        "deploy/legacy": [build("deploy/legacy", 5, "SUCCESS", "2026-03-04T08:00:00", 10, "l5")],
        "deploy/tools": [
            build("deploy/tools", 2, "SUCCESS", "2026-03-04T08:00:00", 5, "t2"),
            build("deploy/tools", 1, "SUCCESS", "2026-03-03T08:00:00", 5, "t1"),
        ],
    }
    for job, builds in jobs.items():
        body = {"_class": "hudson.model.FreeStyleProject", "allBuilds": builds}
        write(root / "jenkins" / job / "builds.json", body)
    sandbox = root / "gitlab" / "sandbox" / "experiments"
    write(
        sandbox / "merge_requests.json",
        [
            gl_mr("sandbox/experiments", 900, 1, "Try things", "2026-03-03T10:00:00", None),
        ],
    )


def _incidents(root: Path) -> None:
    write(
        root / "pagerduty" / "incidents.json",
        {
            "incidents": [
                incident(
                    "PI1",
                    1,
                    "PWEB",
                    "Checkout page errors",
                    "2026-03-03T15:00:00",
                    "2026-03-03T17:00:00",
                ),
                incident(
                    "PI2", 2, "PUNKNOWN", "Disk full", "2026-03-05T09:00:00", "2026-03-05T13:00:00"
                ),
            ],
            "limit": 100,
            "offset": 0,
            "more": False,
        },
    )
    alerts = [
        alert("A3", "Pipeline lag", "2026-03-06T09:00:00", 10_800_000, teams=("t-data",)),
        alert("A2", "Invoice errors", "2026-03-05T20:00:00", 3_600_000, teams=("t-billing",)),
        alert("A1", "Slow queries", "2026-03-04T17:00:00", 7_200_000, teams=("t-search",)),
        alert("A4", "High latency", "2026-03-03T20:00:00", 3_600_000, tags=("service:web",)),
    ]
    write(root / "opsgenie" / "alerts.json", {"data": alerts, "took": 0.01, "requestId": "r1"})
    teams = [
        {"id": "t-search", "name": "Search On-Call", "description": ""},
        {"id": "t-billing", "name": "Billing", "description": ""},
        {"id": "t-data", "name": "Data Team", "description": ""},
    ]
    write(root / "opsgenie" / "teams.json", {"data": teams, "took": 0.01, "requestId": "r2"})


__all__ = ["CATALOG", "sha", "write_mixed_org"]
