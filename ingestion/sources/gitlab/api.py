"""GitLab in API mode. Per project (`sources.gitlab.projects` plus the catalog's
`gitlab.com/project-slug` annotations, by path or numeric id; an id is first resolved to the
project's path with `GET /projects/:id`, so rows land under the path however it was named):

- `merge_requests`, `pipelines`, `deployments`: ordered by `updated_at` and narrowed by
  `updated_after` on a nightly run (cursor `<project> <list>`: the newest `updated_at` seen).
  Keyset pagination where the server offers it (a 400/405 answer means not for this list or
  order: offset pages instead); either way `Link: rel="next"`, else `X-Next-Page`. The
  pipelines list is slim (no start, finish, duration, name): each listed pipeline is read
  again and the full object is what lands.
- the commits and notes of each merge request new or changed since the last run (not of those
  closed unmerged), saved one file per merge request like an export holds them;
- `commits` of the default branch with `parent_ids` (cursor `<project> commits`: the newest
  committed date; asked again from 30 days before it with `since`, as merges bring old dates).
- in a project some catalog component maps with `stature.dev/paths` (a monorepo), also the
  diffs of each merge request read above and of each listed commit not read before (cursor
  `<project> commit_diffs`: the last month's shas whose diff landed).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import requests

from ingestion import files
from ingestion.http import ApiError, ForbiddenError, NextLink, NotFoundError, Page, with_params
from ingestion.pulling import Pull, as_int, configured_paths, iso, later, older, parse_time
from ingestion.records import dig
from ingestion.sources import catalog
from ingestion.sources.gitlab import PROJECT_ANNOTATION

log = logging.getLogger(__name__)

# table -> (path under base_url, fixed query parameters); {project} is the URL-encoded path.
LISTS: dict[str, tuple[str, dict[str, str]]] = {
    "merge_requests": (
        "projects/{project}/merge_requests",
        {"state": "all", "scope": "all", "order_by": "updated_at", "sort": "asc"},
    ),
    "pipelines": ("projects/{project}/pipelines", {"order_by": "updated_at", "sort": "asc"}),
    "deployments": ("projects/{project}/deployments", {"order_by": "updated_at", "sort": "asc"}),
}
PROJECT = "projects/{project}"
PIPELINE = "projects/{project}/pipelines/{parent}"
CHILDREN: dict[str, str] = {
    "merge_request_commits": "projects/{project}/merge_requests/{parent}/commits",
    "merge_request_notes": "projects/{project}/merge_requests/{parent}/notes",
    "merge_request_diffs": "projects/{project}/merge_requests/{parent}/diffs",
}
COMMIT_DIFF = "projects/{project}/repository/commits/{parent}/diff"
COMMITS = "projects/{project}/repository/commits"
COMMITS_LOOKBACK_DAYS = 30


class GitLabNext(NextLink):
    """`Link: rel="next"` (keyset and offset pages both send it), else the `X-Next-Page`
    number some older servers send alone."""

    def next_of(self, response: requests.Response) -> str | None:
        link = super().next_of(response)
        number = (response.headers.get("X-Next-Page") or "").strip()
        if link or not number:
            return link
        return with_params(str(response.request.url), {"page": number})


def projects(config: Any) -> list[str]:
    """sources.gitlab.projects plus the catalog's `gitlab.com/project-slug` annotations (a path
    with namespace, or a numeric id), once each whatever their case."""
    seen: dict[str, str] = {}
    for project in config.sources.gitlab.projects:
        seen.setdefault(project.strip("/ ").lower(), project.strip("/ "))
    for path in configured_paths(config, "catalog"):
        try:
            documents = [doc for *_, doc in files.yaml_documents(path, files.Limits())]
        except files.FileProblem:
            continue  # the catalog source reports the bad file
        for project in catalog.annotation_values(documents, PROJECT_ANNOTATION):
            seen.setdefault(project.strip("/ ").lower(), project.strip("/ "))
    return [p for p in seen.values() if p]


def path_mapped_projects(config: Any) -> set[str]:
    """Projects (as annotated, lower case) some catalog component maps with `stature.dev/paths`."""
    mapped: set[str] = set()
    for path in configured_paths(config, "catalog"):
        try:
            documents = [doc for *_, doc in files.yaml_documents(path, files.Limits())]
        except files.FileProblem:
            continue
        mapped |= {p.strip("/ ") for p in catalog.path_mapped(documents, PROJECT_ANNOTATION)}
    return mapped


def _pages(pull: Pull, path: str, params: dict[str, Any]) -> Iterator[Page]:
    keyset = pull.api.pages(
        path, {**params, "pagination": "keyset"}, paginator=GitLabNext(), allow=(400, 405)
    )
    for index, page in enumerate(keyset):
        if page.status in (400, 405):
            if index:
                raise ApiError(f"gitlab: {page.status} for GET {page.url}", url=page.url)
            break  # keyset refused for this list or order: offset pages instead
        yield page
    else:
        return
    yield from pull.api.pages(path, params, paginator=GitLabNext())


def _path_of(pull: Pull, project: str) -> str:
    """A project named by its numeric id is pulled under its path with namespace (one GET), so
    its rows land as an export of it would (`gitlab/group/app/...`), however it was named."""
    if not project.isdigit():
        return project
    try:
        page = pull.api.get(PROJECT.format(project=project))
    except (NotFoundError, ForbiddenError) as exc:  # the lists then say what is wrong
        log.warning("gitlab: project %s: %s; pulled under its id", project, exc)
        return project
    path = page.body.get("path_with_namespace") if isinstance(page.body, dict) else None
    return str(path).strip("/") if path else project


def pull(pull: Pull) -> None:
    per_page = pull.settings.per_page or 100
    wanted = projects(pull.config)
    if not wanted:
        log.warning(
            "gitlab: no projects in sources.gitlab.projects or the catalog: nothing to pull"
        )
    mapped = path_mapped_projects(pull.config)
    paths: dict[str, bool] = {}
    for project in wanted:  # a project named by id and by path is pulled once
        path = _path_of(pull, project)
        paths[path] = paths.get(path, False) or project.lower() in mapped or path.lower() in mapped
    for project, with_diffs in paths.items():
        encoded = quote(project, safe="")
        for table, (template, fixed) in LISTS.items():
            path = template.format(project=encoded)
            _list(pull, project, encoded, table, path, fixed, per_page, with_diffs)
        _commits(pull, project, encoded, per_page, with_diffs)


def _list(
    pull: Pull,
    project: str,
    encoded: str,
    table: str,
    path: str,
    fixed: dict[str, str],
    per_page: int,
    with_diffs: bool = False,
) -> None:
    stream = f"{project} {table}"
    cursor = pull.cursors.get(stream) or {}
    newest: str | None = cursor.get("updated_at")
    params: dict[str, Any] = {**fixed, "per_page": per_page}
    if (last := parse_time(newest)) is not None:
        # `updated_after` is exclusive on some versions: ask from one second before.
        params["updated_after"] = iso(last - dt.timedelta(seconds=1))
    changed: list[int] = []
    with pull.stream(stream):
        for page in _pages(pull, path, params):
            items = pull.items(page, None, stream)
            if items is None:
                continue
            text = page.text
            if table == "pipelines":
                items = [_pipeline(pull, encoded, p) for p in items]
                text = json.dumps(items)
            endpoint = pull.api.url(path)
            pull.writer.page(f"gitlab/{project}", table, text, endpoint=endpoint, url=page.url)
            pull.count(table, len(items), f" ({project})")
            for item in (i for i in items if isinstance(i, dict)):
                newest = later(newest, item.get("updated_at") or item.get("created_at"))
                # commits and notes feed lead time and review pickup: not for those closed
                # unmerged (a reopened one changes its updated_at and comes back)
                iid = as_int(item.get("iid"))
                if table == "merge_requests" and item.get("state") != "closed" and iid is not None:
                    changed.append(iid)
        children = [c for c in CHILDREN if with_diffs or c != "merge_request_diffs"]
        for iid in changed:
            for child in children:
                _children(pull, project, encoded, child, iid, stream, per_page)
        pull.cursors.advance(stream, {"updated_at": newest} if newest else None)


def _children(
    pull: Pull, project: str, encoded: str, table: str, iid: int, stream: str, per_page: int
) -> None:
    """All pages of one merge request's commits or notes, saved as one file (`.../12.json`)."""
    path = CHILDREN[table].format(project=encoded, parent=iid)
    items: list[Any] = []
    try:
        for page in pull.api.pages(path, {"per_page": per_page}, paginator=GitLabNext()):
            items += pull.items(page, None, stream) or []
    except NotFoundError:
        pull.skip("merge requests deleted since they were listed")
        return
    pull.writer.child(f"gitlab/{project}/{table}", iid, items, endpoint=pull.api.url(path))
    pull.count(table, len(items), f" ({project})")


