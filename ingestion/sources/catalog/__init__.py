"""Backstage catalog: catalog-info YAML documents (Component, Group, System, ...). Read from
files in both modes (`catalog/**/*.yaml` of an export, `sources.catalog.paths` otherwise).

An entity (kind, namespace, name; compared without regard to case, as Backstage does) may be
declared once: a second declaration is rejected naming both places, so which one counts never
depends on the order files happen to be read in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ingestion.records import field
from ingestion.sources.github import REPO_ANNOTATION
from ingestion.spec import ExportFile, RawTable, Source, present

PATHS_ANNOTATION = "stature.dev/paths"  # a service's path globs inside a shared repository

TABLES = (
    RawTable(
        "catalog",
        "entities",
        ("kind", "namespace", "name"),
        {"kind": "text", "namespace": "text", "name": "text"},
        "Backstage catalog-info entities (Component, Group, System, ...).",
        typed=(
            present("kind", required=True),
            # Annotations are not checked here: a bad value (`stature.dev/slo: high`) must not
            # cost the whole component. Staging sets it to NULL and the run names it.
            present("metadata.name", required=True),
        ),
    ),
)
FILES = (
    ExportFile("entities", "{path+}.yaml", "yaml"),
    ExportFile("entities", "{path+}.yml", "yaml"),
)


def row(table: str, item: dict[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(field(item, "kind"))
    name = str(field(item, "metadata.name", key=kind))
    namespace = str((item.get("metadata") or {}).get("namespace") or "default")
    return {"kind": kind, "namespace": namespace, "name": name}


def annotation_values(entities: Iterable[Any], annotation: str) -> list[str]:
    """The values (as written, trimmed) of `annotation` on the catalog's components."""
    values = []
    for entity in entities:
        if not isinstance(entity, dict) or entity.get("kind") != "Component":
            continue
        annotations = (entity.get("metadata") or {}).get("annotations") or {}
        if isinstance(annotations, dict) and annotations.get(annotation):
            values.append(str(annotations[annotation]).strip())
    return values


def repo_slugs(entities: Iterable[Any]) -> list[str]:
    """GitHub repos (`owner/name`, as written) the catalog's components point at."""
    return annotation_values(entities, REPO_ANNOTATION)


def path_mapped(entities: Iterable[Any], repo_annotation: str) -> set[str]:
    """Repositories (`repo_annotation`'s values, lower case) of components that also say which
    paths are theirs (`stature.dev/paths`): only these need their changed files pulled."""
    return {
        str(annotations[repo_annotation]).strip().lower()
        for annotations in _component_annotations(entities)
        if annotations.get(repo_annotation) and str(annotations.get(PATHS_ANNOTATION) or "").strip()
    }


def _component_annotations(entities: Iterable[Any]) -> Iterable[dict[str, Any]]:
    for entity in entities:
        if isinstance(entity, dict) and entity.get("kind") == "Component":
            annotations = (entity.get("metadata") or {}).get("annotations") or {}
            if isinstance(annotations, dict):
                yield annotations


def repos_of(entities: Iterable[Any]) -> set[str]:
    """The same repos in lower case, to compare folder names with."""
    return {slug.lower() for slug in repo_slugs(entities)}


SOURCE = Source(name="catalog", tables=TABLES, files=FILES, row=row, unique_keys=True)
