"""The marts' tables, columns and types as the dbt manifest declares them (`data_type` in the
models' YAML), for tests that build warehouse files shaped like the marts without running
dbt. Nothing here is typed by hand: a column added to a mart's YAML shows up in every such
warehouse, and tests/test_pipeline_e2e.py holds the declared types to the built tables."""

from __future__ import annotations

import functools
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "dbt_project" / "target" / "manifest.json"


@functools.cache
def marts_columns(manifest: Path = MANIFEST) -> dict[str, tuple[tuple[str, str], ...]]:
    """{"marts.<model>": ((column, data_type), ...)} in the order the YAML lists them."""
    if not manifest.exists():
        raise FileNotFoundError(f"{manifest}: run `make manifest` (dbt parse) first")
    nodes = json.loads(manifest.read_text())["nodes"].values()
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for node in sorted(nodes, key=lambda n: n["name"]):
        if node["resource_type"] != "model" or node["schema"] != "marts":
            continue
        columns = []
        for name, column in node["columns"].items():
            if not column.get("data_type"):
                raise ValueError(
                    f"marts.{node['name']}.{name} has no data_type: add it to the model's YAML "
                    f"({node.get('patch_path', '').removeprefix('stature://')})"
                )
            columns.append((name, column["data_type"]))
        out[f"marts.{node['name']}"] = tuple(columns)
    return out


def marts_ddl(manifest: Path = MANIFEST) -> str:
    """`create table` statements for every mart, empty, with the declared column types."""
    statements = ["create schema if not exists marts;"]
    for table, columns in marts_columns(manifest).items():
        body = ",\n    ".join(f'"{name}" {kind}' for name, kind in columns)
        statements.append(f"create table {table} (\n    {body}\n);")
    return "\n".join(statements) + "\n"
