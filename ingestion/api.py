"""API mode: pull a source from its live API, incrementally, and land it like an export.

A pull writes the pages it gets in the export layout (a temporary folder, or `save_export`),
then lands them with the export reader through `load_source`: the raw tables are the export
mode's by construction. Rows name the API endpoint they came from (`source_file`), rejections
name the page URL. Cursors (ingestion/cursors.py) move only after the rows landed, and only
for streams pulled completely, so a failure never loses a record and a re-run never adds one.

A stream that fails (5xx or timeouts after every retry, a repo that is gone) is reported and
the others go on; a refused token or a rate limit too long to wait stops the source. Either
way what was pulled lands, the source is reported as failed, and the other sources run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
import yaml

from ingestion import catalog as catalog_module
from ingestion import github, gitlab, jenkins, opsgenie, pagerduty
from ingestion.cursors import Cursors, load_cursors, save_cursors
from ingestion.export import ExportReader, ReadLog, Rejected
from ingestion.http import (
    ApiError,
    Client,
    NotFoundError,
    Page,
    Redactor,
    RetryPolicy,
    credentials,
    with_params,
)
from ingestion.load import Progress, SourceReport, load_source
from ingestion.save_export import ExportWriter

log = logging.getLogger(__name__)

API_SOURCES = ("github", "gitlab", "jenkins", "pagerduty", "opsgenie")
FILE_SOURCES = ("catalog", "inputs")
PROGRESS_LOG_SECONDS = 10.0


@dataclass
class ApiSettings:
    """What a test (or an impatient user) may change about how pulls behave."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    env: Mapping[str, str] | None = None  # default: os.environ
    per_page: int | None = None  # default: the source's config, else 100
    full_refresh: bool = False  # ignore the stored cursors
    history_days: int | None = None  # first pull of PagerDuty: default API_HISTORY_DAYS
    session_factory: Callable[[], requests.Session] | None = None


# --- one pull -----------------------------------------------------------------------------------


class _Stop(Exception):
    """A fatal error: the source stops pulling (what was pulled still lands)."""


@dataclass
class _Pull:
    source: str
    config: Any
    writer: ExportWriter
    cursors: Cursors
    redact: Redactor
    settings: ApiSettings
    progress: Progress | None
    client: Client | None = None
    rejected: list[Rejected] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    repos: list[str] = field(default_factory=list)
    stream_counts: dict[str, int] = field(default_factory=dict)
    _current: str = ""
    _last_log: float = 0.0

    @property
    def api(self) -> Client:
        if self.client is None:
            raise RuntimeError(f"{self.source} has no HTTP client")
        return self.client

    @property
    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.settings.clock(), tz=dt.UTC)

    def count(self, table: str, n: int, where: str = "") -> None:
        total = self.counts[table] = self.counts.get(table, 0) + n
        if self._current:
            self.stream_counts[self._current] = self.stream_counts.get(self._current, 0) + n
        if self.progress:
            self.progress(self.source, f"{table} (pulled)", total)
        moment = time.monotonic()
        if moment - self._last_log >= PROGRESS_LOG_SECONDS:
            self._last_log = moment
            log.info("%s.%s: %d records pulled so far%s", self.source, table, total, where)

    def reject_page(self, page: Page, why: str) -> None:
        self.rejected.append(
            Rejected(
                self.source,
                page.url,
                None,
                f"GET {page.url}: {why}; the page was skipped and the next run asks for it again",
            )
        )

    def skip(self, what: str, n: int = 1) -> None:
        self.skipped[what] = self.skipped.get(what, 0) + n

    @contextlib.contextmanager
    def stream(self, name: str) -> Iterator[None]:
        """Run one stream; a non-fatal failure is reported, its cursor kept, the next goes on."""
        self._current = name
        try:
            yield
            if name in self.cursors.pending:
                value, _ = self.cursors.pending[name]
                self.cursors.pending[name] = (value, self.stream_counts.get(name, 0))
        except ApiError as exc:
            self.cursors.fail(name)
            self.errors.append(self.redact(str(exc)))
            log.warning("%s", self.redact(str(exc)))
            if exc.fatal:
                raise _Stop() from None
        finally:
            self._current = ""

    def items(self, page: Page, wrapper: str | None, stream: str) -> list[Any] | None:
        """The objects of a page, or None (rejected, stream marked incomplete)."""
        if page.error:
            self.reject_page(page, page.error)
            self.cursors.fail(stream)
            return None
        body = page.body
        if wrapper is not None and isinstance(body, dict):
            body = body.get(wrapper)
        if not isinstance(body, list):
            expected = f"an object with a '{wrapper}' list" if wrapper else "a JSON list"
            self.reject_page(page, f"expected {expected}")
            self.cursors.fail(stream)
            return None
        return body


