"""What the dbt project says about its models, read from `dbt_project/target/manifest.json`
(`dbt parse` writes it): column lists with their contract types, and what a model reads.
Python reads these here instead of retyping the marts' columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DBT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
MANIFEST = DBT_DIR / "target" / "manifest.json"
PROJECT = "stature"


class ManifestError(Exception):
    """The manifest is missing or lacks a model; the message says what to run."""


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str | None
    description: str


@dataclass(frozen=True)
class Model:
    name: str
    schema: str
    relation: str  # schema.alias: the table or view it builds
    materialized: str
    columns: tuple[Column, ...]
    depends_on: tuple[str, ...]  # schema.name of the models and sources it reads
    description: str

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@lru_cache(maxsize=4)
def _load(path: Path, mtime: float) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def load_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    if not path.exists():
        raise ManifestError(f"{path} not found: run `make manifest` (dbt parse) first")
    return _load(path, path.stat().st_mtime)


def _relation(node: dict[str, Any]) -> str:
    return f"{node['schema']}.{node.get('alias') or node.get('identifier') or node['name']}"


def _reads(uid: str, nodes: dict[str, Any]) -> list[str]:
    """The relations node `uid` reads: models, seeds and sources, looking through ephemeral
    models (they are inlined, so what they read is read by the model)."""
    out: list[str] = []
    for parent in nodes[uid]["depends_on"].get("nodes", []):
        node = nodes.get(parent)
        if node is None or node["resource_type"] not in ("model", "source", "seed"):
            continue
        if node.get("config", {}).get("materialized") == "ephemeral":
            out += _reads(parent, nodes)
        else:
            out.append(_relation(node))
    return out


def _model(node: dict[str, Any], manifest: dict[str, Any]) -> Model:
    nodes = {**manifest["nodes"], **manifest["sources"]}
    return Model(
        name=node["name"],
        schema=node["schema"],
        relation=_relation(node),
        materialized=node["config"]["materialized"],
        columns=tuple(
            Column(c["name"], c.get("data_type"), c.get("description") or "")
            for c in node["columns"].values()
        ),
        depends_on=tuple(dict.fromkeys(_reads(node["unique_id"], nodes))),
        description=node.get("description") or "",
    )


def models(manifest: dict[str, Any] | None = None) -> dict[str, Model]:
    """Every model of the project that builds a relation, keyed by `schema.name` as a reader
    queries it (`marts.dora_metrics`, `reporting.dora_trends`)."""
    manifest = manifest or load_manifest()
    out = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["package_name"] != PROJECT:
            continue
        if node["config"]["materialized"] == "ephemeral":
            continue
        model = _model(node, manifest)
        out[model.relation] = model
    return out


def model(relation: str, manifest: dict[str, Any] | None = None) -> Model:
    """One model by the relation it builds, e.g. `marts.dora_metrics`."""
    found = models(manifest).get(relation)
    if found is None:
        raise ManifestError(
            f"no dbt model builds {relation}: is the manifest current (make manifest)?"
        )
    return found


def columns(relation: str, manifest: dict[str, Any] | None = None) -> list[Column]:
    """The documented columns of a model, in order, with their contract types."""
    return list(model(relation, manifest).columns)


def schema_models(schema: str, manifest: dict[str, Any] | None = None) -> list[Model]:
    """The models that build relations in `schema`, by name."""
    return sorted(
        (m for m in models(manifest).values() if m.schema == schema), key=lambda m: m.relation
    )


def unique_keys(manifest: dict[str, Any] | None = None) -> dict[str, list[frozenset[str]]]:
    """The grains the dbt tests pin: {`schema.name`: [column sets each row is unique on]},
    from the one-column `unique` and `primary_key` tests and `unique_combination_of_columns`."""
    manifest = manifest or load_manifest()
    nodes = manifest["nodes"]
    out: dict[str, list[frozenset[str]]] = {}
    for test in nodes.values():
        meta = test.get("test_metadata") or {}
        model = nodes.get(test.get("attached_node") or "")
        if test["resource_type"] != "test" or model is None:
            continue
        if meta.get("name") in ("unique", "primary_key") and test.get("column_name"):
            columns = frozenset([test["column_name"].lower()])
        elif meta.get("name") == "unique_combination_of_columns":
            columns = frozenset(c.lower() for c in meta["kwargs"]["combination_of_columns"])
        else:
            continue
        out.setdefault(_relation(model), []).append(columns)
    return out
