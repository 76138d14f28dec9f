"""The Backstage catalog of the sample org: Groups, Systems and one file per repo of Components."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ingestion.sample_org.org import SYSTEM_OF_TEAM, Org, Service, Team

API_VERSION = "backstage.io/v1alpha1"


def _system(team: Team) -> str:
    return SYSTEM_OF_TEAM.get(team.id, f"{team.id}-system")


def _component(org: Org, s: Service) -> dict[str, Any]:
    annotations: dict[str, str] = {"github.com/project-slug": f"{org.name}/{s.repo}"}
    if s.paths:
        annotations["stature.dev/paths"] = s.paths
    if s.pd_id:
        annotations["pagerduty.com/service-id"] = s.pd_id
    annotations["stature.dev/tier"] = s.tier
    if s.runbook:
        annotations["stature.dev/runbook"] = f"https://wiki.{org.name}.example/runbooks/{s.name}"
    if s.alerts:
        annotations["stature.dev/alerts"] = (
            f"https://grafana.{org.name}.example/d/{s.name}/overview"
        )
    if s.endpoints:
        annotations["stature.dev/endpoints"] = s.endpoints
    if s.slo:
        annotations["stature.dev/slo"] = s.slo
    if s.owner_history:
        annotations["stature.dev/owner-history"] = ",".join(
            f"{team.id}@{since.isoformat()}" for team, since in s.owner_history
        )
    annotations["backstage.io/techdocs-ref"] = "dir:."
    owner = f"group:default/{s.team.id}" if s.owner_ref_style == "group" else s.team.id
    tags = [s.language] + (["monorepo"] if s.paths else [])
    return {
        "apiVersion": API_VERSION,
        "kind": "Component",
        "metadata": {
            "name": s.name,
            "title": s.name.replace("-", " ").title().replace("Api", "API"),
            "description": s.description,
            "tags": tags,
            "annotations": annotations,
        },
        "spec": {
            "type": "website" if s.name == "web-storefront" else "service",
            "lifecycle": s.lifecycle,
            "owner": owner,
            "system": _system(s.team),
        },
    }


def _dump(documents: list[dict[str, Any]]) -> str:
    return "".join(
        "---\n" + yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, allow_unicode=True)
        for doc in documents
    )


def write_catalog(out: Path, org: Org) -> int:
    """Write `catalog/*.yaml`; returns the number of files."""
    out.mkdir(parents=True, exist_ok=True)
    groups: list[dict[str, Any]] = [
        {
            "apiVersion": API_VERSION,
            "kind": "Group",
            "metadata": {"name": "engineering", "description": f"{org.name.title()} engineering"},
            "spec": {
                "type": "department",
                "profile": {"displayName": "Engineering"},
                "children": [t.id for t in org.teams],
            },
        }
    ]
    for team in org.teams:
        groups.append(
            {
                "apiVersion": API_VERSION,
                "kind": "Group",
                "metadata": {"name": team.id, "description": f"The {team.display_name} team"},
                "spec": {
                    "type": "team",
                    "profile": {
                        "displayName": team.display_name,
                        "email": f"{team.id}@{org.name}.example",
                    },
                    "parent": "engineering",
                    "children": [],
                    "members": [d.login for d in team.devs],
                },
            }
        )
    systems = []
    for system in sorted({_system(t) for t in org.teams}):
        owner = next(t for t in org.teams if _system(t) == system)
        systems.append(
            {
                "apiVersion": API_VERSION,
                "kind": "System",
                "metadata": {"name": system, "description": f"The {system} system"},
                "spec": {"owner": owner.id},
            }
        )
    (out / "groups.yaml").write_text(_dump(groups), encoding="utf-8")
    (out / "systems.yaml").write_text(_dump(systems), encoding="utf-8")
    files = 2
    for repo, services in org.repos():
        (out / f"{repo}.yaml").write_text(
            _dump([_component(org, s) for s in services]), encoding="utf-8"
        )
        files += 1
    return files
