"""API objects shaped as GitHub, GitLab, Jenkins, PagerDuty and Opsgenie return them (the fields
Stature reads and the ones around them), built from short names and times for hand-made orgs:
`sha("m1")` is a stable 40-hex commit id, times are UTC without the `Z`."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

GITLAB_WEB = "https://gitlab.example.com"
HISTORY = "2025-10-01T10:00:00"


def sha(name: str) -> str:
    """A 40-hex commit id per name, stable from run to run."""
    return hashlib.sha1(name.encode()).hexdigest()


def z(text: str) -> str:
    return text if text.endswith("Z") else text + "Z"


def ms(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp() * 1000)


def write_json(path: Path, body: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body if isinstance(body, str) else json.dumps(body, indent=1))


# --- GitHub objects ---------------------------------------------------------------------------


def gh_commit(
    repo: str,
    name: str,
    authored: str,
    parents: list[str],
    message: str,
    committed: str | None = None,
) -> dict[str, Any]:
    return {
        "sha": sha(name),
        "commit": {
            "author": {"name": "Dev", "email": "dev@acme.test", "date": z(authored)},
            "committer": {
                "name": "GitHub",
                "email": "noreply@github.com",
                "date": z(committed or authored),
            },
            "message": message,
        },
        "author": {"login": "dev"},
        "parents": [
            {"sha": sha(p), "url": f"https://api.github.com/repos/{repo}/commits/{sha(p)}"}
            for p in parents
        ],
    }


def gh_pull(
    number: int,
    title: str,
    opened: str,
    merged: str,
    merge_sha: str,
    branch: str = "feature/x",
    author: str = "ann",
) -> dict[str, Any]:
    return {
        "id": 9000 + number,
        "number": number,
        "state": "closed",
        "title": title,
        "user": {"login": author},
        "head": {"ref": branch, "sha": sha(f"head-{number}")},
        "base": {"ref": "main"},
        "labels": [],
        "draft": False,
        "merge_commit_sha": sha(merge_sha),
        "created_at": z(opened),
        "updated_at": z(merged),
        "closed_at": z(merged),
        "merged_at": z(merged),
    }


def gh_review(review_id: int, submitted: str, login: str) -> dict[str, Any]:
    return {
        "id": review_id,
        "user": {"login": login},
        "state": "APPROVED",
        "submitted_at": z(submitted),
    }


def gh_run(run_id: int, name: str, head: str, created: str, updated: str) -> dict[str, Any]:
    return {
        "id": run_id,
        "name": name,
        "path": ".github/workflows/deploy.yml",
        "head_branch": "main",
        "head_sha": sha(head),
        "display_title": name,
        "run_number": run_id,
        "run_attempt": 1,
        "event": "push",
        "status": "completed",
        "conclusion": "success",
        "workflow_id": 77,
        "created_at": z(created),
        "updated_at": z(updated),
        "run_started_at": z(created),
        "pull_requests": [],
    }


# --- GitLab objects ---------------------------------------------------------------------------


def gl_commit(
    project: str,
    name: str,
    authored: str,
    parents: list[str],
    message: str,
    committed: str | None = None,
) -> dict[str, Any]:
    return {
        "id": sha(name),
        "short_id": sha(name)[:8],
        "created_at": z(committed or authored),
        "parent_ids": [sha(p) for p in parents],
        "title": message.splitlines()[0],
        "message": message,
        "author_name": "Dev",
        "author_email": "dev@acme.test",
        "authored_date": z(authored),
        "committer_name": "Dev",
        "committer_email": "dev@acme.test",
        "committed_date": z(committed or authored),
        "trailers": {},
        "extended_trailers": {},
        "web_url": f"{GITLAB_WEB}/{project}/-/commit/{sha(name)}",
    }


def gl_mr(
    project: str,
    project_id: int,
    iid: int,
    title: str,
    opened: str,
    merged: str | None,
    *,
    author: str = "ann",
    merge: str | None = None,
    squash: str | None = None,
    head: str | None = None,
    branch: str = "feature/x",
) -> dict[str, Any]:
    state = "merged" if merged else "closed"
    return {
        "id": 70000 + project_id * 10 + iid,
        "iid": iid,
        "project_id": project_id,
        "title": title,
        "description": "",
        "state": state,
        "created_at": z(opened),
        "updated_at": z(merged or opened),
        "merged_at": z(merged) if merged else None,
        "closed_at": None if merged else z(opened),
        "author": {"id": 1, "username": author, "name": author.title()},
        "source_branch": branch,
        "target_branch": "main",
        "labels": [],
        "sha": sha(head or f"head-{project}-{iid}"),
        "merge_commit_sha": sha(merge) if merge else None,
        "squash_commit_sha": sha(squash) if squash else None,
        "squash": squash is not None,
        "web_url": f"{GITLAB_WEB}/{project}/-/merge_requests/{iid}",
    }


def gl_note(
    note_id: int, iid: int, at: str, author: str, body: str, system: bool = False
) -> dict[str, Any]:
    return {
        "id": note_id,
        "type": None,
        "body": body,
        "attachment": None,
        "author": {"id": 2, "username": author, "name": author.title(), "state": "active"},
        "created_at": z(at),
        "updated_at": z(at),
        "system": system,
        "noteable_id": 70000 + iid,
        "noteable_type": "MergeRequest",
        "noteable_iid": iid,
        "resolvable": False,
        "confidential": False,
        "internal": False,
    }


def gl_deployment(
    dep_id: int, ref_sha: str, env: str, status: str, created: str, finished: str | None
) -> dict[str, Any]:
    return {
        "id": dep_id,
        "iid": dep_id - 500,
        "ref": "main",
        "sha": sha(ref_sha),
        "status": status,
        "created_at": z(created),
        "updated_at": z(finished or created),
        "user": {"id": 3, "username": "deployer"},
        "environment": {"id": 9, "name": env},
        "deployable": {
            "id": dep_id * 10,
            "name": "deploy",
            "status": status,
            "finished_at": z(finished) if finished else None,
        },
    }


def gl_pipeline(
    project: str,
    project_id: int,
    pipeline_id: int,
    name: str,
    ref_sha: str,
    created: str,
    finished: str,
) -> dict[str, Any]:
    return {
        "id": pipeline_id,
        "iid": pipeline_id - 890,
        "project_id": project_id,
        "name": name,
        "status": "success",
        "source": "push",
        "ref": "main",
        "sha": sha(ref_sha),
        "created_at": z(created),
        "updated_at": z(finished),
        "started_at": z(created),
        "finished_at": z(finished),
        "duration": 1500,
        "web_url": f"{GITLAB_WEB}/{project}/-/pipelines/{pipeline_id}",
    }


# --- Jenkins, PagerDuty, Opsgenie -------------------------------------------------------------


def build(
    job: str,
    number: int,
    result: str,
    started: str,
    minutes: int,
    built: str,
    env: str = "production",
) -> dict[str, Any]:
    return {
        "_class": "hudson.model.FreeStyleBuild",
        "number": number,
        "url": f"https://ci.acme.test/job/{job}/{number}/",
        "result": result,
        "building": False,
        "timestamp": ms(started),
        "duration": minutes * 60_000,
        "displayName": f"#{number}",
        "id": str(number),
        "actions": [
            {
                "_class": "hudson.model.ParametersAction",
                "parameters": [{"name": "ENVIRONMENT", "value": env}],
            },
            {
                "_class": "hudson.plugins.git.util.BuildData",
                "lastBuiltRevision": {"SHA1": sha(built)},
            },
        ],
    }


def incident(
    incident_id: str, number: int, service: str, title: str, created: str, resolved: str
) -> dict[str, Any]:
    return {
        "id": incident_id,
        "type": "incident",
        "incident_number": number,
        "title": title,
        "status": "resolved",
        "urgency": "high",
        "service": {"id": service, "type": "service_reference", "summary": service.lower()},
        "created_at": z(created),
        "updated_at": z(resolved),
        "resolved_at": z(resolved),
        "last_status_change_at": z(resolved),
        "html_url": f"https://acme.pagerduty.com/incidents/{incident_id}",
    }


def alert(
    alert_id: str,
    message: str,
    created: str,
    closed_after_ms: int,
    *,
    teams: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
) -> dict[str, Any]:
    closed = dt.datetime.fromisoformat(created) + dt.timedelta(milliseconds=closed_after_ms)
    return {
        "id": alert_id,
        "tinyId": alert_id[-1],
        "alias": alert_id,
        "message": message,
        "status": "closed",
        "acknowledged": True,
        "isSeen": True,
        "tags": list(tags),
        "snoozed": False,
        "count": 1,
        "lastOccurredAt": z(created),
        "createdAt": z(created),
        "updatedAt": z(closed.isoformat()),
        "source": "prometheus",
        "owner": "oncall",
        "priority": "P2",
        "teams": [{"id": t} for t in teams],
        "responders": [{"type": "team", "id": t} for t in teams],
        "integration": {"id": "int-1", "name": "Prometheus", "type": "Prometheus"},
        "report": {"ackTime": 60_000, "closeTime": closed_after_ms, "closedBy": "oncall"},
    }


def gh_deployment(dep_id: int, ref_sha: str, env: str, created: str) -> dict[str, Any]:
    return {
        "id": dep_id,
        "sha": sha(ref_sha),
        "ref": "main",
        "task": "deploy",
        "environment": env,
        "description": None,
        "creator": {"login": "deploy-bot"},
        "payload": {},
        "production_environment": env == "production",
        "created_at": z(created),
        "updated_at": z(created),
    }


def gh_status(status_id: int, state: str, created: str) -> dict[str, Any]:
    return {
        "id": status_id,
        "state": state,
        "environment": "production",
        "created_at": z(created),
        "updated_at": z(created),
    }
