"""A monorepo worked out by hand: one GitHub repository, acme/mono, shared by three services
(tests/fixtures/monorepo/catalog/org.yaml), written as an export directory of GitHub's and
PagerDuty's own JSON for tests/test_monorepo.py.

Week 2026-W10 (Mon 2026-03-02 .. Sun 03-08), UTC, attribution window 24 h, horizon 90 days.

Paths (stature.dev/paths): payments `services/payments/**, libs/common/**` (commas), search
`services/search/**` and `libs/common/**` (a YAML block, one glob a line), web `apps/web/**`.
So libs/common/retry.py is a shared file (payments' and search's) and README.md is nobody's.

Mainline (squash merges): m0 (history, README.md) - m1 (PR #1) - m2 (PR #2) - m3 (direct
commit 03-03 08:00, README.md only: no service's change) - m4 (PR #4) - m5 (PR #5, hotfix).
    PR #1 services/payments/api.py: commit 03-02 08:00, opened 09:00, review 10:00, merged 11:00.
    PR #2 libs/common/retry.py + services/search/index.py: commit 09:00, opened 10:00, review
          11:00, merged 12:00 -> a change of payments and of search.
    PR #4 apps/web/page.tsx: commit 03-03 09:00, opened 09:30, review 10:00, merged 10:30.
    PR #5 services/payments/timeout.py, branch hotfix/timeout: commit 03-04 09:00, opened 09:15,
          merged 09:30, no review.
Files come from pull_files/<n>.json (PR #5 from pull_files.ndjson) and commit_files/<sha>.json
(the single-commit response; m3..m5 from commit_files.ndjson).

Deployments, each service by its own annotation:
    payments (GitHub deployments to `prod-payments`, stature.dev/deploy-environment):
        701 ships m2 03-02 14:00 -> PR #1 (6 h), PR #2 (5 h); PagerDuty PPAY 16:00-18:00 is
            701's: failed, recovered 4 h.
        702 ships m4 03-03 12:00 -> nothing of payments'; the hotfix deployment 703 follows
            within 24 h: failed, recovered by 703 (22 h).
        703 ships m5 03-04 10:00 -> PR #5 (1 h): rework (hotfix).
        704 ships m5 to `staging-payments`: no deployment.
    search (Actions runs of .github/workflows/deploy-search.yml, stature.dev/deploy-workflow;
        the run name "Deploy search" matches no production pattern):
        801 ships m2 03-02 15:00 -> PR #2 (6 h).
        802 ships m5 03-04 12:00 -> nothing of search's; PagerDuty PSEARCH 13:00-15:00: failed,
            3 h. Run 803 (ci.yml, "CI") is none.
    web (GitHub deployments to `production`, its deploy-environment: a production environment
        that names no service, which only the annotation claims): 901 ships m4 03-03 11:00 ->
        PR #4 (2 h); 902 ships m5 03-05 09:00 -> nothing.

Per service in W10: payments 3 deployments, lead time p50 5 h, CFR 2/3, recovery p50 13 h,
rework 1/3; search 2, 6 h, 1/2, 3 h, 0; web 2, 2 h, 0, none, 0.

GitLab project acme/tools, shared by cli (`cli/**`) and docsite (`site`: a glob without
wildcards is the folder and everything below it), nothing deployed yet: t0 (history,
README.md) - t1 (squash of !1, cli/main.go, from merge_request_diffs.ndjson and
commit_diffs/<sha>.json) - t2 (direct commit 03-05 11:00, site/index.md renamed from
docs/index.md, from commit_diffs.ndjson). So !1 is cli's change and t2 docsite's.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from tests.support.api_shapes import (
    HISTORY,
    gh_commit,
    gh_deployment,
    gh_pull,
    gh_review,
    gh_run,
    gh_status,
    gl_commit,
    gl_mr,
    incident,
    sha,
)
from tests.support.api_shapes import (
    write_json as write,
)

CATALOG = Path(__file__).parents[1] / "fixtures" / "monorepo" / "catalog" / "org.yaml"
REPO = "acme/mono"

# commit name -> (author date, committer date, parent, message, files)
MAINLINE = {
    "m0": (HISTORY, HISTORY, None, "Initial commit", ["README.md"]),
    "m1": ("2026-03-02T10:55:00", "2026-03-02T11:00:00", "m0", "Payments API (#1)",
           ["services/payments/api.py"]),
    "m2": ("2026-03-02T11:55:00", "2026-03-02T12:00:00", "m1", "Shared retries (#2)",
           ["libs/common/retry.py", "services/search/index.py"]),
    "m3": ("2026-03-03T08:00:00", "2026-03-03T08:00:00", "m2", "Fix README typo", ["README.md"]),
    "m4": ("2026-03-03T10:25:00", "2026-03-03T10:30:00", "m3", "New page (#4)",
           ["apps/web/page.tsx"]),
    "m5": ("2026-03-04T09:25:00", "2026-03-04T09:30:00", "m4", "Raise timeout (#5)",
           ["services/payments/timeout.py"]),
}  # fmt: skip


def _file(path: str, status: str = "modified") -> dict[str, Any]:
    """One entry of a files list, as GitHub's PR files and single-commit endpoints give it."""
    return {
        "sha": sha(f"blob:{path}"),
        "filename": path,
        "status": status,
        "additions": 3,
        "deletions": 1,
        "changes": 4,
        "blob_url": f"https://github.com/{REPO}/blob/main/{path}",
        "patch": "@@ -1 +1,3 @@",
    }


