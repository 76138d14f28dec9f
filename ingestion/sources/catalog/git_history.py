"""API mode: the earlier versions of each catalog-info file, read from its repository's commits
(GitHub), written as `catalog/history/<date>/<owner>/<repo>/<path>` so they land in
`entity_versions` like an export's history folders.

Which file: a component's `backstage.io/managed-by-location` (`url:https://host/<owner>/<repo>/
blob/<ref>/<path>`) when it points into its own repo, else `catalog-info.yaml` at the repo's
root. Per file: `GET /repos/{repo}/commits?path=<path>` (newest first, Link pages; after the
first pull only `since` the newest commit seen, one cursor per file), then the file at the
newest commit of each day (`GET /repos/{repo}/contents/<path>?ref=<sha>`, base64). A commit
that deleted the file (404) adds no version. Needs `sources.github` (its base_url and token).
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from typing import Any

from ingestion import files
from ingestion.credentials import credentials
from ingestion.http import Client, NotFoundError
from ingestion.pulling import Pull, configured_paths, later
from ingestion.records import dig
from ingestion.sources.catalog import HISTORY_FOLDER
from ingestion.sources.github import REPO_ANNOTATION

log = logging.getLogger(__name__)

DEFAULT_PATH = "catalog-info.yaml"
LOCATION_ANNOTATION = "backstage.io/managed-by-location"
HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
_BLOB = re.compile(r"^url:https?://[^/]+/(?P<repo>[^/]+/[^/]+)/(?:blob|tree)/[^/]+/(?P<path>.+)$")


def locations(pull: Pull) -> list[tuple[str, str]]:
    """(repo, path) of every component's catalog-info file, in the order first named."""
    found: dict[tuple[str, str], None] = {}
    for path in configured_paths(pull.config, "catalog"):
        try:
            documents = [doc for *_, doc in files.yaml_documents(path, files.Limits())]
        except files.FileProblem:
            continue  # the catalog's landing reports the bad file
        for doc in documents:
            if not isinstance(doc, dict) or doc.get("kind") != "Component":
                continue
            annotations = dig(doc, "metadata.annotations") or {}
            repo = str(annotations.get(REPO_ANNOTATION) or "").strip()
            if repo.count("/") != 1:
                continue
            where = _BLOB.match(str(annotations.get(LOCATION_ANNOTATION) or "").strip())
            same_repo = where is not None and where.group("repo").lower() == repo.lower()
            found.setdefault((repo, where.group("path") if same_repo else DEFAULT_PATH), None)
    return list(found)


def pull(pull: Pull) -> None:
    """Write the earlier versions of every component's catalog-info file."""
    github = getattr(pull.config.sources, "github", None)
    if github is None or not github.base_url:
        log.info("catalog: no sources.github: the catalog history is not read from git")
        return
    wanted = locations(pull)
    if not wanted:
        return
    client = _client(pull, github)
    per_page = pull.settings.per_page or github.per_page
    for repo, path in wanted:
        _history(pull, client, repo, path, per_page)
    log.info("catalog: %d requests for the catalog files' git history", client.requests)


def _client(pull: Pull, github: Any) -> Client:
    env = pull.settings.env if pull.settings.env is not None else os.environ
    return Client(
        "github",
        github.base_url,
        credentials("bearer", env, github.token_env),
        redact=pull.redact,
        headers=HEADERS,
        policy=pull.settings.policy,
        sleep=pull.settings.sleep,
        clock=pull.settings.clock,
    )


def _history(pull: Pull, client: Client, repo: str, path: str, per_page: int) -> None:
    stream = f"{repo} {path} history"
    cursor = pull.cursors.get(stream) or {}
    newest: str | None = cursor.get("committed_at")
    params: dict[str, Any] = {"path": path, "per_page": per_page}
    if newest:
        params["since"] = newest
    with pull.stream(stream):
        days: dict[str, str] = {}  # date -> sha of the day's newest commit
        for page in client.link_pages(f"repos/{repo}/commits", params):
            for commit in pull.items(page, None, stream) or []:
                when = dig(commit, "commit.committer.date")
                if not isinstance(when, str) or not isinstance(commit.get("sha"), str):
                    continue
                newest = later(newest, when)
                days.setdefault(when[:10], commit["sha"])  # newest first: the day's last
        for day, sha in sorted(days.items()):
            _version(pull, client, repo, path, day, sha)
        pull.cursors.advance(stream, {"committed_at": newest} if newest else None)


def _version(pull: Pull, client: Client, repo: str, path: str, day: str, sha: str) -> None:
    url = f"repos/{repo}/contents/{path}"
    try:
        page = client.get(url, {"ref": sha})
    except NotFoundError:
        pull.skip("catalog files deleted by a commit")
        return
    body = page.body if isinstance(page.body, dict) else {}
    try:
        text = base64.b64decode(str(body.get("content") or ""), validate=False).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        pull.reject_page(page, "the file's content is not base64-encoded UTF-8 text")
        return
    rel = f"catalog/{HISTORY_FOLDER}/{day}/{repo}/{path}"
    if not rel.endswith((".yaml", ".yml")):
        rel += ".yaml"
    pull.writer.text(rel, text, endpoint=client.url(url), url=page.url)
    pull.count("entity_versions (files)", 1)
