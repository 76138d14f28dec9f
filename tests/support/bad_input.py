"""A small export full of bad input, for the landing tests: every kind of bad file and record
named in one place, each beside good ones of the same source, so a test can say exactly which
rows landed and which rejection row each bad thing left.

Two parts:
- `write_named_cases`: hand-made cases (a date of "yesterday", a draft of "maybe", a fraction
  in an integer, files that are not UTF-8, too deep, too big, misnamed, duplicate entities);
- `field_cases` + `write_field_cases`: generated cases, one record per declared typed field of
  every table with a wrong value in that field (and without it, for a required one), placed
  after one good record of the same table.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ingestion.registry import REGISTRY
from ingestion.spec import RawTable, Typed

T = "2026-01-05T09:00:00Z"
LIMIT = 64 * 1024  # the file size limit the corpus is landed with

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: alpha
  annotations:
    github.com/project-slug: acme/alpha
spec: {type: service, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: fields
  annotations:
    github.com/project-slug: acme/fields
spec: {type: service, lifecycle: production, owner: team-a}
"""
# beta.yaml: a new component, the team again (declared in alpha.yaml), beta again (this file)
DUPLICATES = """\
kind: Component
metadata: {name: beta}
spec: {owner: team-a}
---
kind: Group
metadata: {name: team-a}
---
kind: Component
metadata: {name: Beta}
spec: {owner: team-b}
"""


def pr(n: int, **fields: Any) -> dict[str, Any]:
    out = {
        "id": 1000 + n,
        "number": n,
        "title": f"Change {n}",
        "state": "closed",
        "draft": False,
        "created_at": T,
        "updated_at": T,
        "closed_at": T,
        "merged_at": T,
    }
    return {**out, **fields}


def _write(path: Path, content: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))


def write_named_cases(root: Path) -> None:
    repo = root / "github" / "acme" / "alpha"
    _write(root / "catalog" / "alpha.yaml", CATALOG)
    _write(root / "catalog" / "beta.yaml", DUPLICATES)
    _write(root / "catalog" / "broken.yaml", b"kind: Component\nmetadata: {name: caf\xe9}\n")
    pulls = [
        pr(1),
        pr(2, merged_at="yesterday"),
        pr(3, draft="maybe"),
        pr(4, id=4.7),  # a fraction in an integer field: lossy, rejected
        pr(5, number=5.0),  # an integral float is the integer it says
    ]
    _write(repo / "pulls.json", pulls)
    _write(repo / "pulls 4.json", [pr(40)])  # a space: no export pattern names it
    _write(root / "githb" / "acme" / "alpha" / "pulls.json", [pr(41)])  # a misspelled source
    _write(root / "README.md", "Exported on 2026-11-20.\n")  # not a source's: not reported
    _write(repo / "pulls-2.json", "[" * 5000 + "]" * 5000)  # too deep for any parser
    commits = [
        {"sha": "a" * 40, "parents": [], "commit": {"committer": {"date": T}}},
        {"sha": "b" * 40, "parents": [], "stats": {"total": 10**30}},
        {"sha": "c" * 40, "parents": [], "commit": {"message": "\ud800"}},
    ]
    _write(repo / "commits.json", json.dumps(commits))  # json escapes the lone surrogate
    deep: Any = "bottom"
    for _ in range(300):
        deep = {"next": deep}
    issues = [
        {"id": 7, "number": 7, "updated_at": T},
        {"id": 8, "number": 8, "updated_at": T, "body": deep},
    ]
    _write(repo / "issues.json", issues)
    big = [{"id": i, "created_at": T, "description": "x" * 500} for i in range(150)]
    _write(repo / "deployments.json", big)  # about 80 KiB: above the corpus limit
    bundle = [
        json.dumps({"number": 1, "items": [{"sha": "d" * 40}]}).encode(),
        b'{"number": 2, "items": [{"sha": "caf\xe9"}]}',
        json.dumps({"number": 3, "items": [{"sha": "e" * 40}]}).encode(),
    ]
    _write(repo / "pull_commits.ndjson", b"\n".join(bundle) + b"\n")
    header = b"period,entity_type,entity_id,measure_id,value\n"
    _write(root / "inputs" / "good.csv", header + b"2026-Q1,org,acme,enps,12\n")
    _write(
        root / "inputs" / "latin1.csv",
        header + b"2026-Q1,team,team-a,enps,10\n2026-Q1,team,caf\xe9,enps,11\n",
    )
    _write(
        root / "inputs" / "more.csv",
        header + b"2026-Q1,org,acme,enps,13\n2026-Q2,org,acme,cost,1,2\n2026-Q2,org,acme,nps,NaN\n",
    )


