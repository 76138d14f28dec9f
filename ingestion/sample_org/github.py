"""The GitHub REST shapes, as the list endpoints return them (compact JSON, `...Z` times).

Nested repository objects (`head.repo`, `base.repo`, a run's `repository`) carry the
repository's identity fields rather than all of its ~80 URL templates, to keep the sample
small; every top-level object has the fields the API documents for that list endpoint.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from typing import Any

from ingestion.sample_org.org import Dev
from ingestion.sample_org.timeutil import iso

API = "https://api.github.com"
WEB = "https://github.com"

LABEL_COLORS = {
    "bug": ("d73a4a", "Something isn't working", True),
    "hotfix": ("b60205", "Urgent fix for a production problem", False),
    "incident": ("e11d21", "Production incident", False),
    "customer-reported": ("fbca04", "Reported by a customer", False),
    "dependencies": ("0366d6", "Pull requests that update a dependency file", False),
    "enhancement": ("a2eeef", "New feature or request", True),
    "revert": ("cccccc", "Reverts an earlier change", False),
    "area/web": ("c5def5", "apps/web and packages/ui", False),
    "area/cart": ("c5def5", "services/cart", False),
    "sev1": ("5319e7", "Severity 1: full outage", False),
    "sev2": ("5319e7", "Severity 2: degraded service", False),
}


def node_id(kind: str, number: int) -> str:
    raw = number.to_bytes(8, "big").lstrip(b"\0") or b"\0"
    return f"{kind}_kwDO" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def sha_of(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()


def user(dev: Dev | None) -> dict[str, Any] | None:
    return None if dev is None else _user(dev)


@lru_cache(maxsize=4096)
def _user(dev: Dev) -> dict[str, Any]:
    """A user object; memoized (the same dict is shared, never mutated)."""
    return {
        "login": dev.login,
        "id": dev.id,
        "node_id": node_id("U" if dev.type == "User" else "BOT", dev.id),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{dev.id}?v=4",
        "gravatar_id": "",
        "url": f"{API}/users/{dev.login}",
        "html_url": f"{WEB}/{dev.login}" if dev.type == "User" else f"{WEB}/apps/{dev.login[:-5]}",
        "type": dev.type,
        "site_admin": False,
    }


class RepoShapes:
    """Renders the objects of one repository; ids are unique across the org via `index`."""

    def __init__(self, owner: str, name: str, index: int) -> None:
        self.owner = owner
        self.name = name
        self.full = f"{owner}/{name}"
        self.index = index
        self.api = f"{API}/repos/{self.full}"
        self.web = f"{WEB}/{self.full}"
        self.id = 612_000_000 + index * 1013
        self.org_user = {
            "login": owner,
            "id": 91_000_000,
            "node_id": node_id("O", 91_000_000),
            "avatar_url": "https://avatars.githubusercontent.com/u/91000000?v=4",
            "gravatar_id": "",
            "url": f"{API}/users/{owner}",
            "html_url": f"{WEB}/{owner}",
            "type": "Organization",
            "site_admin": False,
        }
        # Nested repository objects (PR head/base, a run's repositories): identity fields only.
        self.repo = {
            "id": self.id,
            "node_id": node_id("R", self.id),
            "name": name,
            "full_name": self.full,
            "private": True,
            "owner": {
                "login": owner,
                "id": 91_000_000,
                "node_id": node_id("O", 91_000_000),
                "url": f"{API}/users/{owner}",
                "html_url": f"{WEB}/{owner}",
                "type": "Organization",
            },
            "html_url": self.web,
            "fork": False,
            "url": self.api,
        }
        self._labels: dict[str, dict[str, Any]] = {}

    # ids: per-kind counters offset by the repo index, so they never collide across repos
    def ident(self, base: int, k: int) -> int:
        return base + self.index * 1_000_000 + k

    def label(self, name: str) -> dict[str, Any]:
        found = self._labels.get(name)
        if found is None:
            color, description, default = LABEL_COLORS.get(name, ("ededed", None, False))
            label_id = 4_100_000_000 + self.index * 1000 + len(self._labels)
            found = {
                "id": label_id,
                "node_id": node_id("LA", label_id),
                "url": f"{self.api}/labels/{name.replace('/', '%2F')}",
                "name": name,
                "color": color,
                "default": default,
                "description": description,
            }
            self._labels[name] = found
        return found

    def commit(self, c: Any, files: bool) -> dict[str, Any]:
        committer_is_github = c.committer.login == "web-flow"
        out: dict[str, Any] = {
            "sha": c.sha,
            "node_id": "C_kwDO" + base64.urlsafe_b64encode(bytes.fromhex(c.sha[:24])).decode(),
            "commit": {
                "author": {"name": c.author.name, "email": c.author.email, "date": iso(c.authored)},
                "committer": {
                    "name": c.committer.name,
                    "email": c.committer.email,
                    "date": iso(c.committed),
                },
                "message": c.message,
                "tree": {"sha": c.tree, "url": f"{self.api}/git/trees/{c.tree}"},
                "url": f"{self.api}/git/commits/{c.sha}",
                "comment_count": 0,
                "verification": {
                    "verified": committer_is_github,
                    "reason": "valid" if committer_is_github else "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": iso(c.committed) if committer_is_github else None,
                },
            },
            "url": f"{self.api}/commits/{c.sha}",
            "html_url": f"{self.web}/commit/{c.sha}",
            "comments_url": f"{self.api}/commits/{c.sha}/comments",
            "author": None if c.author_unlinked else user(c.author),
            "committer": user(c.committer),
            "parents": [
                {"sha": p, "url": f"{self.api}/commits/{p}", "html_url": f"{self.web}/commit/{p}"}
                for p in c.parents
            ],
        }
        if files and c.files:
            out["files"] = [
                {
                    "sha": sha_of(c.sha, path),
                    "filename": path,
                    "status": "modified",
                    "additions": adds,
                    "deletions": dels,
                    "changes": adds + dels,
                }
                for path, adds, dels in c.files
            ]
        return out

    def pull(self, pr: Any, end: int) -> dict[str, Any]:
        n = pr.number
        head = pr.head_sha(end)
        merged = pr.merged_at is not None and pr.merged_at < end
        closed_at = (
            pr.merged_at
            if merged
            else (pr.closed_at if pr.closed_at and pr.closed_at < end else None)
        )
        pr_id = self.ident(1_900_000_000, n)
        links = {
            "self": {"href": f"{self.api}/pulls/{n}"},
            "html": {"href": f"{self.web}/pull/{n}"},
            "issue": {"href": f"{self.api}/issues/{n}"},
            "comments": {"href": f"{self.api}/issues/{n}/comments"},
            "review_comments": {"href": f"{self.api}/pulls/{n}/comments"},
            "review_comment": {"href": f"{self.api}/pulls/comments{{/number}}"},
            "commits": {"href": f"{self.api}/pulls/{n}/commits"},
            "statuses": {"href": f"{self.api}/statuses/{head}"},
        }
        return {
            "url": f"{self.api}/pulls/{n}",
            "id": pr_id,
            "node_id": node_id("PR", pr_id),
            "html_url": f"{self.web}/pull/{n}",
            "diff_url": f"{self.web}/pull/{n}.diff",
            "patch_url": f"{self.web}/pull/{n}.patch",
            "issue_url": f"{self.api}/issues/{n}",
            "number": n,
            "state": "closed" if closed_at else "open",
            "locked": False,
            "title": pr.title,
            "user": user(pr.author),
            "body": pr.body,
            "created_at": iso(pr.opened_at),
            "updated_at": iso(pr.updated_at(end)),
            "closed_at": iso(closed_at) if closed_at else None,
            "merged_at": iso(pr.merged_at) if merged else None,
            "merge_commit_sha": pr.merge_commit_sha if merged else pr.test_merge_sha,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "labels": [self.label(name) for name in pr.labels],
            "milestone": None,
            "draft": pr.draft and not closed_at,
            "commits_url": f"{self.api}/pulls/{n}/commits",
            "review_comments_url": f"{self.api}/pulls/{n}/comments",
            "review_comment_url": f"{self.api}/pulls/comments{{/number}}",
            "comments_url": f"{self.api}/issues/{n}/comments",
            "statuses_url": f"{self.api}/statuses/{head}",
            "head": {
                "label": f"{self.owner}:{pr.branch}",
                "ref": pr.branch,
                "sha": head,
                "user": self.org_user,
                "repo": self.repo,
            },
            "base": {
                "label": f"{self.owner}:main",
                "ref": "main",
                "sha": pr.base_sha_at(end),
                "user": self.org_user,
                "repo": self.repo,
            },
            "_links": links,
            "author_association": "CONTRIBUTOR" if pr.author.type == "Bot" else "MEMBER",
            "auto_merge": None,
            "active_lock_reason": None,
        }

    def review(
        self, pr: Any, k: int, reviewer: Dev, state: str, at: int, commit_id: str, body: str
    ) -> dict[str, Any]:
        review_id = self.ident(2_100_000_000, k)
        n = pr.number
        return {
            "id": review_id,
            "node_id": node_id("PRR", review_id),
            "user": user(reviewer),
            "body": body,
            "state": state,
            "html_url": f"{self.web}/pull/{n}#pullrequestreview-{review_id}",
            "pull_request_url": f"{self.api}/pulls/{n}",
            "author_association": "MEMBER",
            "_links": {
                "html": {"href": f"{self.web}/pull/{n}#pullrequestreview-{review_id}"},
                "pull_request": {"href": f"{self.api}/pulls/{n}"},
            },
            "submitted_at": iso(at),
            "commit_id": commit_id,
        }

    def deployment(self, d: Any, deployment_id: int, end: int) -> dict[str, Any]:
        visible = [s for s in d.statuses if s[1] < end]
        updated = visible[-1][1] if visible else d.created_at
        return {
            "url": f"{self.api}/deployments/{deployment_id}",
            "id": deployment_id,
            "node_id": node_id("DE", deployment_id),
            "task": "deploy",
            "original_environment": d.environment,
            "environment": d.environment,
            "description": d.description,
            "created_at": iso(d.created_at),
            "updated_at": iso(updated),
            "statuses_url": f"{self.api}/deployments/{deployment_id}/statuses",
            "repository_url": self.api,
            "creator": user(d.creator),
            "sha": d.sha,
            "ref": d.ref,
            "payload": d.payload,
            "transient_environment": False,
            "production_environment": d.production,
            "performed_via_github_app": None,
        }

    def deployment_status(
        self,
        d: Any,
        deployment_id: int,
        status_id: int,
        state: str,
        at: int,
        with_environment: bool,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "url": f"{self.api}/deployments/{deployment_id}/statuses/{status_id}",
            "id": status_id,
            "node_id": node_id("DES", status_id),
            "state": state,
            "creator": user(d.creator),
            "description": {
                "pending": "Deployment queued",
                "queued": "Deployment queued",
                "in_progress": "Deploying",
                "success": "Deployment finished successfully.",
                "failure": "Deployment failed: health checks did not pass",
                "error": "Deployment errored",
                "inactive": "Superseded by a newer deployment",
            }[state],
        }
        if with_environment:
            out["environment"] = d.environment
        out.update(
            {
                "target_url": f"{self.web}/actions/runs/{d.target_run}" if d.target_run else "",
                "created_at": iso(at),
                "updated_at": iso(at),
                "deployment_url": f"{self.api}/deployments/{deployment_id}",
                "repository_url": self.api,
            }
        )
        if with_environment:
            out["environment_url"] = d.environment_url
            out["log_url"] = f"{self.web}/actions/runs/{d.target_run}" if d.target_run else ""
        out["performed_via_github_app"] = None
        return out

    def run(
        self, r: Any, run_id: int, run_number: int, workflow_id: int, end: int
    ) -> dict[str, Any]:
        completed = r.updated_at < end
        suite = 21_000_000_000 + self.index * 1_000_000 + (run_id % 1_000_000)
        head = r.head_commit
        return {
            "id": run_id,
            "name": r.name,
            "node_id": node_id("WFR", run_id),
            "head_branch": r.head_branch,
            "head_sha": r.head_sha,
            "path": r.path,
            "display_title": r.display_title,
            "run_number": run_number,
            "event": r.event,
            "status": "completed" if completed else "in_progress",
            "conclusion": r.conclusion if completed else None,
            "workflow_id": workflow_id,
            "check_suite_id": suite,
            "check_suite_node_id": node_id("CS", suite),
            "url": f"{self.api}/actions/runs/{run_id}",
            "html_url": f"{self.web}/actions/runs/{run_id}",
            "pull_requests": [self._run_pull(r.pull, r.head_sha)] if r.pull else [],
            "created_at": iso(r.created_at),
            "updated_at": iso(r.updated_at if completed else max(r.run_started_at, r.created_at)),
            "actor": user(r.actor),
            "run_attempt": r.run_attempt,
            "referenced_workflows": [],
            "run_started_at": iso(r.run_started_at),
            "triggering_actor": user(r.triggering_actor or r.actor),
            "jobs_url": f"{self.api}/actions/runs/{run_id}/jobs",
            "logs_url": f"{self.api}/actions/runs/{run_id}/logs",
            "check_suite_url": f"{self.api}/check-suites/{suite}",
            "artifacts_url": f"{self.api}/actions/runs/{run_id}/artifacts",
            "cancel_url": f"{self.api}/actions/runs/{run_id}/cancel",
            "rerun_url": f"{self.api}/actions/runs/{run_id}/rerun",
            "previous_attempt_url": (
                f"{self.api}/actions/runs/{run_id}/attempts/{r.run_attempt - 1}"
                if r.run_attempt > 1
                else None
            ),
            "workflow_url": f"{self.api}/actions/workflows/{workflow_id}",
            "head_commit": {
                "id": head.sha,
                "tree_id": head.tree,
                "message": head.message,
                "timestamp": iso(head.committed),
                "author": {"name": head.author.name, "email": head.author.email},
                "committer": {"name": head.committer.name, "email": head.committer.email},
            },
            "repository": self.repo,
            "head_repository": self.repo,
        }

    def _run_pull(self, pr: Any, head_sha: str) -> dict[str, Any]:
        repo = {"id": self.id, "url": self.api, "name": self.name}
        return {
            "url": f"{self.api}/pulls/{pr.number}",
            "id": self.ident(1_900_000_000, pr.number),
            "number": pr.number,
            "head": {"ref": pr.branch, "sha": head_sha, "repo": repo},
            "base": {"ref": "main", "sha": pr.branch_base, "repo": repo},
        }

    def issue(self, i: Any, end: int) -> dict[str, Any]:
        n = i.number
        closed = i.closed_at is not None and i.closed_at < end
        issue_id = self.ident(2_400_000_000, n)
        out: dict[str, Any] = {
            "url": f"{self.api}/issues/{n}",
            "repository_url": self.api,
            "labels_url": f"{self.api}/issues/{n}/labels{{/name}}",
            "comments_url": f"{self.api}/issues/{n}/comments",
            "events_url": f"{self.api}/issues/{n}/events",
            "html_url": f"{self.web}/{'pull' if i.pull else 'issues'}/{n}",
            "id": issue_id,
            "node_id": node_id("PR" if i.pull else "I", issue_id),
            "number": n,
            "title": i.title,
            "user": user(i.author),
            "labels": [self.label(name) for name in i.labels],
            "state": "closed" if closed else "open",
            "locked": False,
            "assignee": user(i.assignee),
            "assignees": [user(i.assignee)] if i.assignee else [],
            "milestone": None,
            "comments": i.comments,
            "created_at": iso(i.created_at),
            "updated_at": iso(i.closed_at if closed else i.updated_at(end)),
            "closed_at": iso(i.closed_at) if closed else None,
            "author_association": "MEMBER" if i.author.type == "User" else "NONE",
            "active_lock_reason": None,
        }
        if i.pull is not None:
            pr = i.pull
            merged = pr.merged_at is not None and pr.merged_at < end
            out["draft"] = pr.draft and not closed
            out["pull_request"] = {
                "url": f"{self.api}/pulls/{n}",
                "html_url": f"{self.web}/pull/{n}",
                "diff_url": f"{self.web}/pull/{n}.diff",
                "patch_url": f"{self.web}/pull/{n}.patch",
                "merged_at": iso(pr.merged_at) if merged else None,
            }
        out["body"] = i.body
        out["timeline_url"] = f"{self.api}/issues/{n}/timeline"
        out["performed_via_github_app"] = None
        out["state_reason"] = i.state_reason if closed else None
        return out
