"""Every source Stature lands, in landing order. Adding a source is its package under
`ingestion/sources/<name>/` and one line here (docs/sources.md has the recipe)."""

from __future__ import annotations

import re

from ingestion.sources import catalog, github, gitlab, inputs, jenkins, opsgenie, pagerduty
from ingestion.spec import RawTable, Source

REGISTRY: tuple[Source, ...] = (
    github.SOURCE,
    gitlab.SOURCE,
    jenkins.SOURCE,
    pagerduty.SOURCE,
    opsgenie.SOURCE,
    catalog.SOURCE,
    inputs.SOURCE,
)

AUTH_SCHEMES = ("bearer", "private-token", "pagerduty", "genie", "basic")


def check(src: Source) -> Source:
    """A source's declarations agree with each other; a ValueError says what to fix."""
    where = f"ingestion/sources/{src.name}"
    problems = []
    if not re.fullmatch(r"[a-z][a-z0-9_]*", src.name):
        problems.append(f"name {src.name!r} must be lower-case letters, digits and _")
    names = [t.name for t in src.tables]
    if len(set(names)) != len(names):
        problems.append(f"table names repeat: {names}")
    for table in src.tables:
        if table.source != src.name:
            problems.append(f"table {table.name} says source {table.source!r}, not {src.name!r}")
        if not any(f.table == table.name for f in src.files):
            problems.append(f"table {table.name} has no export file pattern")
        missing = [k for k in table.primary_key if k not in table.columns]
        if missing:
            problems.append(f"table {table.name}: key column(s) {missing} not in its columns")
    for export_file in src.files:
        if export_file.table not in names:
            problems.append(f"file pattern {export_file.pattern} names no table of {src.name}")
        if export_file.kind not in ("json", "ndjson", "yaml", "csv"):
            problems.append(f"file pattern {export_file.pattern}: unknown kind")
    if src.api is not None and src.auth not in AUTH_SCHEMES:
        problems.append(f"auth {src.auth!r} is not one of {', '.join(AUTH_SCHEMES)}")
    if problems:
        raise ValueError(f"{where}: " + "; ".join(problems))
    return src


for _source in REGISTRY:
    check(_source)

SOURCES: tuple[str, ...] = tuple(s.name for s in REGISTRY)
RAW_TABLES: tuple[RawTable, ...] = tuple(t for s in REGISTRY for t in s.tables)


def source(name: str) -> Source:
    for candidate in REGISTRY:
        if candidate.name == name:
            return candidate
    raise KeyError(f"unknown source {name!r}; expected one of {', '.join(SOURCES)}")


def tables_of(name: str) -> tuple[RawTable, ...]:
    return source(name).tables