# --- one wrong value per declared field ---------------------------------------------------------

BASE: dict[tuple[str, str], dict[str, Any]] = {
    ("github", "pulls"): pr(1),
    ("github", "issues"): {"id": 2001, "number": 1, "updated_at": T, "created_at": T},
    ("github", "commits"): {"sha": "a" * 40, "commit": {"author": {"date": T}}},
    ("github", "pull_commits"): {"sha": "b" * 40, "commit": {"committer": {"date": T}}},
    ("github", "pull_reviews"): {"id": 3001, "state": "APPROVED", "submitted_at": T},
    ("github", "deployments"): {"id": 4001, "created_at": T, "production_environment": True},
    ("github", "deployment_statuses"): {"id": 5001, "state": "success", "created_at": T},
    ("github", "workflow_runs"): {"id": 6001, "run_number": 1, "created_at": T, "updated_at": T},
    ("gitlab", "merge_requests"): {"id": 7001, "iid": 1, "created_at": T, "updated_at": T},
    ("gitlab", "pipelines"): {"id": 8001, "created_at": T, "updated_at": T},
    ("gitlab", "deployments"): {"id": 9001, "iid": 1, "created_at": T, "deployable": {}},
    ("gitlab", "merge_request_commits"): {"id": "c" * 40, "authored_date": T},
    ("gitlab", "merge_request_notes"): {"id": 9101, "created_at": T, "system": False},
    ("gitlab", "commits"): {"id": "d" * 40, "parent_ids": [], "committed_date": T},
    ("jenkins", "builds"): {"number": 1, "timestamp": 1767600000000, "building": False},
    ("pagerduty", "incidents"): {"id": "P1", "incident_number": 1, "created_at": T},
    ("opsgenie", "alerts"): {"id": "A1", "createdAt": T, "report": {"closeTime": 1000}},
    ("opsgenie", "teams"): {"id": "T1", "name": "Payments"},
    ("catalog", "entities"): {"kind": "Component", "metadata": {"name": "svc-0"}},
}
# where a table's records are written, relative to the export dir, and how a page wraps them
FILES: dict[tuple[str, str], tuple[str, str | None]] = {
    ("github", "pulls"): ("github/acme/fields/pulls.json", None),
    ("github", "issues"): ("github/acme/fields/issues.json", None),
    ("github", "commits"): ("github/acme/fields/commits.json", None),
    ("github", "pull_commits"): ("github/acme/fields/pull_commits/1.json", None),
    ("github", "pull_reviews"): ("github/acme/fields/pull_reviews/1.json", None),
    ("github", "deployments"): ("github/acme/fields/deployments.json", None),
    ("github", "deployment_statuses"): ("github/acme/fields/deployment_statuses/4001.json", None),
    ("github", "workflow_runs"): ("github/acme/fields/workflow_runs.json", "workflow_runs"),
    ("gitlab", "merge_requests"): ("gitlab/group/app/merge_requests.json", None),
    ("gitlab", "pipelines"): ("gitlab/group/app/pipelines.json", None),
    ("gitlab", "deployments"): ("gitlab/group/app/deployments.json", None),
    ("gitlab", "merge_request_commits"): ("gitlab/group/app/merge_request_commits/1.json", None),
    ("gitlab", "merge_request_notes"): ("gitlab/group/app/merge_request_notes/1.json", None),
    ("gitlab", "commits"): ("gitlab/group/app/commits.json", None),
    ("jenkins", "builds"): ("jenkins/deploy/builds.json", "allBuilds"),
    ("pagerduty", "incidents"): ("pagerduty/incidents.json", "incidents"),
    ("opsgenie", "alerts"): ("opsgenie/alerts.json", "data"),
    ("opsgenie", "teams"): ("opsgenie/teams.json", "data"),
}
WRONG = {  # kind -> (a value of the wrong type, what the reason says)
    "timestamp": ("yesterday", "is not an ISO-8601 timestamp"),
    "integer": ("abc", "is not an integer"),
    "boolean": ("maybe", "is not true or false"),
    "number": ("lots", "is not a number"),
    "percent": ("high", "is not a number or a percentage"),
    "epoch_ms": ("2026-01-05T09:00:00Z", "is not epoch milliseconds"),
}
MISSING = object()


