"""Render one simulated repo as the GitHub API's responses and write them in the export layout."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from ingestion.sample_org.github import RepoShapes
from ingestion.sample_org.simulate import Issue, PullRequest, RepoHistory

PER_PAGE = 100


def dumps(obj: Any) -> bytes:
    """Compact JSON, as the API sends it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def write_pages(directory: Path, stem: str, items: list[Any], wrap: Any = None) -> int:
    """`stem.json`, `stem-2.json`, ... with at most 100 items each; always at least one page."""
    pages = max(1, (len(items) + PER_PAGE - 1) // PER_PAGE)
    for page in range(pages):
        chunk = items[page * PER_PAGE : (page + 1) * PER_PAGE]
        body = wrap(chunk) if wrap else chunk
        name = f"{stem}.json" if page == 0 else f"{stem}-{page + 1}.json"
        (directory / name).write_bytes(dumps(body))
    return pages


def write_ndjson(path: Path, key: str, rows: list[tuple[int | str, list[Any]]]) -> None:
    with path.open("wb") as handle:
        for ident, items in rows:
            handle.write(dumps({key: ident, "items": items}) + b"\n")


def write_repo(
    history: RepoHistory, shapes: RepoShapes, directory: Path, end: int, ndjson: bool
) -> tuple[Counter, Counter]:
    """Write every endpoint's pages for one repo; returns (files per kind, records per kind)."""
    files: Counter = Counter()
    records: Counter = Counter()
    directory.mkdir(parents=True, exist_ok=True)
    with_files = history.monorepo
    rendered: dict[str, dict[str, Any]] = {}

    def commit(c: Any) -> dict[str, Any]:
        out = rendered.get(c.sha)
        if out is None:
            out = rendered[c.sha] = shapes.commit(c, with_files)
        return out

    # Commits of the default branch, newest first (by commit date, as `git log` orders them).
    main = sorted(
        (c for c in history.main if c.committed < end),
        key=lambda c: (c.committed, c.seq),
        reverse=True,
    )
    files["commits"] += write_pages(directory, "commits", [commit(c) for c in main])
    records["commits"] += len(main)

    # Pull requests (state=all, newest first), their commits and reviews.
    pulls = sorted(
        (p for p in history.pulls if p.number and p.opened_at < end),
        key=lambda p: p.number,
        reverse=True,
    )
    files["pulls"] += write_pages(directory, "pulls", [shapes.pull(p, end) for p in pulls])
    records["pulls"] += len(pulls)
    reviews = sorted(
        (r[2], p.number, i, p, r) for p in pulls for i, r in enumerate(p.reviews) if r[2] < end
    )
    by_pr: dict[int, list[dict[str, Any]]] = {p.number: [] for p in pulls}
    for k, (at, _, _, p, (reviewer, state, _, body)) in enumerate(reviews, start=1):
        by_pr[p.number].append(shapes.review(p, k, reviewer, state, at, p.head_at(at), body))
    records["pull_reviews"] += len(reviews)
    pr_commits = [(p.number, [commit(c) for c in p.visible_commits(end)]) for p in reversed(pulls)]
    records["pull_commits"] += sum(len(items) for _, items in pr_commits)
    pr_reviews = [(n, by_pr[n]) for n, _ in pr_commits]
    if ndjson:
        write_ndjson(directory / "pull_commits.ndjson", "number", pr_commits)
        write_ndjson(directory / "pull_reviews.ndjson", "number", pr_reviews)
        files["pull_commits"] += 1
        files["pull_reviews"] += 1
    else:
        for sub, rows in (("pull_commits", pr_commits), ("pull_reviews", pr_reviews)):
            (directory / sub).mkdir(exist_ok=True)
            for number, items in rows:
                (directory / sub / f"{number}.json").write_bytes(dumps(items))
            files[sub] += len(rows)

    if with_files:  # a monorepo: the files of its PRs and commits, as their endpoints give them
        _write_files(directory, main, pulls, end, commit, files, records)

    # Deployments (newest first) and their statuses (newest first).
    deployments = sorted(
        ((d.created_at, i, d) for i, d in enumerate(history.deployments) if d.created_at < end),
    )
    ids = {i: shapes.ident(1_200_000_000, k) for k, (_, i, _) in enumerate(deployments, start=1)}
    statuses = sorted(
        (at, ids[i], n, i, state)
        for _, i, d in deployments
        for n, (state, at) in enumerate(d.statuses)
        if at < end
    )
    status_rows: dict[int, list[dict[str, Any]]] = {ids[i]: [] for _, i, _ in deployments}
    for k, (at, deployment_id, _, i, state) in enumerate(statuses, start=1):
        d = history.deployments[i]
        status_rows[deployment_id].append(
            shapes.deployment_status(
                d,
                deployment_id,
                shapes.ident(3_000_000_000, k),
                state,
                at,
                with_environment=not d.legacy_statuses,
            )
        )
    listed = [shapes.deployment(d, ids[i], end) for _, i, d in reversed(deployments)]
    files["deployments"] += write_pages(directory, "deployments", listed)
    records["deployments"] += len(listed)
    status_list = [(dep_id, list(reversed(rows))) for dep_id, rows in sorted(status_rows.items())]
    records["deployment_statuses"] += len(statuses)
    if ndjson:
        write_ndjson(directory / "deployment_statuses.ndjson", "deployment_id", status_list)
        files["deployment_statuses"] += 1
    else:
        (directory / "deployment_statuses").mkdir(exist_ok=True)
        for dep_id, rows in status_list:
            (directory / "deployment_statuses" / f"{dep_id}.json").write_bytes(dumps(rows))
        files["deployment_statuses"] += len(status_list)

    # Workflow runs: ids and run numbers in creation order, listed newest first.
    runs = sorted((r.created_at, i, r) for i, r in enumerate(history.runs) if r.created_at < end)
    workflow_ids = {
        key: 40_000_000 + shapes.index * 100 + k for k, key in enumerate(sorted(history.workflows))
    }
    numbers: Counter = Counter()
    rendered_runs = []
    for k, (_, _, r) in enumerate(runs, start=1):
        numbers[r.path] += 1
        rendered_runs.append(
            shapes.run(
                r, shapes.ident(9_000_000_000, k), numbers[r.path], workflow_ids[r.workflow], end
            )
        )
    rendered_runs.reverse()
    total = len(rendered_runs)
    files["workflow_runs"] += write_pages(
        directory,
        "workflow_runs",
        rendered_runs,
        wrap=lambda chunk: {"total_count": total, "workflow_runs": chunk},
    )
    records["workflow_runs"] += total

    # Issues (incidents, bugs) plus the labelled PRs the issues endpoint returns alongside.
    items: list[Issue] = [i for i in history.issues if i.created_at < end]
    items += [_as_issue(p) for p in pulls if {"bug", "incident"} & set(p.labels)]
    items.sort(key=lambda i: i.number, reverse=True)
    files["issues"] += write_pages(directory, "issues", [shapes.issue(i, end) for i in items])
    records["issues"] += sum(1 for i in items if i.pull is None)
    records["issue_pull_requests"] += sum(1 for i in items if i.pull is not None)
    return files, records


def _write_files(
    directory: Path,
    main: list[Any],
    pulls: list[PullRequest],
    end: int,
    commit: Any,
    files: Counter,
    records: Counter,
) -> None:
    """`commit_files.ndjson` (the files[] of GET /commits/{sha} for each listed commit) and
    `pull_files.ndjson` (GET /pulls/{n}/files: what the PR's commits changed, every PR)."""
    commit_rows = [(c.sha, commit(c).get("files", [])) for c in main]
    write_ndjson(directory / "commit_files.ndjson", "sha", [r for r in commit_rows if r[1]])
    pull_rows = []
    for p in reversed(pulls):
        changed: dict[str, dict[str, Any]] = {}
        for c in p.visible_commits(end):
            for item in commit(c).get("files", []):
                changed.setdefault(item["filename"], item)
        pull_rows.append((p.number, sorted(changed.values(), key=lambda f: f["filename"])))
    write_ndjson(directory / "pull_files.ndjson", "number", pull_rows)
    files["commit_files"] += 1
    files["pull_files"] += 1
    records["commit_files"] += sum(len(items) for _, items in commit_rows)
    records["pull_files"] += sum(len(items) for _, items in pull_rows)


def _as_issue(p: PullRequest) -> Issue:
    return Issue(
        number=p.number,
        title=p.title,
        body=p.body,
        labels=p.labels,
        author=p.author,
        created_at=p.opened_at,
        closed_at=p.merged_at if p.merged_at is not None else p.closed_at,
        state_reason=None,
        comments=len(p.reviews),
        pull=p,
        last_activity=p.merged_at or p.closed_at or p.opened_at,
    )
