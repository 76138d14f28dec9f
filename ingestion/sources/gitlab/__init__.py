"""GitLab: merge requests (with their commits and notes), default-branch commits, pipelines and
deployments of each project (path with namespace, `group/sub/app`, or numeric id). The API side
is in `api.py`.

A merged merge request becomes a change as a GitHub pull request does: its commits give the
first commit time, its notes the first review (a comment or an approval by someone else), and
the default branch's commits (`parent_ids`) place it on the mainline through its
`merge_commit_sha`, `squash_commit_sha` or, for a fast-forward merge, its head `sha`. In a
project several catalog components share with `stature.dev/paths` (a monorepo), the diffs of its
merge requests and commits say which services a change is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ingestion.records import RecordError, as_int, as_timestamp, field, first_present
from ingestion.spec import ExportFile, RawTable, Source, boolean, integer, present, timestamp

PROJECT_ANNOTATION = "gitlab.com/project-slug"  # the catalog annotation naming a project

_COMMIT_TIMES = (timestamp("authored_date"), timestamp("committed_date"))


def _versioned(name: str, key: str, column: str, what: str, *typed: Any) -> RawTable:
    return RawTable(
        "gitlab",
        name,
        ("project", column, "updated_at"),
        {"project": "text", column: "bigint", "updated_at": "timestamp"},
        f"{what}, one row per version.",
        versioned_by="updated_at",
        typed=(
            integer(key, required=True),
            timestamp("created_at"),
            timestamp("updated_at"),
            *typed,
        ),
        key_path=key,
    )


TABLES = (
    _versioned(
        "merge_requests",
        "iid",
        "iid",
        "Merge requests (GET /projects/{id}/merge_requests)",
        integer("id"),
        integer("project_id"),
        timestamp("merged_at"),
        timestamp("closed_at"),
    ),
    _versioned(
        "pipelines",
        "id",
        "pipeline_id",
        "Pipelines (GET /projects/{id}/pipelines, then each one's GET)",
        integer("project_id"),
        timestamp("started_at"),
        timestamp("finished_at"),
    ),
    _versioned(
        "deployments",
        "id",
        "deployment_id",
        "Deployments (GET /projects/{id}/deployments)",
        integer("iid"),
        timestamp("deployable.finished_at"),
    ),
    RawTable(
        "gitlab",
        "merge_request_commits",
        ("project", "mr_iid", "sha"),
        {"project": "text", "mr_iid": "bigint", "sha": "text"},
        "Commits of a merge request (GET /projects/{id}/merge_requests/{iid}/commits).",
        typed=(present("id", required=True), *_COMMIT_TIMES),
        key_path="id",
    ),
    RawTable(
        "gitlab",
        "merge_request_notes",
        ("project", "mr_iid", "note_id"),
        {"project": "text", "mr_iid": "bigint", "note_id": "bigint"},
        "Notes of a merge request: comments, and system notes such as approvals "
        "(GET /projects/{id}/merge_requests/{iid}/notes).",
        typed=(
            integer("id", required=True),
            timestamp("created_at"),
            timestamp("updated_at"),
            boolean("system"),
        ),
        key_path="id",
    ),
    RawTable(
        "gitlab",
        "merge_request_diffs",
        ("project", "mr_iid", "new_path"),
        {"project": "text", "mr_iid": "bigint", "new_path": "text"},
        "Files a merge request changes (GET /projects/{id}/merge_requests/{iid}/diffs); "
        "monorepos only.",
        typed=(present("new_path", required=True),),
        key_path="new_path",
    ),
    RawTable(
        "gitlab",
        "commit_diffs",
        ("project", "sha", "new_path"),
        {"project": "text", "sha": "text", "new_path": "text"},
        "Files a commit changes (GET /projects/{id}/repository/commits/{sha}/diff); "
        "monorepos only.",
        typed=(present("new_path", required=True),),
        key_path="new_path",
    ),
    RawTable(
        "gitlab",
        "commits",
        ("project", "sha"),
        {"project": "text", "sha": "text"},
        "Commits of the default branch with parent_ids (GET /projects/{id}/repository/commits).",
        typed=(present("id", required=True), *_COMMIT_TIMES),
        key_path="id",
    ),
)

# gitlab/<project path>/<list>.json with pages as merge_requests.json, merge_requests-2.json, ...;
# the per-merge-request lists are one file per merge request (merge_request_commits/12.json), or
# one NDJSON bundle per project for large exports ({"iid": 12, "items": [...]} per line).
_PROJECT = "{project+}"
_LISTS = ("merge_requests", "pipelines", "deployments", "commits")
_CHILDREN = ("merge_request_commits", "merge_request_notes", "merge_request_diffs")
FILES = (
    *(ExportFile(name, f"{_PROJECT}/{name}{{page}}.json") for name in _LISTS),
    *(
        ExportFile(name, f"{_PROJECT}/{name}/{{parent}}.json", parent_key="iid")
        for name in _CHILDREN
    ),
    *(
        ExportFile(name, f"{_PROJECT}/{name}.ndjson", "ndjson", parent_key="iid")
        for name in _CHILDREN
    ),
    ExportFile(
        "commit_diffs",
        f"{_PROJECT}/commit_diffs/{{parent}}.json",
        parent_key="sha",
        parent_kind="sha",
    ),
    ExportFile(
        "commit_diffs",
        f"{_PROJECT}/commit_diffs.ndjson",
        "ndjson",
        parent_key="sha",
        parent_kind="sha",
    ),
)
_VERSIONED = {t.name: (t.key_path, t.primary_key[1]) for t in TABLES if t.versioned_by}


def row(table: str, item: dict[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    """The key columns of one GitLab object of `table` (its fields were checked already)."""
    project = str(context["project"])
    if table in _VERSIONED:
        source_key, column = _VERSIONED[table]
        key = as_int(field(item, source_key), source_key)
        version = first_present(item, "updated_at", "created_at")
        if version is None:
            raise RecordError("missing 'updated_at' and 'created_at'", str(key), field="updated_at")
        return {
            "project": project,
            column: key,
            "updated_at": as_timestamp(version, "updated_at", str(key)),
        }
    if table == "commits":
        return {"project": project, "sha": str(field(item, "id"))}
    if table == "commit_diffs":
        sha = str(context["parent"]).lower()
        return {"project": project, "sha": sha, "new_path": str(field(item, "new_path"))}
    # per-merge-request lists: the reader checked the parent (a file named for it, or a line)
    mr_iid = int(context["parent"])
    if table == "merge_request_commits":
        return {"project": project, "mr_iid": mr_iid, "sha": str(field(item, "id"))}
    if table == "merge_request_notes":
        return {"project": project, "mr_iid": mr_iid, "note_id": as_int(field(item, "id"), "id")}
    if table == "merge_request_diffs":
        return {"project": project, "mr_iid": mr_iid, "new_path": str(field(item, "new_path"))}
    raise KeyError(table)


SOURCE = Source(
    name="gitlab",
    tables=TABLES,
    files=FILES,
    row=row,
    api="ingestion.sources.gitlab.api",
    auth="private-token",
)
