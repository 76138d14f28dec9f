"""PagerDuty incidents (`GET /incidents` pages), spooled to disk so a large org streams.

Incidents arrive repo by repo; PagerDuty numbers them account-wide in creation order and lists
them oldest first, so they are spooled to a temporary file and numbered and paged at the end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, BinaryIO

from ingestion.sample_org.github import sha_of
from ingestion.sample_org.org import Team
from ingestion.sample_org.simulate import Incident
from ingestion.sample_org.timeutil import iso

API = "https://api.pagerduty.com"
PAGE_LIMIT = 100
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PRIORITIES = {
    "P1": ("PQ1AB2C", "a8171c", 1, "Critical: customers cannot buy"),
    "P2": ("PQ2DE3F", "eb6016", 2, "Major: degraded for many customers"),
    "P3": ("PQ3GH4J", "f9b406", 3, "Minor: degraded for some customers"),
    "P4": ("PQ4KL5M", "3f8ee5", 4, "Low: no customer impact yet"),
}


def pd_id(*parts: object, length: int = 14, prefix: str = "Q") -> str:
    n = int(sha_of(*parts), 16)
    chars = []
    for _ in range(length - len(prefix)):
        n, r = divmod(n, 36)
        chars.append(_ALPHABET[r])
    return prefix + "".join(chars)


def _reference(kind: str, ident: str, summary: str, subdomain: str, path: str) -> dict[str, Any]:
    return {
        "id": ident,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": f"{API}/{path}/{ident}",
        "html_url": f"https://{subdomain}.pagerduty.com/{path}/{ident}",
    }


def incident_object(inc: Incident, team: Team, subdomain: str, end: int) -> dict[str, Any]:
    """The incident as `GET /incidents` lists it, as of `end` (number filled in later)."""
    s = inc.service
    ident = pd_id("incident", inc.incident_key)
    resolved = inc.resolved_at < end
    acknowledged = inc.acknowledged_at < end
    status = "resolved" if resolved else ("acknowledged" if acknowledged else "triggered")
    last_change = (
        inc.resolved_at if resolved else (inc.acknowledged_at if acknowledged else inc.created_at)
    )
    service = _reference("service", s.pd_id, s.name, subdomain, "services")
    responder = _reference(
        "user",
        pd_id("user", inc.responder.login, length=7, prefix="P"),
        inc.responder.name,
        subdomain,
        "users",
    )
    policy = _reference(
        "escalation_policy",
        team.escalation_policy_id,
        f"{team.display_name} on-call",
        subdomain,
        "escalation_policies",
    )
    log_entry = pd_id("log", inc.incident_key, length=26, prefix="R")
    priority = None
    if inc.priority:
        pid, color, order, description = _PRIORITIES[inc.priority]
        priority = {
            "id": pid,
            "type": "priority",
            "summary": inc.priority,
            "self": f"{API}/priorities/{pid}",
            "html_url": None,
            "name": inc.priority,
            "description": description,
            "color": color,
            "order": order * 64,
        }
    out: dict[str, Any] = {
        "incident_number": 0,
        "title": inc.title,
        "description": inc.description,
        "created_at": iso(inc.created_at),
        "updated_at": iso(last_change + (120 if resolved else 0)),
        "status": status,
        "incident_key": inc.incident_key,
        "service": service,
        "assignments": [] if resolved else [{"at": iso(inc.created_at), "assignee": responder}],
        "assigned_via": "escalation_policy",
        "last_status_change_at": iso(last_change),
        "resolved_at": iso(inc.resolved_at) if resolved else None,
        "first_trigger_log_entry": {
            "id": log_entry,
            "type": "trigger_log_entry_reference",
            "summary": "Triggered through the API.",
            "self": f"{API}/log_entries/{log_entry}",
            "html_url": f"https://{subdomain}.pagerduty.com/incidents/{ident}/log_entries/{log_entry}",
        },
        "alert_counts": {
            "all": 1,
            "triggered": 0 if resolved else 1,
            "resolved": 1 if resolved else 0,
        },
        "is_mergeable": True,
        "escalation_policy": policy,
        "teams": [_reference("team", team.pd_id, team.display_name, subdomain, "teams")],
        "pending_actions": [],
        "acknowledgements": (
            [{"at": iso(inc.acknowledged_at), "acknowledger": responder}]
            if acknowledged and not resolved
            else []
        ),
        "basic_alert_grouping": None,
        "alert_grouping": None,
        "last_status_change_by": responder if acknowledged else service,
        "priority": priority,
        "resolve_reason": None,
        "incidents_responders": [],
        "responder_requests": [],
        "subscriber_requests": [],
        "urgency": inc.urgency,
        "id": ident,
        "type": "incident",
        "summary": "",
        "self": f"{API}/incidents/{ident}",
        "html_url": f"https://{subdomain}.pagerduty.com/incidents/{ident}",
    }
    if resolved and inc.omit_resolved_at:
        del out["resolved_at"]  # seen in real exports: fall back to last_status_change_at
    return out


class IncidentSpool:
    """Collects incidents in a scratch file; `write` numbers them by creation time and pages them."""

    def __init__(self, spool: BinaryIO) -> None:
        self._file = spool  # a scratch file the caller owns (and closes)
        self._index: list[tuple[str, str, int, int]] = []  # (created_at, id, offset, length)

    def add(self, incident: dict[str, Any]) -> None:
        line = json.dumps(incident, separators=(",", ":"), ensure_ascii=False).encode()
        offset = self._file.tell()
        self._file.write(line)
        self._index.append((incident["created_at"], incident["id"], offset, len(line)))

    def __len__(self) -> int:
        return len(self._index)

    def write(self, directory: Path, first_number: int = 1001) -> int:
        """Write `incidents.json`, `incidents-2.json`, ...; returns the number of files."""
        directory.mkdir(parents=True, exist_ok=True)
        self._index.sort()
        total = len(self._index)
        pages = max(1, (total + PAGE_LIMIT - 1) // PAGE_LIMIT)
        for page in range(pages):
            items = []
            for n, (_, _, offset, length) in enumerate(
                self._index[page * PAGE_LIMIT : (page + 1) * PAGE_LIMIT]
            ):
                self._file.seek(offset)
                incident = json.loads(self._file.read(length))
                number = first_number + page * PAGE_LIMIT + n
                incident["incident_number"] = number
                incident["summary"] = f"[#{number}] {incident['title']}"
                items.append(incident)
            body = {
                "incidents": items,
                "limit": PAGE_LIMIT,
                "offset": page * PAGE_LIMIT,
                "total": None,
                "more": page < pages - 1,
            }
            name = "incidents.json" if page == 0 else f"incidents-{page + 1}.json"
            (directory / name).write_bytes(
                json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            )
        return pages
