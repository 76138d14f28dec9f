"""GitHub in API mode: what a pull asks for, page by page (Link headers), and its cursors.

Streams, one cursor each: `<repo> pulls` (newest `updated_at`; PRs come newest-updated first,
so a nightly run stops at the first one older than the cursor, then reads the commits and
reviews of the new or changed ones), `<repo> commits` (newest committer date, asked again from
30 days before it), `<repo> deployments` (newest `created_at`; statuses of the last 7 days'
deployments are read again), `<repo> workflow_runs` (newest `created_at`, 7 days back) and
`<repo> issues` (newest `updated_at`, `since`).

Repos where a catalog component names its paths (`stature.dev/paths`: a monorepo) also get the
files of each new or changed pull request and of each new default-branch commit (one request
per PR and per commit, so only there).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

from ingestion import files
from ingestion.http import NotFoundError, Page
from ingestion.pulling import Pull, as_int, configured_paths, iso, later, older, parse_time
from ingestion.records import dig
from ingestion.sources import catalog

log = logging.getLogger(__name__)

HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
# table -> (path under base_url, fixed query parameters)
LISTS: dict[str, tuple[str, dict[str, str]]] = {
    # newest-updated first, so a nightly run stops at the first PR older than its cursor
    "pulls": ("repos/{repo}/pulls", {"state": "all", "sort": "updated", "direction": "desc"}),
    "commits": ("repos/{repo}/commits", {}),  # the default branch; `since` narrows
    "deployments": ("repos/{repo}/deployments", {}),  # newest first
    "workflow_runs": ("repos/{repo}/actions/runs", {}),  # newest first; `created` narrows
    "issues": ("repos/{repo}/issues", {"state": "all", "sort": "updated", "direction": "asc"}),
}
WRAPPERS = {"workflow_runs": "workflow_runs"}
CHILDREN: dict[str, str] = {
    "pull_commits": "repos/{repo}/pulls/{parent}/commits",
    "pull_reviews": "repos/{repo}/pulls/{parent}/reviews",
    "deployment_statuses": "repos/{repo}/deployments/{parent}/statuses",
    "pull_files": "repos/{repo}/pulls/{parent}/files",
    "commit_files": "repos/{repo}/commits/{parent}",  # a commit object: its `files` list
}
CHILD_WRAPPERS = {"commit_files": "files"}
# How far behind its cursor a nightly run looks again, in days: commits reach the default
# branch with their old committer dates when a PR merges; deployments get statuses and runs
# get re-run after they were created.
LOOKBACK_DAYS = {"commits": 30, "deployments": 7, "workflow_runs": 7}
# The runs list answers at most 1,000 runs for a filtered query: split it into days above that.
RUNS_SEARCH_CAP = 1000


def repos(config: Any) -> list[str]:
    """sources.github.repos plus the catalog's `github.com/project-slug` annotations."""
    seen: dict[str, str] = {}
    for repo in config.sources.github.repos:
        seen.setdefault(repo.strip().lower(), repo.strip())
    for path in configured_paths(config, "catalog"):
        try:
            documents = [doc for *_, doc in files.yaml_documents(path, files.Limits())]
        except files.FileProblem:
            continue  # the catalog source reports the bad file
        for slug in catalog.repo_slugs(documents):
            seen.setdefault(slug.lower(), slug)
    return list(seen.values())


def path_mapped_repos(config: Any) -> set[str]:
    """Repos (lower case) some catalog component maps with `stature.dev/paths`."""
    mapped: set[str] = set()
    for path in configured_paths(config, "catalog"):
        try:
            documents = [doc for *_, doc in files.yaml_documents(path, files.Limits())]
        except files.FileProblem:
            continue
        mapped |= catalog.path_mapped(documents, catalog.REPO_ANNOTATION)
    return mapped


def pull(pull: Pull) -> None:
    per_page = pull.settings.per_page or pull.section.per_page
    pull.repos = repos(pull.config)
    with_files = path_mapped_repos(pull.config)
    if not pull.repos:
        log.warning("github: no repos in sources.github.repos or the catalog: nothing to pull")
    for repo in pull.repos:
        if repo.count("/") != 1:
            pull.errors.append(f"github: repo {repo!r} is not owner/name: fix sources.github.repos")
            continue
        log.info("github: pulling %s", repo)
        _pulls(pull, repo, per_page, repo.lower() in with_files)
        _commits(pull, repo, per_page, repo.lower() in with_files)
        _deployments(pull, repo, per_page)
        _runs(pull, repo, per_page)
        _issues(pull, repo, per_page)


