"""GitHub: pull requests (with their commits and reviews), default-branch commits, deployments
(with their statuses), Actions workflow runs and issues of each repo (`owner/name`).

Rows keep each API object whole in `payload`; the key columns are what the models merge
versions on. The issues endpoint also returns pull requests (objects with a `pull_request`
key): they are not issues and are skipped, not rejected. The API side is in `api.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingestion.records import as_int, as_timestamp, field
from ingestion.spec import (
    ExportFile,
    RawTable,
    Source,
    boolean,
    integer,
    present,
    timestamp,
)

REPO_ANNOTATION = "github.com/project-slug"  # the catalog annotation naming a component's repo

_COMMIT_TIMES = (timestamp("commit.author.date"), timestamp("commit.committer.date"))

TABLES = (
    RawTable(
        "github",
        "pulls",
        ("repo", "number", "updated_at"),
        {"repo": "text", "number": "bigint", "id": "bigint", "updated_at": "timestamp"},
        "Pull requests (GET /repos/{o}/{r}/pulls?state=all), one row per version.",
        versioned_by="updated_at",
        typed=(
            integer("number", required=True),
            integer("id", required=True),
            timestamp("updated_at", required=True),
            timestamp("created_at"),
            timestamp("closed_at"),
            timestamp("merged_at"),
            boolean("draft"),
        ),
        key_path="number",
        key_prefix="#",
    ),
    RawTable(
        "github",
        "pull_commits",
        ("repo", "pr_number", "sha"),
        {"repo": "text", "pr_number": "bigint", "sha": "text"},
        "Commits of a pull request (GET /repos/{o}/{r}/pulls/{n}/commits).",
        typed=(present("sha", required=True), *_COMMIT_TIMES),
        key_path="sha",
    ),
    RawTable(
        "github",
        "pull_reviews",
        ("repo", "pr_number", "review_id"),
        {"repo": "text", "pr_number": "bigint", "review_id": "bigint"},
        "Reviews of a pull request (GET /repos/{o}/{r}/pulls/{n}/reviews).",
        typed=(integer("id", required=True), timestamp("submitted_at")),
        key_path="id",
    ),
    RawTable(
        "github",
        "pull_files",
        ("repo", "pr_number", "filename"),
        {"repo": "text", "pr_number": "bigint", "filename": "text"},
        "Files a pull request changes (GET /repos/{o}/{r}/pulls/{n}/files); monorepos only.",
        typed=(present("filename", required=True),),
        key_path="filename",
    ),
    RawTable(
        "github",
        "commit_files",
        ("repo", "sha", "filename"),
        {"repo": "text", "sha": "text", "filename": "text"},
        "Files a commit changes (files[] of GET /repos/{o}/{r}/commits/{sha}); monorepos only.",
        typed=(present("filename", required=True),),
        key_path="filename",
    ),
    RawTable(
        "github",
        "commits",
        ("repo", "sha"),
        {"repo": "text", "sha": "text"},
        "Commits of the default branch with parents[] (GET /repos/{o}/{r}/commits).",
        typed=(present("sha", required=True), *_COMMIT_TIMES),
        key_path="sha",
    ),
    RawTable(
        "github",
        "deployments",
        ("repo", "deployment_id", "updated_at"),
        {"repo": "text", "deployment_id": "bigint", "updated_at": "timestamp"},
        "Deployments (GET /repos/{o}/{r}/deployments), one row per version.",
        versioned_by="updated_at",
        typed=(
            integer("id", required=True),
            timestamp("created_at"),
            timestamp("updated_at"),
            boolean("production_environment"),
        ),
        key_path="id",
    ),
    RawTable(
        "github",
        "deployment_statuses",
        ("repo", "deployment_id", "status_id"),
        {"repo": "text", "deployment_id": "bigint", "status_id": "bigint"},
        "Statuses of a deployment (GET /repos/{o}/{r}/deployments/{id}/statuses).",
        typed=(integer("id", required=True), timestamp("created_at"), timestamp("updated_at")),
        key_path="id",
    ),
    RawTable(
        "github",
        "workflow_runs",
        ("repo", "run_id", "updated_at"),
        {"repo": "text", "run_id": "bigint", "updated_at": "timestamp"},
        "GitHub Actions workflow runs (GET /repos/{o}/{r}/actions/runs), one row per version.",
        versioned_by="updated_at",
        typed=(
            integer("id", required=True),
            timestamp("updated_at", required=True),
            integer("workflow_id"),
            integer("run_number"),
            integer("run_attempt"),
            timestamp("created_at"),
            timestamp("run_started_at"),
        ),
        key_path="id",
    ),
    RawTable(
        "github",
        "issues",
        ("repo", "number", "updated_at"),
        {"repo": "text", "number": "bigint", "updated_at": "timestamp"},
        "Issues (not PRs) from GET /repos/{o}/{r}/issues, one row per version.",
        versioned_by="updated_at",
        typed=(
            integer("number", required=True),
            timestamp("updated_at", required=True),
            integer("id"),
            timestamp("created_at"),
            timestamp("closed_at"),
        ),
        key_path="number",
        key_prefix="#",
    ),
)

# One folder per repo: github/<owner>/<repo>/. List endpoints are paged files; the per-parent
# endpoints are one file per parent, or one NDJSON bundle per repo (large orgs).
_REPO = "{owner}/{repo}"
FILES = (
    ExportFile("pulls", f"{_REPO}/pulls{{page}}.json"),
    ExportFile("commits", f"{_REPO}/commits{{page}}.json"),
    ExportFile("deployments", f"{_REPO}/deployments{{page}}.json"),
    ExportFile("workflow_runs", f"{_REPO}/workflow_runs{{page}}.json", wrapper="workflow_runs"),
    ExportFile("issues", f"{_REPO}/issues{{page}}.json"),
    ExportFile("pull_commits", f"{_REPO}/pull_commits/{{parent}}.json", parent_key="number"),
    ExportFile("pull_commits", f"{_REPO}/pull_commits.ndjson", "ndjson", parent_key="number"),
    ExportFile("pull_reviews", f"{_REPO}/pull_reviews/{{parent}}.json", parent_key="number"),
    ExportFile("pull_reviews", f"{_REPO}/pull_reviews.ndjson", "ndjson", parent_key="number"),
    ExportFile("pull_files", f"{_REPO}/pull_files/{{parent}}.json", parent_key="number"),
    ExportFile("pull_files", f"{_REPO}/pull_files.ndjson", "ndjson", parent_key="number"),
    # the single-commit response as it is (its `files` list), or only that list
    ExportFile(
        "commit_files",
        f"{_REPO}/commit_files/{{parent}}.json",
        wrapper="files",
        parent_key="sha",
        parent_kind="sha",
    ),
    ExportFile(
        "commit_files",
        f"{_REPO}/commit_files.ndjson",
        "ndjson",
        parent_key="sha",
        parent_kind="sha",
    ),
    ExportFile(
        "deployment_statuses",
        f"{_REPO}/deployment_statuses/{{parent}}.json",
        parent_key="deployment_id",
    ),
    ExportFile(
        "deployment_statuses",
        f"{_REPO}/deployment_statuses.ndjson",
        "ndjson",
        parent_key="deployment_id",
    ),
)
# per-parent tables: the column that holds the parent's id
PARENT_COLUMN = {
    "pull_commits": "pr_number",
    "pull_reviews": "pr_number",
    "pull_files": "pr_number",
    "commit_files": "sha",
    "deployment_statuses": "deployment_id",
}


def is_pull_request(item: Mapping[str, Any]) -> bool:
    """The issues endpoint's way of saying 'this is a PR'."""
    return "pull_request" in item


