"""Results where teams work: one JSON document per service (for a developer portal such as
Backstage to show) and one Markdown summary per team (templates/team.md), from the published
copy, each linking to its page in the site.

    services/<name>.json   status of every standard, maturity level and blockers, DORA
    teams/<name>.md        the team's services, what blocks them, red checks, DORA

(File names come from the ids: report/filenames.py; each folder's index.json maps them, and
the site's pages use the same names.) Every name in the Markdown (team, service, rule title)
is escaped, so a name holding `|`, `<script>` or `[link](...)` reads as text and never breaks
a table.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from typing import Any

import jinja2

from dagster_project.report import format as fmt
from dagster_project.report.data import Row
from dagster_project.report.format import md_name
from dagster_project.report.site import Site

__all__ = ["md_name", "service_document", "service_json", "team_markdown"]
SCHEMA_VERSION = 1
DORA_FIELDS = (
    "deployments",
    "deploy_days",
    "deployment_frequency",
    "lead_time_p50_hours",
    "lead_time_p75_hours",
    "lead_time_p90_hours",
    "change_failure_rate",
    "recovery_time_p50_hours",
    "rework_rate",
)


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def _dora_record(row: Row) -> dict[str, Any]:
    record = {
        "period": row["period_label"],
        "period_start": _json_value(row["period_start"]),
        "period_end": _json_value(row["period_end"]),
        "is_closed": row.get("is_closed"),
        "elapsed_days": row.get("elapsed_days"),
    }
    record.update({f: row.get(f) for f in DORA_FIELDS})
    record.update({k: v for k, v in row.items() if k.endswith("_tier") or k == "benchmark_edition"})
    return record


def _standard(site: Site, check: Row) -> dict[str, Any]:
    rule = site.rules.get(check["rule_id"]) or {}
    return {
        "rule_id": check["rule_id"],
        "title": site.rule_title(check["rule_id"]),
        "scorecard": check["scorecard"],
        "level": check["level"],
        "status": check["status"],
        "rag": check["rag"],
        "value": check["value"],
        "unit": rule.get("unit"),
        "threshold": check.get("threshold"),
        "note": check.get("note"),
        "evidence_url": check.get("evidence_url"),
        "remediation": rule.get("remediation"),
        "rollout": check.get("rollout"),
    }


def service_document(site: Site, service_id: str) -> dict[str, Any]:
    """The JSON document for one service."""
    service = site.services[service_id]
    checks = sorted(
        site.checks_by_service.get(service_id, []),
        key=lambda r: (r["scorecard"], r["level"] or 0, r["rule_id"]),
    )
    by_rule = {r["rule_id"]: r for r in checks}
    level = site.maturity.get(service_id)
    quarters = site.dora.get(("service", service_id), [])
    closed = [r for r in quarters if r["is_closed"]]
    counts: dict[str, int] = defaultdict(int)
    for c in checks:
        counts[c["status"]] += 1
    return {
        "schema_version": SCHEMA_VERSION,
        "service_id": service_id,
        "name": service.get("name") or service_id,
        "team_id": service.get("team_id"),
        "team_name": site.team_name(service.get("team_id")) if service.get("team_id") else None,
        "tier": service.get("tier"),
        "lifecycle": service.get("lifecycle"),
        "as_of": _json_value(site.data.as_of),
        "standards": [_standard(site, c) for c in checks],
        "status_counts": dict(sorted(counts.items())),
        "maturity": None
        if level is None
        else {
            "quarter": level["quarter"],
            "level": level["level"],
            "level_name": level["level_name"],
            "next_level": level["next_level"],
            "next_level_name": level["next_level_name"],
            "blockers": [
                {
                    "rule_id": b,
                    "title": site.rule_title(b),
                    "status": by_rule[b]["status"] if b in by_rule else None,
                    "value": by_rule[b]["value"] if b in by_rule else None,
                    "threshold": by_rule[b].get("threshold") if b in by_rule else None,
                    "remediation": (site.rules.get(b) or {}).get("remediation"),
                }
                for b in (level.get("blockers") or [])
            ],
        },
        "dora": {
            "last_full_quarter": _dora_record(closed[-1]) if closed else None,
            "quarters": [_dora_record(r) for r in quarters],
        },
        "report": f"../report/{site.page_path('services', service_id)}",
    }


def service_json(document: dict[str, Any]) -> str:
    return json.dumps(_json_value(document), indent=2, allow_nan=False, default=_json_value) + "\n"


def _todo(site: Site, service_id: str) -> str:
    m = site.maturity[service_id]
    if m["level"] is None:
        return "not rated: no enforced, levelled rule applies"
    if m["next_level"] is None:
        return "top of the ladder"
    checks = {r["rule_id"]: r for r in site.checks_by_service.get(service_id, [])}
    blockers = [
        f"{site.rule_title(b)} ({fmt.status_label((checks.get(b) or {}).get('status')) if b in checks else 'no result'})"
        for b in m.get("blockers") or []
    ]
    return "; ".join(blockers) or "the snapshot names no blocking standard"


def team_markdown(site: Site, env: jinja2.Environment, team_id: str) -> str:
    services = sorted(sid for sid, s in site.services.items() if s.get("team_id") == team_id)
    graded = [
        {
            "name": site.service_name(sid),
            "level_text": fmt.level_label(
                site.maturity[sid]["level"], site.maturity[sid]["level_name"]
            ),
            "next_text": fmt.level_label(
                site.maturity[sid]["next_level"], site.maturity[sid]["next_level_name"]
            )
            if site.maturity[sid]["next_level"] is not None
            else fmt.DASH,
            "todo": _todo(site, sid),
        }
        for sid in services
        if sid in site.maturity
    ]
    red = []
    for sid in services:
        checks = sorted(
            site.checks_by_service.get(sid, []),
            key=lambda r: (r["scorecard"], r["level"] or 0, r["rule_id"]),
        )
        for r in checks:
            if r["status"] in fmt.RED and (r.get("rollout") or "enforced") == "enforced":
                unit = (site.rules.get(r["rule_id"]) or {}).get("unit")
                red.append(
                    {
                        "service": site.service_name(sid),
                        "title": site.rule_title(r["rule_id"]),
                        "status": fmt.status_label(r["status"]),
                        "value": fmt.fmt_value(r["value"], unit),
                        "threshold": r.get("threshold") or fmt.DASH,
                    }
                )
    dora = [
        [
            r["period_label"] + ("" if r["is_closed"] else " (to date)"),
            fmt.fmt_number(r["deployments"]),
            fmt.fmt_number(r["deployment_frequency"]),
            fmt.fmt_hours(r["lead_time_p50_hours"]),
            fmt.fmt_rate(r["change_failure_rate"]),
            fmt.fmt_hours(r["recovery_time_p50_hours"]),
            fmt.fmt_rate(r["rework_rate"]),
        ]
        for r in site.dora.get(("team", team_id), [])[-8:]
    ]
    return env.get_template("team.md").render(
        name=site.team_name(team_id),
        as_of=site.data.as_of,
        services=services,
        graded=graded,
        red=red,
        any_checks=any(site.checks_by_service.get(s) for s in services),
        dora=dora,
        page=f"../report/{site.page_path('teams', team_id)}",
    )