def _list(pull: Pull, repo: str, table: str, params: dict[str, Any]) -> Iterator[Page]:
    path, fixed = LISTS[table]
    yield from pull.api.link_pages(path.format(repo=repo), {**fixed, **params})


def _save(pull: Pull, repo: str, table: str, page: Page, items: list[Any]) -> None:
    endpoint = pull.api.url(LISTS[table][0].format(repo=repo))
    pull.writer.page(f"github/{repo}", table, page.text, endpoint=endpoint, url=page.url)
    pull.count(table, len(items), f" ({repo})")


def _children(
    pull: Pull, repo: str, table: str, parent: int | str, stream: str, per_page: int
) -> None:
    """All pages of one parent's child list, saved as one file (`pull_commits/12.json`)."""
    path = CHILDREN[table].format(repo=repo, parent=parent)
    items: list[Any] = []
    for page in pull.api.link_pages(path, {"per_page": per_page}):
        got = pull.items(page, CHILD_WRAPPERS.get(table), stream)
        items += got or []
    pull.writer.child(f"github/{repo}/{table}", parent, items, endpoint=pull.api.url(path))
    pull.count(table, len(items), f" ({repo})")


def _pulls(pull: Pull, repo: str, per_page: int, with_files: bool) -> None:
    stream = f"{repo} pulls"
    cursor = pull.cursors.get(stream) or {}
    since = parse_time(cursor.get("updated_at"))
    newest: str | None = cursor.get("updated_at")
    changed: list[int] = []
    with pull.stream(stream):
        for page in _list(pull, repo, "pulls", {"per_page": per_page}):
            items = pull.items(page, None, stream)
            if items is None:
                continue
            _save(pull, repo, "pulls", page, items)
            reached = False
            for pr in (i for i in items if isinstance(i, dict)):
                if older(pr.get("updated_at"), since):
                    reached = True  # sorted newest-updated first: the rest is already landed
                    continue
                newest = later(newest, pr.get("updated_at"))
                if (number := as_int(pr.get("number"))) is not None:
                    changed.append(number)
            if reached:
                break
        # Commits and reviews of the PRs new or changed since the last run: merged ones feed
        # lead time; open ones are kept too (review pickup), like an export holds them.
        for number in changed:
            _children(pull, repo, "pull_commits", number, stream, per_page)
            _children(pull, repo, "pull_reviews", number, stream, per_page)
            if with_files:
                _children(pull, repo, "pull_files", number, stream, per_page)
        pull.cursors.advance(stream, {"updated_at": newest} if newest else None)


def _commits(pull: Pull, repo: str, per_page: int, with_files: bool) -> None:
    stream = f"{repo} commits"
    cursor = pull.cursors.get(stream) or {}
    params: dict[str, Any] = {"per_page": per_page}
    newest: str | None = cursor.get("committed_at")
    if (last := parse_time(newest)) is not None:
        params["since"] = iso(last - dt.timedelta(days=LOOKBACK_DAYS["commits"]))
    shas: dict[str, str | None] = {}  # sha -> committer date
    with pull.stream(stream):
        try:
            for page in _list(pull, repo, "commits", params):
                items = pull.items(page, None, stream)
                if items is None:
                    continue
                _save(pull, repo, "commits", page, items)
                for commit in items:
                    newest = later(newest, dig(commit, "commit.committer.date"))
                    if isinstance(commit, dict) and isinstance(commit.get("sha"), str):
                        shas[commit["sha"].lower()] = dig(commit, "commit.committer.date")
        except NotFoundError as exc:
            if exc.status != 409:  # 409 'Git Repository is empty.': no commits yet
                raise
            log.info("github: %s is empty (409): no commits", repo)
            pull.skip("empty repositories")
        pull.cursors.advance(stream, {"committed_at": newest} if newest else None)
    if with_files:
        _commit_files(pull, repo, shas, newest, per_page)


