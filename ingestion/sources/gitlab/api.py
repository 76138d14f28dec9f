"""GitLab in API mode: merge requests, pipelines and deployments of each project, ordered by
`updated_at` and narrowed by `updated_after` on a nightly run (one cursor per project and
list: `<project> <table>`, the newest `updated_at` seen).

Pages: keyset pagination where the server offers it (a 400/405 answer means not for this list
or order: fall back to offset pages); either way follow `Link: rel="next"`, else `X-Next-Page`.
The pipelines list is slim (no start, finish, duration): each listed pipeline is read again
and the full object is what lands.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import requests

from ingestion.http import ApiError, NextLink, NotFoundError, Page, with_params
from ingestion.pulling import Pull, iso, later, parse_time

# table -> (path under base_url, fixed query parameters); {project} is the URL-encoded path.
LISTS: dict[str, tuple[str, dict[str, str]]] = {
    "merge_requests": (
        "projects/{project}/merge_requests",
        {"state": "all", "scope": "all", "order_by": "updated_at", "sort": "asc"},
    ),
    "pipelines": ("projects/{project}/pipelines", {"order_by": "updated_at", "sort": "asc"}),
    "deployments": ("projects/{project}/deployments", {"order_by": "updated_at", "sort": "asc"}),
}
PIPELINE = "projects/{project}/pipelines/{parent}"


class GitLabNext(NextLink):
    """`Link: rel="next"` (keyset and offset pages both send it), else the `X-Next-Page`
    number some older servers send alone."""

    def next_of(self, response: requests.Response) -> str | None:
        link = super().next_of(response)
        number = (response.headers.get("X-Next-Page") or "").strip()
        if link or not number:
            return link
        return with_params(str(response.request.url), {"page": number})


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


def pull(pull: Pull) -> None:
    per_page = pull.settings.per_page or 100
    for project in pull.section.projects:
        encoded = quote(project.strip("/"), safe="")
        for table, (template, fixed) in LISTS.items():
            _list(pull, project, encoded, table, template.format(project=encoded), fixed, per_page)


def _list(
    pull: Pull,
    project: str,
    encoded: str,
    table: str,
    path: str,
    fixed: dict[str, str],
    per_page: int,
) -> None:
    stream = f"{project} {table}"
    cursor = pull.cursors.get(stream) or {}
    newest: str | None = cursor.get("updated_at")
    params: dict[str, Any] = {**fixed, "per_page": per_page}
    if (last := parse_time(newest)) is not None:
        # `updated_after` is exclusive on some versions: ask from one second before.
        params["updated_after"] = iso(last - dt.timedelta(seconds=1))
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
            pull.writer.page(
                f"gitlab/{project.strip('/')}", table, text, endpoint=endpoint, url=page.url
            )
            pull.count(table, len(items), f" ({project})")
            for item in items:
                if isinstance(item, dict):
                    newest = later(newest, item.get("updated_at") or item.get("created_at"))
        pull.cursors.advance(stream, {"updated_at": newest} if newest else None)


def _pipeline(pull: Pull, encoded: str, slim: Any) -> Any:
    """The full pipeline object (times, duration), which the list leaves out."""
    if not isinstance(slim, dict) or slim.get("id") is None:
        return slim
    try:
        page = pull.api.get(PIPELINE.format(project=encoded, parent=slim["id"]))
    except NotFoundError:
        return slim  # deleted since it was listed
    return page.body if isinstance(page.body, dict) else slim
