"""Backstage catalog: catalog-info YAML documents (Component, Group, System, ...). Read from
files in both modes (`catalog/**/*.yaml` of an export, `sources.catalog.paths` otherwise).
Earlier versions of the documents (`catalog/history/<YYYY-MM-DD>/**/*.yaml`: each holds from
that date until the entity's next version) land in `entity_versions`; every run adds the
catalog it read there too (ingestion.catalog_history).

An entity (kind, namespace, name; compared without regard to case, as Backstage does) may be
declared once: a second declaration is rejected naming both places, so which one counts never
depends on the order files happen to be read in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from ingestion.records import RecordError, field
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
VERSIONS = RawTable(
    "catalog",
    "entity_versions",
    ("kind", "namespace", "name", "valid_from"),
    {"kind": "text", "namespace": "text", "name": "text", "valid_from": "date"},
    "Earlier versions of catalog entities: one row per (entity, date from which it held), from "
    "the export's catalog/history/<date>/ folders, the catalog files' git history (API mode) "
    "and the catalog each run read (as of its date).",
    typed=TABLES[0].typed,
)
TABLES = (*TABLES, VERSIONS)
HISTORY_FOLDER = "history"
FILES = (
    # First: a file matches the first pattern that fits, and history files are .yaml too.
    ExportFile("entity_versions", HISTORY_FOLDER + "/{valid_from}/{path+}.yaml", "yaml"),
    ExportFile("entity_versions", HISTORY_FOLDER + "/{valid_from}/{path+}.yml", "yaml"),
    ExportFile("entities", "{path+}.yaml", "yaml"),
    ExportFile("entities", "{path+}.yml", "yaml"),
)


def row(table: str, item: dict[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(field(item, "kind"))
    name = str(field(item, "metadata.name", key=kind))
    namespace = str((item.get("metadata") or {}).get("namespace") or "default")
    out: dict[str, Any] = {"kind": kind, "namespace": namespace, "name": name}
    if table == VERSIONS.name:
        out["valid_from"] = version_date(str(context.get("valid_from")), name)
    return out


def version_date(folder: str, key: str | None = None) -> dt.date:
    """The date a history folder is named for (`2026-03-01`), or a RecordError saying so."""
    try:
        return dt.date.fromisoformat(folder)
    except ValueError:
        raise RecordError(
            f"history folder '{folder}' is not a date: name it YYYY-MM-DD "
            f"(catalog/{HISTORY_FOLDER}/2026-03-01/...)",
            key,
            field="valid_from",
            value=folder,
        ) from None


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


SOURCE = Source(
    name="catalog",
    tables=TABLES,
    files=FILES,
    row=row,
    unique_keys=True,
    file_history="ingestion.sources.catalog.git_history",
)