def _commit_files(
    pull: Pull, repo: str, shas: dict[str, str | None], newest: str | None, per_page: int
) -> None:
    """The files of each commit pulled whose files were not landed yet. The commits list asks
    for the last month again (LOOKBACK_DAYS): the cursor remembers that month's landed shas so
    a commit's files are asked for once."""
    stream = f"{repo} commit_files"
    landed: dict[str, str | None] = dict((pull.cursors.get(stream) or {}).get("landed") or {})
    with pull.stream(stream):
        for commit_sha, committed in shas.items():
            if commit_sha not in landed:
                _children(pull, repo, "commit_files", commit_sha, stream, per_page)
                landed[commit_sha] = committed
        horizon = parse_time(newest)
        if horizon is not None:
            horizon -= dt.timedelta(days=LOOKBACK_DAYS["commits"] + 1)
        kept = {k: v for k, v in landed.items() if not older(v, horizon)}
        pull.cursors.advance(stream, {"landed": kept})


def _deployments(pull: Pull, repo: str, per_page: int) -> None:
    stream = f"{repo} deployments"
    cursor = pull.cursors.get(stream) or {}
    newest: str | None = cursor.get("created_at")
    horizon = None
    if (last := parse_time(newest)) is not None:
        horizon = last - dt.timedelta(days=LOOKBACK_DAYS["deployments"])
    with pull.stream(stream):
        recent: list[int] = []
        for page in _list(pull, repo, "deployments", {"per_page": per_page}):
            items = pull.items(page, None, stream)
            if items is None:
                continue
            _save(pull, repo, "deployments", page, items)
            reached = False
            for deployment in (i for i in items if isinstance(i, dict)):
                if older(deployment.get("created_at"), horizon):
                    reached = True  # newest first: statuses of older ones were pulled already
                    continue
                newest = later(newest, deployment.get("created_at"))
                if (deployment_id := as_int(deployment.get("id"))) is not None:
                    recent.append(deployment_id)
            if reached:
                break
        for deployment_id in recent:
            _children(pull, repo, "deployment_statuses", deployment_id, stream, per_page)
        pull.cursors.advance(stream, {"created_at": newest} if newest else None)


def _run_queries(pull: Pull, repo: str, per_page: int, newest: str | None) -> list[dict]:
    """One query for a first pull; from the cursor's week on after that, split into days
    where the filtered list would stop at its 1,000 runs."""
    last = parse_time(newest)
    if last is None:
        return [{"per_page": per_page}]
    start = (last - dt.timedelta(days=LOOKBACK_DAYS["workflow_runs"])).date()
    queries = [{"per_page": per_page, "created": f">={start.isoformat()}"}]
    first = pull.api.get(LISTS["workflow_runs"][0].format(repo=repo), queries[0])
    total = first.body.get("total_count") if isinstance(first.body, dict) else None
    if isinstance(total, int) and total >= RUNS_SEARCH_CAP:
        days = (pull.now.date() - start).days
        queries = [
            {"per_page": per_page, "created": (start + dt.timedelta(d)).isoformat()}
            for d in range(days + 1)
        ]
    return queries


def _runs(pull: Pull, repo: str, per_page: int) -> None:
    stream = f"{repo} workflow_runs"
    cursor = pull.cursors.get(stream) or {}
    newest: str | None = cursor.get("created_at")
    with pull.stream(stream):
        for params in _run_queries(pull, repo, per_page, newest):
            for page in _list(pull, repo, "workflow_runs", params):
                items = pull.items(page, WRAPPERS["workflow_runs"], stream)
                if items is None:
                    continue
                _save(pull, repo, "workflow_runs", page, items)
                for run in items:
                    newest = later(newest, run.get("created_at") if isinstance(run, dict) else None)
        pull.cursors.advance(stream, {"created_at": newest} if newest else None)


def _issues(pull: Pull, repo: str, per_page: int) -> None:
    # Every issue, not only those labelled as incidents: staging picks incidents by the
    # configured label (a new label then needs no re-pull) and fct_issues reads the others.
    # Pull requests in the list are skipped by the reader and counted.
    stream = f"{repo} issues"
    cursor = pull.cursors.get(stream) or {}
    newest: str | None = cursor.get("updated_at")
    params: dict[str, Any] = {"per_page": per_page}
    if newest:
        params["since"] = newest
    with pull.stream(stream):
        for page in _list(pull, repo, "issues", params):
            items = pull.items(page, None, stream)
            if items is None:
                continue
            _save(pull, repo, "issues", page, items)
            for issue in items:
                newest = later(newest, issue.get("updated_at") if isinstance(issue, dict) else None)
        pull.cursors.advance(stream, {"updated_at": newest} if newest else None)