def write_monorepo_org(root: Path) -> Path:
    """Write the org's export directory under `root`; returns it."""
    write(root / "catalog" / "org.yaml", CATALOG.read_text())
    repo = root / "github" / "acme" / "mono"
    _code(repo)
    _deployments(repo)
    _incidents(root)
    _gitlab(root / "gitlab" / "acme" / "tools")
    return root


def _diff(new_path: str, old_path: str | None = None) -> dict[str, Any]:
    """One entry of GitLab's merge request diffs and commit diff lists."""
    return {
        "old_path": old_path or new_path,
        "new_path": new_path,
        "a_mode": "100644",
        "b_mode": "100644",
        "new_file": False,
        "renamed_file": old_path is not None,
        "deleted_file": False,
        "diff": "@@ -1 +1 @@",
    }


def _gitlab(project_dir: Path) -> None:
    p = "acme/tools"
    commits = [
        gl_commit(p, "t2", "2026-03-05T11:00:00", ["t1"], "Move docs"),
        gl_commit(p, "t1", "2026-03-05T09:55:00", ["t0"], "CLI flags", "2026-03-05T10:00:00"),
        gl_commit(p, "t0", HISTORY, [], "Initial commit"),
    ]
    write(project_dir / "commits.json", commits)
    write(
        project_dir / "merge_requests.json",
        [gl_mr(p, 77, 1, "CLI flags", "2026-03-05T09:00:00", "2026-03-05T10:00:00", squash="t1")],
    )
    write(
        project_dir / "merge_request_commits" / "1.json",
        [gl_commit(p, "tc1", "2026-03-05T08:00:00", ["t0"], "flags")],
    )
    write(project_dir / "merge_request_notes" / "1.json", [])
    _ndjson(
        project_dir / "merge_request_diffs.ndjson", [{"iid": 1, "items": [_diff("cli/main.go")]}]
    )
    write(project_dir / "commit_diffs" / f"{sha('t0')}.json", [_diff("README.md")])
    write(project_dir / "commit_diffs" / f"{sha('t1')}.json", [_diff("cli/main.go")])
    _ndjson(
        project_dir / "commit_diffs.ndjson",
        [{"sha": sha("t2"), "items": [_diff("site/index.md", "docs/index.md")]}],
    )