def _max(a: str | None, b: Any) -> str | None:
    """The later of two ISO timestamps; a missing or unreadable one is ignored (the reader
    rejects that record with its reason)."""
    if _parse(b) is None:
        return a
    if a is None or _parse(a) is None:
        return b
    return b if _ts(b) > _ts(a) else a


def _parse(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return _ts(value)
    except ValueError:
        return None


def _ts(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _older(value: Any, than: dt.datetime | None) -> bool:
    moment = _parse(value)
    return than is not None and moment is not None and moment < than


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dig(item: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        item = item.get(part) if isinstance(item, dict) else None
    return item


# --- GitHub -------------------------------------------------------------------------------------


def _github_repos(config: Any) -> list[str]:
    """sources.github.repos plus the catalog's `github.com/project-slug` annotations."""
    seen: dict[str, str] = {}
    for repo in config.sources.github.repos:
        seen.setdefault(repo.strip().lower(), repo.strip())
    for path in _catalog_paths(config, "catalog"):
        try:
            documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError):
            continue  # the catalog source reports the bad file
        for slug in _slugs(documents):
            seen.setdefault(slug.lower(), slug)
    return list(seen.values())


def _slugs(documents: list[Any]) -> list[str]:
    out = []
    for doc in documents:
        if isinstance(doc, dict) and catalog_module.repos_of([doc]):
            annotations = (doc.get("metadata") or {}).get("annotations") or {}
            out.append(str(annotations[catalog_module.REPO_ANNOTATION]).strip())
    return out


def _pull_github(pull: _Pull) -> None:
    cfg = pull.config.sources.github
    per_page = pull.settings.per_page or cfg.per_page
    pull.repos = _github_repos(pull.config)
    if not pull.repos:
        log.warning("github: no repos in sources.github.repos or the catalog: nothing to pull")
    for repo in pull.repos:
        if repo.count("/") != 1:
            pull.errors.append(f"github: repo {repo!r} is not owner/name: fix sources.github.repos")
            continue
        log.info("github: pulling %s", repo)
        _github_pulls(pull, repo, per_page)
        _github_commits(pull, repo, per_page)
        _github_deployments(pull, repo, per_page)
        _github_runs(pull, repo, per_page)
        _github_issues(pull, repo, per_page)


def _gh_list(pull: _Pull, repo: str, table: str, params: dict[str, Any]) -> Iterator[Page]:
    path, fixed = github.API_LISTS[table]
    yield from pull.api.link_pages(path.format(repo=repo), {**fixed, **params})


def _gh_save(pull: _Pull, repo: str, table: str, page: Page, items: list[Any]) -> None:
    stem, _ = github.ENDPOINTS[table]
    path, _ = github.API_LISTS[table]
    endpoint = pull.api.url(path.format(repo=repo))
    pull.writer.page(f"github/{repo}", stem, page.text, endpoint=endpoint, url=page.url)
    pull.count(table, len(items), f" ({repo})")


def _gh_children(pull: _Pull, repo: str, table: str, parent: int, stream: str, per_page: int):
    """All pages of one parent's child list, saved as one file; False if a page was bad."""
    path = github.API_CHILDREN[table].format(repo=repo, parent=parent)
    items: list[Any] = []
    complete = True
    for page in pull.api.link_pages(path, {"per_page": per_page}):
        got = pull.items(page, None, stream)
        if got is None:
            complete = False
            continue
        items += got
    folder, _ = github.CHILD_ENDPOINTS[table]
    pull.writer.child(f"github/{repo}/{folder}", parent, items, endpoint=pull.api.url(path))
    pull.count(table, len(items), f" ({repo})")
    return complete


def _github_pulls(pull: _Pull, repo: str, per_page: int) -> None:
    stream = f"{repo} pulls"
    cursor = pull.cursors.get(stream) or {}
    since = _ts(cursor["updated_at"]) if cursor.get("updated_at") else None
    newest: str | None = cursor.get("updated_at")
    changed: list[int] = []
    with pull.stream(stream):
        for page in _gh_list(pull, repo, "pulls", {"per_page": per_page}):
            items = pull.items(page, None, stream)
            if items is None:
                continue
            _gh_save(pull, repo, "pulls", page, items)
            older = False
            for pr in (i for i in items if isinstance(i, dict)):
                if _older(pr.get("updated_at"), since):
                    older = True  # sorted newest-updated first: the rest is already landed
                    continue
                newest = _max(newest, pr.get("updated_at"))
                number = _int(pr.get("number"))
                if number is not None:
                    changed.append(number)
            if older:
                break
        # Commits and reviews of the PRs new or changed since the last run: merged ones feed
        # lead time; open ones are kept too (review pickup), like an export holds them.
        for number in changed:
            _gh_children(pull, repo, "pull_commits", number, stream, per_page)
            _gh_children(pull, repo, "pull_reviews", number, stream, per_page)
        pull.cursors.advance(stream, {"updated_at": newest} if newest else None)


def _github_commits(pull: _Pull, repo: str, per_page: int) -> None:
    stream = f"{repo} commits"
    cursor = pull.cursors.get(stream) or {}
    params: dict[str, Any] = {"per_page": per_page}
    newest: str | None = cursor.get("committed_at")
    if newest:
        back = dt.timedelta(days=github.API_LOOKBACK_DAYS["commits"])
        params["since"] = _iso(_ts(newest) - back)
    with pull.stream(stream):
        try:
            for page in _gh_list(pull, repo, "commits", params):
                items = pull.items(page, None, stream)
                if items is None:
                    continue
                _gh_save(pull, repo, "commits", page, items)
                for commit in items:
                    newest = _max(newest, _dig(commit, "commit.committer.date"))
        except NotFoundError as exc:
            if exc.status != 409:  # 409 'Git Repository is empty.': no commits yet
                raise
            log.info("github: %s is empty (409): no commits", repo)
            pull.skip("empty repositories")
        pull.cursors.advance(stream, {"committed_at": newest} if newest else None)


def _github_deployments(pull: _Pull, repo: str, per_page: int) -> None:
    stream = f"{repo} deployments"
    cursor = pull.cursors.get(stream) or {}
    newest: str | None = cursor.get("created_at")
    horizon = None
    if newest:
        horizon = _ts(newest) - dt.timedelta(days=github.API_LOOKBACK_DAYS["deployments"])
    with pull.stream(stream):
        recent: list[int] = []
        for page in _gh_list(pull, repo, "deployments", {"per_page": per_page}):
            items = pull.items(page, None, stream)
            if items is None:
                continue
            _gh_save(pull, repo, "deployments", page, items)
            older = False
            for deployment in (i for i in items if isinstance(i, dict)):
                if _older(deployment.get("created_at"), horizon):
                    older = True  # newest first: statuses of older ones were pulled already
                    continue
                newest = _max(newest, deployment.get("created_at"))
                deployment_id = _int(deployment.get("id"))
                if deployment_id is not None:
                    recent.append(deployment_id)
            if older:
                break
        for deployment_id in recent:
            _gh_children(pull, repo, "deployment_statuses", deployment_id, stream, per_page)
        pull.cursors.advance(stream, {"created_at": newest} if newest else None)


def _github_runs(pull: _Pull, repo: str, per_page: int) -> None:
    stream = f"{repo} workflow_runs"
    cursor = pull.cursors.get(stream) or {}
    newest: str | None = cursor.get("created_at")
    with pull.stream(stream):
        if not newest:
            queries: list[dict[str, Any]] = [{"per_page": per_page}]
        else:
            start = (
                _ts(newest) - dt.timedelta(days=github.API_LOOKBACK_DAYS["workflow_runs"])
            ).date()
            queries = [{"per_page": per_page, "created": f">={start.isoformat()}"}]
            first = pull.api.get(github.API_LISTS["workflow_runs"][0].format(repo=repo), queries[0])
            total = first.body.get("total_count") if isinstance(first.body, dict) else None
            if isinstance(total, int) and total >= github.RUNS_SEARCH_CAP:
                # The filtered list stops at 1,000 runs: ask one day at a time instead.
                days = (pull.now.date() - start).days
                queries = [
                    {"per_page": per_page, "created": (start + dt.timedelta(d)).isoformat()}
                    for d in range(days + 1)
                ]
        for params in queries:
            for page in _gh_list(pull, repo, "workflow_runs", params):
                items = pull.items(page, "workflow_runs", stream)
                if items is None:
                    continue
                _gh_save(pull, repo, "workflow_runs", page, items)
                for run in items:
                    newest = _max(newest, run.get("created_at") if isinstance(run, dict) else None)
        pull.cursors.advance(stream, {"created_at": newest} if newest else None)


def _github_issues(pull: _Pull, repo: str, per_page: int) -> None:
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
        for page in _gh_list(pull, repo, "issues", params):
            items = pull.items(page, None, stream)
            if items is None:
                continue
            _gh_save(pull, repo, "issues", page, items)
            for issue in items:
                newest = _max(newest, issue.get("updated_at") if isinstance(issue, dict) else None)
        pull.cursors.advance(stream, {"updated_at": newest} if newest else None)


# --- GitLab -------------------------------------------------------------------------------------


def _gitlab_pages(pull: _Pull, path: str, params: dict[str, Any]) -> Iterator[Page]:
    """Keyset pagination where the server offers it (405/400 means not for this list or
    order: fall back to offset); either way follow `Link: rel="next"`, else `X-Next-Page`."""
    client = pull.api
    page = client.get(path, {**params, "pagination": "keyset"}, allow=(400, 405))
    if page.status in (400, 405):
        page = client.get(path, params)
    while True:
        yield page
        following = page.next_url
        if not following:
            next_number = (page.headers.get("X-Next-Page") or "").strip()
            if not next_number:
                return
            following = with_params(client.url(path), {**params, "page": next_number})
        page = client.get(following)


def _pull_gitlab(pull: _Pull) -> None:
    cfg = pull.config.sources.gitlab
    per_page = pull.settings.per_page or 100
    for project in cfg.projects:
        encoded = quote(project.strip("/"), safe="")
        for table, (path_template, fixed) in gitlab.API_LISTS.items():
            stream = f"{project} {table}"
            cursor = pull.cursors.get(stream) or {}
            newest: str | None = cursor.get("updated_at")
            params: dict[str, Any] = {**fixed, "per_page": per_page}
            if newest:
                # `updated_after` is exclusive on some versions: ask from one second before.
                params["updated_after"] = _iso(_ts(newest) - dt.timedelta(seconds=1))
            path = path_template.format(project=encoded)
            stem, wrapper = gitlab.ENDPOINTS[table]
            with pull.stream(stream):
                for page in _gitlab_pages(pull, path, params):
                    items = pull.items(page, wrapper, stream)
                    if items is None:
                        continue
                    text = page.text
                    if table == "pipelines":
                        items = [_gitlab_pipeline(pull, encoded, p) for p in items]
                        text = json.dumps(items)
                    pull.writer.page(
                        f"gitlab/{project.strip('/')}",
                        stem,
                        text,
                        endpoint=pull.api.url(path),
                        url=page.url,
                    )
                    pull.count(table, len(items), f" ({project})")
                    for item in items:
                        if isinstance(item, dict):
                            newest = _max(newest, item.get("updated_at") or item.get("created_at"))
                pull.cursors.advance(stream, {"updated_at": newest} if newest else None)


def _gitlab_pipeline(pull: _Pull, encoded: str, slim: Any) -> Any:
    """The full pipeline object (times, duration), which the list leaves out."""
    if not isinstance(slim, dict) or slim.get("id") is None:
        return slim
    path = gitlab.API_PIPELINE.format(project=encoded, parent=slim["id"])
    try:
        page = pull.api.get(path)
    except NotFoundError:
        return slim  # deleted since it was listed
    return page.body if isinstance(page.body, dict) else slim


# --- Jenkins ------------------------------------------------------------------------------------


def _pull_jenkins(pull: _Pull) -> None:
    cfg = pull.config.sources.jenkins
    step = jenkins.API_RANGE
    client = pull.api
    for job in cfg.jobs:
        job = job.strip("/")
        stream = f"{job} builds"
        cursor = pull.cursors.get(stream) or {}
        refresh_from = cursor.get("refresh_from")
        path = jenkins.api_path(job)
        numbers: list[int] = []
        building: list[int] = []
        with pull.stream(stream):
            start = broken = 0
            while broken < 3:
                tree = f"allBuilds[{jenkins.API_TREE_FIELDS}]{{{start},{start + step}}}"
                page = client.get(path, {"tree": tree})
                start += step
                items = pull.items(page, "allBuilds", stream)
                if items is None:
                    broken += 1  # ranges do not depend on the body: go on with the next one
                    continue
                broken = 0
                pull.writer.page(
                    f"jenkins/{job}", "builds", page.text, endpoint=client.url(path), url=page.url
                )
                pull.count("builds", len(items), f" ({job})")
                builds = [b for b in items if isinstance(b, dict) and _int(b.get("number"))]
                page_numbers = [int(b["number"]) for b in builds]
                numbers += page_numbers
                building += [int(b["number"]) for b in builds if b.get("building")]
                if len(items) < step:
                    break
                if refresh_from is not None and page_numbers and min(page_numbers) < refresh_from:
                    break  # newest first: older builds were final when last pulled
            # Next time, start again at the oldest build still running (its result will change).
            if building:
                value = min(building)
            elif numbers:
                value = max(numbers) + 1
            else:
                value = refresh_from
            pull.cursors.advance(stream, {"refresh_from": value} if value is not None else None)


# --- PagerDuty ----------------------------------------------------------------------------------


def _pull_pagerduty(pull: _Pull) -> None:
    cfg = pull.config.sources.pagerduty
    services = sorted(cfg.service_ids)
    stream = "incidents" + (f" services={','.join(services)}" if services else "")
    cursor = pull.cursors.get(stream) or {}
    now = pull.now.replace(microsecond=0)
    if cursor.get("until"):
        start = _ts(cursor["until"]) - dt.timedelta(hours=pagerduty.API_OVERLAP_HOURS)
    else:
        start = now - dt.timedelta(days=pull.settings.history_days or pagerduty.API_HISTORY_DAYS)
    seen: dict[str, str] = {}  # incident id -> status, of every incident pulled this run
    with pull.stream(stream):
        window_start = start
        while window_start < now:
            window_end = min(now, window_start + dt.timedelta(days=pagerduty.API_WINDOW_DAYS))
            _pagerduty_window(pull, stream, services, window_start, window_end, seen)
            window_start = window_end
        # Incidents open at the last run may have been resolved since, whenever they began.
        refreshed = []
        for incident_id in cursor.get("open", []):
            if incident_id in seen:
                continue
            try:
                page = pull.api.get(f"{pagerduty.API_PATH}/{quote(incident_id, safe='')}")
            except NotFoundError:
                continue  # merged or deleted: nothing left to update
            incident = page.body.get("incident") if isinstance(page.body, dict) else None
            if isinstance(incident, dict):
                refreshed.append(incident)
                seen[incident_id] = str(incident.get("status") or "")
        if refreshed:
            body = {"incidents": refreshed, "limit": len(refreshed), "offset": 0, "more": False}
            pull.writer.page_json(
                "pagerduty",
                "incidents",
                body,
                endpoint=pull.api.url(pagerduty.API_PATH),
                url=pull.api.url(pagerduty.API_PATH) + "/{id}",
            )
            pull.count("incidents", len(refreshed))
        still_open = sorted(i for i, status in seen.items() if status != "resolved")
        pull.cursors.advance(stream, {"until": _iso(now), "open": still_open})


def _pagerduty_window(
    pull: _Pull,
    stream: str,
    services: list[str],
    since: dt.datetime,
    until: dt.datetime,
    seen: dict[str, str],
) -> None:
    """Incidents created in [since, until), paged by offset until `more` is false. Offsets stop
    at 10,000: past that the window restarts at the newest creation time seen so far."""
    client = pull.api
    limit = min(pull.settings.per_page or pagerduty.API_LIMIT, pagerduty.API_LIMIT)
    offset = 0
    last_created: str | None = None
    while True:
        if offset + limit > pagerduty.API_OFFSET_CAP:
            if not last_created or _ts(last_created) <= since:
                raise ApiError(
                    f"pagerduty: more than {pagerduty.API_OFFSET_CAP} incidents created at "
                    f"{_iso(since)}: cannot page past them"
                )
            since, offset = _ts(last_created), 0
        params = {
            "limit": limit,
            "offset": offset,
            "total": "false",
            "since": _iso(since),
            "until": _iso(until),
            "sort_by": "created_at:asc",
            "time_zone": "UTC",
            "service_ids[]": services or None,
        }
        page = client.get(pagerduty.API_PATH, params)
        items = pull.items(page, "incidents", stream)
        if items is None:
            offset += limit  # a broken page: skip it (cursor kept), the offsets go on
            if offset > pagerduty.API_OFFSET_CAP:
                return
            continue
        pull.writer.page(
            "pagerduty",
            "incidents",
            page.text,
            endpoint=client.url(pagerduty.API_PATH),
            url=page.url,
        )
        pull.count("incidents", len(items))
        for incident in items:
            if isinstance(incident, dict) and incident.get("id"):
                seen[str(incident["id"])] = str(incident.get("status") or "")
                last_created = _max(last_created, incident.get("created_at"))
        more = page.body.get("more") if isinstance(page.body, dict) else False
        if not more or not items:
            return
        offset += limit


# --- Opsgenie -----------------------------------------------------------------------------------


def _pull_opsgenie(pull: _Pull) -> None:
    client = pull.api
    stream = "alerts"
    cursor = pull.cursors.get(stream) or {}
    since = _ts(cursor["updated_at"]) if cursor.get("updated_at") else None
    newest: str | None = cursor.get("updated_at")
    limit = min(pull.settings.per_page or opsgenie.API_LIMIT, opsgenie.API_LIMIT)
    with pull.stream(stream):
        url: str | None = opsgenie.API_PATH
        params: dict[str, Any] | None = {**opsgenie.API_PARAMS, "limit": limit, "offset": 0}
        fetched = 0
        while url:
            page = client.get(url, params)
            params = None
            items = pull.items(page, "data", stream)
            paging = page.body.get("paging") if isinstance(page.body, dict) else None
            url = paging.get("next") if isinstance(paging, dict) else None
            if items is None:
                continue
            pull.writer.page(
                "opsgenie",
                "alerts",
                page.text,
                endpoint=client.url(opsgenie.API_PATH),
                url=page.url,
            )
            pull.count("alerts", len(items))
            fetched += len(items)
            older = False
            for alert in (i for i in items if isinstance(i, dict)):
                if _older(alert.get("updatedAt"), since):
                    older = True  # newest-updated first: the rest is already landed
                    continue
                newest = _max(newest, alert.get("updatedAt"))
            if older or not items:
                break
            if url and fetched + limit > opsgenie.API_OFFSET_CAP:
                pull.skip("alerts beyond Opsgenie's 20,000 offset limit (older ones)")
                break
        pull.cursors.advance(stream, {"updated_at": newest} if newest else None)


# --- catalog and inputs: files named in the config ----------------------------------------------


def _catalog_paths(config: Any, source: str) -> list[Path]:
    section = getattr(config.sources, source, None)
    if section is None:
        return []
    found: dict[Path, None] = {}
    for pattern in section.paths:
        absolute = config.resolve(pattern)
        for match in sorted(glob.glob(str(absolute), recursive=True)):
            if Path(match).is_file():
                found.setdefault(Path(match).resolve(), None)
    return list(found)


def _copy_files(pull: _Pull) -> None:
    """Copy the configured catalog / inputs files into the layout; rows name the original."""
    base = Path(pull.config.base_dir).resolve()
    paths = _catalog_paths(pull.config, pull.source)
    if not paths:
        log.warning("%s: sources.%s.paths match no file", pull.source, pull.source)
    taken: set[str] = set()
    for path in paths:
        try:
            origin = path.relative_to(base).as_posix()
        except ValueError:
            origin = path.as_posix()
        rel = f"{pull.source}/{path.name}"
        if rel in taken:  # same name from two folders: keep both
            rel = f"{pull.source}/{origin.replace('/', '__').lstrip('_')}"
        taken.add(rel)
        pull.writer.copy(path, rel, origin=origin)
        pull.count("files", 1)


# --- the entry point ----------------------------------------------------------------------------

PULLERS: dict[str, Callable[[_Pull], None]] = {
    "github": _pull_github,
    "gitlab": _pull_gitlab,
    "jenkins": _pull_jenkins,
    "pagerduty": _pull_pagerduty,
    "opsgenie": _pull_opsgenie,
    "catalog": _copy_files,
    "inputs": _copy_files,
}
_MODULES = {
    "github": github,
    "gitlab": gitlab,
    "jenkins": jenkins,
    "pagerduty": pagerduty,
    "opsgenie": opsgenie,
}


def _client(source: str, section: Any, settings: ApiSettings, redact: Redactor) -> Client:
    module = _MODULES[source]
    env = settings.env if settings.env is not None else os.environ
    user_env = getattr(section, "user_env", None)
    creds = credentials(module.API_AUTH, env, section.token_env, user_env)
    if creds.missing:
        log.warning(
            "%s: %s not set: pulling without credentials (a private server answers 401)",
            source,
            " and ".join(creds.missing),
        )
    if not section.base_url:
        raise ApiError(f"{source}: sources.{source}.base_url is empty: set the server's URL")
    return Client(
        source,
        section.base_url,
        creds,
        redact=redact,
        headers=getattr(module, "API_HEADERS", None),
        policy=settings.policy,
        sleep=settings.sleep,
        clock=settings.clock,
        session=settings.session_factory() if settings.session_factory else None,
    )


class _UrlRejections(list):
    """The reader's rejections, renamed from the spooled file to the API page it came from."""

    def __init__(self, writer: ExportWriter) -> None:
        super().__init__()
        self.writer = writer

    def append(self, item: Rejected) -> None:
        super().append(replace(item, file=self.writer.url_of(item.file)))


def _provenance(rows: Iterator[dict[str, Any]], writer: ExportWriter) -> Iterator[dict[str, Any]]:
    """Rows name the endpoint they were pulled from, stable from run to run."""
    for row in rows:
        row["source_file"] = writer.endpoint_of(row["source_file"])
        yield row


def pull_source(
    source: str,
    config: Any,
    warehouse: str | Path,
    *,
    progress: Progress | None = None,
    save_export: Path | None = None,
    settings: ApiSettings | None = None,
) -> SourceReport:
    """Pull `source` from its API (or its configured files), land it, advance its cursors.

    `save_export`: also keep what was pulled in the export layout under that directory (its
    `<source>/` folder must be new or empty), to replay later with `--export-dir`.
    """
    if source not in PULLERS:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(PULLERS)}")
    warehouse = Path(warehouse).resolve()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    settings = settings or ApiSettings()
    redact = Redactor()
    started = time.monotonic()
    section = getattr(config.sources, source, None)
    server = "files" if source in FILE_SOURCES else str(getattr(section, "base_url", ""))
    spool: Path | None = None
    if save_export is not None:
        writer = ExportWriter.for_source(
            Path(save_export), source, must_be_empty=True, scrub=redact.known
        )
    else:
        spool = Path(tempfile.mkdtemp(prefix=f"pull-{source}-", dir=warehouse.parent))
        writer = ExportWriter(spool, redact.known)
    try:
        cursors = load_cursors(warehouse, source, redact(server), full=settings.full_refresh)
        pull = _Pull(source, config, writer, cursors, redact, settings, progress)
        if section is not None:
            try:
                if source in API_SOURCES:
                    pull.client = _client(source, section, settings, redact)
                PULLERS[source](pull)
            except _Stop:
                pass
            except ApiError as exc:
                pull.errors.append(redact(str(exc)))
            except Exception as exc:  # a bug must not leak a token through its message
                log.error("%s: pull failed: %s", source, redact(f"{type(exc).__name__}: {exc}"))
                pull.errors.append(redact(f"{type(exc).__name__}: {exc}"))
        if pull.client is not None:
            log.info(
                "%s: %d requests, %.0f s waited for rate limits and retries",
                source,
                pull.client.requests,
                pull.client.waited,
            )
        report = _land(pull, warehouse, progress)
        if report.error is None:
            try:
                save_cursors(warehouse, cursors, redact=redact)
            except Exception as exc:  # the rows landed; the next run re-asks: nothing lost
                pull.errors.append(redact(f"{source}: cursors not saved: {exc}"))
        errors = ([report.error] if report.error else []) + pull.errors
        report.error = redact("; ".join(errors)) if errors else None
        report.seconds = time.monotonic() - started
        return report
    finally:
        if spool is not None:
            shutil.rmtree(spool, ignore_errors=True)


def _land(pull: _Pull, warehouse: Path, progress: Progress | None) -> SourceReport:
    """Land the pulled pages through the export reader and dlt, like an export directory."""
    source, writer = pull.source, pull.writer
    reader = ExportReader(writer.root, known_repos=pull.repos)
    read_log = ReadLog(rejected=_UrlRejections(writer))
    read_log.rejected.extend(pull.rejected)
    for what, n in pull.skipped.items():
        read_log.skip(what, n)
    for rejected in reader.logs[source].rejected:  # found while reading the catalog
        read_log.rejected.append(rejected)
    reader.logs[source] = read_log
    return load_source(
        source,
        warehouse,
        lambda table: _provenance(reader.rows(source, table), writer),
        read_log,
        progress=progress,
    )
