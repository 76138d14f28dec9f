"""GitHub: the endpoints Stature reads, their natural keys, and one raw row per API object.

Rows keep the object whole in `payload`; the key columns are all the models need to merge
versions. The issues endpoint also returns pull requests (objects with a `pull_request` key):
they are not issues and are skipped, not rejected.
"""

from __future__ import annotations

from typing import Any

from ingestion.records import RecordError, as_int, as_timestamp, field

# table -> (export file stem, how a page wraps its objects: None = a bare list)
ENDPOINTS: dict[str, tuple[str, str | None]] = {
    "pulls": ("pulls", None),
    "commits": ("commits", None),
    "deployments": ("deployments", None),
    "workflow_runs": ("workflow_runs", "workflow_runs"),
    "issues": ("issues", None),
}
# per-parent endpoints: table -> (export folder / ndjson stem, parent key column)
CHILD_ENDPOINTS: dict[str, tuple[str, str]] = {
    "pull_commits": ("pull_commits", "number"),
    "pull_reviews": ("pull_reviews", "number"),
    "deployment_statuses": ("deployment_statuses", "deployment_id"),
}


def is_pull_request(item: dict[str, Any]) -> bool:
    """The issues endpoint's way of saying 'this is a PR'."""
    return "pull_request" in item


def row(table: str, item: Any, *, repo: str, parent: int | None = None) -> dict[str, Any]:
    """The raw row of one GitHub object of `table` (RecordError if it lacks its keys)."""
    if not isinstance(item, dict):
        raise RecordError(f"expected a JSON object, got {type(item).__name__}")
    if table in ("pulls", "issues"):
        return _pr_or_issue(table, item, repo)
    if table == "commits":
        return {"repo": repo, "sha": str(field(item, "sha"))}
    if table == "deployments":
        key = str(item.get("id"))
        return {
            "repo": repo,
            "deployment_id": as_int(field(item, "id"), "id"),
            "updated_at": as_timestamp(
                item.get("updated_at") or field(item, "created_at", key=key), "updated_at", key
            ),
        }
    if table == "workflow_runs":
        key = str(item.get("id"))
        return {
            "repo": repo,
            "run_id": as_int(field(item, "id"), "id"),
            "updated_at": as_timestamp(field(item, "updated_at", key=key), "updated_at", key),
        }
    if table == "pull_commits":
        return {"repo": repo, "pr_number": parent, "sha": str(field(item, "sha"))}
    if table == "pull_reviews":
        return {"repo": repo, "pr_number": parent, "review_id": as_int(field(item, "id"), "id")}
    if table == "deployment_statuses":
        return {
            "repo": repo,
            "deployment_id": parent,
            "status_id": as_int(field(item, "id"), "id"),
        }
    raise KeyError(table)


def _pr_or_issue(table: str, item: dict[str, Any], repo: str) -> dict[str, Any]:
    number = as_int(field(item, "number"), "number")
    key = f"#{number}"
    out: dict[str, Any] = {
        "repo": repo,
        "number": number,
        "updated_at": as_timestamp(field(item, "updated_at", key=key), "updated_at", key),
    }
    if table == "pulls":
        out["id"] = as_int(field(item, "id", key=key), "id", key)
    return out


# --- API mode: what a live pull asks for (ingestion/api.py does the asking) -------------------

API_AUTH = "bearer"  # Authorization: Bearer <token>
API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
# table -> (path under base_url, fixed query parameters)
API_LISTS: dict[str, tuple[str, dict[str, str]]] = {
    # newest-updated first, so a nightly run stops at the first PR older than its cursor
    "pulls": ("repos/{repo}/pulls", {"state": "all", "sort": "updated", "direction": "desc"}),
    "commits": ("repos/{repo}/commits", {}),  # the default branch; `since` narrows
    "deployments": ("repos/{repo}/deployments", {}),  # newest first
    "workflow_runs": ("repos/{repo}/actions/runs", {}),  # newest first; `created` narrows
    "issues": ("repos/{repo}/issues", {"state": "all", "sort": "updated", "direction": "asc"}),
}
API_CHILDREN: dict[str, str] = {
    "pull_commits": "repos/{repo}/pulls/{parent}/commits",
    "pull_reviews": "repos/{repo}/pulls/{parent}/reviews",
    "deployment_statuses": "repos/{repo}/deployments/{parent}/statuses",
}
# How far behind its cursor a nightly run looks again, in days: commits reach the default
# branch with their old committer dates when a PR merges; deployments get statuses and runs
# get re-run after they were created.
API_LOOKBACK_DAYS = {"commits": 30, "deployments": 7, "workflow_runs": 7}
# The runs list answers at most 1,000 runs for a filtered query: split it into days above that.
RUNS_SEARCH_CAP = 1000
