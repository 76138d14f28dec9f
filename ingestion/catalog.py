"""Backstage catalog: catalog-info YAML documents (Component, Group, System, ...)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ingestion.records import RecordError, field

REPO_ANNOTATION = "github.com/project-slug"


def row(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise RecordError(f"expected a YAML mapping, got {type(item).__name__}")
    kind = str(field(item, "kind"))
    name = str(field(item, "metadata.name", key=kind))
    namespace = str((item.get("metadata") or {}).get("namespace") or "default")
    return {"kind": kind, "namespace": namespace, "name": name}


def repos_of(entities: Iterable[dict[str, Any]]) -> set[str]:
    """GitHub repos (`owner/name`) the catalog's components point at."""
    repos = set()
    for entity in entities:
        annotations = (entity.get("metadata") or {}).get("annotations") or {}
        if entity.get("kind") == "Component" and annotations.get(REPO_ANNOTATION):
            repos.add(str(annotations[REPO_ANNOTATION]).strip().lower())
    return repos