@dataclass(frozen=True)
class FieldCase:
    source: str
    table: str
    field: str
    value: Any  # MISSING: the field is left out
    reason: str  # a fragment of the rejection's reason
    file: str = ""
    record_key: str = ""

    @property
    def id(self) -> str:
        shown = "missing" if self.value is MISSING else repr(self.value)
        return f"{self.source}.{self.table}.{self.field}={shown}"


def _set(record: dict[str, Any], check: Typed, value: Any) -> None:
    node = record
    for part in check.path[:-1]:
        node = node.setdefault(part, {})
    if value is MISSING:
        node.pop(check.path[-1], None)
    else:
        node[check.path[-1]] = value


def _unique(table: RawTable, record: dict[str, Any], n: int) -> None:
    """Give a broken record its own key, so its rejection row is told from the others'."""
    if table.name == "entities":
        record["metadata"]["name"] = f"svc-{n}"
    elif table.key_path in ("sha",):
        record["sha"] = f"{n:040x}"
    elif table.key_path in ("id", "number", "iid") and isinstance(record[table.key_path], str):
        record[table.key_path] = f"{record[table.key_path]}{n}"
    elif table.key_path:
        record[table.key_path] = n
    if table.name == "pulls":
        record["id"] = 100_000 + n


def field_cases() -> list[tuple[FieldCase, dict[str, Any]]]:
    """One broken record per typed field (two for integers: text, and a lossy 3.7; plus one
    without the field where it is required), with the rejection it must leave."""
    out = []
    n = 100
    for src in REGISTRY:
        for table in src.tables:
            if (src.name, table.name) not in BASE:
                continue
            per_file = 1  # the good record is item 1
            for check in table.typed:
                wrongs = []
                if check.kind in WRONG:
                    wrongs.append(WRONG[check.kind])
                if check.kind == "integer":
                    wrongs.append((3.7, "lossy"))
                if check.required:
                    wrongs.append((MISSING, "missing required field"))
                for value, reason in wrongs:
                    n += 1
                    per_file += 1
                    record = copy.deepcopy(BASE[(src.name, table.name)])
                    _unique(table, record, n)
                    _set(record, check, value)
                    if table.name == "entities":
                        file, key = f"catalog/field-{n}.yaml", "document 1 (line 1)"
                    else:
                        file = FILES[(src.name, table.name)][0]
                        own = record.get(table.key_path) if table.key_path else None
                        broken_key = check.name == table.key_path
                        key = f"item {per_file}" if broken_key else f"{table.key_prefix}{own}"
                    case = FieldCase(src.name, table.name, check.name, value, reason, file, key)
                    out.append((case, record))
    return out


def write_field_cases(root: Path) -> None:
    pages: dict[str, list[Any]] = {}
    for case, record in field_cases():
        if case.table == "entities":
            _write(root / case.file, yaml.safe_dump(record))
        else:
            pages.setdefault(case.file, [BASE[(case.source, case.table)]]).append(record)
    _write(root / "catalog" / "field-0.yaml", yaml.safe_dump(BASE[("catalog", "entities")]))
    for (src, table), (file, wrapper) in FILES.items():
        items = pages.get(file, [BASE[(src, table)]])
        _write(root / file, {wrapper: items} if wrapper else items)