def _commits(pull: Pull, project: str, encoded: str, per_page: int, with_diffs: bool) -> None:
    stream = f"{project} commits"
    cursor = pull.cursors.get(stream) or {}
    newest: str | None = cursor.get("committed_at")
    params: dict[str, Any] = {"per_page": per_page}
    if (last := parse_time(newest)) is not None:
        params["since"] = iso(last - dt.timedelta(days=COMMITS_LOOKBACK_DAYS))
    path = COMMITS.format(project=encoded)
    shas: dict[str, str | None] = {}  # sha -> committed date
    with pull.stream(stream):
        # GitLab offers no keyset pages for commits: offset pages, `Link` else `X-Next-Page`
        # (it sends no X-Total for them).
        for page in pull.api.pages(path, params, paginator=GitLabNext()):
            items = pull.items(page, None, stream)
            if items is None:
                continue
            endpoint = pull.api.url(path)
            pull.writer.page(
                f"gitlab/{project}", "commits", page.text, endpoint=endpoint, url=page.url
            )
            pull.count("commits", len(items), f" ({project})")
            for commit in items:
                newest = later(newest, dig(commit, "committed_date"))
                if isinstance(commit, dict) and isinstance(commit.get("id"), str):
                    shas[commit["id"].lower()] = dig(commit, "committed_date")
        pull.cursors.advance(stream, {"committed_at": newest} if newest else None)
    if with_diffs:
        _commit_diffs(pull, project, encoded, shas, newest, per_page)


