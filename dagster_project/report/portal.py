"""Results where teams work: one JSON document per service (for a developer portal such as
Backstage to show) and one Markdown summary per team, from the published copy.

    services/<name>.json   status of every standard, maturity level and blockers, DORA
    teams/<name>.md        the team's services, what blocks them, red checks, DORA

(File names come from the ids: report/filenames.py; each folder's index.json maps them.)
Every name in the Markdown (team, service, rule title) is escaped, so a name holding `|`,
`<script>` or `[link](...)` reads as text and never breaks a table.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from typing import Any

from dagster_project.report.data import ReportData, Row
from dagster_project.report.html import DASH, STATUS_LABEL, fmt_hours, fmt_number, fmt_rate

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
RED = ("fail", "not_reported", "error")


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
    }
    record.update({f: row.get(f) for f in DORA_FIELDS})
    record.update({k: v for k, v in row.items() if k.endswith("_tier") or k == "benchmark_edition"})
    return record


def service_documents(data: ReportData) -> dict[str, dict[str, Any]]:
    """service_id -> the JSON document for that service."""
    standards: dict[str, list[Row]] = defaultdict(list)
    for r in data.view("service_standards") or []:
        standards[r["service_id"]].append(r)
    maturity = {r["service_id"]: r for r in data.view("service_maturity") or []}
    dora: dict[str, list[Row]] = defaultdict(list)
    for r in data.view("dora_trends") or []:
        if r["entity_type"] == "service" and r["period_grain"] == "quarter":
            dora[r["entity_id"]].append(r)
    services = {s["service_id"]: s for s in data.services}
    # a service with results but no catalog entry (any more) still gets its document
    for sid, rows in standards.items():
        first = rows[0]
        services.setdefault(
            sid, {"service_id": sid, "name": first["service_name"], "team_id": first["team_id"]}
        )
    for sid, row in maturity.items():
        services.setdefault(
            sid, {"service_id": sid, "name": row["service_name"], "team_id": row["team_id"]}
        )
    documents = {}
    for sid, service in sorted(services.items()):
        checks = sorted(
            standards.get(sid, []), key=lambda r: (r["scorecard"], r["level"] or 0, r["rule_id"])
        )
        by_rule = {r["rule_id"]: r for r in checks}
        level = maturity.get(sid)
        quarters = sorted(dora.get(sid, []), key=lambda r: r["period_start"])
        closed = [r for r in quarters if not data.is_open(r["period_end"])]
        counts: dict[str, int] = defaultdict(int)
        for c in checks:
            counts[c["status"]] += 1
        documents[sid] = {
            "schema_version": SCHEMA_VERSION,
            "service_id": sid,
            "name": service.get("name") or sid,
            "team_id": service.get("team_id"),
            "team_name": data.team_name(service.get("team_id")) or None,
            "tier": service.get("tier"),
            "lifecycle": service.get("lifecycle"),
            "as_of": _json_value(data.as_of),
            "standards": [
                {
                    "rule_id": c["rule_id"],
                    "title": data.rule_title(c["rule_id"]),
                    "scorecard": c["scorecard"],
                    "level": c["level"],
                    "status": c["status"],
                    "rag": c["rag"],
                    "value": c["value"],
                    "unit": data.rule_catalog.get(c["rule_id"], {}).get("unit"),
                    "threshold": c.get("threshold"),
                    "note": c.get("note"),
                    "evidence_url": c.get("evidence_url"),
                    "remediation": data.rule_catalog.get(c["rule_id"], {}).get("remediation"),
                    "rollout": c.get("rollout"),
                }
                for c in checks
            ],
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
                        "title": data.rule_title(b),
                        "status": by_rule[b]["status"] if b in by_rule else None,
                        "value": by_rule[b]["value"] if b in by_rule else None,
                        "threshold": by_rule[b].get("threshold") if b in by_rule else None,
                        "remediation": data.rule_catalog.get(b, {}).get("remediation"),
                    }
                    for b in (level.get("blockers") or [])
                ],
            },
            "dora": {
                "last_full_quarter": _dora_record(closed[-1]) if closed else None,
                "quarters": [_dora_record(r) for r in quarters],
            },
            "report": f"../report/index.html#service-{sid}",
        }
    return documents


def service_json(document: dict[str, Any]) -> str:
    return json.dumps(_json_value(document), indent=2, allow_nan=False, default=_json_value) + "\n"


def _md(text: Any) -> str:
    """A value safe inside a Markdown table cell."""
    return str(text if text is not None else DASH).replace("|", "\\|").replace("\n", " ")


def _level_md(level: int | None, name: str | None) -> str:
    return md_name(name or "Unrated") if level is None else f"{level} {md_name(name)}"


_MD_SPECIAL = re.compile(r"([\\`\[\]<>&|])")


def md_name(text: Any) -> str:
    """A name (team, service, rule title) as Markdown text: the characters that make links,
    code, HTML or table cells backslash-escaped, line breaks as spaces."""
    plain = " ".join(str(text if text is not None else DASH).split())
    return _MD_SPECIAL.sub(r"\\\1", plain)


def team_markdown(data: ReportData, team_id: str, documents: dict[str, dict[str, Any]]) -> str:
    name = data.team_name(team_id) or team_id
    services = [d for d in documents.values() if d["team_id"] == team_id]
    lines = [f"# {md_name(name)}: standards, maturity and DORA", ""]
    lines.append(
        f"As of {data.as_of or 'no evaluation yet'}, from the Stature published copy. "
        f"{len(services)} service{'s' if len(services) != 1 else ''}."
    )
    lines += ["", "## Maturity", ""]
    graded = [d for d in services if d["maturity"]]
    if graded:
        lines += ["| Service | Level | Next level | What gets it there |", "|---|---|---|---|"]
        for d in sorted(graded, key=lambda d: d["service_id"]):
            m = d["maturity"]
            if m["level"] is None:
                todo = "not rated: no enforced, levelled rule applies"
            elif m["next_level"] is None:
                todo = "top of the ladder"
            elif m["blockers"]:
                todo = "; ".join(
                    f"{md_name(b['title'])} "
                    f"({STATUS_LABEL.get(b['status'], _md(b['status'] or 'no result'))})"
                    for b in m["blockers"]
                )
            else:
                todo = "no enforced rule blocks it"
            lines.append(
                f"| {md_name(d['name'])} | {_level_md(m['level'], m['level_name'])} | "
                f"{_md(m['next_level'])} {md_name(m['next_level_name'] or '')} | {_md(todo)} |"
            )
    else:
        lines.append("No maturity snapshot yet.")
    lines += ["", "## Checks that are red", ""]
    red = [
        (d, s)
        for d in sorted(services, key=lambda d: d["service_id"])
        for s in d["standards"]
        if s["status"] in RED and (s.get("rollout") or "enforced") == "enforced"
    ]
    if red:
        lines += ["| Service | Standard | Status | Value | Threshold |", "|---|---|---|---|---|"]
        for d, s in red:
            unit = f" {s['unit']}" if s.get("unit") else ""
            value = f"{fmt_number(s['value'])}{unit}" if s["value"] is not None else DASH
            lines.append(
                f"| {md_name(d['name'])} | {md_name(s['title'])} | {_md(STATUS_LABEL[s['status']])} | "
                f"{_md(value)} | {_md(s['threshold'])} |"
            )
    elif any(d["standards"] for d in services):
        lines.append("None: every enforced check passes, warns or is exempt.")
    else:
        lines.append("No check results yet.")
    lines += ["", "## DORA by quarter", ""]
    team_dora = sorted(
        (
            r
            for r in data.view("dora_trends") or []
            if r["entity_type"] == "team"
            and r["entity_id"] == team_id
            and r["period_grain"] == "quarter"
        ),
        key=lambda r: r["period_start"],
    )
    if team_dora:
        lines += [
            "| Quarter | Deploys | Deploys/week | Lead time p50 | Change failure rate | "
            "Recovery p50 | Rework rate |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in team_dora[-8:]:
            label = r["period_label"] + (" (to date)" if data.is_open(r["period_end"]) else "")
            lines.append(
                "| "
                + " | ".join(
                    _md(v)
                    for v in (
                        label,
                        fmt_number(r["deployments"]),
                        fmt_number(r["deployment_frequency"]),
                        _opt(r["lead_time_p50_hours"], fmt_hours),
                        _opt(r["change_failure_rate"], fmt_rate),
                        _opt(r["recovery_time_p50_hours"], fmt_hours),
                        _opt(r["rework_rate"], fmt_rate),
                    )
                )
                + " |"
            )
    else:
        lines.append("No DORA figures yet.")
    lines += ["", "Full report: ../report/index.html", ""]
    return "\n".join(lines)


def _opt(value: Any, formatter) -> str:
    return DASH if value is None else formatter(float(value))
