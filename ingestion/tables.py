"""The raw tables every ingestion mode lands: schema `raw_<source>`, natural keys, key columns.

Export mode and API mode both produce rows of exactly these shapes, so the dbt sources never
know where the data came from. Every row keeps the record's full JSON in `payload`; the other
columns are the keys and the few fields needed to merge and order versions.

Versioned objects (PRs, deployments, runs, issues, incidents) keep one row per
(natural key, updated_at): re-loading the same page changes nothing, and staging picks the
newest version, so an older dump replayed after a newer one never wins.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RawTable:
    source: str
    name: str
    primary_key: tuple[str, ...]
    columns: dict[str, str]  # column -> dlt data type; `payload` (json) is added to every table
    description: str
    versioned_by: str | None = None  # the column staging orders versions by (newest wins)

    @property
    def schema(self) -> str:
        return f"raw_{self.source}"

    @property
    def all_columns(self) -> dict[str, str]:
        return {**self.columns, "payload": "json", "source_file": "text"}


REJECTED_COLUMNS = {
    "source": "text",
    "file": "text",
    "record_key": "text",
    "reason": "text",
}
REJECTED_KEY = ("file", "record_key", "reason")

RAW_TABLES: tuple[RawTable, ...] = (
    # --- GitHub (repo = "owner/name") ---
    RawTable(
        "github",
        "pulls",
        ("repo", "number", "updated_at"),
        {"repo": "text", "number": "bigint", "id": "bigint", "updated_at": "timestamp"},
        "Pull requests (GET /repos/{o}/{r}/pulls?state=all), one row per version.",
        versioned_by="updated_at",
    ),
    RawTable(
        "github",
        "pull_commits",
        ("repo", "pr_number", "sha"),
        {"repo": "text", "pr_number": "bigint", "sha": "text"},
        "Commits of a pull request (GET /repos/{o}/{r}/pulls/{n}/commits).",
    ),
    RawTable(
        "github",
        "pull_reviews",
        ("repo", "pr_number", "review_id"),
        {"repo": "text", "pr_number": "bigint", "review_id": "bigint"},
        "Reviews of a pull request (GET /repos/{o}/{r}/pulls/{n}/reviews).",
    ),
    RawTable(
        "github",
        "commits",
        ("repo", "sha"),
        {"repo": "text", "sha": "text"},
        "Commits of the default branch with parents[] (GET /repos/{o}/{r}/commits).",
    ),
    RawTable(
        "github",
        "deployments",
        ("repo", "deployment_id", "updated_at"),
        {"repo": "text", "deployment_id": "bigint", "updated_at": "timestamp"},
        "Deployments (GET /repos/{o}/{r}/deployments), one row per version.",
        versioned_by="updated_at",
    ),
    RawTable(
        "github",
        "deployment_statuses",
        ("repo", "deployment_id", "status_id"),
        {"repo": "text", "deployment_id": "bigint", "status_id": "bigint"},
        "Statuses of a deployment (GET /repos/{o}/{r}/deployments/{id}/statuses).",
    ),
    RawTable(
        "github",
        "workflow_runs",
        ("repo", "run_id", "updated_at"),
        {"repo": "text", "run_id": "bigint", "updated_at": "timestamp"},
        "GitHub Actions workflow runs (GET /repos/{o}/{r}/actions/runs), one row per version.",
        versioned_by="updated_at",
    ),
    RawTable(
        "github",
        "issues",
        ("repo", "number", "updated_at"),
        {"repo": "text", "number": "bigint", "updated_at": "timestamp"},
        "Issues (not PRs) from GET /repos/{o}/{r}/issues, one row per version.",
        versioned_by="updated_at",
    ),
    # --- GitLab (project = path with namespace) ---
    RawTable(
        "gitlab",
        "merge_requests",
        ("project", "iid", "updated_at"),
        {"project": "text", "iid": "bigint", "updated_at": "timestamp"},
        "Merge requests (GET /projects/{id}/merge_requests), one row per version.",
        versioned_by="updated_at",
    ),
    RawTable(
        "gitlab",
        "pipelines",
        ("project", "pipeline_id", "updated_at"),
        {"project": "text", "pipeline_id": "bigint", "updated_at": "timestamp"},
        "Pipelines (GET /projects/{id}/pipelines), one row per version.",
        versioned_by="updated_at",
    ),
    RawTable(
        "gitlab",
        "deployments",
        ("project", "deployment_id", "updated_at"),
        {"project": "text", "deployment_id": "bigint", "updated_at": "timestamp"},
        "Deployments (GET /projects/{id}/deployments), one row per version.",
        versioned_by="updated_at",
    ),
    # --- Jenkins ---
    RawTable(
        "jenkins",
        "builds",
        ("job", "number"),
        {"job": "text", "number": "bigint", "started_at": "timestamp"},
        "Builds of a job (/job/<job>/api/json?tree=allBuilds[...]); started_at from epoch ms.",
    ),
    # --- Incident tools ---
    RawTable(
        "pagerduty",
        "incidents",
        ("incident_id", "updated_at"),
        {"incident_id": "text", "updated_at": "timestamp"},
        "Incidents (GET /incidents), one row per version.",
        versioned_by="updated_at",
    ),
    RawTable(
        "opsgenie",
        "alerts",
        ("alert_id", "updated_at"),
        {"alert_id": "text", "updated_at": "timestamp"},
        "Alerts (GET /v2/alerts), one row per version.",
        versioned_by="updated_at",
    ),
    # --- Catalog and manual inputs ---
    RawTable(
        "catalog",
        "entities",
        ("kind", "namespace", "name"),
        {"kind": "text", "namespace": "text", "name": "text"},
        "Backstage catalog-info entities (Component, Group, System, ...).",
    ),
    RawTable(
        "inputs",
        "measures",
        ("period", "entity_type", "entity_id", "measure_id"),
        {
            "period": "text",
            "entity_type": "text",
            "entity_id": "text",
            "measure_id": "text",
            "value": "double",
            "unit": "text",
            "source": "text",
            "line": "bigint",
        },
        "Manual measures from inputs/*.csv, one measure per row.",
    ),
)

SOURCES: tuple[str, ...] = tuple(dict.fromkeys(t.source for t in RAW_TABLES))


def tables_of(source: str) -> list[RawTable]:
    return [t for t in RAW_TABLES if t.source == source]