def _commit_diffs(
    pull: Pull,
    project: str,
    encoded: str,
    shas: dict[str, str | None],
    newest: str | None,
    per_page: int,
) -> None:
    """The diff of each listed commit whose diff was not landed yet (the commits list asks for
    the last month again: the cursor remembers that month's shas)."""
    stream = f"{project} commit_diffs"
    landed: dict[str, str | None] = dict((pull.cursors.get(stream) or {}).get("landed") or {})
    with pull.stream(stream):
        for commit_sha, committed in shas.items():
            if commit_sha in landed:
                continue
            path = COMMIT_DIFF.format(project=encoded, parent=commit_sha)
            items: list[Any] = []
            for page in pull.api.pages(path, {"per_page": per_page}, paginator=GitLabNext()):
                items += pull.items(page, None, stream) or []
            folder = f"gitlab/{project}/commit_diffs"
            pull.writer.child(folder, commit_sha, items, endpoint=pull.api.url(path))
            pull.count("commit_diffs", len(items), f" ({project})")
            landed[commit_sha] = committed
        horizon = parse_time(newest)
        if horizon is not None:
            horizon -= dt.timedelta(days=COMMITS_LOOKBACK_DAYS + 1)
        kept = {k: v for k, v in landed.items() if not older(v, horizon)}
        pull.cursors.advance(stream, {"landed": kept})


def _pipeline(pull: Pull, encoded: str, slim: Any) -> Any:
    """The full pipeline object (times, duration, name), which the list leaves out."""
    if not isinstance(slim, dict) or slim.get("id") is None:
        return slim
    try:
        page = pull.api.get(PIPELINE.format(project=encoded, parent=slim["id"]))
    except NotFoundError:
        return slim  # deleted since it was listed
    return page.body if isinstance(page.body, dict) else slim