def skip(table: str, item: dict[str, Any]) -> str | None:
    if table == "issues" and is_pull_request(item):
        return "pull requests in the issues list"
    return None


def admit(repo: str, known: set[str]) -> str | None:
    """Why a repo folder is not read: nobody configured it (it may be someone else's dump)."""
    if repo.lower() in known:
        return None
    return (
        f"repo {repo} is not in the catalog (annotation '{REPO_ANNOTATION}') nor in "
        "sources.github.repos: add it to one of them, or remove the folder; its files were skipped"
    )


def row(table: str, item: dict[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    """The key columns of one GitHub object of `table` (its fields were checked already)."""
    repo = f"{context['owner']}/{context['repo']}"
    if table in ("pulls", "issues"):
        number = as_int(field(item, "number"), "number")
        key = f"#{number}"
        out = {
            "repo": repo,
            "number": number,
            "updated_at": as_timestamp(field(item, "updated_at", key=key), "updated_at", key),
        }
        if table == "pulls":
            out["id"] = as_int(field(item, "id", key=key), "id", key)
        return out
    if table in ("commits", "pull_commits"):
        out = {"repo": repo, "sha": str(field(item, "sha"))}
    elif table == "deployments":
        key = str(item.get("id"))
        version = item.get("updated_at") or field(item, "created_at", key=key)
        return {
            "repo": repo,
            "deployment_id": as_int(field(item, "id"), "id"),
            "updated_at": as_timestamp(version, "updated_at", key),
        }
    elif table == "workflow_runs":
        key = str(item.get("id"))
        return {
            "repo": repo,
            "run_id": as_int(field(item, "id"), "id"),
            "updated_at": as_timestamp(field(item, "updated_at", key=key), "updated_at", key),
        }
    elif table == "pull_reviews":
        out = {"repo": repo, "review_id": as_int(field(item, "id"), "id")}
    elif table in ("pull_files", "commit_files"):
        out = {"repo": repo, "filename": str(field(item, "filename"))}
    elif table == "deployment_statuses":
        out = {"repo": repo, "status_id": as_int(field(item, "id"), "id")}
    else:
        raise KeyError(table)
    if table in PARENT_COLUMN:
        out[PARENT_COLUMN[table]] = _parent(table, context)
    return out


def _parent(table: str, context: Mapping[str, Any]) -> int | str:
    # The reader checked it: a file named for its parent, or a bundle line naming it.
    if PARENT_COLUMN[table] == "sha":
        return str(context["parent"]).lower()
    return int(context["parent"])


SOURCE = Source(
    name="github",
    tables=TABLES,
    files=FILES,
    row=row,
    api="ingestion.sources.github.api",
    auth="bearer",
    scope=("owner", "repo"),
    admit=admit,
    skip=skip,
)