def _code(repo: Path) -> None:
    commits = [
        gh_commit(REPO, name, authored, [parent] if parent else [], message, committed)
        for name, (authored, committed, parent, message, _) in MAINLINE.items()
    ]
    write(repo / "commits.json", list(reversed(commits)))  # newest first, as GitHub lists
    bundle = []
    for commit, (*_, paths) in zip(commits, MAINLINE.values(), strict=True):
        files = [_file(p) for p in paths]
        if commit["sha"] in {sha("m3"), sha("m4"), sha("m5")}:
            bundle.append({"sha": commit["sha"], "items": files})
        else:  # the single-commit response as it is
            write(repo / "commit_files" / f"{commit['sha']}.json", {**commit, "files": files})
    _ndjson(repo / "commit_files.ndjson", bundle)

    pulls = [
        (1, "Payments API", "m1", "feature/api", "03-02T08:00", "03-02T09:00", "03-02T11:00"),
        (2, "Shared retries", "m2", "feature/retry", "03-02T09:00", "03-02T10:00", "03-02T12:00"),
        (4, "New page", "m4", "feature/page", "03-03T09:00", "03-03T09:30", "03-03T10:30"),
        (5, "Raise timeout", "m5", "hotfix/timeout", "03-04T09:00", "03-04T09:15", "03-04T09:30"),
    ]
    reviews = {1: "03-02T10:00", 2: "03-02T11:00", 4: "03-03T10:00"}
    write(
        repo / "pulls.json",
        [
            gh_pull(n, title, f"2026-{opened}:00", f"2026-{merged}:00", squash, branch=branch)
            for n, title, squash, branch, _, opened, merged in reversed(pulls)
        ],
    )
    for n, title, _, _, first, _, _ in pulls:
        write(
            repo / "pull_commits" / f"{n}.json",
            [gh_commit(REPO, f"p{n}", f"2026-{first}:00", ["m0"], title)],
        )
        when = reviews.get(n)
        write(
            repo / "pull_reviews" / f"{n}.json",
            [gh_review(100 + n, f"2026-{when}:00", "bob")] if when else [],
        )
    for n in (1, 2, 4):
        write(repo / "pull_files" / f"{n}.json", [_file(p) for p in MAINLINE[f"m{n}"][4]])
    _ndjson(
        repo / "pull_files.ndjson",
        [{"number": 5, "items": [_file("services/payments/timeout.py", "added")]}],
    )


def _deployments(repo: Path) -> None:
    deployments = [  # id, sha, environment, created (the success status 10 min later)
        (701, "m2", "prod-payments", "2026-03-02T13:50:00"),
        (702, "m4", "prod-payments", "2026-03-03T11:50:00"),
        (703, "m5", "prod-payments", "2026-03-04T09:50:00"),
        (704, "m5", "staging-payments", "2026-03-04T09:35:00"),
        (901, "m4", "production", "2026-03-03T10:50:00"),
        (902, "m5", "production", "2026-03-05T08:50:00"),
    ]
    write(
        repo / "deployments.json",
        [gh_deployment(d, s, env, created) for d, s, env, created in reversed(deployments)],
    )
    for d, _, env, created in deployments:
        done = (dt.datetime.fromisoformat(created) + dt.timedelta(minutes=10)).isoformat()
        status = gh_status(d * 10, "success", done) | {"environment": env}
        write(repo / "deployment_statuses" / f"{d}.json", [status])
    deploy = ".github/workflows/deploy-search.yml"
    runs = [
        gh_run(801, "Deploy search", "m2", "2026-03-02T14:50:00", "2026-03-02T15:00:00"),
        gh_run(802, "Deploy search", "m5", "2026-03-04T11:50:00", "2026-03-04T12:00:00"),
        gh_run(803, "CI", "m5", "2026-03-04T09:31:00", "2026-03-04T09:40:00"),
    ]
    for run in runs:
        run["path"] = deploy if run["name"] != "CI" else ".github/workflows/ci.yml"
    write(repo / "workflow_runs.json", {"total_count": len(runs), "workflow_runs": runs})


def _incidents(root: Path) -> None:
    incidents = [
        incident("PI1", 1, "PPAY", "Card errors", "2026-03-02T16:00:00", "2026-03-02T18:00:00"),
        incident("PI2", 2, "PSEARCH", "Slow search", "2026-03-04T13:00:00", "2026-03-04T15:00:00"),
    ]
    write(
        root / "pagerduty" / "incidents.json",
        {"incidents": incidents, "limit": 100, "offset": 0, "more": False},
    )


def _ndjson(path: Path, lines: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
